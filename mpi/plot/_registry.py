"""The natural chart of every public result class (what ``result.plot()`` draws).

:func:`register_all` hands each chart to :func:`mpi._common.result.register_plot`;
:mod:`mpi.plot` calls it on import, so results never import the plot layer.

=========================  ========================================================
MeasureResult              :func:`~mpi.plot.contributions` (one k); several k:
                           :func:`~mpi.plot.k_curve`; a panel: :func:`~mpi.plot.trend`
ChangeResult               :func:`~mpi.plot.changes`
RobustnessResult           :func:`~mpi.plot.robustness`
AssociationResult          :func:`~mpi.plot.association` (Cramér's V)
TransitionResult           :func:`~mpi.plot.transition_matrix`
SpellResult                :func:`~mpi.plot.survival`
ChronicResult              :func:`~mpi.plot.chronic_durations`
DurationAdjustedResult     :func:`~mpi.plot.duration_adjusted`
DecompositionResult        :func:`~mpi.plot.decomposition`
RelapseResult              :func:`~mpi.plot.relapse`
RiskResult                 :func:`~mpi.plot.risk`
MonitoringResult           :func:`~mpi.plot.monitoring`
TargetingResult            :func:`~mpi.plot.targeting`
TargetingChangeResult      :func:`~mpi.plot.targeting_changes`
IdentificationResult       :func:`~mpi.plot.scores`
TargetingCurveResult       :func:`~mpi.plot.roc`
PanelStates                :func:`~mpi.plot.trend` of the headcount ratio ``H``
MergeReport                :func:`~mpi.plot.conflicts`, or :func:`~mpi.plot.coverage`
WaldTest                   :func:`~mpi.plot.contrasts`
AuditResult                :func:`~mpi.plot.audit` (amount at risk by rule)
CompositeResult            :func:`~mpi.plot.composite` (ranking with contributions)
CompositeUncertaintyResult :func:`~mpi.plot.rank_shifts` (rank intervals)
PoorAreasResult            :func:`~mpi.plot.poor_areas`
ScreeningEvaluation        :func:`~mpi.plot.screening`
SuggestedList              :func:`~mpi.plot.suggested` (reason frequencies)
ScreeningFeatures          :func:`~mpi.plot.card_features` (monthly canteen spending)
SignalScore                :func:`~mpi.plot.signals` (mean contributions, top vs all)
ScreeningModel             :func:`~mpi.plot.coefficients` (coefficient plot)
MatchResult                :func:`~mpi.plot.match_chart` (workers by matching outcome)
JobsWhatIf                 :func:`~mpi.plot.whatif_chart` (M0 before and after by village)
=========================  ========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mpi._common.result import register_plot
from mpi.auditing.result import AuditResult
from mpi.composites.result import CompositeResult
from mpi.composites.uncertainty_result import CompositeUncertaintyResult
from mpi.dynamics.build import MergeReport
from mpi.dynamics.chronic import ChronicResult, DurationAdjustedResult
from mpi.dynamics.decompose import DecompositionResult
from mpi.dynamics.monitoring import MonitoringResult
from mpi.dynamics.relapse import RelapseResult
from mpi.dynamics.risk import RiskResult
from mpi.dynamics.spells import SpellResult
from mpi.dynamics.states import PanelStates
from mpi.dynamics.transitions import TransitionResult
from mpi.identification.areas_result import PoorAreasResult
from mpi.identification.curves_result import TargetingCurveResult
from mpi.identification.evaluate_change import TargetingChangeResult
from mpi.identification.evaluate_result import TargetingResult
from mpi.identification.identify_result import IdentificationResult
from mpi.jobs.result import MatchResult
from mpi.jobs.whatif_result import JobsWhatIf
from mpi.measurement.association import AssociationResult
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult
from mpi.measurement.robustness import RobustnessResult
from mpi.plot.association import association
from mpi.plot.audit import audit
from mpi.plot.comparisons import changes, contrasts, robustness
from mpi.plot.composite import composite, poor_areas
from mpi.plot.composite_uncertainty import rank_shifts
from mpi.plot.decomposition import decomposition
from mpi.plot.jobs import match_chart, whatif_chart
from mpi.plot.measures import contributions, k_curve
from mpi.plot.monitoring import monitoring
from mpi.plot.relapse import relapse, risk
from mpi.plot.screening import screening, suggested
from mpi.plot.screening_features import card_features
from mpi.plot.screening_scores import coefficients, signals
from mpi.plot.sources import merge_chart
from mpi.plot.spells import chronic_durations, duration_adjusted, survival
from mpi.plot.targeting import roc, scores, targeting
from mpi.plot.targeting_change import targeting_changes
from mpi.plot.transitions import transition_matrix, trend
from mpi.screening.evaluate_result import ScreeningEvaluation
from mpi.screening.features_result import ScreeningFeatures
from mpi.screening.lists_result import SuggestedList
from mpi.screening.model_result import ScreeningModel
from mpi.screening.signals import SignalScore
from mpi.survey.hypothesis import WaldTest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CHARTS", "register_all", "measure_chart", "states_chart"]


def measure_chart(result: MeasureResult, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The natural chart of a :class:`~mpi.MeasureResult`.

    A panel result (a wave dimension): :func:`~mpi.plot.trend` (one line per group when the
    result has one ``by`` variable); several k:
    :func:`~mpi.plot.k_curve`; otherwise :func:`~mpi.plot.contributions` (with groups or
    not; one k).

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`.
    ax
        Axes to draw on; a new figure is created when omitted.
    **kwargs
        Passed to the chart function (``lang="zh"``, ``k="1/3"``, ``title=`` …).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if result.time:
        if len(result.groups) == 1:
            kwargs.setdefault("group", result.groups[0])
        return trend(result, ax=ax, **kwargs)
    if result.k_dim and len(result.ks) > 1:
        return k_curve(result, ax=ax, **kwargs)
    if result.k_dim:
        kwargs.setdefault("k", result.ks[0])
    return contributions(result, ax=ax, **kwargs)


def states_chart(states: PanelStates, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The natural chart of :class:`~mpi.PanelStates`: the headcount ratio by wave.

    Parameters
    ----------
    states
        The states of :func:`mpi.panel_states`.
    ax
        Axes to draw on; a new figure is created when omitted.
    **kwargs
        Passed to :func:`~mpi.plot.trend` (``measure`` defaults to ``"H"``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    measure = kwargs.pop("measure", "H")
    return trend(states, measure, ax=ax, **kwargs)


#: Result class -> chart function ``f(result, ax=None, **kwargs) -> Axes``.
CHARTS: dict[type, Callable[..., Any]] = {
    MeasureResult: measure_chart,
    ChangeResult: changes,
    RobustnessResult: robustness,
    AssociationResult: association,
    TransitionResult: transition_matrix,
    SpellResult: survival,
    ChronicResult: chronic_durations,
    DurationAdjustedResult: duration_adjusted,
    DecompositionResult: decomposition,
    RelapseResult: relapse,
    RiskResult: risk,
    MonitoringResult: monitoring,
    TargetingResult: targeting,
    TargetingChangeResult: targeting_changes,
    IdentificationResult: scores,
    TargetingCurveResult: roc,
    PanelStates: states_chart,
    MergeReport: merge_chart,
    WaldTest: contrasts,
    AuditResult: audit,
    CompositeResult: composite,
    CompositeUncertaintyResult: rank_shifts,
    PoorAreasResult: poor_areas,
    ScreeningEvaluation: screening,
    SuggestedList: suggested,
    ScreeningFeatures: card_features,
    SignalScore: signals,
    ScreeningModel: coefficients,
    MatchResult: match_chart,
    JobsWhatIf: whatif_chart,
}


def register_all() -> None:
    """Register every chart of :data:`CHARTS` as its class's ``plot``."""
    for cls, func in CHARTS.items():
        register_plot(cls, func)
