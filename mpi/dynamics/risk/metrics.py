"""Weighted metrics of a risk score: exact AUC, Brier score and a calibration table.

Each metric works on *tie groups*: the distinct scores in ascending order with the summed
positive weight, negative weight, count and weighted score of the rows sharing the score.
Row-level scores are grouped by one sort (:func:`row_groups`); a score that is a function of
a small integer code (a cell table, the naive rule) is grouped by bincounts per code with no
sort of the rows (:func:`code_groups`). The public functions are :func:`auc_score`,
:func:`brier_score` and :func:`calibration_table`; the group-level helpers are shared with
:mod:`mpi.dynamics.risk.evaluation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = ["auc_score", "brier_score", "calibration_table"]

#: Bins of the calibration table (deciles of predicted risk).
N_BINS = 10

#: ``(score, positive weight, negative weight, count, weighted score)`` per distinct score.
TieGroups = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def metric_rows(y: Any, p: Any, weight: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes, scores and weights as flat arrays of one length (weights default to 1).

    Parameters
    ----------
    y
        Outcomes (true = event).
    p
        Scores or predicted probabilities.
    weight
        Row weights, or None for 1.

    Returns
    -------
    tuple of numpy.ndarray
        ``(y, p, w)``: bool, float64, float64.
    """
    p = np.asarray(p, np.float64).ravel()
    y = np.asarray(y, bool).ravel()
    w = np.ones(len(p)) if weight is None else np.asarray(weight, np.float64).ravel()
    if not (len(y) == len(p) == len(w)):
        raise ValidationError(
            f"y, scores and weights must have one value per row; got lengths {len(y)}, "
            f"{len(p)}, {len(w)}"
        )
    return y, p, w


def tie_groups(
    value: np.ndarray, wp: np.ndarray, wn: np.ndarray, cnt: np.ndarray, sw_p: np.ndarray
) -> TieGroups:
    """Sort (already grouped or row-level) scores and merge equal ones.

    Returns
    -------
    TieGroups
        The distinct scores ascending with their summed positive weight, negative weight,
        count and weighted score sum.
    """
    order = np.argsort(value)
    v = value[order]
    if not len(v):
        return v, v, v, v.astype(np.int64), v
    start = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    red = [np.add.reduceat(x[order], start) for x in (wp, wn, cnt, sw_p)]
    return v[start], *red


def auc_from_groups(wp: np.ndarray, wn: np.ndarray) -> float:
    """AUC from the tie groups (ascending score): sum_g Wp_g (Wn below g + Wn_g / 2).

    Returns
    -------
    float
        NaN when one class has no weight.
    """
    W1, W0 = wp.sum(), wn.sum()
    if not (W1 > 0 and W0 > 0):
        return float("nan")
    below = np.cumsum(wn) - wn
    return float((wp * (below + 0.5 * wn)).sum() / (W1 * W0))


def calibration_from_groups(
    v: np.ndarray, wp: np.ndarray, wn: np.ndarray, cnt: np.ndarray, swp: np.ndarray, bins: int
) -> pd.DataFrame:
    """Calibration table from the tie groups (ascending score); see :func:`calibration_table`.

    Returns
    -------
    pandas.DataFrame
        One row per bin.
    """
    gw = wp + wn
    W = gw.sum()
    mid = (np.cumsum(gw) - 0.5 * gw) / W if W > 0 else np.zeros(len(gw))
    b = np.minimum((mid * bins).astype(np.int64), bins - 1)  # non-decreasing
    n = np.bincount(b, cnt, minlength=bins).astype(np.int64)
    sw = np.bincount(b, gw, minlength=bins)
    has = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(has, np.bincount(b, swp, minlength=bins) / sw, np.nan)
        obs = np.where(has, np.bincount(b, wp, minlength=bins) / sw, np.nan)
    first = np.searchsorted(b, np.arange(bins), side="left")
    last = np.searchsorted(b, np.arange(bins), side="right") - 1
    top = max(len(v) - 1, 0)
    pmin = np.where(has, v[np.minimum(first, top)] if len(v) else 0.0, np.nan)
    pmax = np.where(has, v[np.clip(last, 0, top)] if len(v) else 0.0, np.nan)
    return pd.DataFrame(
        {
            "count": n,
            "weight": sw,
            "predicted": pred,
            "observed": obs,
            "p_min": pmin,
            "p_max": pmax,
        },
        index=pd.RangeIndex(bins, name="bin"),
    )


def row_groups(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> TieGroups:
    """Tie groups of row-level scores ``p`` (one sort of the rows).

    Returns
    -------
    TieGroups
    """
    wp = np.where(y, w, 0.0)
    return tie_groups(p, wp, w - wp, np.ones(len(p), np.int64), w * p)


def code_groups(y: np.ndarray, code: np.ndarray, w: np.ndarray, table: np.ndarray) -> TieGroups:
    """Tie groups of a score that is a function of a small integer code (``table[code]``).

    Bincounts per code, then the codes merged by score (no sort of the rows).

    Returns
    -------
    TieGroups
    """
    m = len(table)
    wp = np.bincount(code, np.where(y, w, 0.0), minlength=m)
    ww = np.bincount(code, w, minlength=m)
    cnt = np.bincount(code, minlength=m)
    used = cnt > 0
    v = table[used]
    return tie_groups(v, wp[used], ww[used] - wp[used], cnt[used], ww[used] * v)


def auc_score(y: Any, score: Any, weight: Any = None) -> float:
    """Weighted area under the ROC curve, exact via ranks (ties count one half).

    .. math::

        AUC = \\frac{\\sum_{i: y_i=1} \\sum_{j: y_j=0} w_i w_j
              \\left(1[s_i > s_j] + \\tfrac12 1[s_i = s_j]\\right)}{W_1 W_0}

    computed in :math:`O(n \\log n)`: sort by score, and for each group of tied scores add
    its positive weight times (negative weight below the group + half the group's negative
    weight).

    Parameters
    ----------
    y : array-like of bool
        Outcomes (true = event).
    score : array-like of float
        Scores; only their order matters.
    weight : array-like of float, optional
        Row weights (default 1).

    Returns
    -------
    float
        The AUC; NaN when one class has no weight, 0.5 for a constant score.
    """
    y, p, w = metric_rows(y, score, weight)
    _, wp, wn, _, _ = row_groups(y, p, w)
    return auc_from_groups(wp, wn)


def brier_score(y: Any, p: Any, weight: Any = None) -> float:
    """Weighted Brier score :math:`\\sum_i w_i (p_i - y_i)^2 / \\sum_i w_i`.

    Parameters
    ----------
    y : array-like of bool
        Outcomes (true = event).
    p : array-like of float
        Predicted probabilities.
    weight : array-like of float, optional
        Row weights (default 1).

    Returns
    -------
    float
        The score; NaN when the weights sum to 0.
    """
    y, p, w = metric_rows(y, p, weight)
    return float((w * (p - y) ** 2).sum() / w.sum()) if w.sum() > 0 else float("nan")


def calibration_table(y: Any, p: Any, weight: Any = None, bins: int = N_BINS) -> pd.DataFrame:
    """Calibration by weighted deciles (``bins``) of the predicted risk.

    Unit-waves are sorted by predicted risk; a group of tied predictions goes whole to the
    bin ``min(floor(bins * m), bins - 1)``, with ``m`` the weighted share of the unit-waves
    ranked below the middle of the group.

    Parameters
    ----------
    y : array-like of bool
        Outcomes (true = poor at the target wave).
    p : array-like of float
        Predicted probabilities.
    weight : array-like of float, optional
        Row weights (default 1).
    bins : int
        Number of bins.

    Returns
    -------
    pandas.DataFrame
        One row per bin; columns ``count`` (unweighted), ``weight``, ``predicted`` (weighted
        mean risk), ``observed`` (weighted share poor at the target wave), ``p_min``,
        ``p_max``. Bins without unit-waves have count 0 and NaN means.
    """
    y, p, w = metric_rows(y, p, weight)
    return calibration_from_groups(*row_groups(y, p, w), bins)
