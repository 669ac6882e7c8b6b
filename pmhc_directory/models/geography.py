"""Analysis areas (census tracts or block groups), the jurisdiction boundary and the gazetteer.

Geometries are GeoJSON text in WGS84 (EPSG:4326), lon/lat order, with cached bounds in degrees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base, new_id


class AnalysisArea(Base):
    __tablename__ = "analysis_areas"

    # The area's own code, e.g. a census GEOID.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int] = mapped_column(Integer, default=0)
    geometry: Mapped[str] = mapped_column(Text)
    # Demand point: population-weighted centre where given, else a point inside the area.
    centre_lat: Mapped[float] = mapped_column(Float)
    centre_lon: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class Boundary(Base):
    """The jurisdiction's outline."""

    __tablename__ = "boundaries"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    geometry: Mapped[str] = mapped_column(Text)


class Place(Base):
    """A named place or landmark an officer may type ("Riverside Park")."""

    __tablename__ = "places"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    # Lower-case, punctuation-free form used for look-ups.
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="place")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    postal_code: Mapped[str | None] = mapped_column(String(20))


class TravelCost(Base):
    """A supplied travel time from an area's demand point to a location, in minutes.

    Loaded by ``geography costs``; where a pair is present it replaces the geodesic estimate
    everywhere (spec/api.md 6).
    """

    __tablename__ = "travel_costs"

    area_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("analysis_areas.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    minutes: Mapped[float] = mapped_column(Float)


class RoadNetworkFile(Base):
    """The drive-time road network built by ``geography roads`` from an OpenStreetMap extract.

    One row at most: loading a new extract replaces it. ``data`` is the network's compressed
    arrays (:meth:`pmhc_directory.geo.roads.RoadNetwork.to_bytes`), kept in the database so
    that every app server reads the same network.
    """

    __tablename__ = "road_networks"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(300))
    # The extract's own date (its header), when it gives one.
    osm_timestamp: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]
    node_count: Mapped[int] = mapped_column(Integer)
    edge_count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
