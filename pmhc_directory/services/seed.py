"""Loading the fictional demo jurisdiction (``seed/demo``, made by ``seed/generate.py``).

It goes through the same import code users use: HSDS 3.1 JSON for the services, GeoJSON for
areas and boundary, CSV for the gazetteer. Loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from .geography import import_areas_geojson, import_boundary_geojson, import_places_csv
from .imports import import_file
from .site import mark_demo_loaded


def load_demo(session: Session, seed_dir: Path, progress: Callable[..., Any] | None = None) -> str:
    """Import every demo file and mark the instance as showing demo data; returns a summary."""
    seed_dir = Path(seed_dir)
    summary = import_file(session, seed_dir / "services.json", fmt="hsds-json", progress=progress)
    areas = import_areas_geojson(
        session,
        seed_dir / "areas.geojson",
        id_field="area_id",
        population_field="population",
        centre_lat_field="centre_lat",
        centre_lon_field="centre_lon",
    )
    boundary = import_boundary_geojson(session, seed_dir / "boundary.geojson")
    places = import_places_csv(session, seed_dir / "places.csv")
    mark_demo_loaded(session)
    return (
        f"Demo jurisdiction {boundary}: services {summary}; {areas} analysis areas; {places} places"
    )
