"""xmpi: exact, fast multidimensional poverty measurement (Alkire-Foster) for xarray and pandas.

>>> import mpi
>>> spec = mpi.presets.global_mpi_2018()
>>> spec.k
Fraction(1, 3)
"""

from __future__ import annotations

from mpi import io, plot, presets, screening
from mpi._version import __version__
from mpi.auditing.audit import audit
from mpi.auditing.result import AuditResult
from mpi.composites.compute import composite
from mpi.composites.result import CompositeResult
from mpi.composites.spec import CompositeSpec
from mpi.composites.uncertainty_result import CompositeUncertaintyResult
from mpi.dynamics.build import panel_from_long
from mpi.dynamics.chronic import ChronicResult, chronic
from mpi.dynamics.decompose import DecompositionResult, decompose_change
from mpi.dynamics.duration import DurationAdjustedResult, duration_adjusted
from mpi.dynamics.merge import merge_sources
from mpi.dynamics.merge_report import MergeReport
from mpi.dynamics.monitoring import MonitoringResult, MonitoringRules, monitoring
from mpi.dynamics.relapse import relapse
from mpi.dynamics.relapse_result import RelapseResult
from mpi.dynamics.risk import RiskResult, relapse_risk
from mpi.dynamics.spells import SpellResult, spells
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.transitions import TransitionResult, transitions
from mpi.errors import CategoryWarning, DataError, MissingDataWarning, SpecError, ValidationError
from mpi.identification.areas import poor_areas
from mpi.identification.areas_result import PoorAreasResult
from mpi.identification.curves import TargetingCurveResult, targeting_curve
from mpi.identification.evaluate import evaluate_targeting as targeting
from mpi.identification.evaluate_change import TargetingChangeResult
from mpi.identification.evaluate_result import TargetingResult
from mpi.identification.identify import identify
from mpi.identification.identify_result import IdentificationResult
from mpi.identification.review import ReviewLists, review_lists
from mpi.io import apply_value_labels, read, write
from mpi.measurement.association import association
from mpi.measurement.association_result import AssociationResult
from mpi.measurement.change import ChangeResult, change
from mpi.measurement.indicator import Indicator
from mpi.measurement.measure import measure
from mpi.measurement.result import MeasureResult
from mpi.measurement.robustness import RobustnessResult, dominance, robustness
from mpi.measurement.spec import Spec
from mpi.reporting import (
    ReportFiles,
    Suppression,
    estimates_table,
    publication_table,
    report,
    results_frame,
)
from mpi.screening.evaluate_result import ScreeningEvaluation
from mpi.screening.features_result import ScreeningFeatures
from mpi.screening.lists_result import SuggestedList
from mpi.screening.model_result import ScreeningModel
from mpi.screening.signals import SignalScore
from mpi.survey import hypothesis
from mpi.survey.design import BootstrapDesign, Design, ReplicateDesign
from mpi.survey.estimate import Estimate
from mpi.survey.hypothesis import WaldTest, pairwise, wald_test

__all__ = [
    "__version__",
    "read",
    "write",
    "apply_value_labels",
    "report",
    "ReportFiles",
    "Suppression",
    "identify",
    "IdentificationResult",
    "targeting",
    "TargetingResult",
    "TargetingChangeResult",
    "review_lists",
    "targeting_curve",
    "TargetingCurveResult",
    "audit",
    "AuditResult",
    "composite",
    "CompositeResult",
    "CompositeUncertaintyResult",
    "CompositeSpec",
    "poor_areas",
    "PoorAreasResult",
    "SuggestedList",
    "ScreeningEvaluation",
    "ScreeningFeatures",
    "SignalScore",
    "ScreeningModel",
    "ReviewLists",
    "publication_table",
    "estimates_table",
    "results_frame",
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
    "BootstrapDesign",
    "Estimate",
    "wald_test",
    "pairwise",
    "WaldTest",
    "hypothesis",
    "MeasureResult",
    "presets",
    "screening",
    "plot",
    "io",
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
