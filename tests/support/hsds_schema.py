"""JSON Schema validators for the HSDS 3.1 schemas shipped in ``<repo>/../shared``.

``service_validator()`` checks one service in compiled (nested) form, the shape of
``/services/{id}``; ``compiled_validator(name)`` does the same for any file in
``shared/hsds/schema/compiled/``. Format checking is on (uuid, date-time, email...), and any
``$ref`` resolves against the modular schemas in ``shared/hsds/schema/`` keyed by file name.
Without ``../shared`` the calling test is skipped.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# tests/support/hsds_schema.py -> parents[2] is the repository, whose sibling is shared/.
SHARED = Path(__file__).resolve().parents[3] / "shared"
SCHEMA_DIR = SHARED / "hsds" / "schema"
COMPILED_DIR = SCHEMA_DIR / "compiled"


def _require_shared() -> None:
    if not COMPILED_DIR.is_dir():
        pytest.skip(
            "../shared is absent: HSDS schemas are read from there "
            f"(expected {COMPILED_DIR}); clone the shared reference material beside the repo"
        )


@cache
def _registry() -> Registry:
    """Every modular schema, keyed by its bare file name (the form their $refs use)."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


@cache
def _compiled(name: str) -> Draft202012Validator:
    schema = json.loads((COMPILED_DIR / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema,
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def compiled_validator(name: str) -> Draft202012Validator:
    """Validator for ``shared/hsds/schema/compiled/<name>.json`` with format checking on."""
    _require_shared()
    if not (COMPILED_DIR / f"{name}.json").is_file():
        raise FileNotFoundError(f"no compiled HSDS schema {name!r} in {COMPILED_DIR}")
    return _compiled(name)


def service_validator() -> Draft202012Validator:
    """Validator for one HSDS 3.1 service in compiled (nested) form."""
    return compiled_validator("service")
