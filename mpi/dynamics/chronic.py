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
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.panel_layout import check_balance, check_by_names, parallel_chunks
from mpi._common.ratio import ratio
from mpi.dynamics._chronic_common import (
    GroupedResult,
    add_group_variables,
    annotate,
    duration_cutoff,
    min_observed_waves,
    require_units,
    unit_counts,
)
from mpi.dynamics.duration import DurationAdjustedResult, duration_adjusted
from mpi.dynamics.result import panel_attrs
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.states_chunked import block_sums
from mpi.errors import ValidationError
from mpi.kernels import chronic as kch
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


# -- time first (AACY 2017) ----------------------------------------------------------------
def _time_first_measures(
    sstat: np.ndarray,
    jstat: np.ndarray,
    denom: int,
    wj: np.ndarray,
) -> dict[str, np.ndarray]:
    """Measures per cell (first axis) from the kernel sums."""
    s = sstat
    sw = s[:, :, kch.S_W].sum(1)
    chi = s[:, :, kch.S_CHI_W].sum(1)
    chi_dur = s[:, :, kch.S_CHI_DUR].sum(1)
    chi_score = s[:, :, kch.S_CHI_SCORE].sum(1) / denom
    ever = s[:, 1:]
    tr_w = (ever[:, :, kch.S_W] - ever[:, :, kch.S_CHI_W]).sum(1)
    tr_dur = (ever[:, :, kch.S_DUR] - ever[:, :, kch.S_CHI_DUR]).sum(1)
    tr_score = (ever[:, :, kch.S_SCORE] - ever[:, :, kch.S_CHI_SCORE]).sum(1) / denom
    m0 = ratio(chi_score, sw)
    h = ratio(chi, sw)
    hj = ratio(jstat[:, :, kch.J_CHI], sw[:, None])
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
        "censored_headcount_transient": ratio(jstat[:, :, kch.J_TR], sw[:, None]),
        "contribution": ratio(wj[None, :] * hj, m0[:, None]),
        "duration_of_deprivation": ratio(hj, h[:, None]),
    }


_TF_SCALARS = (
    "M0", "H", "D", "A", "M0_transient", "H_transient", "D_transient", "A_transient",
)  # fmt: skip
_TF_INDICATOR = (
    "censored_headcount",
    "contribution",
    "duration_of_deprivation",
    "censored_headcount_transient",
)
_TF_COMMENTS = {
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


def _duration_table(
    st: np.ndarray, over: dict[str, np.ndarray], denom: int, T: int, balance: str
) -> dict[str, Any]:
    """The table along the number of poor waves ``s = 0..T`` (``st``: sums by ``s``)."""
    sw = float(over["sw"][0])
    svals = np.arange(T + 1)
    if balance == "balanced":
        dur = svals / T
    else:
        dur = ratio(st[:, kch.S_DUR], st[:, kch.S_W])
    S = ("periods_poor",)
    return {
        "share_by_periods_poor": (S, st[:, kch.S_W] / sw),
        "duration_by_periods_poor": (S, dur),
        "intensity_by_periods_poor": (S, ratio(st[:, kch.S_SCORE] / denom, st[:, kch.S_DUR])),
        "chronic_by_periods_poor": (S, ratio(st[:, kch.S_CHI_W], st[:, kch.S_W])),
        "contribution_by_periods_poor": (
            S,
            ratio(st[:, kch.S_CHI_SCORE] / denom, over["chi_score"][0]),
        ),
    }


def _period_table(tot_t: np.ndarray, sw: float, denom: int, T: int, balance: str) -> dict[str, Any]:
    """The period decomposition and the cross sections along time (``tot_t``: by wave)."""
    if balance == "balanced":
        m0_period = tot_t[:, kch.T_CHI_SCORE] / denom / sw
    else:
        m0_period = np.full(T, np.nan)
    return {
        "M0_period": (("time",), m0_period),
        "M0_cross_section": (
            ("time",),
            ratio(tot_t[:, kch.T_SCORE] / denom, tot_t[:, kch.T_OBS]),
        ),
        "H_cross_section": (("time",), ratio(tot_t[:, kch.T_POOR], tot_t[:, kch.T_OBS])),
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
    """The time-first result Dataset from the kernel sums (cells first)."""
    lay = states.layout
    T = lay.n_waves
    denom = states.denom
    spec = states.spec
    wj = np.array([float(ind.weight) for ind in spec], np.float64)
    counts = unit_counts(count)
    tot_s = sstat.sum(0, keepdims=True)
    over = _time_first_measures(tot_s, jstat.sum(0, keepdims=True), denom, wj)
    sw = float(over["sw"][0])
    require_units(sw, counts, balance)
    data: dict[str, Any] = {n: ((), float(over[n][0])) for n in _TF_SCALARS}
    data.update({n: (("indicator",), over[n][0]) for n in _TF_INDICATOR})
    data.update(_duration_table(tot_s[0], over, denom, T, balance))
    data.update(_period_table(tstat.sum(0), sw, denom, T, balance))
    coords = {"indicator": spec.names, "periods_poor": np.arange(T + 1), "time": lay.times}
    ds = xr.Dataset(data, coords=coords)
    ds = ds.rename({"time": lay.time_dim}) if lay.time_dim != "time" else ds
    if states.groups is not None:
        cells = _time_first_measures(sstat, jstat, denom, wj)
        grouped: dict[str, Any] = {n: (cells[n], []) for n in _TF_SCALARS}
        grouped.update({n: (cells[n], ["indicator"]) for n in _TF_INDICATOR})
        grouped["n_used"] = (count[:, kch.C_USED], [])
        grouped["population_share"] = (cells["sw"] / sw, [])
        grouped["group_contribution"] = (ratio(cells["chi_score"], over["chi_score"][0]), [])
        add_group_variables(ds, grouped, states.split_cells)
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
    return annotate(ds, _TF_COMMENTS)


# -- dimensions first (Apablaza-Yalonetzky) -------------------------------------------------
def _dims_first_measures(ustat: np.ndarray, dstat: np.ndarray, denom: int, wj: np.ndarray):
    sw = ustat[:, kch.U_W]
    score = ustat[:, kch.U_SCORE] / denom
    m0 = ratio(score, sw)
    h = ratio(ustat[:, kch.U_POOR], sw)
    hj = ratio(dstat[:, :, kch.D_CENSORED], sw[:, None])
    return {
        "sw": sw,
        "score": score,
        "M0": m0,
        "H": h,
        "A": ratio(score, ustat[:, kch.U_POOR]),
        "censored_headcount": hj,
        "uncensored_headcount": ratio(dstat[:, :, kch.D_UNCENSORED], sw[:, None]),
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
    counts = unit_counts(count)
    over = _dims_first_measures(
        ustat.sum(0, keepdims=True), dstat.sum(0, keepdims=True), states.denom, wj
    )
    sw = float(over["sw"][0])
    require_units(sw, counts, balance)
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
        grouped["n_used"] = (count[:, kch.C_USED], [])
        grouped["population_share"] = (cells["sw"] / sw, [])
        grouped["group_contribution"] = (ratio(cells["score"], over["score"][0]), [])
        add_group_variables(ds, grouped, states.split_cells)
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
    ds = annotate(
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
class ChronicResult(GroupedResult):
    """Result of :func:`chronic` (see its docstring for the variables)."""

    kind = "Chronic multidimensional poverty"
    headline = ("M0", "H", "D", "A", "M0_transient", "H_transient")
    call = "mpi.chronic"

    def used_units(self) -> xr.DataArray:
        """Boolean mask along the unit dimension: the units the measures use.

        Returns
        -------
        xarray.DataArray
            ``used`` (bool) along the unit dimension.
        """
        st = self._states
        a = self._ds.attrs
        assert st is not None
        n_obs = (st.state >= 0).sum(1)
        ok = n_obs == st.layout.n_waves if a["balance"] == "balanced" else n_obs >= a["min_waves"]
        ok &= ~np.isnan(st.weight)
        return xr.DataArray(
            ok, dims=[st.layout.unit_dim], coords={st.layout.unit_dim: st.layout.units}, name="used"
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
    tau_f = duration_cutoff(tau)
    balance = check_balance(balance)
    if tau_indicator is not None and order != "dimensions_first":
        raise ValidationError(
            "tau_indicator sets a duration cutoff per indicator, which only "
            "order='dimensions_first' uses; pass order='dimensions_first' or drop it"
        )
    states = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time)
    reserved = ("indicator", "periods_poor", "time", states.layout.time_dim)
    check_by_names(states.by, reserved, "chronic")
    mw = min_observed_waves(balance, min_waves, states.layout.n_waves)
    if order == "time_first":
        ds = _time_first(states, tau_f, balance, mw)
    else:
        taus = _indicator_taus(states.spec, tau_f, tau_indicator)
        ds = _dimensions_first(states, taus, balance, mw)
    return ChronicResult(ds, states)


def _time_first(states: PanelStates, tau: Fraction, balance: str, mw: int) -> xr.Dataset:
    """Kernel pass and measures of the time-first order (AACY)."""

    def stats(ps: PanelStates) -> tuple[np.ndarray, ...]:
        return kch.chronic_time_first(
            ps.state,
            ps.num,
            ps.pattern,
            ps.weight,
            ps.cell,
            ps.n_cells,
            len(ps.spec),
            balance == "observed",
            mw,
            tau.numerator,
            tau.denominator,
            parallel_chunks(ps.layout.n_units),
        )

    sstat, tstat, jstat, count = block_sums(states, stats)
    return _finalize_time_first(states, sstat, tstat, jstat, count, tau, balance, mw)


def _indicator_taus(
    spec: Spec, tau: Fraction, tau_indicator: Mapping[str, Any] | None
) -> list[Fraction]:
    """The duration cutoff of each indicator: ``tau`` unless ``tau_indicator`` names it."""
    taus = [tau] * len(spec)
    if tau_indicator is None:
        return taus
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
        taus[spec.names.index(name)] = duration_cutoff(value, f"tau_indicator[{name!r}]")
    return taus


def _dimensions_first(
    states: PanelStates, taus: list[Fraction], balance: str, mw: int
) -> xr.Dataset:
    """Kernel pass and measures of the dimensions-first order (Apablaza-Yalonetzky)."""
    wint, denom = states.spec.integer_weights

    def stats(ps: PanelStates) -> tuple[np.ndarray, ...]:
        return kch.chronic_dims_first(
            ps.state,
            ps.pattern,
            ps.weight,
            ps.cell,
            ps.n_cells,
            balance == "observed",
            mw,
            np.array([t.numerator for t in taus], np.int64),
            np.array([t.denominator for t in taus], np.int64),
            np.asarray(wint, np.int64),
            int(denom),
            ps.k.numerator,
            ps.k.denominator,
            parallel_chunks(ps.layout.n_units),
        )

    ustat, dstat, count = block_sums(states, stats)
    return _finalize_dims_first(states, ustat, dstat, count, taus, balance, mw)
