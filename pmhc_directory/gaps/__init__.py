"""Gap analysis for planners: where and when is the crisis array incomplete, and what closes it.

Pure computation (numpy, scipy, PuLP); no Flask or SQLAlchemy. The
database/API layer builds the arrays (populations, travel-time matrices in minutes, service-area
membership, open/closed masks from ``pmhc_directory.hours``) and calls:

- :mod:`.fca` — accessibility scores (2SFCA, E2SFCA, competition gravity), supply per person;
- :mod:`.coverage` — reach, availability by group and hour, population-weighted shares and the
  all-three-crisis-elements headline;
- :mod:`.need` — Crisis Now style need calculator and HPSA-style provider ratios;
- :mod:`.siting` — maximal covering location suggestions (MCLP, PuLP + CBC).

Methods, formulas, units and sources: ``docs/planning-methods.md``.
"""

from __future__ import annotations

from .coverage import (
    CRISIS_ELEMENTS,
    all_elements_covered,
    all_elements_share,
    covered,
    group_index,
    population_share,
    reach_matrix,
)
from .fca import LUO_QI_WEIGHTS, enhanced_two_step_fca, gravity, step_weights, two_step_fca
from .need import (
    CrisisFlows,
    NeedParameters,
    NeedRow,
    RatioResult,
    crisis_flows,
    crisis_need,
    provider_ratios,
)
from .siting import SitingResult, maximal_covering

__all__ = [
    "CRISIS_ELEMENTS",
    "LUO_QI_WEIGHTS",
    "CrisisFlows",
    "NeedParameters",
    "NeedRow",
    "RatioResult",
    "SitingResult",
    "all_elements_covered",
    "all_elements_share",
    "covered",
    "crisis_flows",
    "crisis_need",
    "enhanced_two_step_fca",
    "gravity",
    "group_index",
    "maximal_covering",
    "population_share",
    "provider_ratios",
    "reach_matrix",
    "step_weights",
    "two_step_fca",
]
