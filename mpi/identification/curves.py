"""Scores at a budget: ROC and precision-recall curves, AUC, and the errors of the top-N list.

:func:`targeting_curve` ranks units by a continuous score (a risk score, a proxy means test;
higher = more likely poor) and compares every list "score >= t" with a reference 0/1 poverty
status, so that two rules can be compared at the same number of beneficiaries.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.labels import text
from mpi._common.ratio import ratio
from mpi._common.table import as_float, as_table, caller_level, is_numeric
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.curves_core import bin_totals, ranking, score_bins
from mpi.identification.curves_design import (
    AucUnits,
    auc_estimate,
    group_coords,
)
from mpi.identification.curves_result import TargetingCurveResult
from mpi.identification.evaluate_inputs import (
    CELLS,
    Flags,
    by_names,
    confusion_totals,
    design_weight,
    group_codes,
    read_flag,
    read_weight,
)
from mpi.identification.evaluate_result import RATES, rates
from mpi.survey.estimate import standard_errors

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


def targeting_curve(
    data: Any,
    score: Hashable,
    poor: Hashable,
    *,
    weight: Hashable | None = None,
    top: int | None = None,
    share: float | None = None,
    by: str | Sequence[str] | None = None,
    design: Any = None,
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
        Sampling weight column (``None``: every unit weighs 1). With a ``design``, the
        design's weight (give it there).
    top : int, optional
        List the ``top`` units with the highest scores and report the targeting errors of
        that list. All units tied with the last one listed are listed too, so the list can be
        longer than ``top`` (the result's ``n_listed`` and its summary say by how much).
    share : float, optional
        List the units with the highest scores until their weighted share of the population
        reaches ``share`` (in (0, 1]); ties at the cut are all listed, as with ``top``. Give
        ``top`` or ``share``, not both; with neither, only the curves and AUCs are computed.
    by : str or list of str, optional
        Group variables (as :func:`mpi.targeting`): the curves, AUC, average precision and
        the budget's errors per group, one dimension per variable (their cross-
        classification, over the labels that occur). **The budget is national**: all units
        are ranked together and one list is cut (the top ``top`` units, or the top ``share``
        of the population), as a programme with one number of beneficiaries would; the
        errors of that one list are then reported within each group, so groups with higher
        scores get more of the places. For a budget per group, call once per group. Units
        with a missing group value are ranked (they take places on the national list) but
        are in no group (``n_missing_group``).
    design : mpi.Design, Design.bootstrap(...) or mpi.ReplicateDesign, optional
        Survey design: standard errors (:attr:`~TargetingCurveResult.se`) and confidence
        intervals (:meth:`~TargetingCurveResult.ci`) for the AUC and, with a budget, for the
        budget's rates and totals. The rates are those of a 0/1 list, computed exactly as
        :func:`mpi.targeting` computes them on the list ``score >= cut_score`` (the same
        numbers); the cut is taken as fixed.

    Returns
    -------
    TargetingCurveResult
        Its :meth:`~TargetingCurveResult.to_dataset` holds, along the dim ``threshold``
        (the distinct scores in descending order, preceded by ``+inf``: nobody listed), the
        curves ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` (weighted) and
        ``listed_count`` (unweighted) of the lists "score >= threshold"; the scalars ``auc``,
        ``average_precision``, ``poor_share`` and ``n_units``; and with ``top`` or ``share``
        the score of the cut ``cut_score``, the number of units listed ``n_listed`` and the
        rates and weighted totals of :func:`mpi.targeting` for that list. With ``by`` every
        variable but ``cut_score`` (national) has one more dimension per group variable, the
        curves all on the same thresholds (the distinct scores of all units: a group's curve
        stays put at the scores it does not have).

    Raises
    ------
    ValidationError
        For a non-numeric or infinite score, a ``poor`` column that is not 0/1, a negative
        weight, a column not in the data, ``top`` not a whole number from 1 to the number of
        units, ``share`` outside (0, 1], both ``top`` and ``share``, a ``by`` that is not a
        list of names, a ``design`` that is not a design, or a weight that differs from the
        design's.

    Warns
    -----
    MissingDataWarning
        When units are dropped for a missing score, status or weight (``n_dropped``), or
        have a missing group value (``n_missing_group``).

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

    With a :class:`~mpi.Design` the AUC :math:`= U/(PQ)`, :math:`U` the double sum above,
    :math:`P` and :math:`Q` the weighted totals of the poor and the non-poor, is linearised
    (Deville 1999): each unit's weighted influence value

    .. math:: z_k = \\frac{\\pi_k w_k G(s_k) + (1-\\pi_k) w_k H(s_k)}{PQ}
              - AUC \\left(\\frac{\\pi_k w_k}{P} + \\frac{(1-\\pi_k) w_k}{Q}\\right),

    :math:`\\pi_k` its status, :math:`G(s) = \\sum_{j \\in Q} w_j([s_j < s] + \\tfrac12
    [s_j = s])` and :math:`H(s) = \\sum_{i \\in P} w_i([s_i > s] + \\tfrac12 [s_i = s])` (the
    weighted placement values of DeLong et al. 1988, computed in O(n log n) by sorting), is
    summed per PSU within its group (0 outside the group: domains by zeroing) and put
    through the stratified with-replacement variance of :class:`~mpi.Design`, as
    :func:`mpi.measure`'s estimates are. A bootstrap design or an :class:`~mpi.ReplicateDesign`
    recomputes the AUC with every replicate weight (Iparragirre, Lumley and Barrio 2026). The
    AUC's weighted estimator is that of Iparragirre, Barrio and Arostegui (2023).

    References
    ----------
    Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. *Radiology* 143(1), 29-36.
    Fawcett, T. (2006). An introduction to ROC analysis. *Pattern Recognition Letters* 27,
    861-874.
    DeLong, E. R., DeLong, D. M. and Clarke-Pearson, D. L. (1988). Comparing the areas under
    two or more correlated receiver operating characteristic curves: a nonparametric
    approach. *Biometrics* 44(3), 837-845.
    Deville, J.-C. (1999). Variance estimation for complex statistics and estimators:
    linearization and residual techniques. *Survey Methodology* 25(2), 193-203.
    Iparragirre, A., Barrio, I. and Arostegui, I. (2023). Estimation of the ROC curve and the
    area under it with complex survey data. *Stat* 12(1), e635.
    Iparragirre, A., Lumley, T. and Barrio, I. (2026). Design-based inference for the AUC
    with complex survey data. arXiv:2603.28320.

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
    by_list = by_names(by)
    weight = design_weight(weight, design)
    needed = [score, poor, *by_list] + ([weight] if weight is not None else [])
    table = as_table(data, needed)
    s, miss_s = _read_score(table, score)
    is_poor, miss_p = read_flag(table, poor, "poor")
    w, miss_w = read_weight(table, weight)
    group, shape, labels = group_codes(table, by_list)
    dropped = miss_s | miss_p | miss_w
    n_dropped = int(dropped.sum())
    miss_g = (group < 0) & ~dropped
    n_miss_g = int(miss_g.sum())
    level = caller_level()
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {table.n} units dropped for missing values (score {score!r}: "
            f"{int(miss_s.sum())}, poor {poor!r}: {int(miss_p.sum())}, weight: "
            f"{int(miss_w.sum())}). They are counted in the result's n_dropped",
            MissingDataWarning,
            stacklevel=level,
        )
    if n_miss_g:
        warnings.warn(
            f"{n_miss_g} unit(s) have a missing value in a by variable ({by_list}); they are "
            "ranked for the budget but in no group, counted in the result's n_missing_group",
            MissingDataWarning,
            stacklevel=level,
        )
    rows = np.flatnonzero(~dropped)
    n = int(rows.size)
    if n == 0:
        raise ValidationError(
            f"no unit has a score ({score!r}), a status ({poor!r}) and a weight; nothing to rank"
        )
    _check_budget(top, share, n)
    n_groups = int(np.prod(shape)) if shape else 1
    units = AucUnits(rows, score_bins(s[rows]), group[rows], n_groups, is_poor[rows], w[rows])
    p, q, count = bin_totals(units.bins, units.group, n_groups, units.poor, units.w)
    rank = ranking(p, q)
    coords = group_coords(by_list, labels)
    dims = tuple(by_list)
    ds = xr.Dataset(coords={"threshold": np.r_[np.inf, units.bins.scores], **coords})

    def curve(arr: np.ndarray) -> tuple[tuple, np.ndarray]:  # (groups, t) -> (t, *shape)
        return ("threshold", *dims), arr.T.reshape((arr.shape[1], *shape))

    for name in ("tpr", "fpr", "precision", "listed_fraction"):
        ds[name] = curve(rank[name])
    zero = np.zeros((n_groups, 1), np.int64)
    ds["listed_count"] = curve(np.concatenate([zero, np.cumsum(count, axis=1)], axis=1))
    for name in ("auc", "average_precision", "poor_share"):
        ds[name] = (dims, np.asarray(rank[name], np.float64).reshape(shape))
    ds["n_units"] = (dims, count.sum(axis=1).astype(np.int64).reshape(shape))
    budget, n_tied, cut = "", 0, np.nan
    totals = None
    if top is not None or share is not None:
        budget, cut, n_tied = _national_cut(units, top, share)
        listed = s >= cut
        cell = np.where(listed, 0, 2) + np.where(is_poor, 0, 1)
        cell = np.where(dropped | miss_g, -1, cell).astype(np.int64)
        flags = Flags(cell, w, np.maximum(group, 0), n_groups, shape, by_list, labels)
        totals = confusion_totals(table, flags, design)
        point = rates(totals.point, ratio)
        n_listed = np.bincount(flags.group[cell >= 0], weights=(cell[cell >= 0] < 2),
                               minlength=n_groups)  # fmt: skip
        ds["cut_score"] = ((), np.float64(cut))
        ds["n_listed"] = (dims, n_listed.astype(np.int64).reshape(shape))
        for name in RATES:
            if name != "poor_share":  # the whole population's, already in the result
                ds[name] = (dims, np.asarray(point[name], np.float64).reshape(shape))
        for name in CELLS:
            ds[name] = (dims, np.asarray(totals.point[name], np.float64).reshape(shape))
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
        by=", ".join(map(str, by_list)),
        n_units=n,
        n_dropped=n_dropped,
        n_missing_group=n_miss_g,
        budget=budget,
        n_listed_total=int((s[rows] >= cut).sum()) if budget else 0,
        n_tied_extra=int(n_tied),
        ties="all units tied with the last one listed are listed",
        design="",
    )
    if design is None:
        return TargetingCurveResult(ds, None, by_list)
    auc_est, df, label = auc_estimate(table, design, units, p, q, rank["auc"], shape, coords)
    se = xr.Dataset(coords=coords)
    se["auc"] = (dims, np.where(np.isnan(ds["auc"].values), np.nan, auc_est.se_values()))
    if totals is not None and totals.estimates is not None:
        ests = {**rates(totals.estimates, lambda a, b: a / b), **totals.estimates}
        names = [*RATES, *CELLS]  # the same batch as mpi.targeting: the same numbers
        for name, v in zip(names, standard_errors([ests[n] for n in names]), strict=True):
            se[name] = (dims, np.asarray(v, np.float64).reshape(shape))
    ds.attrs["design"] = text(label[0], "en", **label[1])
    ds.attrs["df"] = int(df)
    return TargetingCurveResult(ds, se, by_list, label)


def _national_cut(units: AucUnits, top: Any, share: Any) -> tuple[str, float, int]:
    """The budget's text, its cut score (the lowest score listed) and the units listed beyond
    the budget because they tie at the cut; all units ranked together (one national list)."""
    everyone = np.zeros(units.rows.size, np.int64)
    p, q, count = bin_totals(units.bins, everyone, 1, units.poor, units.w)
    p, q, count = p[0], q[0], count[0]
    n = units.rows.size
    if top is not None:
        k = int(np.searchsorted(np.cumsum(count), int(top), side="left"))
        budget, wanted = f"top={int(top)}", int(top)
    else:
        cum_w = np.cumsum(p + q)
        k = int(np.searchsorted(cum_w, float(share) * cum_w[-1], side="left"))
        k = min(k, cum_w.size - 1)
        unit_w = np.cumsum(units.w[np.argsort(units.bins.index, kind="stable")])
        need = float(share) * unit_w[-1]
        wanted = min(int(np.searchsorted(unit_w, need, side="left")) + 1, n)
        budget = f"share={float(share)!r}"
    n_listed = int(np.cumsum(count)[k])
    return budget, float(units.bins.scores[k]), max(n_listed - wanted, 0)
