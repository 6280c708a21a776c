"""Scores at a budget: ROC and precision-recall curves, AUC, and the errors of the top-N list.

:func:`targeting_curve` ranks units by a continuous score (a risk score, a proxy means test;
higher = more likely poor) and compares every list "score >= t" with a reference 0/1 poverty
status, so that two rules can be compared at the same number of beneficiaries.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.labels import text
from mpi._common.ratio import ratio
from mpi._common.table import as_float, as_table, caller_level, is_numeric
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.curves_result import TargetingCurveResult
from mpi.identification.evaluate_inputs import CELLS, read_flag, read_weight
from mpi.identification.evaluate_result import RATES, rates

__all__ = ["targeting_curve", "TargetingCurveResult"]


def _read_score(table: Any, score: Hashable) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(score, Hashable) or isinstance(score, list | tuple):
        raise ValidationError(f"score must be the name of one numeric column; got {score!r}")
    s = table.column(score, role="score")
    if not is_numeric(s):
        raise ValidationError(
            f"score column {score!r} must be numeric (higher = more likely poor); got dtype "
            f"{s.dtype}. Convert it first, e.g. data[{score!r}].astype(float)"
        )
    x = as_float(s)
    missing = np.isnan(x)
    if np.isinf(x).any():
        raise ValidationError(
            f"score column {score!r} has {int(np.isinf(x).sum())} infinite value(s); scores "
            "must be finite (replace them, or set them missing to drop those units)"
        )
    return x, missing


def _check_budget(top: Any, share: Any, n: int) -> None:
    if top is not None and share is not None:
        raise ValidationError(f"give top= or share=, not both; got top={top!r}, share={share!r}")
    if top is not None:
        ok = isinstance(top, numbers.Integral) and not isinstance(top, bool)
        if not ok or not 1 <= int(top) <= n:
            raise ValidationError(
                f"top must be a whole number of units from 1 to {n:,} (the units with a "
                f"score, a status and a weight); got top={top!r}"
            )
    if share is not None:
        ok = isinstance(share, numbers.Real) and not isinstance(share, bool)
        if not ok or not 0 < float(share) <= 1:
            raise ValidationError(
                f"share must be a number in (0, 1], the weighted share of the population "
                f"listed (e.g. 0.2); got share={share!r}"
            )


def _groups(s: np.ndarray, poor: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Units sorted by descending score, summed over tied scores (one group per score)."""
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    start = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    wp = np.where(poor[order], w[order], 0.0)
    wq = np.where(poor[order], 0.0, w[order])
    p = np.add.reduceat(wp, start) if start.size else np.zeros(0)
    q = np.add.reduceat(wq, start) if start.size else np.zeros(0)
    count = np.diff(np.r_[start, s.size])
    return {"score": s_sorted[start], "p": p, "q": q, "count": count}


def targeting_curve(
    data: Any,
    score: Hashable,
    poor: Hashable,
    *,
    weight: Hashable | None = None,
    top: int | None = None,
    share: float | None = None,
) -> TargetingCurveResult:
    """ROC and precision-recall curves of a score, its AUC, and the errors at a budget.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row (one element of the unit dimension) per unit.
    score : str
        Numeric column ranking the units; higher means more likely poor (a risk score, a
        proxy-means-test deprivation score; negate an income). Missing values are dropped;
        infinite values are refused.
    poor : str
        Column of 0/1 flags: the reference status (measured AF poor, income poor, a truth
        column). Bool or numbers 0 and 1; missing values are dropped.
    weight : str, optional
        Sampling weight column (``None``: every unit weighs 1).
    top : int, optional
        List the ``top`` units with the highest scores and report the targeting errors of
        that list. All units tied with the last one listed are listed too, so the list can be
        longer than ``top`` (the result's ``n_listed`` and its summary say by how much).
    share : float, optional
        List the units with the highest scores until their weighted share of the population
        reaches ``share`` (in (0, 1]); ties at the cut are all listed, as with ``top``. Give
        ``top`` or ``share``, not both; with neither, only the curves and AUCs are computed.

    Returns
    -------
    TargetingCurveResult
        Its :meth:`~TargetingCurveResult.to_dataset` holds, along the dim ``threshold``
        (the distinct scores in descending order, preceded by ``+inf``: nobody listed), the
        curves ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` (weighted) and
        ``listed_count`` (unweighted) of the lists "score >= threshold"; the scalars ``auc``,
        ``average_precision``, ``poor_share`` and ``n_units``; and with ``top`` or ``share``
        the score of the cut ``cut_score``, the number of units listed ``n_listed`` and the
        rates and weighted totals of :func:`mpi.targeting` for that list.

    Raises
    ------
    ValidationError
        For a non-numeric or infinite score, a ``poor`` column that is not 0/1, a negative
        weight, a column not in the data, ``top`` not a whole number from 1 to the number of
        units, ``share`` outside (0, 1], or both ``top`` and ``share``.

    Warns
    -----
    MissingDataWarning
        When units are dropped for a missing score, status or weight (``n_dropped``).

    Notes
    -----
    With weights :math:`w_i`, poor units :math:`P` and non-poor :math:`Q`, the list at
    threshold :math:`t` is :math:`\\{i: s_i \\ge t\\}`; tied scores enter together (one step of
    the curves). ``tpr`` :math:`= \\sum_{i \\in P, s_i \\ge t} w_i / \\sum_{i \\in P} w_i` is the
    coverage of the poor (recall, 1 - exclusion error), ``fpr`` the same share of the
    non-poor, ``precision`` the weighted share of the listed who are poor (1 - inclusion
    error; NaN when nobody is listed). The area under the ROC curve, with the trapezoidal
    rule (a diagonal step at ties), equals the weighted Mann-Whitney probability

    .. math:: AUC = \\frac{\\sum_{i \\in P} \\sum_{j \\in Q} w_i w_j
              \\left([s_i > s_j] + \\tfrac12 [s_i = s_j]\\right)}
              {\\sum_{i \\in P} w_i \\sum_{j \\in Q} w_j}

    that a random poor unit scores above a random non-poor one (Hanley and McNeil 1982).
    ``average_precision`` :math:`= \\sum_k (R_k - R_{k-1}) \\, \\mathrm{Prec}_k` over the
    thresholds (as scikit-learn's ``average_precision_score``). Both are NaN when there is no
    poor or no non-poor unit (a note says so).

    References
    ----------
    Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. *Radiology* 143(1), 29-36.
    Fawcett, T. (2006). An introduction to ROC analysis. *Pattern Recognition Letters* 27,
    861-874.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.identification.curves import targeting_curve
    >>> df = pd.DataFrame({"risk": [0.9, 0.8, 0.8, 0.3, 0.1], "poor": [1, 1, 0, 1, 0]})
    >>> res = targeting_curve(df, "risk", "poor", top=2)
    >>> float(res.to_dataset()["auc"])
    0.75
    >>> int(res.to_dataset()["n_listed"])  # the two units tied at 0.8 are both listed
    3
    """
    needed = [score, poor] + ([weight] if weight is not None else [])
    table = as_table(data, needed)
    s, miss_s = _read_score(table, score)
    is_poor, miss_p = read_flag(table, poor, "poor")
    w, miss_w = read_weight(table, weight)
    dropped = miss_s | miss_p | miss_w
    n_dropped = int(dropped.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {table.n} units dropped for missing values (score {score!r}: "
            f"{int(miss_s.sum())}, poor {poor!r}: {int(miss_p.sum())}, weight: "
            f"{int(miss_w.sum())}). They are counted in the result's n_dropped",
            MissingDataWarning,
            stacklevel=caller_level(),
        )
    keep = ~dropped
    s, is_poor, w = s[keep], is_poor[keep], w[keep]
    n = int(s.size)
    if n == 0:
        raise ValidationError(
            f"no unit has a score ({score!r}), a status ({poor!r}) and a weight; nothing to rank"
        )
    _check_budget(top, share, n)
    g = _groups(s, is_poor, w)
    total_p, total_q = float(g["p"].sum()), float(g["q"].sum())
    cum_p = np.r_[0.0, np.cumsum(g["p"])]
    cum_q = np.r_[0.0, np.cumsum(g["q"])]
    before_p = cum_p[:-1]
    auc = ratio(np.sum(g["q"] * (before_p + 0.5 * g["p"])), total_p * total_q)
    prec = ratio(cum_p, cum_p + cum_q)
    ap_terms = np.where(g["p"] > 0, g["p"] * prec[1:], 0.0)
    ap = ratio(np.sum(ap_terms), total_p) if total_q > 0 else np.float64(np.nan)
    ds = xr.Dataset(coords={"threshold": np.r_[np.inf, g["score"]]})
    ds["tpr"] = ("threshold", ratio(cum_p, total_p))
    ds["fpr"] = ("threshold", ratio(cum_q, total_q))
    ds["precision"] = ("threshold", prec)
    ds["listed_fraction"] = ("threshold", ratio(cum_p + cum_q, total_p + total_q))
    ds["listed_count"] = ("threshold", np.r_[0, np.cumsum(g["count"])].astype(np.int64))
    ds["auc"] = ((), np.float64(auc))
    ds["average_precision"] = ((), np.float64(ap))
    ds["poor_share"] = ((), np.float64(ratio(total_p, total_p + total_q)))
    ds["n_units"] = ((), np.int64(n))
    budget = ""
    n_tied = 0
    if top is not None or share is not None:
        if top is not None:
            k = int(np.searchsorted(np.cumsum(g["count"]), int(top), side="left"))
            budget, wanted = f"top={int(top)}", int(top)
        else:
            cum_w = np.cumsum(g["p"] + g["q"])
            k = int(np.searchsorted(cum_w, float(share) * cum_w[-1], side="left"))
            k = min(k, cum_w.size - 1)
            unit_w = np.cumsum(w[np.argsort(-s, kind="stable")])
            need = float(share) * unit_w[-1]
            wanted = min(int(np.searchsorted(unit_w, need, side="left")) + 1, n)
            budget = f"share={float(share)!r}"
        cut = float(g["score"][k])
        listed = s >= cut
        cell = np.where(listed, 0, 2) + np.where(is_poor, 0, 1)
        totals = np.bincount(cell, weights=w, minlength=4)
        point = rates(dict(zip(CELLS, totals, strict=True)), ratio)
        n_listed = int(listed.sum())
        n_tied = max(n_listed - wanted, 0)
        ds["cut_score"] = ((), np.float64(cut))
        ds["n_listed"] = ((), np.int64(n_listed))
        for name in RATES:
            if name != "poor_share":  # the whole population's, already in the result
                ds[name] = ((), np.float64(point[name]))
        for name, value in zip(CELLS, totals, strict=True):
            ds[name] = ((), np.float64(value))
    for name in ds.data_vars:
        key = f"targeting.var.{name}" if name in RATES or name in CELLS else f"curves.var.{name}"
        ds[name].attrs.update(
            long_name=text(key, "en"),
            units="count" if name in ("n_units", "n_listed", "listed_count") else "1",
        )
    ds["threshold"].attrs.update(long_name=text("curves.var.threshold", "en"))
    ds.attrs.update(
        score=str(score),
        poor=str(poor),
        weight="" if weight is None else str(weight),
        n_units=n,
        n_dropped=n_dropped,
        budget=budget,
        n_tied_extra=int(n_tied),
        ties="all units tied with the last one listed are listed",
    )
    return TargetingCurveResult(ds)
