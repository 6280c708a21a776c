"""The fitted early-warning model: what :class:`~mpi.RiskResult` needs after the fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpi.dynamics.risk.features import Features
from mpi.dynamics.risk.fit import LogitFit

__all__ = ["RiskModel"]


@dataclass(frozen=True, eq=False)
class RiskModel:
    """A fitted early-warning model with the panel arrays it scores.

    Made by :func:`mpi.relapse_risk`; read by :class:`~mpi.RiskResult` to evaluate
    (:mod:`mpi.dynamics.risk.evaluation`) and rank (``watch_list``).

    Attributes
    ----------
    years, times, units
        Wave years (float), the time and unit coordinates.
    horizon
        Waves between a scored wave and its target.
    fit_until
        The ``fit_until`` argument (None: every transition fitted).
    state
        ``(unit, time)`` states (-1 unobserved; poor = state >= 2).
    code
        ``(unit, time)`` full-cell codes of the kernel (-1 unobserved).
    risk
        ``(unit, time)`` predicted risk (NaN unobserved).
    weight
        Panel weight per unit (NaN: not fitted, not evaluated).
    fit_mask
        Target waves of the fit (bool per wave).
    features
        Decoder of the codes.
    naive_scores
        The naive rule's risk by code (last slot: code -1).
    band_names
        Band labels.
    cell_scores
        Nonparametric: the cell table's risk by code; None for the logit.
    logit
        Logit: the fit; None for the nonparametric model.
    """

    years: np.ndarray
    times: np.ndarray
    units: np.ndarray
    horizon: int
    fit_until: float | None
    state: np.ndarray
    code: np.ndarray
    risk: np.ndarray
    weight: np.ndarray
    fit_mask: np.ndarray
    features: Features
    naive_scores: np.ndarray
    band_names: list[str]
    cell_scores: np.ndarray | None = None
    logit: LogitFit | None = None
