"""Early warning of (re-)entry into poverty: :func:`relapse_risk` (methods.md §3.4–§3.5, §4.4).

For each unit and wave :math:`t` the model estimates

.. math::

    r_{it} = P(P_{i,t+h} = 1 \\mid x_{it}),

the probability of being poor :math:`h` waves later (``horizon``) given features built
from the unit's past and present only (:mod:`mpi.kernels.risk`): the current band, the
poverty history (earlier poor waves, capped), the time since the last exit and, for the
logit, the deprivation score and user covariates.

* ``method="nonparametric"``: weighted transition frequencies per cell
  ``(band, history, time_since_exit)`` counted by one numba pass (additive sums per target
  wave and cell), with a fallback to coarser cells when a cell has fewer than
  ``min_count`` fitting unit-waves.
* ``method="logit"``: a discrete-time logit on the pooled unit-waves of the fitting period
  (:class:`statsmodels.api.GLM`, binomial family, the panel weights as ``freq_weights``).

Out of time: the model is fitted on the transitions whose *target* wave is at most
``fit_until`` and evaluated on the later ones (AUC, Brier score, calibration), against the
naive "band at exit" rule.

Modules: :mod:`~mpi.dynamics.risk.features` (cell codes decoded, covariates),
:mod:`~mpi.dynamics.risk.fit` (cell table, naive rule, logit),
:mod:`~mpi.dynamics.risk.model` (the fitted model), :mod:`~mpi.dynamics.risk.metrics`
(AUC, Brier, calibration), :mod:`~mpi.dynamics.risk.evaluation` (out-of-time evaluation),
:mod:`~mpi.dynamics.risk.result` (:class:`RiskResult`) and
:mod:`~mpi.dynamics.risk.estimator` (:func:`relapse_risk`).
"""

from mpi.dynamics.risk.estimator import relapse_risk
from mpi.dynamics.risk.metrics import auc_score, brier_score, calibration_table
from mpi.dynamics.risk.result import RiskResult

__all__ = ["relapse_risk", "RiskResult", "auc_score", "brier_score", "calibration_table"]
