"""Publication-ready charts of results.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. ``lang="en"`` or ``"zh"``
chooses the language of a chart's words (from the label catalogue; indicator names are the
spec's labels). A chart that shows Chinese (or any CJK script) gets a CJK font for all its
texts, found on the system even when matplotlib's font cache predates the font
(:func:`cjk_font`). A ``k=`` argument takes every form :func:`mpi.measure` accepts
(``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``, ``"0.2"``).

Importing this package registers the natural chart of every public result class, so
``result.plot()`` draws it (see :mod:`mpi.plot._registry`).
"""

from mpi.plot import _registry
from mpi.plot._style import cjk_font
from mpi.plot.association import association
from mpi.plot.audit import audit
from mpi.plot.comparisons import changes, contrasts, robustness
from mpi.plot.composite import composite, poor_areas
from mpi.plot.composite_uncertainty import rank_shifts, sensitivity
from mpi.plot.confusion import confusion, deciles
from mpi.plot.decomposition import decomposition
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

_registry.register_all()

__all__ = [
    "contributions", "k_curve", "estimates", "changes", "trend", "transition_matrix", "rates",
    "survival", "chronic_durations", "decomposition", "relapse", "cjk_font",
    "robustness", "association", "duration_adjusted", "risk", "monitoring", "conflicts", "coverage",
    "contrasts", "targeting", "scores", "roc", "confusion", "deciles",
    "targeting_changes", "audit", "composite", "rank_shifts", "sensitivity", "poor_areas",
    "screening", "fairness", "suggested", "card_features",
    "signals", "coefficients",
]  # fmt: skip
