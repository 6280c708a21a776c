"""Finalize step: additive AF statistics -> measures (the formulas are
:data:`mpi.measurement.formulas.FORMULAS`; this module evaluates them on arrays).

Statistics are held in an :class:`xarray.Dataset` (``SUMW``, ``POOR``, ``CDEP`` …) whose
leading dimensions are the cells (groups, PSUs, chunks). Because the statistics are sums,
aggregating cells is ``stats.sum(dims)``; measures are functions of the sums, computed
only at the end.

Notation: ``s_i`` sampling weight, ``c_i`` deprivation score, ``p_i = 1[c_i >= k]``,
``g_ij`` deprivation, ``gamma_ij`` normalised gap.

.. math::

    H = \\frac{\\sum_i s_i p_i}{\\sum_i s_i},\\quad
    M_0 = \\frac{\\sum_i s_i c_i p_i}{\\sum_i s_i},\\quad
    A = \\frac{M_0}{H},\\quad
    M_\\alpha = \\frac{\\sum_i s_i p_i \\sum_j w_j \\gamma_{ij}^\\alpha}{\\sum_i s_i}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from mpi.measurement.formulas import (
    FORMULAS,
    ArrayOps,
    Labeled,
    Terms,
    evaluate,
    formula_names,
)

__all__ = ["finalize", "STAT_VARS", "VARIABLE_ATTRS", "CELL_DIM", "COUNTS"]

#: The one group dimension of a sparse cross-classification (only the combinations of the
#: ``by`` variables that occur, labelled by a pandas MultiIndex of those variables). The name
#: is reserved: no ``by`` variable may be called so.
CELL_DIM = "cell"

#: Names of the additive statistics (see :mod:`mpi.kernels.af`).
STAT_VARS = (
    "SUMW", "NOBS", "NDROP", "SEVERE", "SCORE",
    "OBS", "DEP", "NMISS",
    "POOR", "CP", "C2P", "VULN", "M1", "M2",
    "CDEP", "CONTRIB",
)  # fmt: skip

#: CF-style metadata of every output variable.
VARIABLE_ATTRS: dict[str, dict[str, str]] = {
    "H": {
        "long_name": "Multidimensional headcount ratio (H)",
        "description": "Weighted share of units whose deprivation score c_i is at least k.",
        "units": "1",
    },
    "A": {
        "long_name": "Intensity of poverty (A)",
        "description": "Average deprivation score among the poor, M0 / H; NaN when H = 0.",
        "units": "1",
    },
    "M0": {
        "long_name": "Adjusted headcount ratio (M0)",
        "description": "Weighted mean of the censored deprivation score c_i(k) = c_i 1[c_i >= k]; "
        "M0 = H A = sum_j w_j h_j.",
        "units": "1",
    },
    "M1": {
        "long_name": "Adjusted poverty gap (M1)",
        "description": "Weighted mean over units of p_i sum_j w_j gamma_ij with normalised gaps "
        "gamma = (z - x)/z for cardinal indicators and 1 for deprived ordinal ones.",
        "units": "1",
    },
    "M2": {
        "long_name": "Adjusted squared poverty gap (M2)",
        "description": "As M1 with squared normalised gaps.",
        "units": "1",
    },
    "vulnerable": {
        "long_name": "Share vulnerable to poverty",
        "description": "Weighted share with vulnerable <= c_i < k.",
        "units": "1",
    },
    "severe": {
        "long_name": "Share in severe poverty",
        "description": "Weighted share of the severely poor: c_i >= max(severe, k), so "
        "never above H (equal to H at a cutoff k above severe).",
        "units": "1",
    },
    "intensity_variance": {
        "long_name": "Inequality among the poor (variance of scores)",
        "description": "Weighted population variance of c_i among the poor: "
        "sum s p (c - A)^2 / sum s p.",
        "units": "1",
    },
    "n_obs": {
        "long_name": "Units used",
        "description": "Number of units (rows) that entered the estimates.",
        "units": "1",
    },
    "n_dropped": {
        "long_name": "Units dropped for missing values",
        "description": "Number of units excluded because an indicator variable or the sampling "
        "weight was missing (missing='drop'), or a whole dimension was missing "
        "(missing='reweight').",
        "units": "1",
    },
    "n_missing": {
        "long_name": "Units with the indicator's variable missing",
        "description": "Count of units (used or dropped) whose value for the indicator is missing.",
        "units": "1",
    },
    "uncensored_headcount": {
        "long_name": "Uncensored headcount ratio",
        "description": "Weighted share deprived in the indicator, among units observing it.",
        "units": "1",
    },
    "censored_headcount": {
        "long_name": "Censored headcount ratio",
        "description": "Weighted share that is poor and deprived in the indicator, among units "
        "observing it.",
        "units": "1",
    },
    "contribution": {
        "long_name": "Percentage contribution of the indicator to M0",
        "description": "w_j h_j / M0 as a share (sums to 1 over indicators); with reweighted "
        "missing values it uses each unit's effective weight.",
        "units": "1",
    },
    "dimension_contribution": {
        "long_name": "Percentage contribution of the dimension to M0",
        "description": "Sum of the indicator contributions within the dimension (sums to 1).",
        "units": "1",
    },
    "population_share": {
        "long_name": "Population share of the group",
        "description": "Weighted share of the units with a known group that belong to the "
        "group (units whose group is missing count only in the overall figures).",
        "units": "1",
    },
    "group_contribution": {
        "long_name": "Contribution of the group to overall M0",
        "description": "population_share * M0_group / M0_overall (sums to 1 over groups when "
        "no unit has a missing group).",
        "units": "1",
    },
    "empty": {
        "long_name": "Group without measurable weight",
        "description": "True when the group's units used have a total sampling weight of 0 "
        "(no unit, every unit dropped for missing values, or zero weights): its measures "
        "are NaN.",
    },
    "n_missing_group": {
        "long_name": "Units with a missing group",
        "description": "Number of units (used or dropped) with a missing value in at least one "
        "by variable: they are left out of the group table but counted in the overall "
        "figures (and in the margins of the by variables they have).",
        "units": "1",
    },
    "n_missing_group_by": {
        "long_name": "Units with the by variable missing",
        "description": "Per by variable, the number of units (used or dropped) whose value of "
        "it is missing: they are left out of that variable's groups.",
        "units": "1",
    },
}


#: Unit counts of the Dataset (not estimates): variable -> statistic, placed after the
#: headline measures (as ``intensity_variance``).
COUNTS = {"n_obs": "NOBS", "n_dropped": "NDROP", "n_missing": "NMISS"}
_COUNTS_AFTER = "intensity_variance"


def finalize(
    stats: xr.Dataset,
    membership: xr.DataArray,
    above_severe: np.ndarray | None = None,
    *,
    group_dims: Sequence[str] | None = None,
    missing_group: xr.Dataset | None = None,
) -> xr.Dataset:
    """Measures from statistics (cells already aggregated to the wanted level).

    Evaluates every formula of :data:`mpi.measurement.formulas.FORMULAS` on the statistics'
    numpy arrays (:class:`~mpi.measurement.formulas.ArrayOps`); one Dataset is built at the
    end, its variables in the dims order of the statistics ``(*groups, k, indicator)``.

    Parameters
    ----------
    stats
        Statistics with an ``indicator`` dimension and optionally ``k`` and group dims.
    membership
        0/1 matrix with dims ``(dimension, indicator)``: which indicator is in which dimension.
    above_severe
        Booleans along ``k`` (or one boolean without a ``k`` dim), decided exactly from the
        fractions: the cutoff ``k`` lies above the severity cutoff. There every poor unit is
        severely poor (``c >= k > severe``), so the severe share is the headcount ratio.
        ``None``: no cutoff lies above it.
    group_dims
        The dims of ``stats`` that index population groups: when given (non-empty), the
        group shares ``population_share`` and ``group_contribution`` are added.
    missing_group
        Statistics of the units with a missing group (counted in the overall totals that
        ``group_contribution`` divides by), or None.

    Returns
    -------
    xarray.Dataset
        The measures (:data:`VARIABLE_ATTRS` attached), the unit counts, and the
        coordinates of ``stats`` plus ``dimension``.
    """
    groups = list(group_dims or [])
    terms = Terms(
        _array_fetch(stats, groups, missing_group),
        ArrayOps(),
        membership=membership,
        above_severe=above_severe,
    )
    names = [n for n in formula_names(groups=bool(groups)) if FORMULAS[n].in_dataset]
    values = evaluate(terms, names)
    counts = {v: _as_int(stats.variables[s]) for v, s in COUNTS.items()}
    data: dict[str, xr.Variable] = {}
    for name, value in values.items():
        data[name] = value.variable()
        if name == _COUNTS_AFTER:
            data.update(counts)
    data.update({n: c for n, c in counts.items() if n not in data})
    # the statistics' coordinates as they are (a sparse table's MultiIndex included)
    out = xr.Dataset(data, coords=stats.coords).assign_coords(
        dimension=membership["dimension"].values
    )
    for name, attrs in VARIABLE_ATTRS.items():
        if name in out:
            out[name].attrs.update(attrs)
    return out


def _as_int(var: xr.Variable) -> xr.Variable:
    """A count statistic as int64 (its attrs left behind)."""
    return xr.Variable(var.dims, var.values.astype(np.int64))


def _array_fetch(
    stats: xr.Dataset, group_dims: list[str], missing_group: xr.Dataset | None
) -> Callable[[str, Terms], Labeled]:
    """``fetch`` of the point evaluation: the statistics' arrays, and the sums over the
    groups (units with a missing group added to the overall ones)."""

    def fetch(name: str, terms: Terms) -> Labeled:
        if name == "SUMW_KNOWN":
            return Labeled.of(stats["SUMW"].sum(group_dims))
        if name in ("SUMW_ALL", "CP_ALL"):
            stat = name.split("_")[0]
            known = stats[stat].sum(group_dims)
            if missing_group is not None:
                known = known + missing_group[stat]
            return Labeled.of(known)
        return Labeled.of(stats.variables[name])

    return fetch
