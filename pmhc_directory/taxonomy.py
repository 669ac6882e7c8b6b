"""The PMHC controlled vocabulary (``data/taxonomy.json``, our own spec/taxonomy.json).

Pure look-ups, loaded once: need -> service types in order of preference, service type ->
continuum element and Sequential Intercept Model intercepts, code <-> id. ``init-db`` writes the
same terms into the database (``services.reference_data``) so HSDS attributes can point at them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SERVICE_TYPE = "service-type"
NEED = "need"
ATTRIBUTE = "attribute"
PAYMENT = "payment"
POPULATION = "population"


@dataclass(frozen=True)
class TaxonomyInfo:
    id: str
    key: str
    name: str
    description: str
    uri: str
    version: str


@dataclass(frozen=True)
class Term:
    id: str
    taxonomy: str
    code: str
    name: str
    description: str
    continuum: str | None = None
    intercepts: tuple[int, ...] = ()
    service_types: tuple[str, ...] = ()


class Vocabulary:
    """Every taxonomy and term of the PMHC vocabulary, with the look-ups the app needs."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.namespace: str = data["namespace"]
        self.continuum: dict[str, str] = dict(data["continuum"])
        self.taxonomies: dict[str, TaxonomyInfo] = {
            t["key"]: TaxonomyInfo(
                id=t["id"],
                key=t["key"],
                name=t["name"],
                description=t["description"],
                uri=t["uri"],
                version=t["version"],
            )
            for t in data["taxonomies"]
        }
        self.terms: list[Term] = [
            Term(
                id=t["id"],
                taxonomy=t["taxonomy"],
                code=t["code"],
                name=t["name"],
                description=t.get("description", ""),
                continuum=t.get("continuum"),
                intercepts=tuple(t.get("intercepts", ())),
                service_types=tuple(t.get("service_types", ())),
            )
            for t in data["terms"]
        ]
        self._by_code = {(t.taxonomy, t.code): t for t in self.terms}
        self._by_id = {t.id: t for t in self.terms}
        self._taxonomy_by_id = {t.id: t for t in self.taxonomies.values()}

    def codes(self, taxonomy: str) -> list[str]:
        """Codes of one taxonomy in the spec's order."""
        return [t.code for t in self.terms if t.taxonomy == taxonomy]

    def term(self, taxonomy: str, code: str) -> Term:
        """The term with this code; KeyError names the taxonomy and code when unknown."""
        try:
            return self._by_code[(taxonomy, code)]
        except KeyError:
            raise KeyError(f"unknown {taxonomy} code {code!r}") from None

    def find(self, taxonomy: str, code: str) -> Term | None:
        return self._by_code.get((taxonomy, code))

    def term_by_id(self, term_id: str) -> Term | None:
        return self._by_id.get(term_id)

    def taxonomy_by_id(self, taxonomy_id: str) -> TaxonomyInfo | None:
        return self._taxonomy_by_id.get(taxonomy_id)

    def code_for_id(self, term_id: str) -> str:
        return self._by_id[term_id].code

    def id_for_code(self, taxonomy: str, code: str) -> str:
        return self.term(taxonomy, code).id

    def service_types_for_need(self, need: str) -> tuple[str, ...]:
        """Service types that meet a need, most preferred first."""
        return self.term(NEED, need).service_types

    def continuum_of(self, service_type: str) -> str:
        """Continuum element (contact, respond, place, treatment, housing, justice)."""
        continuum = self.term(SERVICE_TYPE, service_type).continuum
        if continuum is None:
            raise KeyError(f"service type {service_type!r} has no continuum element")
        return continuum

    def intercepts_of(self, service_type: str) -> tuple[int, ...]:
        """Sequential Intercept Model intercepts (0-5) a service type serves."""
        return self.term(SERVICE_TYPE, service_type).intercepts

    def service_types_in(self, continuum: str) -> list[str]:
        return [
            t.code for t in self.terms if t.taxonomy == SERVICE_TYPE and t.continuum == continuum
        ]


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with the package (read once per process)."""
    text = resources.files("pmhc_directory").joinpath("data/taxonomy.json").read_text("utf-8")
    return Vocabulary(json.loads(text))
