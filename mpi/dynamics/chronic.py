r"""Chronic poverty: duration-sensitive multidimensional and income measures on a panel.

:func:`chronic` is the chronic multidimensional poverty measure of Alkire, Apablaza,
Chakravarty & Yalonetzky (2017) with its triple cutoff (deprivation cutoffs :math:`z_j`,
poverty cutoff :math:`k`, duration cutoff :math:`\tau`), its partial indices, indicator,
duration, period and population-subgroup decompositions and the linked transient measure;
``order="dimensions_first"`` gives the chronic-deprivation counting of Apablaza &
Yalonetzky. :func:`duration_adjusted` is the duration-adjusted FGT family of Foster (2009)
for an income variable.

Both run one numba kernel (:mod:`mpi.kernels.chronic`) over the units with time inside;
it emits additive weighted sums per group cell, turned into measures here. Every cutoff
is decided on integers: the duration cutoff as the wave count
:math:`m_i = \lceil \tau T_i \rceil` computed with exact fractions and the AF cutoff on the
integer scores of :func:`mpi.panel_states`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text, to_fraction
from mpi._common.panel_layout import (
    check_balance,
    check_by_names,
    check_panel,
    flat_column,
    parallel_chunks,
    unit_groups,
    unit_weights,
)
from mpi._version import __version__
from mpi.dynamics.result import DynamicsResult, panel_attrs, ratio
from mpi.dynamics.states import PanelStates, panel_states
from mpi.errors import DataError, SpecError, ValidationError
from mpi.kernels import chronic as _kc
from mpi.measurement.spec import Spec

__all__ = ["chronic", "duration_adjusted", "ChronicResult", "DurationAdjustedResult", "ORDERS"]

#: Orderings of the two aggregation steps (AACY: time first; Apablaza-Yalonetzky:
#: dimensions first).
ORDERS = ("time_first", "dimensions_first")

REF_AACY = (
    "Alkire, S., Apablaza, M., Chakravarty, S. R. & Yalonetzky, G. (2017). Measuring chronic "
    "multidimensional poverty. Journal of Policy Modeling 39(6): 983-1006. "
    "doi:10.1016/j.jpolmod.2017.05.020"
)
REF_AY = (
    "Apablaza, M. & Yalonetzky, G. (2012). Chronic multidimensional poverty or "
    "multidimensional chronic deprivation. OPHI Research in Progress 34a"
)
REF_BOOK = (
    "Alkire, S., Foster, J. E., Seth, S., Santos, M. E., Roche, J. M. & Ballon, P. (2015). "
    "Multidimensional Poverty Measurement and Analysis, ch. 9.4. Oxford University Press"
)
REF_FOSTER = (
    "Foster, J. E. (2009). A class of chronic poverty measures. In Addison, Hulme & Kanbur "
    "(eds.), Poverty Dynamics: Interdisciplinary Perspectives. Oxford University Press"
)

# long_name, units of every variable (grouped "<name>_by_group" variables reuse them)
_META: dict[str, tuple[str, str]] = {
    "M0": ("chronic adjusted headcount ratio M^C", "1"),
    "H": ("chronic headcount ratio H^C (share of units chronically poor)", "1"),
    "D": ("average duration D^C: share of waves poor among the chronically poor", "1"),
    "A": ("average intensity A^C over the poor waves of the chronically poor", "1"),
    "M0_transient": ("transient adjusted headcount ratio M^T", "1"),
    "H_transient": ("transient headcount ratio H^T (poor in some wave, not chronically)", "1"),
    "D_transient": ("average duration D^T among the transient poor", "1"),
    "A_transient": ("average intensity A^T over the poor waves of the transient poor", "1"),
    "censored_headcount": ("chronic censored headcount ratio h_j^C", "1"),
    "censored_headcount_transient": ("transient censored headcount ratio h_j^T", "1"),
    "contribution": ("percentage contribution of the indicator w_j h_j^C / M^C", "1"),
    "duration_of_deprivation": (
        "average duration of deprivation D_j^C = h_j^C / H^C among the chronically poor",
        "1",
    ),
    "share_by_periods_poor": ("share n_s of units poor in exactly s waves", "1"),
    "duration_by_periods_poor": ("duration of the units poor in s waves (s/T)", "1"),
    "intensity_by_periods_poor": ("intensity A_s over the poor waves of those units", "1"),
    "chronic_by_periods_poor": ("share of the units poor in s waves that are chronic", "1"),
    "contribution_by_periods_poor": ("contribution of those units to M^C", "1"),
    "M0_period": ("chronic adjusted headcount of the wave M^C_t", "1"),
    "M0_cross_section": ("adjusted headcount ratio M0_t of the wave (units used)", "1"),
    "H_cross_section": ("headcount ratio H_t of the wave (units used)", "1"),
    "uncensored_headcount": ("share of units chronically deprived in the indicator", "1"),
    "population_share": ("population share v_g of the group", "1"),
    "group_contribution": ("contribution of the group v_g M_g / M", "1"),
    "n_used": ("units used", "1"),
    "K": ("duration-adjusted FGT measure K_alpha", "1"),
    "G": ("average of gap^alpha over the poor waves of the chronically poor G_alpha", "1"),
    "FGT_cross_section": ("FGT measure P_alpha of the wave (units used)", "1"),
}


# -- helpers -------------------------------------------------------------------------------
def _tau(value: Any, argument: str = "tau") -> Fraction:
    if value is None:
        raise ValidationError(
            f"{argument} is required: the duration cutoff, a share of waves in (0, 1], e.g. "
            "tau='1/2' (poor in at least half of the waves)"
        )
    try:
        frac = to_fraction(value, argument=argument)
    except SpecError as exc:
        raise ValidationError(str(exc)) from None
    if not 0 < frac <= 1:
        raise ValidationError(
            f"{argument} must be a share of waves in (0, 1]; got {value!r}. Use 1/T for "
            "'ever poor' (union) and 1 for 'always poor' (intersection)"
        )
    return frac


def _min_waves(balance: str, min_waves: Any, n_waves: int) -> int:
    if balance == "balanced":
        if min_waves is not None:
            raise ValidationError(
                f"min_waves={min_waves!r} applies to balance='observed' only; under "
                "balance='balanced' every unit used is observed in all waves. Drop min_waves "
                "or pass balance='observed'"
            )
        return n_waves
    mw = 2 if min_waves is None else min_waves
    if isinstance(mw, bool) or not isinstance(mw, int | np.integer) or mw < 1:
        raise ValidationError(
            f"min_waves must be a positive integer (the fewest observed waves a unit needs); "
            f"got {min_waves!r}"
        )
    if mw > n_waves:
        raise ValidationError(
            f"min_waves={mw} exceeds the {n_waves} waves of the panel; use at most {n_waves}"
        )
    return int(mw)


def _split(groups: Any, arr: np.ndarray, dims: Sequence[str]) -> xr.DataArray:
    """Cells as the first axis -> one dim per ``by`` variable (as PanelStates.split_cells)."""
    shaped = arr.reshape(groups.ext_shape + arr.shape[1:])
    known = shaped[tuple(slice(0, n) for n in groups.shape)]
    coords = {b: np.asarray(lab) for b, lab in zip(groups.names, groups.labels, strict=True)}
    return xr.DataArray(known, dims=[*groups.names, *dims], coords=coords)


def _annotate(ds: xr.Dataset, extra: Mapping[str, str] | None = None) -> xr.Dataset:
    for name in ds.data_vars:
        base = str(name).removesuffix("_by_group")
        long_name, units = _META.get(base, (base, "1"))
        if str(name).endswith("_by_group"):
            long_name += ", by group"
        ds[name].attrs.update({"long_name": long_name, "units": units})
        if extra and base in extra:
            ds[name].attrs["comment"] = extra[base]
    return ds


def _counts(count: np.ndarray) -> dict[str, int]:
    used, drop_w, drop_wt = (int(count[:, j].sum()) for j in range(3))
    return {
        "n_used": used,
        "n_dropped": drop_w + drop_wt,
        "n_dropped_waves": drop_w,
        "n_dropped_weight": drop_wt,
    }


def _require_units(sw: float, counts: dict[str, int], balance: str) -> None:
    if counts["n_used"] == 0 or not sw > 0:
        if counts["n_used"] and not sw > 0:  # units left, but their weights sum to zero
            fix = "the weights of the units used sum to zero; check the weight variable"
        elif counts["n_dropped_weight"] and not counts["n_dropped_waves"]:
            fix = "every unit lacks a weight (NaN); fill the weight variable or pass another"
        elif balance == "balanced":
            fix = (
                "no unit is observed in every wave; pass balance='observed' to use each "
                "unit's observed waves"
            )
        else:
            fix = "lower min_waves or fill the gaps"
        raise DataError(
            f"no units to measure under balance={balance!r} ({counts['n_used']} used, total "
            f"weight {sw:g}; {counts['n_dropped_waves']} dropped for too few observed "
            f"waves, {counts['n_dropped_weight']} for a missing weight): {fix}"
        )


def _add_groups(ds: xr.Dataset, over: dict[str, np.ndarray], split: Any) -> None:
    """Grouped variables ``<name>_by_group`` from per-cell arrays (cells first)."""
    new = {}
    for name, (arr, dims) in over.items():
        target = name if name in ("population_share", "group_contribution") else f"{name}_by_group"
        new[target] = split(arr, dims)
    ds.update(new)  # one merge (assigning one by one re-aligns the Dataset each time)


# -- time first (AACY 2017) ----------------------------------------------------------------
def _time_first_measures(
    sstat: np.ndarray,
    jstat: np.ndarray,
    denom: int,
    wj: np.ndarray,
) -> dict[str, np.ndarray]:
    """Measures per cell (first axis) from the kernel sums."""
    s = sstat
    sw = s[:, :, _kc.S_W].sum(1)
    chi = s[:, :, _kc.S_CHI_W].sum(1)
    chi_dur = s[:, :, _kc.S_CHI_DUR].sum(1)
    chi_score = s[:, :, _kc.S_CHI_SCORE].sum(1) / denom
    ever = s[:, 1:]
    tr_w = (ever[:, :, _kc.S_W] - ever[:, :, _kc.S_CHI_W]).sum(1)
    tr_dur = (ever[:, :, _kc.S_DUR] - ever[:, :, _kc.S_CHI_DUR]).sum(1)
    tr_score = (ever[:, :, _kc.S_SCORE] - ever[:, :, _kc.S_CHI_SCORE]).sum(1) / denom
    m0 = ratio(chi_score, sw)
    h = ratio(chi, sw)
    hj = ratio(jstat[:, :, _kc.J_CHI], sw[:, None])
    return {
        "sw": sw,
        "chi_score": chi_score,
        "M0": m0,
        "H": h,
        "D": ratio(chi_dur, chi),
        "A": ratio(chi_score, chi_dur),
        "M0_transient": ratio(tr_score, sw),
        "H_transient": ratio(tr_w, sw),
        "D_transient": ratio(tr_dur, tr_w),
        "A_transient": ratio(tr_score, tr_dur),
        "censored_headcount": hj,
        "censored_headcount_transient": ratio(jstat[:, :, _kc.J_TR], sw[:, None]),
        "contribution": ratio(wj[None, :] * hj, m0[:, None]),
        "duration_of_deprivation": ratio(hj, h[:, None]),
    }


def _finalize_time_first(
    states: PanelStates,
    sstat: np.ndarray,
    tstat: np.ndarray,
    jstat: np.ndarray,
    count: np.ndarray,
    tau: Fraction,
    balance: str,
    min_waves: int,
) -> xr.Dataset:
    lay = states.layout
    T = lay.n_waves
    denom = states.denom
    spec = states.spec
    wj = np.array([float(ind.weight) for ind in spec], np.float64)
    counts = _counts(count)
    tot_s = sstat.sum(0, keepdims=True)
    tot_j = jstat.sum(0, keepdims=True)
    tot_t = tstat.sum(0)
    over = _time_first_measures(tot_s, tot_j, denom, wj)
    sw = float(over["sw"][0])
    _require_units(sw, counts, balance)
    scalars = [
        "M0",
        "H",
        "D",
        "A",
        "M0_transient",
        "H_transient",
        "D_transient",
        "A_transient",
    ]
    per_ind = [
        "censored_headcount",
        "contribution",
        "duration_of_deprivation",
        "censored_headcount_transient",
    ]
    data: dict[str, Any] = {n: ((), float(over[n][0])) for n in scalars}
    data.update({n: (("indicator",), over[n][0]) for n in per_ind})
    # duration table along the number of poor waves s = 0..T
    st = tot_s[0]
    svals = np.arange(T + 1)
    if balance == "balanced":
        dur = svals / T
    else:
        dur = ratio(st[:, _kc.S_DUR], st[:, _kc.S_W])
    data["share_by_periods_poor"] = (("periods_poor",), st[:, _kc.S_W] / sw)
    data["duration_by_periods_poor"] = (("periods_poor",), dur)
    data["intensity_by_periods_poor"] = (
        ("periods_poor",),
        ratio(st[:, _kc.S_SCORE] / denom, st[:, _kc.S_DUR]),
    )
    data["chronic_by_periods_poor"] = (
        ("periods_poor",),
        ratio(st[:, _kc.S_CHI_W], st[:, _kc.S_W]),
    )
    data["contribution_by_periods_poor"] = (
        ("periods_poor",),
        ratio(st[:, _kc.S_CHI_SCORE] / denom, over["chi_score"][0]),
    )
    # period decomposition along time
    if balance == "balanced":
        m0_period = tot_t[:, _kc.T_CHI_SCORE] / denom / sw
    else:
        m0_period = np.full(T, np.nan)
    data["M0_period"] = (("time",), m0_period)
    data["M0_cross_section"] = (
        ("time",),
        ratio(tot_t[:, _kc.T_SCORE] / denom, tot_t[:, _kc.T_OBS]),
    )
    data["H_cross_section"] = (("time",), ratio(tot_t[:, _kc.T_POOR], tot_t[:, _kc.T_OBS]))
    ds = xr.Dataset(
        data,
        coords={
            "indicator": spec.names,
            "periods_poor": svals,
            "time": lay.times,
        },
    )
    ds = ds.rename({"time": lay.time_dim}) if lay.time_dim != "time" else ds
    if states.groups is not None:
        cells = _time_first_measures(sstat, jstat, denom, wj)
        grouped: dict[str, Any] = {n: (cells[n], []) for n in scalars}
        grouped.update({n: (cells[n], ["indicator"]) for n in per_ind})
        grouped["n_used"] = (count[:, _kc.C_USED], [])
        grouped["population_share"] = (cells["sw"] / sw, [])
        grouped["group_contribution"] = (ratio(cells["chi_score"], over["chi_score"][0]), [])
        _add_groups(ds, grouped, states.split_cells)
    m_text = (
        str(-(-tau.numerator * T // tau.denominator))
        if balance == "balanced"
        else "ceil(tau * T_i) per unit"
    )
    ds.attrs = panel_attrs(
        states,
        title="Chronic multidimensional poverty (Alkire-Apablaza-Chakravarty-Yalonetzky 2017)",
        references=[REF_AACY, REF_BOOK],
        order="time_first",
        tau=fraction_text(tau),
        min_poor_waves=m_text,
        balance=balance,
        min_waves=min_waves,
        **counts,
    )
    comments = {
        "M0_period": (
            "(1/T) sum_t M0_period = M0 on a balanced panel; NaN under balance='observed' "
            "(units have different numbers of waves)"
        ),
        "M0_cross_section": "among the units used that are observed in the wave",
        "duration_by_periods_poor": (
            "s/T (balanced); the weighted mean of s/T_i of those units under 'observed'"
        ),
        "chronic_by_periods_poor": "1 for s >= m and 0 below on a balanced panel",
    }
    return _annotate(ds, comments)


# -- dimensions first (Apablaza-Yalonetzky) -------------------------------------------------
def _dims_first_measures(ustat: np.ndarray, dstat: np.ndarray, denom: int, wj: np.ndarray):
    sw = ustat[:, _kc.U_W]
    score = ustat[:, _kc.U_SCORE] / denom
    m0 = ratio(score, sw)
    h = ratio(ustat[:, _kc.U_POOR], sw)
    hj = ratio(dstat[:, :, _kc.D_CENSORED], sw[:, None])
    return {
        "sw": sw,
        "score": score,
        "M0": m0,
        "H": h,
        "A": ratio(score, ustat[:, _kc.U_POOR]),
        "censored_headcount": hj,
        "uncensored_headcount": ratio(dstat[:, :, _kc.D_UNCENSORED], sw[:, None]),
        "contribution": ratio(wj[None, :] * hj, m0[:, None]),
    }


def _finalize_dims_first(
    states: PanelStates,
    ustat: np.ndarray,
    dstat: np.ndarray,
    count: np.ndarray,
    taus: list[Fraction],
    balance: str,
    min_waves: int,
) -> xr.Dataset:
    spec = states.spec
    wj = np.array([float(ind.weight) for ind in spec], np.float64)
    counts = _counts(count)
    over = _dims_first_measures(
        ustat.sum(0, keepdims=True), dstat.sum(0, keepdims=True), states.denom, wj
    )
    sw = float(over["sw"][0])
    _require_units(sw, counts, balance)
    scalars = ["M0", "H", "A"]
    per_ind = ["censored_headcount", "uncensored_headcount", "contribution"]
    data: dict[str, Any] = {n: ((), float(over[n][0])) for n in scalars}
    data.update({n: (("indicator",), over[n][0]) for n in per_ind})
    data["tau_indicator"] = (("indicator",), np.array([float(t) for t in taus]))
    ds = xr.Dataset(data, coords={"indicator": spec.names})
    if states.groups is not None:
        cells = _dims_first_measures(ustat, dstat, states.denom, wj)
        grouped: dict[str, Any] = {n: (cells[n], []) for n in scalars}
        grouped.update({n: (cells[n], ["indicator"]) for n in per_ind})
        grouped["n_used"] = (count[:, _kc.C_USED], [])
        grouped["population_share"] = (cells["sw"] / sw, [])
        grouped["group_contribution"] = (ratio(cells["score"], over["score"][0]), [])
        _add_groups(ds, grouped, states.split_cells)
    ds.attrs = panel_attrs(
        states,
        title="Multidimensional chronic deprivation (Apablaza-Yalonetzky, dimensions first)",
        references=[REF_AY, REF_AACY],
        order="dimensions_first",
        tau=", ".join(fraction_text(t) for t in taus),
        balance=balance,
        min_waves=min_waves,
        **counts,
    )
    ds = _annotate(
        ds,
        {
            "M0": "adjusted headcount of the chronic-deprivation scores c^C_i",
            "H": "share of units whose chronic-deprivation score reaches k",
            "A": "average chronic-deprivation score among the poor",
        },
    )
    ds["tau_indicator"].attrs.update(
        {"long_name": "duration cutoff tau_j of the indicator", "units": "1"}
    )
    return ds


# -- results -------------------------------------------------------------------------------
class _GroupedResult(DynamicsResult):
    @property
    def by_group(self) -> xr.Dataset:
        """The grouped variables (``<name>_by_group``, ``population_share``,
        ``group_contribution``) with the suffix removed; empty without ``by``."""
        names = [
            n
            for n in self._ds.data_vars
            if str(n).endswith("_by_group") or n in ("population_share", "group_contribution")
        ]
        ds = self._ds[names]
        return ds.rename(
            {
                n: str(n).removesuffix("_by_group")
                for n in names
                if n != str(n).removesuffix("_by_group")
            }
        )

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        out = super()._tables()
        ds = self._ds
        ind = [
            n
            for n in (
                "censored_headcount",
                "contribution",
                "duration_of_deprivation",
                "uncensored_headcount",
            )
            if n in ds
        ]
        if ind:
            out.append(("By indicator", ds[ind].to_dataframe()[ind]))
        dur = [n for n in ds.data_vars if str(n).endswith("_by_periods_poor")]
        if dur:
            out.append(("By number of poor waves", ds[dur].to_dataframe()[dur]))
        grp = [
            n
            for n in (
                "population_share",
                "M0_by_group",
                "H_by_group",
                "group_contribution",
                "K_by_group",
            )
            if n in ds
        ]
        if grp:
            frame = ds[grp].to_dataframe()
            out.append(
                (
                    "By group",
                    frame[grp] if "alpha" not in frame.index.names else frame[grp].unstack("alpha"),
                )
            )
        return out


class ChronicResult(_GroupedResult):
    """Result of :func:`chronic` (see its docstring for the variables)."""

    kind = "Chronic multidimensional poverty"
    headline = ("M0", "H", "D", "A", "M0_transient", "H_transient")

    def used_units(self) -> xr.DataArray:
        """Boolean mask along the unit dimension: the units the measures use."""
        st = self._states
        a = self._ds.attrs
        assert st is not None
        n_obs = (st.state >= 0).sum(1)
        ok = n_obs == st.layout.n_waves if a["balance"] == "balanced" else n_obs >= a["min_waves"]
        ok &= ~np.isnan(st.weight)
        return xr.DataArray(
            ok, dims=[st.layout.unit_dim], coords={st.layout.unit_dim: st.layout.units}, name="used"
        )


class DurationAdjustedResult(_GroupedResult):
    """Result of :func:`duration_adjusted` (see its docstring for the variables)."""

    kind = "Duration-adjusted FGT poverty (Foster 2009)"
    headline = ("K", "H", "D", "G")

    def _header(self) -> list[tuple[str, str]]:
        a = self._ds.attrs
        rows = super()._header()
        rows[0] = ("Variable", f"{a.get('variable')} (line {a.get('line')}, tau={a.get('tau')})")
        return rows

    def __repr__(self) -> str:
        a = self._ds.attrs
        k = self._ds["K"]
        vals = " ".join(
            f"K{float(al):g}={float(v):.4f}"
            for al, v in zip(k["alpha"].values, k.values, strict=True)
        )
        return (
            f"<mpi.DurationAdjustedResult variable={a.get('variable')!r} tau={a.get('tau')} "
            f"waves={a.get('n_waves')} {vals}>"
        )


# -- public API ----------------------------------------------------------------------------
def chronic(
    panel: Any,
    spec: Spec | None = None,
    *,
    tau: Any,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    balance: str = "balanced",
    min_waves: int | None = None,
    order: str = "time_first",
    tau_indicator: Mapping[str, Any] | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> ChronicResult:
    r"""Chronic multidimensional poverty with a triple cutoff (AACY 2017).

    A unit-wave is poor by the Alkire-Foster dual cutoff, :math:`p_{it} = 1[c_{it} \ge k]`;
    unit :math:`i` is *chronically poor* when poor in at least
    :math:`m_i = \lceil \tau T_i \rceil` of its :math:`T_i` waves,
    :math:`\chi_i = 1[\sum_t p_{it} \ge m_i]` (:math:`T_i = T` on a balanced panel). With
    :math:`\delta_i = \frac{1}{T_i}\sum_t p_{it}` and :math:`E_s` the weighted mean,

    .. math::

        M^C = E_s\Big[\frac{1}{T_i}\sum_t c_{it}\, p_{it}\, \chi_i\Big]
            = H^C D^C A^C = \sum_j w_j h^C_j
            = \sum_s n_s \frac{s}{T} A_s = \frac{1}{T}\sum_t M^C_t = \sum_g v_g M^C_g,

    with :math:`H^C = E_s[\chi_i]`, :math:`D^C = E_s[\chi_i\delta_i]/H^C`,
    :math:`A^C = M^C / (H^C D^C)` (the mean score over the poor waves of the chronically
    poor, each unit's waves weighted :math:`s_i / T_i`),
    :math:`h^C_j = E_s[\frac{1}{T_i}\sum_t g_{ijt} p_{it} \chi_i]`. The transient measure
    :math:`M^T` replaces :math:`\chi_i` by :math:`1-\chi_i` (its :math:`H^T, D^T, A^T` count
    the units with :math:`\delta_i > 0`), and on a balanced panel
    :math:`\frac{1}{T}\sum_t M0_t = M^C + M^T`. At :math:`\tau = 1/T` every ever-poor unit
    is chronic and :math:`M^T = 0`.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        Dims ``(unit, time)``: indicators over ``(unit, time)``, the weight and the groups
        over ``unit`` only, calendar years as the ``time`` coordinate. Never modified. Or
        the states :func:`mpi.panel_states` computed from such a panel (then ``spec`` may
        be omitted and the other arguments must match).
    spec : mpi.Spec, optional
        Indicators, deprivation cutoffs, weights and the poverty cutoff ``k``.
    tau : Fraction, str or float
        Duration cutoff in ``(0, 1]``, converted to an exact fraction (``0.7`` -> ``7/10``;
        with ``T = 3`` waves this needs ``m = ceil(2.1) = 3`` poor waves).
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Panel weight over ``unit`` (units with a missing weight are dropped and counted).
    by : str or list of str, optional
        Time-invariant groups: adds ``<name>_by_group`` variables, ``population_share``
        :math:`v_g` and ``group_contribution`` :math:`v_g M_g / M`. The overall variables
        sum all units (including those with a missing group).
    balance : {"balanced", "observed"}
        ``"balanced"`` (default) uses the units observed in every wave. ``"observed"``
        uses each unit's observed waves :math:`T_i \ge` ``min_waves`` (default 2), with
        :math:`m_i = \lceil \tau T_i \rceil` and :math:`1/T_i` in the unit mean, so each
        unit keeps its weight; comparability across units weakens. A wave with a missing
        indicator is never imputed.
    min_waves : int, optional
        Fewest observed waves for ``balance="observed"`` (default 2).
    order : {"time_first", "dimensions_first"}
        ``"time_first"``: AACY (above). ``"dimensions_first"`` (Apablaza-Yalonetzky):
        :math:`g^C_{ij} = 1[\sum_t g_{ijt} \ge \lceil \tau_j T_i \rceil]`,
        :math:`c^C_i = \sum_j w_j g^C_{ij}` (an exact integer score), poor when
        :math:`c^C_i \ge k`; reports ``M0``, ``H``, ``A``, ``censored_headcount``,
        ``uncensored_headcount`` (chronic deprivation rates), ``contribution`` and
        ``tau_indicator``.
    tau_indicator : dict, optional
        ``{indicator name: tau_j}`` overriding ``tau`` per indicator (dimensions first only).
    unit, time : str
        Dimension names.

    Returns
    -------
    ChronicResult
        ``.to_dataset()`` (time first) holds scalars ``M0, H, D, A`` (chronic) and
        ``M0_transient, H_transient, D_transient, A_transient``; along ``indicator``
        ``censored_headcount`` (:math:`h^C_j`), ``contribution`` (:math:`\phi^C_j`),
        ``duration_of_deprivation`` (:math:`D^C_j = h^C_j/H^C`) and
        ``censored_headcount_transient``; along ``periods_poor`` (:math:`s = 0..T`) the
        duration table ``share_by_periods_poor`` (:math:`n_s`), ``duration_by_periods_poor``
        (:math:`s/T`; under ``"observed"`` the mean :math:`s/T_i` of those units),
        ``intensity_by_periods_poor`` (:math:`A_s`), ``chronic_by_periods_poor`` (share of
        the row that is chronic) and ``contribution_by_periods_poor`` (share of
        :math:`M^C`; rows are defined by the count of poor waves under both policies);
        along ``time`` ``M0_period`` (:math:`M^C_t`, NaN under ``"observed"``),
        ``M0_cross_section`` and ``H_cross_section`` (:math:`M0_t, H_t` of the units used
        that are observed in the wave). Attributes ``balance``, ``n_used``, ``n_dropped``
        (``n_dropped_waves`` + ``n_dropped_weight``), ``tau``, ``min_poor_waves``.

    References
    ----------
    Alkire, Apablaza, Chakravarty & Yalonetzky (2017), J. Policy Modeling 39(6): 983-1006.
    Alkire et al. (2015), Multidimensional Poverty Measurement and Analysis, ch. 9.4.
    Apablaza & Yalonetzky (2012), OPHI RP 34a.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")
    >>> res = mpi.chronic(panel, mpi.presets.china_2b3g(), tau="1/2",
    ...                   weight="weight")  # doctest: +SKIP
    """
    if order not in ORDERS:
        raise ValidationError(
            f"order must be 'time_first' (AACY: poverty per wave, then duration) or "
            f"'dimensions_first' (Apablaza-Yalonetzky: chronic deprivation per indicator, then "
            f"counting); got {order!r}"
        )
    tau_f = _tau(tau)
    balance = check_balance(balance)
    if tau_indicator is not None and order != "dimensions_first":
        raise ValidationError(
            "tau_indicator sets a duration cutoff per indicator, which only "
            "order='dimensions_first' uses; pass order='dimensions_first' or drop it"
        )
    states = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time)
    reserved = ("indicator", "periods_poor", "time", states.layout.time_dim)
    check_by_names(states.by, reserved, "chronic")
    spec = states.spec
    T = states.layout.n_waves
    mw = _min_waves(balance, min_waves, T)
    observed = balance == "observed"
    n_chunks = parallel_chunks(states.layout.n_units)
    if order == "time_first":
        sstat, tstat, jstat, count = _kc.chronic_time_first(
            states.state,
            states.num,
            states.pattern,
            states.weight,
            states.cell,
            states.n_cells,
            len(spec),
            observed,
            mw,
            tau_f.numerator,
            tau_f.denominator,
            n_chunks,
        )
        ds = _finalize_time_first(states, sstat, tstat, jstat, count, tau_f, balance, mw)
        return ChronicResult(ds, states)
    taus = [tau_f] * len(spec)
    if tau_indicator is not None:
        if not isinstance(tau_indicator, Mapping):
            raise ValidationError(
                f"tau_indicator must be a dict {{indicator name: tau}}; got "
                f"{type(tau_indicator).__name__}"
            )
        for name, value in tau_indicator.items():
            if name not in spec.names:
                raise ValidationError(
                    f"tau_indicator names {name!r}, which is not an indicator of the spec "
                    f"({spec.names})"
                )
            taus[spec.names.index(name)] = _tau(value, f"tau_indicator[{name!r}]")
    wint, denom = spec.integer_weights
    ustat, dstat, count = _kc.chronic_dims_first(
        states.state,
        states.pattern,
        states.weight,
        states.cell,
        states.n_cells,
        observed,
        mw,
        np.array([t.numerator for t in taus], np.int64),
        np.array([t.denominator for t in taus], np.int64),
        np.asarray(wint, np.int64),
        int(denom),
        states.k.numerator,
        states.k.denominator,
        n_chunks,
    )
    ds = _finalize_dims_first(states, ustat, dstat, count, taus, balance, mw)
    return ChronicResult(ds, states)


def _poverty_line(line: Any, panel: xr.Dataset, layout: Any) -> tuple[np.ndarray, str]:
    T = layout.n_waves
    if isinstance(line, bool) or line is None:
        raise ValidationError(
            f"line must be a positive number, one value per wave or the name of a panel "
            f"variable along {layout.time_dim!r}; got {line!r}"
        )
    if isinstance(line, str):
        if line not in panel.variables:
            raise DataError(
                f"line={line!r} is not a variable of the panel; pass a number, an array with "
                f"one line per wave, or the name of a variable along {layout.time_dim!r}"
            )
        var = panel[line]
        if var.dims != (layout.time_dim,):
            raise DataError(
                f"poverty-line variable {line!r} has dims {var.dims}; it must vary along "
                f"({layout.time_dim!r},) only"
            )
        z = np.asarray(var.values, np.float64)
        text = line
    elif isinstance(line, Real):
        z = np.full(T, float(line))
        text = f"{float(line):g}"
    else:
        z = np.array(line, dtype=np.float64)
        if z.ndim != 1 or len(z) != T:
            raise ValidationError(
                f"line has shape {z.shape}; give one poverty line per wave ({T} values) or a scalar"
            )
        text = ", ".join(f"{v:g}" for v in z)
    if not (np.isfinite(z).all() and (z > 0).all()):
        raise ValidationError(
            f"poverty lines must be positive and finite; got {z.tolist()}. Gaps are "
            "normalised by the line, so a zero or negative line is undefined"
        )
    return z, text


def duration_adjusted(
    panel: xr.Dataset,
    variable: str,
    *,
    line: Any,
    tau: Any,
    alpha: float | Sequence[float] = (0, 1, 2),
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    balance: str = "balanced",
    min_waves: int | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> DurationAdjustedResult:
    r"""Duration-adjusted FGT measures of an income variable (Foster 2009).

    A wave is poor when :math:`\pi_{it} = 1[y_{it} < z_t]` (strict), with normalised gap
    :math:`\gamma_{it} = (z_t - y_{it})/z_t` capped to :math:`[0, 1]` (a negative income
    has gap 1) and :math:`\gamma^0 := \pi`. Unit :math:`i` is chronically poor when poor in
    at least :math:`\lceil \tau T_i \rceil` waves, :math:`\chi_i`; then

    .. math::

        K_\alpha(\tau) = E_s\Big[\frac{1}{T_i}\sum_t \gamma_{it}^\alpha \pi_{it}\chi_i\Big]
                       = H \cdot D \cdot G_\alpha,

    with :math:`H = E_s[\chi_i]`, :math:`D = E_s[\chi_i \delta_i]/H` and :math:`G_\alpha`
    the mean of :math:`\gamma^\alpha` over the poor waves of the chronically poor (each
    unit's waves weighted :math:`s_i/T_i`). :math:`K_0 = HD`; at :math:`\tau = 1/T` on a
    balanced panel :math:`K_\alpha = \frac{1}{T}\sum_t P_{\alpha,t}` (the mean per-wave FGT).

    Parameters
    ----------
    panel : xarray.Dataset
        Dims ``(unit, time)`` with ``variable`` over ``(unit, time)``; NaN = unobserved.
    variable : str
        Income or consumption (real terms). Infinite values are rejected.
    line : float, str or array
        Poverty line :math:`z_t > 0`: a scalar, the name of a panel variable along
        ``time`` (e.g. ``"poverty_line"``), or one value per wave.
    tau : Fraction, str or float
        Duration cutoff in ``(0, 1]`` (exact fraction; see :func:`chronic`).
    alpha : float or sequence of float
        FGT powers :math:`\alpha \ge 0` (default ``(0, 1, 2)``).
    weight, by, balance, min_waves, unit, time
        As in :func:`chronic`.

    Returns
    -------
    DurationAdjustedResult
        ``K`` and ``G`` along ``alpha``; scalars ``H`` and ``D``; along ``time``
        ``H_cross_section`` and ``FGT_cross_section`` (``alpha`` x ``time``) of the units
        used; with ``by``: ``K_by_group``, ``H_by_group``, ``D_by_group``, ``G_by_group``,
        ``n_used_by_group``, ``population_share``, ``group_contribution`` (along ``alpha``).

    References
    ----------
    Foster, J. E. (2009). A class of chronic poverty measures. In Addison, Hulme & Kanbur
    (eds.), Poverty Dynamics: Interdisciplinary Perspectives, OUP.
    """
    tau_f = _tau(tau)
    balance = check_balance(balance)
    alphas = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    if alphas.ndim != 1 or alphas.size == 0 or not (np.isfinite(alphas) & (alphas >= 0)).all():
        raise ValidationError(f"alpha must be one or more finite numbers >= 0; got {alpha!r}")
    if len(np.unique(alphas)) != len(alphas):
        raise ValidationError(f"alpha repeats a value: {alpha!r}")
    layout = check_panel(panel, unit=unit, time=time, min_waves=2)
    mw = _min_waves(balance, min_waves, layout.n_waves)
    z, line_text = _poverty_line(line, panel, layout)
    col = flat_column(panel, variable, layout, "income")
    if not (pd.api.types.is_numeric_dtype(col.dtype) and col.dtype.kind in "iuf"):
        raise DataError(f"income variable {variable!r} must be numeric; got dtype {col.dtype}")
    y = np.asarray(col.to_numpy(), np.float64).reshape(layout.n_units, layout.n_waves)
    if np.isinf(y).any():
        raise DataError(
            f"income variable {variable!r} holds infinite values; replace them by NaN "
            "(unobserved) or a finite value"
        )
    by_names, groups = unit_groups(panel, by, layout)
    check_by_names(by_names, ("alpha", "time", layout.time_dim), "duration_adjusted")
    sw = unit_weights(panel, weight, layout)
    if groups is None:
        cell = np.zeros(layout.n_units, np.int64)
        n_cells = 1
    else:
        cell = np.asarray(groups.codes, np.int64) - groups.offset
        n_cells = groups.n_cells
    kal = np.concatenate([[0.0], alphas])
    ustat, tstat, count = _kc.duration_adjusted_stats(
        y,
        z,
        sw,
        cell,
        n_cells,
        balance == "observed",
        mw,
        tau_f.numerator,
        tau_f.denominator,
        kal,
        parallel_chunks(layout.n_units),
    )
    counts = _counts(count)

    def measures(u: np.ndarray) -> dict[str, np.ndarray]:
        w, chi, dur = u[:, 0], u[:, 1], u[:, 2]
        gap = u[:, 4:]
        return {
            "sw": w,
            "gap": gap,
            "K": ratio(gap, w[:, None]),
            "H": ratio(chi, w),
            "D": ratio(dur, chi),
            "G": ratio(gap, dur[:, None]),
        }

    over = measures(ustat.sum(0, keepdims=True))
    total = float(over["sw"][0])
    _require_units(total, counts, balance)
    tt = tstat.sum(0)
    ds = xr.Dataset(
        {
            "K": (("alpha",), over["K"][0]),
            "H": ((), float(over["H"][0])),
            "D": ((), float(over["D"][0])),
            "G": (("alpha",), over["G"][0]),
            "H_cross_section": (("time",), ratio(tt[:, 1], tt[:, 0])),
            "FGT_cross_section": (("alpha", "time"), ratio(tt[:, 2:].T, tt[None, :, 0])),
        },
        coords={"alpha": alphas, "time": layout.times},
    )
    if layout.time_dim != "time":
        ds = ds.rename({"time": layout.time_dim})
    if groups is not None:
        cells = measures(ustat)
        grouped = {
            "K": (cells["K"], ["alpha"]),
            "H": (cells["H"], []),
            "D": (cells["D"], []),
            "G": (cells["G"], ["alpha"]),
            "n_used": (count[:, _kc.C_USED], []),
            "population_share": (cells["sw"] / total, []),
            "group_contribution": (ratio(cells["gap"], over["gap"][0][None, :]), ["alpha"]),
        }
        _add_groups(ds, grouped, lambda arr, dims: _split(groups, arr, dims))
    ds.attrs = {
        "title": "Duration-adjusted FGT poverty measures (Foster 2009)",
        "institution": "",
        "source": f"xmpi {__version__}",
        "references": REF_FOSTER,
        "variable": str(variable),
        "line": line_text,
        "tau": fraction_text(tau_f),
        "min_poor_waves": (
            str(-(-tau_f.numerator * layout.n_waves // tau_f.denominator))
            if balance == "balanced"
            else "ceil(tau * T_i) per unit"
        ),
        "alpha": ", ".join(f"{a:g}" for a in alphas),
        "weight": weight or "none",
        "by": ", ".join(by_names) or "none",
        "unit_dim": str(layout.unit_dim),
        "time_dim": str(layout.time_dim),
        "n_units": layout.n_units,
        "n_waves": layout.n_waves,
        "waves": ", ".join(f"{v:g}" for v in layout.years),
        "balance": balance,
        "min_waves": mw,
        **counts,
    }
    ds = _annotate(
        ds,
        {
            "K": "K_alpha = H * D * G_alpha; poor wave: income < line (strict)",
            "G": "normalised gap (z - y) / z capped to [0, 1]; gap^0 = 1 in poor waves",
        },
    )
    return DurationAdjustedResult(ds)
