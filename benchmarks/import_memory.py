"""Import speed and peak memory for N synthetic services.

    python benchmarks/import_memory.py 10000 [--format hsds-ndjson|hsds-json|hsds-csv]

Generates N simple, deterministic compiled HSDS 3.1 services (one organization per 10
services, one location with an address, a phone and weekday hours per service, a service
phone and a PMHC service-type attribute), writes them in the chosen format into a temporary
folder (streamed, so the generator does not raise the peak), imports them into a new SQLite
database and prints services per second and the peak resident set size of the process
(``resource.getrusage``, Linux reports kilobytes). Throughput is given per wall-clock second
and per CPU second of this process (the latter does not depend on what else the machine runs).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pmhc_directory.db import make_engine  # noqa: E402
from pmhc_directory.hsds.tabular import write_package  # noqa: E402
from pmhc_directory.schema import upgrade  # noqa: E402
from pmhc_directory.services.imports import import_file  # noqa: E402
from pmhc_directory.services.reference_data import load_reference_data  # noqa: E402
from pmhc_directory.taxonomy import vocabulary  # noqa: E402

NAMESPACE = uuid.UUID("6f1d0c1e-8f8e-4c55-9a43-3d0a5b1e0b7a")


def _id(kind: str, n: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}-{n}"))


def synthetic_services(count: int) -> Iterator[dict[str, Any]]:
    """``count`` compiled services, the same every run."""
    vocab = vocabulary()
    term = vocab.term("service-type", "crisis-line")
    taxonomy = vocab.taxonomies["service-type"]
    detail = {"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description}
    for n in range(count):
        sid, lid, org = _id("service", n), _id("location", n), n // 10
        yield {
            "id": sid,
            "name": f"Synthetic crisis service {n}",
            "status": "active",
            "description": "A generated service for the import benchmark.",
            "organization": {
                "id": _id("organization", org),
                "name": f"Synthetic provider {org}",
                "description": "",
                "phones": [],
            },
            "service_at_locations": [
                {
                    "id": _id("sal", n),
                    "service_id": sid,
                    "location": {
                        "id": lid,
                        "location_type": "physical",
                        "name": f"Site {n}",
                        "latitude": 35.0 + (n % 1000) * 0.001,
                        "longitude": -106.0 - (n // 1000) * 0.001,
                        "addresses": [
                            {
                                "id": _id("address", n),
                                "location_id": lid,
                                "address_1": f"{n} Main St",
                                "city": "Albuquerque",
                                "state_province": "NM",
                                "postal_code": "87102",
                                "country": "US",
                                "address_type": "physical",
                            }
                        ],
                        "phones": [],
                        "schedules": [
                            {
                                "id": _id("schedule", n),
                                "location_id": lid,
                                "freq": "WEEKLY",
                                "byday": "MO,TU,WE,TH,FR",
                                "opens_at": "08:00",
                                "closes_at": "17:00",
                            }
                        ],
                        "languages": [],
                    },
                    "phones": [],
                    "schedules": [],
                    "service_areas": [],
                }
            ],
            "phones": [{"id": _id("phone", n), "service_id": sid, "number": "505-555-0100"}],
            "attributes": [
                {
                    "id": _id("attribute", n),
                    "link_id": sid,
                    "link_entity": "service",
                    "link_type": "service_type",
                    "taxonomy_term_id": term.id,
                    "taxonomy_term": {
                        "id": term.id,
                        "code": term.code,
                        "name": term.name,
                        "description": term.description,
                        "taxonomy": "service-type",
                        "taxonomy_id": taxonomy.id,
                        "taxonomy_detail": detail,
                    },
                }
            ],
        }


def write_input(folder: Path, count: int, fmt: str) -> Path:
    if fmt == "hsds-csv":
        package = folder / "package"
        package.mkdir()
        write_package(synthetic_services(count), package)
        return package
    path = folder / ("services.ndjson" if fmt == "hsds-ndjson" else "services.json")
    with path.open("w", encoding="utf-8") as handle:
        if fmt == "hsds-ndjson":
            for service in synthetic_services(count):
                handle.write(json.dumps(service) + "\n")
        else:
            handle.write("[")
            for n, service in enumerate(synthetic_services(count)):
                handle.write(("," if n else "") + json.dumps(service) + "\n")
            handle.write("]\n")
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="number of services to generate and import")
    parser.add_argument(
        "--format", default="hsds-ndjson", choices=("hsds-ndjson", "hsds-json", "hsds-csv")
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_input(folder, args.count, args.format)
        engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        upgrade(engine)
        with Session(engine) as session:
            load_reference_data(session)
            session.commit()
        before = peak_rss_mb()
        with Session(engine) as session:
            start, cpu_start = time.perf_counter(), time.process_time()
            summary = import_file(session, path, fmt=args.format)
            session.commit()
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
        engine.dispose()
    print(f"format {args.format}, {args.count} services: {summary}")
    print(f"{seconds:.1f} s, {args.count / seconds:,.0f} services/s (wall clock)")
    print(f"{cpu:.1f} s CPU, {args.count / cpu:,.0f} services/s per CPU second")
    print(f"peak RSS {peak_rss_mb():,.0f} MB (before the import: {before:,.0f} MB)")


if __name__ == "__main__":
    main()
