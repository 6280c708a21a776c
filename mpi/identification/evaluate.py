"""Targeting evaluation: how well a list of beneficiaries matches a poverty status.

:func:`evaluate_targeting` (exported as :func:`mpi.targeting`) compares any 0/1 list (a
village list, a benefit roll, a rule's flags) with a reference 0/1 status (measured AF poor,
income poor, a truth column) and returns the weighted confusion table and the usual
targeting rates, by group, with design-based standard errors. The list may also be given as
the ids of the listed units (:mod:`~mpi.identification.evaluate_ids`), and ``rank=`` adds the
coverage and the benefit incidence by national decile of a welfare or deprivation variable
(:mod:`~mpi.identification.evaluate_deciles`).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.labels import text
from mpi._common.ratio import ratio
from mpi._common.table import as_table, caller_level
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.evaluate_deciles import add_deciles, read_rank, weighted_deciles
from mpi.identification.evaluate_ids import is_id_list, listed_from_ids
from mpi.identification.evaluate_inputs import (
    Flags,
    by_names,
    confusion_totals,
    design_weight,
    group_codes,
    read_flag,
    read_weight,
)
from mpi.identification.evaluate_result import (
    RATES,
    TOTALS,
    TargetingResult,
    rates,
    reason_attr,
    undefined,
)
from mpi.survey.estimate import standard_errors

__all__ = ["evaluate_targeting", "TargetingResult"]


def evaluate_targeting(
    data: Any,
    listed: Any,
    poor: Hashable | None = None,
    *,
    spec: Any = None,
    k: Any = None,
    missing: str = "drop",
    weight: Hashable | None = None,
    by: str | Sequence[str] | None = None,
    design: Any = None,
    rank: Hashable | None = None,
    descending: bool = False,
    id: Hashable | None = None,
) -> TargetingResult:
    """Inclusion and exclusion errors of a list against a poverty status, by group.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row (one element of the unit dimension) per unit.
    listed : str, or list, tuple, set, numpy array, pandas Index or Series of unit ids
        Column of 0/1 flags: 1 for the units on the list (village list, benefit roll, a
        rule's flags). Bool or numbers 0 and 1; missing values allowed. Or the list itself,
        as the ids of the listed units (a Series or DataArray: its values): the units of
        the data whose id (``id``) is in the list are listed, the others not. Every id of
        the list must be in the data, once, and the data's ids must be unique; the
        ``listed`` attribute then reads ``"list of 1,234 ids"``.
    poor : str
        Column of 0/1 flags: 1 for the units poor by the reference (measured AF poor, income
        poor, a truth column). Same rules as ``listed``.
    spec : mpi.Spec, optional
        Instead of a ``poor`` column: the multidimensional poverty status measured by
        :func:`mpi.identify` with this spec (on a DataFrame), so the list is compared with the
        measured poor. Units that ``identify`` drops for missing values have no status and
        are dropped here, counted in ``n_dropped``.
    k, missing
        The poverty cutoff and the missing-value rule of :func:`mpi.identify` (with
        ``spec`` only; one cutoff).
    weight : str, optional
        Sampling weight column (``None``: every unit weighs 1). With a ``design``, the
        design's weight (give it there).
    by : str or list of str, optional
        Group variables: the result has one dimension per variable (their cross-
        classification), over the labels that occur. Units with a missing group value are
        left out of every group and counted in the ``n_missing_group`` attribute.
    design : mpi.Design, Design.bootstrap(...) or mpi.ReplicateDesign, optional
        Survey design: standard errors and confidence intervals for every rate and total.
        With :class:`~mpi.Design` the rates, ratios of weighted totals, are linearised from
        the totals' PSU-level sums (domains by zeroing, never by subsetting the design), with
        the stratified with-replacement variance of :class:`~mpi.Design`.
    rank : str, optional
        A numeric column ranking the units from poorest to richest (income, consumption, a
        proxy means test, a deprivation score): adds the coverage of each national weighted
        decile of ``rank`` (``decile_coverage``) and the benefit incidence by decile
        (``decile_incidence``), see the Notes. Units with a missing ``rank`` are dropped and
        counted in ``n_dropped``. Without ``rank`` the result has no decile dimension.
    descending : bool, default False
        True when a higher ``rank`` is poorer (a deprivation score or a PMT poverty score):
        decile 1 then holds the highest values.
    id : str, optional
        With ``listed`` given as unit ids: the data's id column. ``None``: the DataFrame's
        index, or the coordinate of the Dataset's unit dimension.

    Returns
    -------
    TargetingResult
        Its :meth:`~TargetingResult.to_dataset` holds, per group, the rates below, the four
        weighted totals ``listed_poor``, ``listed_nonpoor``, ``unlisted_poor``,
        ``unlisted_nonpoor`` and the unweighted ``n_units``. With ``rank``, also
        ``decile_coverage`` and ``decile_incidence`` with dimensions ``(*by, "decile")``
        (``decile`` = 1..10, 1 the poorest) and the ``rank`` and ``descending`` attributes;
        with a design their standard errors are in ``se`` and their
        :class:`~mpi.survey.estimate.Estimate` objects in the result's estimates.

    Raises
    ------
    ValidationError
        For a ``listed`` or ``poor`` column that is not 0/1, a negative weight, a column
        not in the data, or a weight that differs from the design's; for a ``rank`` that is
        not numeric or holds infinite values; for a list of ids with ids not in the data or
        an id twice, or data whose ids are missing or not unique; for ``id`` with a 0/1
        column; for ``descending`` without ``rank``.

    Warns
    -----
    MissingDataWarning
        When units are dropped for a missing ``listed``, ``poor``, weight or ``rank`` value
        (counted in the ``n_dropped`` attribute), or for a missing group value.

    Notes
    -----
    With weighted totals :math:`T_{lp}` (listed and poor), :math:`T_{ln}` (listed, not poor),
    :math:`T_{up}` (poor, not listed), :math:`T_{un}` (neither), :math:`L = T_{lp} +
    T_{ln}` listed, :math:`P = T_{lp} + T_{up}` poor, :math:`Q = T_{ln} + T_{un}` non-poor and
    :math:`N = P + Q`:

    * ``inclusion_error`` :math:`= T_{ln}/L`: the share of the listed who are not poor
      (Cornia and Stewart's E-mistake, as a share of the beneficiaries);
    * ``leakage`` :math:`= T_{ln}/L`: the same ratio, by the World Bank's usual definition
      (the share of benefits going to the non-poor, with equal benefits per listed unit);
    * ``exclusion_error`` :math:`= T_{up}/P`: the share of the poor not listed (Cornia and
      Stewart's F-mistake); ``undercoverage`` is the same ratio;
    * ``coverage`` :math:`= T_{lp}/P = 1 -` ``exclusion_error``;
    * ``listed_share`` :math:`= L/N`, ``poor_share`` :math:`= P/N`;
    * ``cgh_indicator`` :math:`= (T_{lp}/L)/(P/N)`: the share of benefits reaching the poor
      divided by the poor's population share (Coady, Grosh and Hoddinott); 1 is neutral
      targeting, above 1 progressive;
    * ``targeting_differential`` :math:`= T_{lp}/P - T_{ln}/Q`: the coverage of the poor
      minus the share of the non-poor listed (Ravallion), from -1 to 1.

    A rate whose denominator is 0 (no listed unit, no poor unit, no non-poor unit, no unit)
    is NaN (:func:`mpi._common.ratio.ratio`), and the summary and the ``undefined``
    attribute say why and where.

    **Deciles** (with ``rank``). The deciles are national: computed once over all the units
    kept (not dropped for a missing value; units with a missing group value included),
    whatever ``by`` (pooled rounds with ``by="year"`` share one set of deciles; evaluate
    each round separately for deciles per round). With :math:`x_i` the rank (negated when ``descending``), :math:`w_i`
    the weights and :math:`F(x) = \\sum_{x_i \\le x} w_i / \\sum_i w_i`, the thresholds are
    :math:`t_d = \\min\\{x_i : F(x_i) \\ge d/10\\}` for :math:`d = 1, \\dots, 9` and unit
    :math:`i` is in decile :math:`1 + \\#\\{d : x_i > t_d\\}` (Stata ``xtile``'s rule;
    equal values share a decile, so a decile can hold more or less than a tenth of the
    weight, or none). With :math:`L_{gd}` the weighted total of listed units of decile
    :math:`d` in group :math:`g` and :math:`N_{gd}` that of all its units:

    * ``decile_coverage`` :math:`= L_{gd} / N_{gd}`: the share of the decile that is listed;
    * ``decile_incidence`` :math:`= L_{gd} / \\sum_{d'} L_{gd'}`: the share of the group's
      listed units in the decile (benefit incidence with equal benefits per listed unit;
      sums to 1 over the deciles). Coady, Grosh and Hoddinott's indicator by decile is
      ``10 * decile_incidence`` for deciles holding a tenth of the weight.

    With a design both are ratios of totals, linearised (or replicated) like the other
    rates, from the listed x poor totals with the decile as one more group dimension. The
    decile boundaries :math:`t_d` are treated as fixed, not estimated (as Stata's
    ``svy: mean, over(decile)`` after ``xtile`` does): the standard errors leave out the
    sampling variability of the thresholds.

    References
    ----------
    Coady, D., Grosh, M. and Hoddinott, J. (2004). *Targeting of Transfers in Developing
    Countries: Review of Lessons and Experience*. World Bank.
    Coady, D., Grosh, M. and Hoddinott, J. (2004). Targeting outcomes redux. *World Bank
    Research Observer* 19(1), 61-85 (incidence by decile).
    Cornia, G. A. and Stewart, F. (1993). Two errors of targeting. *Journal of International
    Development* 5(5), 459-496.
    Ravallion, M. (2009). How relevant is targeting to the success of an antipoverty program?
    *World Bank Research Observer* 24(2), 205-231.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.identification.evaluate import evaluate_targeting  # exported as mpi.targeting
    >>> df = pd.DataFrame({"listed": [1, 1, 0, 0, 1], "poor": [1, 0, 1, 0, 1]})
    >>> res = evaluate_targeting(df, listed="listed", poor="poor")
    >>> round(float(res.to_dataset()["inclusion_error"]), 4)
    0.3333
    >>> float(res.to_dataset()["exclusion_error"])
    0.3333333333333333
    >>> df["income"] = [10, 40, 20, 50, 30]
    >>> by_ids = evaluate_targeting(df, [0, 1, 4], poor="poor", rank="income")
    >>> by_ids.to_dataset().attrs["listed"]
    'list of 3 ids'
    >>> by_ids.to_dataset()["decile_coverage"].sel(decile=[1, 3, 5, 7, 9]).values.tolist()
    [1.0, 0.0, 1.0, 1.0, 0.0]
    """
    if (poor is None) == (spec is None):
        raise ValidationError(
            "give the reference status either as a 0/1 column (poor='...') or as a spec "
            "(spec=mpi.presets...(): the poor measured by mpi.identify), not both or neither"
        )
    ids_given = is_id_list(listed)
    if rank is None and descending is not False:
        raise ValidationError(
            f"descending={descending!r} orders the rank= column; give rank='<income or score "
            "column>' too, or drop descending="
        )
    if id is not None and not ids_given:
        raise ValidationError(
            f"id={id!r} names the data's id column for a listed given as a list of unit ids; "
            f"listed={listed!r} is a 0/1 column: drop id= or pass the ids as listed=[...]"
        )
    if spec is not None:
        return _against_measured(
            data, listed, spec, k, missing, weight, by, design, rank, descending, id
        )
    if k is not None or missing != "drop":
        raise ValidationError("k= and missing= apply with spec= only (the poor measured)")
    groups = by_names(by)
    weight = design_weight(weight, design)
    needed = [poor, *groups] + [v for v in (weight, rank, id) if v is not None]
    table = as_table(data, needed if ids_given else [listed, *needed])
    if ids_given:
        is_listed, listed_label = listed_from_ids(table, listed, id)
        miss_l = np.zeros(table.n, bool)
    else:
        (is_listed, miss_l), listed_label = read_flag(table, listed, "listed"), str(listed)
    is_poor, miss_p = read_flag(table, poor, "poor")
    w, miss_w = read_weight(table, weight)
    if rank is not None:
        x, miss_r = read_rank(table, rank, descending)
    else:
        x, miss_r = np.zeros(table.n), np.zeros(table.n, bool)
    group, shape, labels = group_codes(table, groups)
    dropped = miss_l | miss_p | miss_w | miss_r
    miss_g = (group < 0) & ~dropped
    cell = np.where(is_listed, 0, 2) + np.where(is_poor, 0, 1)
    cell = np.where(dropped | miss_g, -1, cell).astype(np.int64)
    n_dropped, n_miss_g = int(dropped.sum()), int(miss_g.sum())
    level = caller_level()
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {table.n} units dropped for missing values (listed "
            f"{listed_label if ids_given else repr(listed)}: {int(miss_l.sum())}, poor {poor!r}: "
            f"{int(miss_p.sum())}, weight: {int(miss_w.sum())}"
            + (f", rank {rank!r}: {int(miss_r.sum())}" if rank is not None else "")
            + "). They are counted in the result's n_dropped",
            MissingDataWarning,
            stacklevel=level,
        )
    if n_miss_g:
        warnings.warn(
            f"{n_miss_g} unit(s) have a missing value in a by variable ({groups}); they are "
            "in no group, counted in the result's n_missing_group",
            MissingDataWarning,
            stacklevel=level,
        )
    n_groups = int(np.prod(shape)) if shape else 1
    flags = Flags(cell, w, np.maximum(group, 0), n_groups, shape, groups, labels)
    totals = confusion_totals(table, flags, design)
    point = rates(totals.point, ratio)
    counts = np.bincount(flags.group[cell >= 0], minlength=n_groups).reshape(shape)
    coords = {b: lab for b, lab in zip(groups, labels, strict=True)}
    dims = tuple(groups)
    ds = xr.Dataset(coords=coords)
    for name in RATES:
        ds[name] = (dims, np.asarray(point[name]).reshape(shape))
    for name in TOTALS:
        ds[name] = (dims, np.asarray(totals.point[name]).reshape(shape))
    ds["n_units"] = (dims, counts.astype(np.int64))
    for name in (*RATES, *TOTALS, "n_units"):
        ds[name].attrs.update(
            long_name=text(f"targeting.var.{name}", "en"),
            units="1" if name in RATES else "count" if name == "n_units" else "weighted units",
        )
    reasons = undefined(totals.point)
    ds.attrs.update(
        listed=listed_label,
        poor=str(poor),
        weight="" if weight is None else str(weight),
        by=", ".join(groups),
        n_units=int((cell >= 0).sum()),
        n_dropped=n_dropped,
        n_missing_group=n_miss_g,
        design=text(totals.design_label[0], "en", **totals.design_label[1])
        if totals.design_label
        else "",
        undefined=reason_attr(reasons, ds, groups),
    )
    se, ests = None, None
    if totals.estimates is not None:
        ests = {**rates(totals.estimates, lambda a, b: a / b), **totals.estimates}
        names = [*RATES, *TOTALS]
        values = standard_errors([ests[n] for n in names])
        se = xr.Dataset(coords=coords)
        for name, v in zip(names, values, strict=True):
            se[name] = (dims, np.asarray(v, np.float64).reshape(shape))
        ds.attrs["df"] = int(totals.df) if totals.df is not None else -1
    if rank is not None:
        decile = np.zeros(table.n, np.int64)
        decile[~dropped] = weighted_deciles(x[~dropped], w[~dropped])
        add_deciles(ds, se, ests, table, flags, decile, design)
        ds.attrs.update(rank=str(rank), descending=int(bool(descending)))
    return TargetingResult(ds, se, reasons, groups, totals.design_label, ests)


#: Name of the measured status column added for ``spec=`` (not a column of the user's data).
MEASURED = "poor (measured)"


def _against_measured(
    data: Any,
    listed: Any,
    spec: Any,
    k: Any,
    missing: str,
    weight: Any,
    by: Any,
    design: Any,
    rank: Any,
    descending: bool,
    id: Any,
) -> TargetingResult:
    """:func:`evaluate_targeting` against the poor measured by :func:`mpi.identify`."""
    import pandas as pd

    from mpi.identification.identify import identify

    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            "spec= needs a DataFrame (one row per unit); for a panel, identify it first "
            "(mpi.identify) and pass the poor status as a column with poor=..."
        )
    if MEASURED in data.columns:
        raise ValidationError(f"the data already have a column {MEASURED!r}; rename it")
    if k is not None and not isinstance(k, str | int | float) and len(k) != 1:
        raise ValidationError(f"k={k!r}: give one poverty cutoff with spec=")
    status = identify(data, spec, k=k, missing=missing).to_frame()
    measured = status["poor"].astype("float64").where(~status["missing"])
    with warnings.catch_warnings():
        # identify already warned about the units it dropped; they are counted again here
        warnings.simplefilter("ignore", MissingDataWarning)
        return evaluate_targeting(
            data.assign(**{MEASURED: measured.to_numpy()}), listed, MEASURED,
            weight=weight, by=by, design=design, rank=rank, descending=descending, id=id,
        )  # fmt: skip
