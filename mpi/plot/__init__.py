"""Publication-ready charts of results.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. ``lang="en"`` or ``"zh"``
chooses the language of a chart's words (from the label catalogue; indicator names are the
spec's labels). A chart that shows Chinese (or any CJK script) gets a CJK font for all its
texts, found on the system even when matplotlib's font cache predates the font
(:func:`cjk_font`). A ``k=`` argument takes every form :func:`mpi.measure` accepts
(``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``, ``"0.2"``).

``result.plot()`` draws the natural chart of every public result class: the first call
imports :mod:`mpi.plot._registry`, which registers them all. The chart functions (and
matplotlib) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "cjk_font": "mpi.plot._style:cjk_font",
    "association": "mpi.plot.association:association",
    "audit": "mpi.plot.audit:audit",
    "changes": "mpi.plot.comparisons:changes",
    "contrasts": "mpi.plot.comparisons:contrasts",
    "robustness": "mpi.plot.comparisons:robustness",
    "composite": "mpi.plot.composite:composite",
    "poor_areas": "mpi.plot.composite:poor_areas",
    "rank_shifts": "mpi.plot.composite_uncertainty:rank_shifts",
    "sensitivity": "mpi.plot.composite_uncertainty:sensitivity",
    "confusion": "mpi.plot.confusion:confusion",
    "deciles": "mpi.plot.confusion:deciles",
    "decomposition": "mpi.plot.decomposition:decomposition",
    "match_chart": "mpi.plot.jobs:match_chart",
    "training_needs_chart": "mpi.plot.jobs:training_needs_chart",
    "whatif_chart": "mpi.plot.jobs:whatif_chart",
    "contributions": "mpi.plot.measures:contributions",
    "estimates": "mpi.plot.measures:estimates",
    "k_curve": "mpi.plot.measures:k_curve",
    "monitoring": "mpi.plot.monitoring:monitoring",
    "relapse": "mpi.plot.relapse:relapse",
    "risk": "mpi.plot.relapse:risk",
    "fairness": "mpi.plot.screening:fairness",
    "screening": "mpi.plot.screening:screening",
    "suggested": "mpi.plot.screening:suggested",
    "card_features": "mpi.plot.screening_features:card_features",
    "coefficients": "mpi.plot.screening_scores:coefficients",
    "signals": "mpi.plot.screening_scores:signals",
    "conflicts": "mpi.plot.sources:conflicts",
    "coverage": "mpi.plot.sources:coverage",
    "chronic_durations": "mpi.plot.spells:chronic_durations",
    "duration_adjusted": "mpi.plot.spells:duration_adjusted",
    "survival": "mpi.plot.spells:survival",
    "roc": "mpi.plot.targeting:roc",
    "scores": "mpi.plot.targeting:scores",
    "targeting": "mpi.plot.targeting:targeting",
    "targeting_changes": "mpi.plot.targeting_change:targeting_changes",
    "rates": "mpi.plot.transitions:rates",
    "transition_matrix": "mpi.plot.transitions:transition_matrix",
    "trend": "mpi.plot.transitions:trend",
}

__all__ = [
    "contributions", "k_curve", "estimates", "changes", "trend", "transition_matrix", "rates",
    "survival", "chronic_durations", "decomposition", "relapse", "cjk_font",
    "robustness", "association", "duration_adjusted", "risk", "monitoring", "conflicts", "coverage",
    "contrasts", "targeting", "scores", "roc", "confusion", "deciles",
    "targeting_changes", "audit", "composite", "rank_shifts", "sensitivity", "poor_areas",
    "screening", "fairness", "suggested", "card_features",
    "signals", "coefficients", "match_chart", "training_needs_chart", "whatif_chart",
]  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.plot._style import cjk_font
    from mpi.plot.association import association
    from mpi.plot.audit import audit
    from mpi.plot.comparisons import changes, contrasts, robustness
    from mpi.plot.composite import composite, poor_areas
    from mpi.plot.composite_uncertainty import rank_shifts, sensitivity
    from mpi.plot.confusion import confusion, deciles
    from mpi.plot.decomposition import decomposition
    from mpi.plot.jobs import match_chart, training_needs_chart, whatif_chart
    from mpi.plot.measures import contributions, estimates, k_curve
    from mpi.plot.monitoring import monitoring
    from mpi.plot.relapse import relapse, risk
    from mpi.plot.screening import fairness, screening, suggested
    from mpi.plot.screening_features import card_features
    from mpi.plot.screening_scores import coefficients, signals
    from mpi.plot.sources import conflicts, coverage
    from mpi.plot.spells import chronic_durations, duration_adjusted, survival
    from mpi.plot.targeting import roc, scores, targeting
    from mpi.plot.targeting_change import targeting_changes
    from mpi.plot.transitions import rates, transition_matrix, trend
