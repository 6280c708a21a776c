"""Publication-ready charts of results.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`matplotlib.axes.Axes` and never calls ``plt.show()``. Labels in Chinese (or any CJK
script) are drawn with a CJK font when one is installed.
"""

from mpi.plot.dynamics import (
    chronic_durations,
    decomposition,
    rates,
    relapse,
    survival,
    transition_matrix,
    trend,
)
from mpi.plot.measures import changes, cjk_font, contributions, estimates, k_curve

__all__ = [
    "contributions", "k_curve", "estimates", "changes", "trend", "transition_matrix", "rates",
    "survival", "chronic_durations", "decomposition", "relapse", "cjk_font",
]  # fmt: skip
