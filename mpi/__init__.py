"""xmpi: exact, fast multidimensional poverty measurement (Alkire-Foster) for xarray and pandas.

>>> import mpi
>>> spec = mpi.presets.global_mpi_2018()
>>> spec.k
Fraction(1, 3)

``import mpi`` is cheap: every public name is imported on first use (PEP 562 module
``__getattr__``), so a script that only measures never loads matplotlib, numba (until a kernel
runs), scipy, statsmodels, dask or openpyxl. ``from mpi import measure``, ``dir(mpi)`` and
``mpi.__all__`` work as for eagerly imported names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports
from mpi._version import __version__
from mpi.errors import CategoryWarning, DataError, MissingDataWarning, SpecError, ValidationError

#: Public name -> ``"module:attribute"`` (or ``"module"`` for a subpackage or module), imported
#: on first access.
_LAZY: dict[str, str] = {
    "io": "mpi.io",
    "plot": "mpi.plot",
    "presets": "mpi.presets",
    "screening": "mpi.screening",
    "jobs": "mpi.jobs",
    "MatchResult": "mpi.jobs.result:MatchResult",
    "JobsWhatIf": "mpi.jobs.whatif_result:JobsWhatIf",
    "audit": "mpi.auditing.audit:audit",
    "AuditResult": "mpi.auditing.result:AuditResult",
    "composite": "mpi.composites.compute:composite",
    "CompositeResult": "mpi.composites.result:CompositeResult",
    "CompositeSpec": "mpi.composites.spec:CompositeSpec",
    "CompositeUncertaintyResult": "mpi.composites.uncertainty_result:CompositeUncertaintyResult",
    "panel_from_long": "mpi.dynamics.build:panel_from_long",
    "ChronicResult": "mpi.dynamics.chronic:ChronicResult",
    "chronic": "mpi.dynamics.chronic:chronic",
    "DecompositionResult": "mpi.dynamics.decompose:DecompositionResult",
    "decompose_change": "mpi.dynamics.decompose:decompose_change",
    "DurationAdjustedResult": "mpi.dynamics.duration:DurationAdjustedResult",
    "duration_adjusted": "mpi.dynamics.duration:duration_adjusted",
    "merge_sources": "mpi.dynamics.merge:merge_sources",
    "MergeReport": "mpi.dynamics.merge_report:MergeReport",
    "MonitoringResult": "mpi.dynamics.monitoring:MonitoringResult",
    "MonitoringRules": "mpi.dynamics.monitoring:MonitoringRules",
    "monitoring": "mpi.dynamics.monitoring:monitoring",
    "relapse": "mpi.dynamics.relapse:relapse",
    "RelapseResult": "mpi.dynamics.relapse_result:RelapseResult",
    "RiskResult": "mpi.dynamics.risk:RiskResult",
    "relapse_risk": "mpi.dynamics.risk:relapse_risk",
    "SpellResult": "mpi.dynamics.spells:SpellResult",
    "spells": "mpi.dynamics.spells:spells",
    "PanelStates": "mpi.dynamics.states:PanelStates",
    "panel_states": "mpi.dynamics.states:panel_states",
    "TransitionResult": "mpi.dynamics.transitions:TransitionResult",
    "transitions": "mpi.dynamics.transitions:transitions",
    "poor_areas": "mpi.identification.areas:poor_areas",
    "PoorAreasResult": "mpi.identification.areas_result:PoorAreasResult",
    "TargetingCurveResult": "mpi.identification.curves:TargetingCurveResult",
    "targeting_curve": "mpi.identification.curves:targeting_curve",
    "targeting": "mpi.identification.evaluate:evaluate_targeting",
    "TargetingChangeResult": "mpi.identification.evaluate_change:TargetingChangeResult",
    "TargetingResult": "mpi.identification.evaluate_result:TargetingResult",
    "identify": "mpi.identification.identify:identify",
    "IdentificationResult": "mpi.identification.identify_result:IdentificationResult",
    "ReviewLists": "mpi.identification.review:ReviewLists",
    "review_lists": "mpi.identification.review:review_lists",
    "apply_value_labels": "mpi.io:apply_value_labels",
    "read": "mpi.io:read",
    "write": "mpi.io:write",
    "association": "mpi.measurement.association:association",
    "AssociationResult": "mpi.measurement.association_result:AssociationResult",
    "ChangeResult": "mpi.measurement.change:ChangeResult",
    "change": "mpi.measurement.change:change",
    "Indicator": "mpi.measurement.indicator:Indicator",
    "measure": "mpi.measurement.measure:measure",
    "MeasureResult": "mpi.measurement.result:MeasureResult",
    "RobustnessResult": "mpi.measurement.robustness:RobustnessResult",
    "dominance": "mpi.measurement.robustness:dominance",
    "robustness": "mpi.measurement.robustness:robustness",
    "Spec": "mpi.measurement.spec:Spec",
    "ReportFiles": "mpi.reporting:ReportFiles",
    "Suppression": "mpi.reporting:Suppression",
    "estimates_table": "mpi.reporting:estimates_table",
    "publication_table": "mpi.reporting:publication_table",
    "report": "mpi.reporting:report",
    "results_frame": "mpi.reporting:results_frame",
    "ScreeningEvaluation": "mpi.screening.evaluate_result:ScreeningEvaluation",
    "ScreeningFeatures": "mpi.screening.features_result:ScreeningFeatures",
    "SuggestedList": "mpi.screening.lists_result:SuggestedList",
    "ScreeningModel": "mpi.screening.model_result:ScreeningModel",
    "SignalScore": "mpi.screening.signals:SignalScore",
    "hypothesis": "mpi.survey.hypothesis",
    "BootstrapDesign": "mpi.survey.design:BootstrapDesign",
    "Design": "mpi.survey.design:Design",
    "ReplicateDesign": "mpi.survey.design:ReplicateDesign",
    "Estimate": "mpi.survey.estimate:Estimate",
    "WaldTest": "mpi.survey.hypothesis:WaldTest",
    "pairwise": "mpi.survey.hypothesis:pairwise",
    "wald_test": "mpi.survey.hypothesis:wald_test",
    "datasets": "mpi.datasets",
}

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
    "jobs",
    "MatchResult",
    "JobsWhatIf",
    "plot",
    "io",
    "datasets",
    "ValidationError",
    "SpecError",
    "DataError",
    "MissingDataWarning",
    "CategoryWarning",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # static type checkers and IDEs see the eager imports
    from mpi import datasets, io, jobs, plot, presets, screening
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
    from mpi.jobs.result import MatchResult
    from mpi.jobs.whatif_result import JobsWhatIf
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
