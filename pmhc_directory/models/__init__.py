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
from .geography import AnalysisArea, Boundary, Place, RoadNetworkFile, TravelCost
from .imports import ImportFlag, ImportRun
from .lookup import PROBLEM_KINDS, PROBLEM_STATUSES, ProblemReport, UnmetNeed
from .outcomes import (
    DECLINE_REASONS,
    DISPOSITIONS,
    SCORECARD_STATUSES,
    Encounter,
    EncounterReferral,
    FollowUp,
    ScorecardAnswer,
)
from .planning import ServiceStaffing
from .provider_portal import (
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    ProviderInvitation,
    ProviderProposal,
)
from .providers import ApiToken, CapacityReport
from .search import SearchChange
from .settings import SiteSetting

__all__ = [
    "DECLINE_REASONS",
    "DISPOSITIONS",
    "SCORECARD_STATUSES",
    "Encounter",
    "EncounterReferral",
    "FollowUp",
    "ScorecardAnswer",
    "LOCATION_TYPES",
    "PROBLEM_KINDS",
    "PROBLEM_STATUSES",
    "SERVICE_STATUSES",
    "Address",
    "ApiToken",
    "AnalysisArea",
    "Attribute",
    "Base",
    "Boundary",
    "CapacityReport",
    "ChangeRecord",
    "Contact",
    "ImportFlag",
    "ImportRun",
    "CostOption",
    "Language",
    "Location",
    "Organization",
    "Phone",
    "Place",
    "RoadNetworkFile",
    "ProblemReport",
    "PROPOSAL_KINDS",
    "PROPOSAL_STATUSES",
    "ProviderInvitation",
    "ProviderProposal",
    "Role",
    "Schedule",
    "SearchChange",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceCapacity",
    "ServiceStaffing",
    "SiteSetting",
    "Taxonomy",
    "TaxonomyTerm",
    "TravelCost",
    "UnmetNeed",
    "Unit",
    "Url",
    "User",
]
