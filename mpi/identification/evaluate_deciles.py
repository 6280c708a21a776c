"""Coverage of the poorest deciles (``mpi.targeting(..., rank=...)``).

The units are ranked by a welfare or deprivation variable (income, consumption, a proxy
means test, a deprivation score) into national weighted deciles (:func:`weighted_deciles`),
and for every decile (in every group) the result gives the share of its units that are
listed (``decile_coverage``) and the share of the listed units that belong to it
(``decile_incidence``, the benefit incidence by decile). Both are ratios of weighted totals of
the listed x poor table with the decile as one more group dimension
(:func:`~mpi.identification.evaluate_inputs.confusion_totals`), so a design gives their
standard errors with the same engine as the other rates.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.labels import text
from mpi._common.ratio import ratio
from mpi._common.table import Table, as_float, is_numeric, object_numbers
from mpi.errors import ValidationError
from mpi.identification.evaluate_inputs import CELLS, Flags, confusion_totals
from mpi.survey.estimate import standard_errors

__all__ = ["DECILE", "DECILE_VARIABLES", "read_rank", "weighted_deciles", "add_deciles"]

#: Name of the decile dimension (coordinate 1..10, 1 = poorest).
DECILE = "decile"
#: The result variables of :func:`add_deciles`.
DECILE_VARIABLES = ("decile_coverage", "decile_incidence")


def read_rank(table: Table, rank: Hashable, descending: Any) -> tuple[np.ndarray, np.ndarray]:
    """The ranking variable as float64, oriented so that lower is poorer.

    Parameters
    ----------
    table
        The data.
    rank
        The numeric column (income, consumption, a PMT, a deprivation score).
    descending
        True when a higher value is poorer (the values are negated).

    Returns
    -------
    tuple of numpy.ndarray
        ``(values, missing)``; missing values are NaN in ``values``.

    Raises
    ------
    ValidationError
        For a column that is not numeric or holds infinite values, or a ``descending``
        that is not a bool.
    """
    if not isinstance(descending, bool | np.bool_):
        raise ValidationError(
            f"descending must be True or False; got {descending!r}. Use descending=True when "
            "a higher value of rank is poorer (a deprivation score), False for income"
        )
    if not isinstance(rank, Hashable) or isinstance(rank, list | tuple):
        raise ValidationError(
            f"rank must be the name of one numeric column (income, consumption, a PMT or a "
            f"deprivation score); got {rank!r}"
        )
    s = object_numbers(table.column(rank, role="rank"))
    if not is_numeric(s):
        raise ValidationError(
            f"rank column {rank!r} must be numeric (income, consumption, a PMT or a "
            f"deprivation score); got dtype {s.dtype}. Convert it with pd.to_numeric"
        )
    x = np.array(as_float(s), dtype=np.float64)
    missing = np.isnan(x)
    if np.isinf(x).any():
        raise ValidationError(
            f"rank column {rank!r} has {int(np.isinf(x).sum())} infinite value(s); replace "
            "them by finite values or NaN (missing: those units are dropped)"
        )
    return (-x if descending else x), missing


def weighted_deciles(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted deciles (1 = lowest ``x``) with the Stata ``xtile`` convention.

    Parameters
    ----------
    x
        Values (no NaN).
    w
        Weights (>= 0), same length.

    Returns
    -------
    numpy.ndarray
        int64 deciles 1..10: ``1 + #{d = 1..9: x > t_d}`` with ``t_d`` the smallest value
        ``v`` of ``x`` whose weighted share :math:`F(v) = \\sum_{x_i \\le v} w_i / \\sum w_i`
        reaches ``d/10`` (compared as :math:`10 \\sum_{x_i \\le v} w_i \\ge d \\sum w_i`, exact
        for integer weights). Equal values share a decile.
    """
    if len(x) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cum = np.cumsum(w[order])
    last = np.r_[xs[1:] != xs[:-1], True]  # the last unit of each distinct value
    values, reach = xs[last], 10.0 * cum[last]
    at = np.searchsorted(reach, np.arange(1, 10) * cum[-1], side="left")
    thresholds = values[np.minimum(at, len(values) - 1)]
    return 1 + np.searchsorted(thresholds, x, side="left").astype(np.int64)


def _shares(t: dict[str, Any], div: Callable[[Any, Any], Any], over: Callable[[Any], Any]) -> dict:
    lp, ln, up, un = (t[c] for c in CELLS)
    listed = lp + ln
    return {
        "decile_coverage": div(listed, listed + up + un),
        "decile_incidence": div(listed, over(listed)),
    }


def add_deciles(
    ds: xr.Dataset,
    se: xr.Dataset | None,
    estimates: dict | None,
    table: Table,
    flags: Flags,
    decile: np.ndarray,
    design: Any,
) -> None:
    """Add ``decile_coverage`` and ``decile_incidence`` (dims ``(*by, "decile")``) to the
    result's Dataset, standard errors and estimates (in place: they are the result's own).

    Parameters
    ----------
    ds
        The result's Dataset.
    se
        Its standard errors (None without a design).
    estimates
        Its estimates (None without a design); gets the two new
        :class:`~mpi.survey.estimate.Estimate` objects.
    table
        The data.
    flags
        The units' cells, weights and groups.
    decile
        Every unit's decile 1..10 (any value where the unit is dropped, ``cell == -1``).
    design
        The design, or None.
    """
    group = flags.group * 10 + np.clip(decile, 1, 10) - 1
    by = [*flags.by, DECILE]
    labels = [*flags.labels, np.arange(1, 11)]
    dflags = Flags(flags.cell, flags.weight, group, flags.n_groups * 10,
                   (*flags.group_shape, 10), by, labels)  # fmt: skip
    totals = confusion_totals(table, dflags, design)
    point = _shares(totals.point, ratio, lambda a: np.sum(a, axis=-1, keepdims=True))
    coords = {DECILE: (DECILE, np.arange(1, 11))}
    ds.coords.update(coords)
    dims = tuple(by)
    for name in DECILE_VARIABLES:
        ds[name] = (dims, np.asarray(point[name]))
        ds[name].attrs.update(long_name=text(f"targeting.var.{name}", "en"), units="1")
    ds[DECILE].attrs.update(long_name=text("targeting.var.decile", "en"), units="1")
    if totals.estimates is None or se is None or estimates is None:
        return
    ests = _shares(totals.estimates, lambda a, b: a / b, lambda a: a.sum(DECILE))
    se.coords.update(coords)
    for name, value in zip(DECILE_VARIABLES, standard_errors(list(ests.values())), strict=True):
        se[name] = (ests[name].dims, np.asarray(value, np.float64))
    estimates.update(ests)
