"""Read the drivable ways of an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``)
with pyosmium, the Python binding of libosmium (the OSM project's C++ reader).

The whole file is read once: pyosmium keeps the location of every node in a flat index while
it passes, then hands each way with its node locations to :class:`~.roads.NetworkBuilder`. Memory
is about 16 bytes a node of the file for that index plus the network (see docs/admin.md).
OpenStreetMap data is (c) OpenStreetMap contributors, under the ODbL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pmhc_directory.geo.roads import NetworkBuilder, RoadNetwork

__all__ = ["OsmReadError", "read_road_network"]


class OsmReadError(ValueError):
    """The file is not a readable OpenStreetMap extract, or it holds no drivable road."""


def _file_timestamp(path: Path) -> str | None:
    """The extract's own date: the header's replication timestamp, else its ``timestamp``."""
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            header = reader.header()
        finally:
            reader.close()
    except RuntimeError as error:
        raise OsmReadError(f"{path.name} is not an OpenStreetMap file: {error}") from error
    for key in ("osmosis_replication_timestamp", "timestamp"):
        value = header.get(key)
        if value:
            return value
    return None


def read_road_network(
    path: Path, *, progress: Callable[[int], None] | None = None, every: int = 50_000
) -> RoadNetwork:
    """The drive-time network of the extract at ``path``. ``progress(ways_seen)`` is called
    every ``every`` ways with a ``highway`` tag."""
    import osmium

    path = Path(path)
    if not path.is_file():
        raise OsmReadError(f"{path} does not exist")
    osm_timestamp = _file_timestamp(path)
    builder = NetworkBuilder()
    seen = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # the filter passes ways only
                continue
            seen += 1
            if progress is not None and seen % every == 0:
                progress(seen)
            tags = {tag.k: tag.v for tag in way.tags}
            nodes = [
                (node.ref, node.location.lat, node.location.lon) if node.location.valid() else None
                for node in way.nodes
            ]
            builder.add_way(nodes, tags)
    except RuntimeError as error:
        raise OsmReadError(f"{path.name} could not be read: {error}") from error
    if progress is not None:
        progress(seen)
    network = builder.build(
        source=path.name,
        osm_timestamp=osm_timestamp,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if network.edge_count == 0:
        raise OsmReadError(f"{path.name} has no drivable road (no way with a car highway tag)")
    return network
