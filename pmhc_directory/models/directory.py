"""HSDS 3.1 objects the directory needs, as typed SQLAlchemy models.

Table names are plural snake_case; field names follow HSDS so serialisation is a straight copy.
Ids are UUID strings (see ``db.UUID_TYPE``). Organizations, services and locations carry a
``version`` used for optimistic locking: a flush that would overwrite a row someone else changed
since it was read raises ``StaleDataError`` instead of losing their edit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    func,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from ..db import UUID_TYPE, Base, new_id

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")


def _uuid_pk() -> Mapped[str]:
    return mapped_column(UUID_TYPE, primary_key=True, default=new_id)


def _owner(table: str) -> Mapped[str | None]:
    return mapped_column(
        UUID_TYPE, ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True, nullable=True
    )


class HsdsExtraMixin:
    """``hsds_extra``: the HSDS 3.1 fields of this object the directory has no column for
    (nested funding, programs, metadata, attributes of a phone, ...), kept verbatim as JSON
    text with sorted keys and written back on export (docs/hsds-conventions.md)."""

    hsds_extra: Mapped[str | None] = mapped_column(Text)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Organization(HsdsExtraMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[str] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(2000))
    tax_status: Mapped[str | None] = mapped_column(String(500))
    tax_id: Mapped[str | None] = mapped_column(String(200))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    legal_status: Mapped[str | None] = mapped_column(String(500))
    logo: Mapped[str | None] = mapped_column(String(2000))
    uri: Mapped[str | None] = mapped_column(String(2000))
    # HSDS parent organization; not a foreign key: the parent need not be in the directory.
    parent_organization_id: Mapped[str | None] = mapped_column(UUID_TYPE)
    version: Mapped[int] = mapped_column(Integer, default=1)

    services: Mapped[list[Service]] = relationship(back_populates="organization")
    phones: Mapped[list[Phone]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Phone.position"
    )
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Attribute.link_id) == Organization.id,
            Attribute.link_entity == "organization",
        ),
        viewonly=True,
    )

    __mapper_args__ = {"version_id_col": version}


class Service(HsdsExtraMixin, TimestampMixin, Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'inactive', 'defunct', 'temporarily closed')", name="status"
        ),
        CheckConstraint("minimum_age IS NULL OR minimum_age >= 0", name="minimum_age"),
        CheckConstraint("maximum_age IS NULL OR maximum_age >= 0", name="maximum_age"),
    )

    id: Mapped[str] = _uuid_pk()
    organization_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(32), default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    alert: Mapped[str | None] = mapped_column(Text)
    # HSDS program the service is delivered under; the program object is kept in hsds_extra.
    program_id: Mapped[str | None] = mapped_column(UUID_TYPE)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    # When ``alert`` stops being shown (None: until someone removes it). Provider alerts
    # always have one; see services.provider_alerts.current_alert.
    alert_expires_at: Mapped[datetime | None]
    # A provider's temporary closure: the lookup excludes the service as closed until then.
    closed_until: Mapped[datetime | None]
    # Last verified by a person (HSDS assured_date), distinct from updated_at.
    assured_date: Mapped[date | None]
    assurer_email: Mapped[str | None] = mapped_column(String(320))
    # National lines (988 and others) are shown everywhere and belong to no place.
    is_national: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceAtLocation.id"
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Phone.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Schedule.position"
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceArea.id"
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Language.position"
    )
    cost_options: Mapped[list[CostOption]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="CostOption.id"
    )
    capacities: Mapped[list[ServiceCapacity]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceCapacity.id"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Contact.id"
    )
    urls: Mapped[list[Url]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Url.id"
    )
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Attribute.link_id) == Service.id, Attribute.link_entity == "service"
        ),
        cascade="all, delete-orphan",
        order_by=lambda: Attribute.position,
    )

    __mapper_args__ = {"version_id_col": version}


class Location(HsdsExtraMixin, TimestampMixin, Base):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("location_type IN ('physical', 'postal', 'virtual')", name="type"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )

    id: Mapped[str] = _uuid_pk()
    organization_id: Mapped[str | None] = mapped_column(
        UUID_TYPE, ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    location_type: Mapped[str] = mapped_column(String(16), default="physical")
    name: Mapped[str | None] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(2000))
    external_identifier: Mapped[str | None] = mapped_column(String(200))
    external_identifier_type: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Address.id"
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Phone.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Schedule.position"
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Language.position"
    )
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(back_populates="location")
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Attribute.link_id) == Location.id, Attribute.link_entity == "location"
        ),
        viewonly=True,
    )

    __mapper_args__ = {"version_id_col": version}


class ServiceAtLocation(HsdsExtraMixin, Base):
    __tablename__ = "services_at_location"

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship(back_populates="service_at_locations")
    phones: Mapped[list[Phone]] = relationship(
        back_populates="service_at_location",
        cascade="all, delete-orphan",
        order_by="Phone.position",
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service_at_location",
        cascade="all, delete-orphan",
        order_by="Schedule.position",
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="service_at_location",
        cascade="all, delete-orphan",
        order_by="ServiceArea.id",
    )


class Address(HsdsExtraMixin, Base):
    __tablename__ = "addresses"
    __table_args__ = (
        CheckConstraint("address_type IN ('physical', 'postal', 'virtual')", name="type"),
    )

    id: Mapped[str] = _uuid_pk()
    location_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    attention: Mapped[str | None] = mapped_column(String(500))
    address_1: Mapped[str] = mapped_column(String(500))
    address_2: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    state_province: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2))
    address_type: Mapped[str] = mapped_column(String(16), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")


class Phone(HsdsExtraMixin, Base):
    """A phone number of exactly one owner (organization, service, location, ...)."""

    __tablename__ = "phones"

    id: Mapped[str] = _uuid_pk()
    organization_id: Mapped[str | None] = _owner("organizations")
    service_id: Mapped[str | None] = _owner("services")
    location_id: Mapped[str | None] = _owner("locations")
    service_at_location_id: Mapped[str | None] = _owner("services_at_location")
    contact_id: Mapped[str | None] = _owner("contacts")
    number: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str | None] = mapped_column(String(20))
    # RFC 6350 type: voice, text, fax, cell, video, pager, textphone
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    # Keeps the publisher's order, since the first number is the one shown first.
    position: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped[Organization | None] = relationship(back_populates="phones")
    service: Mapped[Service | None] = relationship(back_populates="phones")
    location: Mapped[Location | None] = relationship(back_populates="phones")
    service_at_location: Mapped[ServiceAtLocation | None] = relationship(back_populates="phones")
    contact: Mapped[Contact | None] = relationship(back_populates="phones")


class Schedule(HsdsExtraMixin, Base):
    """One opening window, RRULE-like (HSDS 3.1 schedule); see docs/hsds-conventions.md."""

    __tablename__ = "schedules"
    __table_args__ = (CheckConstraint("freq IS NULL OR freq IN ('WEEKLY', 'MONTHLY')", "freq"),)

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str | None] = _owner("services")
    location_id: Mapped[str | None] = _owner("locations")
    service_at_location_id: Mapped[str | None] = _owner("services_at_location")
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    dtstart: Mapped[date | None]
    until: Mapped[date | None]
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(String(2))
    freq: Mapped[str | None] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(100))
    byweekno: Mapped[str | None] = mapped_column(String(200))
    bymonthday: Mapped[str | None] = mapped_column(String(200))
    byyearday: Mapped[str | None] = mapped_column(String(500))
    # Wall-clock times as published: "08:00", "08:00:00", optionally with an offset suffix.
    opens_at: Mapped[str | None] = mapped_column(String(20))
    closes_at: Mapped[str | None] = mapped_column(String(20))
    # HSDS timezone: the UTC offset in hours of the times above, when published.
    timezone: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    schedule_link: Mapped[str | None] = mapped_column(String(2000))
    attending_type: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    service: Mapped[Service | None] = relationship(back_populates="schedules")
    location: Mapped[Location | None] = relationship(back_populates="schedules")
    service_at_location: Mapped[ServiceAtLocation | None] = relationship(back_populates="schedules")


class ServiceArea(HsdsExtraMixin, Base):
    """Where a service operates: a GeoJSON polygon string plus its cached bounding box."""

    __tablename__ = "service_areas"

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str | None] = _owner("services")
    service_at_location_id: Mapped[str | None] = _owner("services_at_location")
    name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(20))
    uri: Mapped[str | None] = mapped_column(String(2000))
    # Bounds of a GeoJSON extent in degrees (WGS84), for a cheap first test before shapely.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)

    service: Mapped[Service | None] = relationship(back_populates="service_areas")
    service_at_location: Mapped[ServiceAtLocation | None] = relationship(
        back_populates="service_areas"
    )


class Language(HsdsExtraMixin, Base):
    __tablename__ = "languages"

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str | None] = _owner("services")
    location_id: Mapped[str | None] = _owner("locations")
    phone_id: Mapped[str | None] = _owner("phones")
    name: Mapped[str | None] = mapped_column(String(200))
    # ISO 639-1 (or 639-3 where no two-letter code exists)
    code: Mapped[str | None] = mapped_column(String(10), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    service: Mapped[Service | None] = relationship(back_populates="languages")
    location: Mapped[Location | None] = relationship(back_populates="languages")


class CostOption(HsdsExtraMixin, Base):
    __tablename__ = "cost_options"

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amount_description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="cost_options")


class Unit(HsdsExtraMixin, Base):
    """A unit of capacity (HSDS 3.1): bed, chair, slot, team."""

    __tablename__ = "units"

    id: Mapped[str] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    scheme: Mapped[str | None] = mapped_column(String(200))
    identifier: Mapped[str | None] = mapped_column(String(200))
    uri: Mapped[str | None] = mapped_column(String(2000))


class ServiceCapacity(HsdsExtraMixin, Base):
    """Available / maximum units at the time ``updated`` (HSDS 3.1 service_capacity)."""

    __tablename__ = "service_capacities"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available"),
        CheckConstraint("maximum IS NULL OR maximum >= 0", name="maximum"),
    )

    id: Mapped[str] = _uuid_pk()
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    available: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[datetime]

    service: Mapped[Service] = relationship(back_populates="capacities")
    unit: Mapped[Unit] = relationship()


class Contact(HsdsExtraMixin, Base):
    __tablename__ = "contacts"

    id: Mapped[str] = _uuid_pk()
    organization_id: Mapped[str | None] = _owner("organizations")
    service_id: Mapped[str | None] = _owner("services")
    service_at_location_id: Mapped[str | None] = _owner("services_at_location")
    location_id: Mapped[str | None] = _owner("locations")
    # A role contact at a provider ("Intake desk"), never a person the app serves.
    name: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    department: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))

    service: Mapped[Service | None] = relationship(back_populates="contacts")
    phones: Mapped[list[Phone]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="Phone.position"
    )


class Url(HsdsExtraMixin, Base):
    __tablename__ = "urls"

    id: Mapped[str] = _uuid_pk()
    organization_id: Mapped[str | None] = _owner("organizations")
    service_id: Mapped[str | None] = _owner("services")
    url: Mapped[str] = mapped_column(String(2000))
    label: Mapped[str | None] = mapped_column(String(500))

    service: Mapped[Service | None] = relationship(back_populates="urls")


class Attribute(HsdsExtraMixin, Base):
    """Links a taxonomy term to a service, location or organization (HSDS attribute).

    ``link_id`` has no foreign key because it may point at any of those tables
    (``link_entity`` says which); services delete their attributes through the ORM cascade.
    """

    __tablename__ = "attributes"
    __table_args__ = (Index("ix_attributes_link", "link_entity", "link_id"),)

    id: Mapped[str] = _uuid_pk()
    link_id: Mapped[str] = mapped_column(UUID_TYPE)
    link_entity: Mapped[str] = mapped_column(String(50), default="service")
    link_type: Mapped[str | None] = mapped_column(String(100))
    taxonomy_term_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("taxonomy_terms.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")


class Taxonomy(HsdsExtraMixin, Base):
    __tablename__ = "taxonomies"

    id: Mapped[str] = _uuid_pk()
    # Our short key for the PMHC taxonomies ("service-type"); NULL for external taxonomies.
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[str | None] = mapped_column(String(50))

    terms: Mapped[list[TaxonomyTerm]] = relationship(back_populates="taxonomy_detail")


class TaxonomyTerm(HsdsExtraMixin, Base):
    __tablename__ = "taxonomy_terms"
    __table_args__ = (Index("ix_taxonomy_terms_taxonomy_code", "taxonomy_id", "code"),)

    id: Mapped[str] = _uuid_pk()
    taxonomy_id: Mapped[str | None] = mapped_column(
        UUID_TYPE, ForeignKey("taxonomies.id", ondelete="RESTRICT"), index=True
    )
    # HSDS free-text taxonomy name; for PMHC terms the taxonomy key.
    taxonomy: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(
        UUID_TYPE, ForeignKey("taxonomy_terms.id", ondelete="SET NULL")
    )
    language: Mapped[str | None] = mapped_column(String(10))
    term_uri: Mapped[str | None] = mapped_column(String(2000))

    taxonomy_detail: Mapped[Taxonomy | None] = relationship(back_populates="terms")
