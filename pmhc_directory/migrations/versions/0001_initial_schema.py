"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_areas",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("centre_lat", sa.Float(), nullable=False),
        sa.Column("centre_lon", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_areas")),
    )
    op.create_table(
        "boundaries",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boundaries")),
    )
    op.create_table(
        "change_records",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("resource_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("resource_type", sa.String(length=50), nullable=False),
        sa.Column("last_action_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_action_type", sa.String(length=20), nullable=False),
        sa.Column("field_name", sa.String(length=100), nullable=False),
        sa.Column("previous_value", sa.Text(), nullable=False),
        sa.Column("replacement_value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_records")),
    )
    op.create_index(
        "ix_change_records_resource",
        "change_records",
        ["resource_type", "resource_id"],
        unique=False,
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alternate_name", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "places",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.create_index(op.f("ix_places_name_key"), "places", ["name_key"], unique=False)
    op.create_table(
        "site_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_settings")),
    )
    op.create_table(
        "taxonomies",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uri", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomies")),
        sa.UniqueConstraint("key", name=op.f("uq_taxonomies_key")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scheme", sa.String(length=200), nullable=True),
        sa.Column("identifier", sa.String(length=200), nullable=True),
        sa.Column("uri", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "officer",
                "coordinator",
                "planner",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("location_type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("alternate_name", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transportation", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("external_identifier", sa.String(length=200), nullable=True),
        sa.Column("external_identifier_type", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "location_type IN ('physical', 'postal', 'virtual')", name=op.f("ck_locations_type")
        ),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_locations_latitude")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)",
            name=op.f("ck_locations_longitude"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_locations_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_index(
        op.f("ix_locations_organization_id"), "locations", ["organization_id"], unique=False
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("alternate_name", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("interpretation_services", sa.Text(), nullable=True),
        sa.Column("application_process", sa.Text(), nullable=True),
        sa.Column("fees_description", sa.Text(), nullable=True),
        sa.Column("eligibility_description", sa.Text(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.Column("assurer_email", sa.String(length=320), nullable=True),
        sa.Column("is_national", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'defunct', 'temporarily closed')",
            name=op.f("ck_services_status"),
        ),
        sa.CheckConstraint(
            "maximum_age IS NULL OR maximum_age >= 0", name=op.f("ck_services_maximum_age")
        ),
        sa.CheckConstraint(
            "minimum_age IS NULL OR minimum_age >= 0", name=op.f("ck_services_minimum_age")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_services_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    op.create_index(op.f("ix_services_is_national"), "services", ["is_national"], unique=False)
    op.create_index(
        op.f("ix_services_organization_id"), "services", ["organization_id"], unique=False
    )
    op.create_table(
        "taxonomy_terms",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("taxonomy_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("taxonomy", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("term_uri", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["taxonomy_terms.id"],
            name=op.f("fk_taxonomy_terms_parent_id_taxonomy_terms"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"],
            ["taxonomies.id"],
            name=op.f("fk_taxonomy_terms_taxonomy_id_taxonomies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_terms")),
    )
    op.create_index(
        "ix_taxonomy_terms_taxonomy_code", "taxonomy_terms", ["taxonomy_id", "code"], unique=False
    )
    op.create_index(
        op.f("ix_taxonomy_terms_taxonomy_id"), "taxonomy_terms", ["taxonomy_id"], unique=False
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("attention", sa.String(length=500), nullable=True),
        sa.Column("address_1", sa.String(length=500), nullable=False),
        sa.Column("address_2", sa.String(length=500), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("state_province", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("address_type", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "address_type IN ('physical', 'postal', 'virtual')", name=op.f("ck_addresses_type")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_addresses_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(op.f("ix_addresses_location_id"), "addresses", ["location_id"], unique=False)
    op.create_index(op.f("ix_addresses_postal_code"), "addresses", ["postal_code"], unique=False)
    op.create_table(
        "attributes",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("link_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("link_entity", sa.String(length=50), nullable=False),
        sa.Column("link_type", sa.String(length=100), nullable=True),
        sa.Column("taxonomy_term_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["taxonomy_term_id"],
            ["taxonomy_terms.id"],
            name=op.f("fk_attributes_taxonomy_term_id_taxonomy_terms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributes")),
    )
    op.create_index("ix_attributes_link", "attributes", ["link_entity", "link_id"], unique=False)
    op.create_index(
        op.f("ix_attributes_taxonomy_term_id"), "attributes", ["taxonomy_term_id"], unique=False
    )
    op.create_table(
        "cost_options",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("option", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amount_description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_cost_options_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_options")),
    )
    op.create_index(
        op.f("ix_cost_options_service_id"), "cost_options", ["service_id"], unique=False
    )
    op.create_table(
        "service_capacities",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("unit_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("available >= 0", name=op.f("ck_service_capacities_available")),
        sa.CheckConstraint(
            "maximum IS NULL OR maximum >= 0", name=op.f("ck_service_capacities_maximum")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_capacities_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_service_capacities_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_capacities")),
    )
    op.create_index(
        op.f("ix_service_capacities_service_id"), "service_capacities", ["service_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_capacities_unit_id"), "service_capacities", ["unit_id"], unique=False
    )
    op.create_table(
        "services_at_location",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_services_at_location_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_services_at_location_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_at_location")),
    )
    op.create_index(
        op.f("ix_services_at_location_location_id"),
        "services_at_location",
        ["location_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_at_location_service_id"),
        "services_at_location",
        ["service_id"],
        unique=False,
    )
    op.create_table(
        "urls",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_urls_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_urls_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urls")),
    )
    op.create_index(op.f("ix_urls_organization_id"), "urls", ["organization_id"], unique=False)
    op.create_index(op.f("ix_urls_service_id"), "urls", ["service_id"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("department", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_contacts_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_at_location_id"],
            ["services_at_location.id"],
            name=op.f("fk_contacts_service_at_location_id_services_at_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_contacts_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_location_id"), "contacts", ["location_id"], unique=False)
    op.create_index(
        op.f("ix_contacts_organization_id"), "contacts", ["organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_contacts_service_at_location_id"),
        "contacts",
        ["service_at_location_id"],
        unique=False,
    )
    op.create_index(op.f("ix_contacts_service_id"), "contacts", ["service_id"], unique=False)
    op.create_table(
        "schedules",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("dtstart", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("wkst", sa.String(length=2), nullable=True),
        sa.Column("freq", sa.String(length=10), nullable=True),
        sa.Column("interval", sa.Integer(), nullable=True),
        sa.Column("byday", sa.String(length=100), nullable=True),
        sa.Column("byweekno", sa.String(length=200), nullable=True),
        sa.Column("bymonthday", sa.String(length=200), nullable=True),
        sa.Column("byyearday", sa.String(length=500), nullable=True),
        sa.Column("opens_at", sa.String(length=20), nullable=True),
        sa.Column("closes_at", sa.String(length=20), nullable=True),
        sa.Column("timezone", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("schedule_link", sa.String(length=2000), nullable=True),
        sa.Column("attending_type", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "freq IS NULL OR freq IN ('WEEKLY', 'MONTHLY')", name=op.f("ck_schedules_freq")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_schedules_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_at_location_id"],
            ["services_at_location.id"],
            name=op.f("fk_schedules_service_at_location_id_services_at_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_schedules_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index(op.f("ix_schedules_location_id"), "schedules", ["location_id"], unique=False)
    op.create_index(
        op.f("ix_schedules_service_at_location_id"),
        "schedules",
        ["service_at_location_id"],
        unique=False,
    )
    op.create_index(op.f("ix_schedules_service_id"), "schedules", ["service_id"], unique=False)
    op.create_table(
        "service_areas",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("extent", sa.Text(), nullable=True),
        sa.Column("extent_type", sa.String(length=20), nullable=True),
        sa.Column("uri", sa.String(length=2000), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_at_location_id"],
            ["services_at_location.id"],
            name=op.f("fk_service_areas_service_at_location_id_services_at_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_areas_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_areas")),
    )
    op.create_index(
        op.f("ix_service_areas_service_at_location_id"),
        "service_areas",
        ["service_at_location_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_areas_service_id"), "service_areas", ["service_id"], unique=False
    )
    op.create_table(
        "phones",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("organization_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("service_at_location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("contact_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("extension", sa.String(length=20), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_phones_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_phones_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_phones_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_at_location_id"],
            ["services_at_location.id"],
            name=op.f("fk_phones_service_at_location_id_services_at_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_phones_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phones")),
    )
    op.create_index(op.f("ix_phones_contact_id"), "phones", ["contact_id"], unique=False)
    op.create_index(op.f("ix_phones_location_id"), "phones", ["location_id"], unique=False)
    op.create_index(op.f("ix_phones_organization_id"), "phones", ["organization_id"], unique=False)
    op.create_index(
        op.f("ix_phones_service_at_location_id"), "phones", ["service_at_location_id"], unique=False
    )
    op.create_index(op.f("ix_phones_service_id"), "phones", ["service_id"], unique=False)
    op.create_table(
        "languages",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("location_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("phone_id", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_languages_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["phone_id"],
            ["phones.id"],
            name=op.f("fk_languages_phone_id_phones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_languages_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_languages")),
    )
    op.create_index(op.f("ix_languages_code"), "languages", ["code"], unique=False)
    op.create_index(op.f("ix_languages_location_id"), "languages", ["location_id"], unique=False)
    op.create_index(op.f("ix_languages_phone_id"), "languages", ["phone_id"], unique=False)
    op.create_index(op.f("ix_languages_service_id"), "languages", ["service_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_languages_service_id"), table_name="languages")
    op.drop_index(op.f("ix_languages_phone_id"), table_name="languages")
    op.drop_index(op.f("ix_languages_location_id"), table_name="languages")
    op.drop_index(op.f("ix_languages_code"), table_name="languages")
    op.drop_table("languages")
    op.drop_index(op.f("ix_phones_service_id"), table_name="phones")
    op.drop_index(op.f("ix_phones_service_at_location_id"), table_name="phones")
    op.drop_index(op.f("ix_phones_organization_id"), table_name="phones")
    op.drop_index(op.f("ix_phones_location_id"), table_name="phones")
    op.drop_index(op.f("ix_phones_contact_id"), table_name="phones")
    op.drop_table("phones")
    op.drop_index(op.f("ix_service_areas_service_id"), table_name="service_areas")
    op.drop_index(op.f("ix_service_areas_service_at_location_id"), table_name="service_areas")
    op.drop_table("service_areas")
    op.drop_index(op.f("ix_schedules_service_id"), table_name="schedules")
    op.drop_index(op.f("ix_schedules_service_at_location_id"), table_name="schedules")
    op.drop_index(op.f("ix_schedules_location_id"), table_name="schedules")
    op.drop_table("schedules")
    op.drop_index(op.f("ix_contacts_service_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_service_at_location_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_organization_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_location_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_urls_service_id"), table_name="urls")
    op.drop_index(op.f("ix_urls_organization_id"), table_name="urls")
    op.drop_table("urls")
    op.drop_index(op.f("ix_services_at_location_service_id"), table_name="services_at_location")
    op.drop_index(op.f("ix_services_at_location_location_id"), table_name="services_at_location")
    op.drop_table("services_at_location")
    op.drop_index(op.f("ix_service_capacities_unit_id"), table_name="service_capacities")
    op.drop_index(op.f("ix_service_capacities_service_id"), table_name="service_capacities")
    op.drop_table("service_capacities")
    op.drop_index(op.f("ix_cost_options_service_id"), table_name="cost_options")
    op.drop_table("cost_options")
    op.drop_index(op.f("ix_attributes_taxonomy_term_id"), table_name="attributes")
    op.drop_index("ix_attributes_link", table_name="attributes")
    op.drop_table("attributes")
    op.drop_index(op.f("ix_addresses_postal_code"), table_name="addresses")
    op.drop_index(op.f("ix_addresses_location_id"), table_name="addresses")
    op.drop_table("addresses")
    op.drop_index(op.f("ix_taxonomy_terms_taxonomy_id"), table_name="taxonomy_terms")
    op.drop_index("ix_taxonomy_terms_taxonomy_code", table_name="taxonomy_terms")
    op.drop_table("taxonomy_terms")
    op.drop_index(op.f("ix_services_organization_id"), table_name="services")
    op.drop_index(op.f("ix_services_is_national"), table_name="services")
    op.drop_table("services")
    op.drop_index(op.f("ix_locations_organization_id"), table_name="locations")
    op.drop_table("locations")
    op.drop_table("users")
    op.drop_table("units")
    op.drop_table("taxonomies")
    op.drop_table("site_settings")
    op.drop_index(op.f("ix_places_name_key"), table_name="places")
    op.drop_table("places")
    op.drop_table("organizations")
    op.drop_index("ix_change_records_resource", table_name="change_records")
    op.drop_table("change_records")
    op.drop_table("boundaries")
    op.drop_table("analysis_areas")
