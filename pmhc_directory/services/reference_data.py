"""Reference data every instance has: the PMHC taxonomy and the national crisis lines."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Taxonomy, TaxonomyTerm
from ..taxonomy import Vocabulary, vocabulary


def load_taxonomy(session: Session, vocab: Vocabulary | None = None) -> int:
    """Insert or update every PMHC taxonomy and term (ids are stable). Returns terms written."""
    vocab = vocab or vocabulary()
    for info in vocab.taxonomies.values():
        row = session.get(Taxonomy, info.id) or Taxonomy(id=info.id)
        row.key = info.key
        row.name = info.name
        row.description = info.description
        row.uri = info.uri
        row.version = info.version
        session.add(row)
    session.flush()
    for term in vocab.terms:
        term_row = session.get(TaxonomyTerm, term.id) or TaxonomyTerm(id=term.id)
        term_row.taxonomy_id = vocab.taxonomies[term.taxonomy].id
        term_row.taxonomy = term.taxonomy
        term_row.code = term.code
        term_row.name = term.name
        term_row.description = term.description
        session.add(term_row)
    session.flush()
    return len(vocab.terms)


def load_reference_data(session: Session) -> None:
    """Everything ``init-db`` puts in a new database (idempotent)."""
    load_taxonomy(session)
    from .national_lines import load_national_lines

    load_national_lines(session)
