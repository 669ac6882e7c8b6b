"""All models, imported here so that ``Base.metadata`` knows every table (Alembic reads it)."""

from ..db import Base
from .accounts import Role, User
from .audit import ChangeRecord
from .directory import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    Taxonomy,
    TaxonomyTerm,
    Unit,
    Url,
)
from .geography import AnalysisArea, Boundary, Place
from .settings import SiteSetting

__all__ = [
    "LOCATION_TYPES",
    "SERVICE_STATUSES",
    "Address",
    "AnalysisArea",
    "Attribute",
    "Base",
    "Boundary",
    "ChangeRecord",
    "Contact",
    "CostOption",
    "Language",
    "Location",
    "Organization",
    "Phone",
    "Place",
    "Role",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceCapacity",
    "SiteSetting",
    "Taxonomy",
    "TaxonomyTerm",
    "Unit",
    "Url",
    "User",
]
