"""xmpi: exact, fast multidimensional poverty measurement (Alkire-Foster) for xarray and pandas.

>>> import mpi
>>> spec = mpi.presets.global_mpi_2018()
>>> spec.k
Fraction(1, 3)
"""

from __future__ import annotations

from . import plot, presets
from ._version import __version__
from .association import AssociationResult, association
from .change import ChangeResult, change
from .chronic import ChronicResult, DurationAdjustedResult, chronic, duration_adjusted
from .decompose import DecompositionResult, decompose_change
from .design import Design, ReplicateDesign
from .early_warning import RiskResult, relapse_risk
from .errors import CategoryWarning, DataError, MissingDataWarning, SpecError, ValidationError
from .measure import measure
from .monitoring import MonitoringResult, MonitoringRules, monitoring
from .panel import PanelStates, panel_states
from .panel_build import MergeReport, merge_sources, panel_from_long
from .relapse import RelapseResult, relapse
from .result import MeasureResult
from .robustness import RobustnessResult, dominance, robustness
from .spec import Indicator, Spec
from .spells import SpellResult, spells
from .transitions import TransitionResult, transitions

__all__ = [
    "__version__",
    "Indicator",
    "Spec",
    "measure",
    "relapse_risk",
    "RiskResult",
    "relapse",
    "RelapseResult",
    "monitoring",
    "MonitoringRules",
    "MonitoringResult",
    "chronic",
    "ChronicResult",
    "duration_adjusted",
    "DurationAdjustedResult",
    "transitions",
    "TransitionResult",
    "spells",
    "SpellResult",
    "decompose_change",
    "DecompositionResult",
    "panel_states",
    "PanelStates",
    "panel_from_long",
    "merge_sources",
    "MergeReport",
    "Design",
    "change",
    "robustness",
    "RobustnessResult",
    "dominance",
    "ChangeResult",
    "association",
    "AssociationResult",
    "ReplicateDesign",
    "MeasureResult",
    "presets",
    "plot",
    "datasets",
    "ValidationError",
    "SpecError",
    "DataError",
    "MissingDataWarning",
    "CategoryWarning",
]


def __getattr__(name: str):
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'mpi' has no attribute {name!r}")
