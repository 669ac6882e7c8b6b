"""The migrations build exactly the schema the models describe, on the backend under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from pmhc_directory.models import Base, Taxonomy, TaxonomyTerm
from pmhc_directory.schema import current_revision, head_revision
from pmhc_directory.taxonomy import vocabulary


def test_migrations_match_models(connection):
    diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_database_is_at_head(app):
    from pmhc_directory.db import get_database

    assert current_revision(get_database(app).engine) == head_revision()


def test_reference_taxonomy_loaded(session):
    vocab = vocabulary()
    assert session.scalar(select(func.count()).select_from(TaxonomyTerm)) == len(vocab.terms)
    keys = set(session.scalars(select(Taxonomy.key)))
    assert keys == set(vocab.taxonomies)
