"""Finalize step: additive AF statistics -> measures.

Statistics are held in an :class:`xarray.Dataset` (``SUMW``, ``POOR``, ``CDEP`` …) whose
leading dimensions are the cells (groups, PSUs, chunks). Because the statistics are sums,
aggregating cells is ``stats.sum(dims)``; measures are ratios computed only here.

Notation: ``s_i`` sampling weight, ``c_i`` deprivation score, ``p_i = 1[c_i >= k]``,
``g_ij`` deprivation, ``gamma_ij`` normalised gap.

.. math::

    H = \\frac{\\sum_i s_i p_i}{\\sum_i s_i},\\quad
    M_0 = \\frac{\\sum_i s_i c_i p_i}{\\sum_i s_i},\\quad
    A = \\frac{M_0}{H},\\quad
    M_\\alpha = \\frac{\\sum_i s_i p_i \\sum_j w_j \\gamma_{ij}^\\alpha}{\\sum_i s_i}
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["finalize", "STAT_VARS", "VARIABLE_ATTRS", "CELL_DIM"]

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
)

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


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN where den == 0 (no units, or nobody poor)."""
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def finalize(
    stats: xr.Dataset, membership: xr.DataArray, above_severe: np.ndarray | None = None
) -> xr.Dataset:
    """Measures from statistics (cells already aggregated to the wanted level).

    Works on the numpy arrays directly (one Dataset is built at the end), relying on the
    statistics' dimension order ``(*groups, k, indicator)``.

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
    """
    v = {name: stats[name].values for name in stats.data_vars}
    groups = stats["SUMW"].dims
    has_k = "k" in stats["POOR"].dims
    kx = (..., None) if has_k else (...,)  # add the k axis to a per-group array
    sumw = v["SUMW"]
    data: dict[str, tuple[tuple, np.ndarray]] = {}
    gk = (*groups, "k") if has_k else groups
    gki = (*gk, "indicator")
    gi = (*groups, "indicator")
    data["H"] = (gk, _ratio(v["POOR"], sumw[kx]))
    data["A"] = (gk, _ratio(v["CP"], v["POOR"]))
    data["M0"] = (gk, _ratio(v["CP"], sumw[kx]))
    data["M1"] = (gk, _ratio(v["M1"], sumw[kx]))
    data["M2"] = (gk, _ratio(v["M2"], sumw[kx]))
    data["vulnerable"] = (gk, _ratio(v["VULN"], sumw[kx]))
    data["severe"] = _severe(v["SEVERE"], v["POOR"], sumw, groups, gk, has_k, above_severe)
    # population variance of c among the poor; E[c^2] - A^2 can dip below 0 by rounding
    var = _ratio(v["C2P"], v["POOR"]) - data["A"][1] ** 2
    data["intensity_variance"] = (gk, np.where(np.isnan(var), np.nan, np.maximum(var, 0.0)))
    data["n_obs"] = (groups, v["NOBS"].astype(np.int64))
    data["n_dropped"] = (groups, v["NDROP"].astype(np.int64))
    data["n_missing"] = (gi, v["NMISS"].astype(np.int64))
    data["uncensored_headcount"] = (gi, _ratio(v["DEP"], v["OBS"]))
    obs_k = v["OBS"][..., None, :] if has_k else v["OBS"]
    data["censored_headcount"] = (gki, _ratio(v["CDEP"], obs_k))
    data["contribution"] = (gki, _ratio(v["CONTRIB"], v["CP"][..., None]))
    by_dim = v["CONTRIB"] @ membership.transpose("indicator", "dimension").values
    data["dimension_contribution"] = ((*gk, "dimension"), _ratio(by_dim, v["CP"][..., None]))
    # the statistics' coordinates as they are (a sparse table's MultiIndex included)
    out = xr.Dataset(data, coords=stats.coords).assign_coords(
        dimension=membership["dimension"].values
    )
    for name, attrs in VARIABLE_ATTRS.items():
        if name in out:
            out[name].attrs.update(attrs)
    return out


def _severe(
    severe: np.ndarray,
    poor: np.ndarray,
    sumw: np.ndarray,
    groups: tuple,
    gk: tuple,
    has_k: bool,
    above: np.ndarray | None,
) -> tuple[tuple, np.ndarray]:
    """Share with ``c >= max(severe, k)``: the kernel's ``c >= severe`` sums where ``k`` is
    at most the severity cutoff, the poor's where it lies above (the severely poor are
    among the poor at every k)."""
    if above is None or not np.any(above):
        return groups, _ratio(severe, sumw)
    if not has_k:  # one cutoff, above severe
        return groups, _ratio(poor, sumw)
    num = np.where(np.asarray(above, bool), poor, severe[..., None])
    return gk, _ratio(num, sumw[..., None])
