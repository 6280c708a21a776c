"""Relapse (返贫): survival out of poverty after an exit, period relapse rates and the
composition of re-entries (methods.md §3.2, §3.4; Stevens 1999).

An **exit event** ``(i, t_x)`` is a unit poor at ``t_x - 1`` and non-poor at ``t_x`` (both
waves observed). Time since exit is ``e = 1, 2, ...`` waves. The exit spell is **at risk
at e** when the unit is observed at ``t_x + e`` and non-poor at every wave ``t_x .. t_x +
e - 1``; the **event at e** (a re-entry) is being poor at ``t_x + e``. An unobserved wave
(a gap) right-censors the spell, and so does the end of the panel. A unit with several
exits contributes several exit spells (each exit after a re-entry opens a new one).

One kernel pass (:func:`mpi.kernels.relapse.relapse_sums`) sums, per group cell, the panel
weights at risk / re-entering / censored by ``(band at exit, exit wave, e)``, the period
rates' numerators and denominators by wave and the composition of the re-entries; the
measures below are ratios of those additive sums:

.. math::

    \\lambda(e) = \\frac{d_e}{n_e}, \\qquad S(e) = \\prod_{u \\le e} (1 - \\lambda(u)),
    \\qquad F(e) = 1 - S(e),

    \\widehat{\\mathrm{Var}}\\, S(e) = S(e)^2 \\sum_i z_i(e)^2, \\qquad
    z_i(e) = s_i \\sum_{u \\le e} \\frac{d_{iu} - \\lambda(u)\\, n_{iu}}{n_u - d_u}

(linearisation over units, Binder 1992: ``n_iu``, ``d_iu`` unit ``i``'s own spells at risk
and re-entering at ``u``; the sums over units it needs come from
:func:`mpi.kernels.relapse.relapse_cross_sums`). It does not depend on the scale of the
weights, treats the spells of one unit as a cluster, and equals Greenwood's (1926) variance
when the weights are equal and each unit has at most one exit spell.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.panel_layout import (
    check_by_names,
    check_panel,
    parallel_chunks,
    status_states,
    unit_groups,
    unit_weights,
)
from mpi._common.table import readonly
from mpi.dynamics.result import DynamicsResult, panel_attrs, ratio
from mpi.dynamics.states import PanelStates, panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import relapse as krl
from mpi.measurement.spec import Spec

__all__ = ["relapse", "RelapseResult", "BANDS_AT_EXIT"]

#: Labels of the ``band_at_exit`` dimension (state 0 / state 1 at the exit wave).
BANDS_AT_EXIT = ("clean", "vulnerable")

REFERENCES = (
    "Stevens, A. H. (1999). Climbing out of poverty, falling back in: measuring the "
    "persistence of poverty over multiple spells. Journal of Human Resources 34(3): 557-588.",
    "Bane, M. J. and Ellwood, D. T. (1986). Slipping into and out of poverty: the dynamics "
    "of spells. Journal of Human Resources 21(1): 1-23.",
    "Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete "
    "observations. Journal of the American Statistical Association 53(282): 457-481.",
    "Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and "
    "Medical Subjects 33. HMSO.",
    "Binder, D. A. (1992). Fitting Cox's proportional hazards models from survey data. "
    "Biometrika 79(1): 139-147.",
    "Williams, R. L. (1995). Product-limit survival functions with correlated survival "
    "times. Lifetime Data Analysis 1(2): 171-186.",
)

#: How ``survival_se`` (and its ``_by_band`` / ``_years`` variants) is computed.
SE_METHOD = (
    "linearisation over units (Binder 1992; Williams 1995): Var S(e) = S(e)^2 sum_i "
    "z_i(e)^2, z_i(e) = w_i sum_{u<=e} (d_iu - h_u n_iu) / (n_u - d_u); invariant to the "
    "scale of the weights, spells of a unit clustered, no m/(m-1) factor; equals "
    "Greenwood's variance with equal weights and at most one exit spell per unit"
)

_META: dict[str, tuple[str, str]] = {
    "at_risk": ("weighted exit spells at risk of re-entry e waves after the exit", "1"),
    "events": ("weighted re-entries e waves after the exit", "1"),
    "censored": ("weighted exit spells censored after e waves at risk (gap or panel end)", "1"),
    "at_risk_count": ("unweighted exit spells at risk e waves after the exit", "1"),
    "events_count": ("unweighted re-entries e waves after the exit", "1"),
    "censored_count": ("unweighted exit spells censored after e waves at risk", "1"),
    "hazard": ("re-entry hazard lambda(e) = d_e / n_e", "1"),
    "survival": ("Kaplan-Meier survival out of poverty S(e) = prod_{u<=e} (1 - lambda(u))", "1"),
    "survival_se": ("standard error of S(e), linearised over units (Binder 1992)", "1"),
    "cumulative_relapse": ("probability of relapse within e waves of exit F(e) = 1 - S(e)", "1"),
    "years": ("mean years y_{t_x+e} - y_{t_x} of the spells at risk at e", "years"),
    "exits_without_followup": (
        "weighted exits with no observed wave after the exit (no exit spell at risk)",
        "1",
    ),
    "relapse_rate": (
        "period relapse rate RR_t = P(poor_t | ever exited before t, nonpoor_t-1)",
        "1",
    ),
    "first_entry_rate": (
        "first-entry rate FE_t = P(poor_t | never observed poor before t, nonpoor_t-1)",
        "1",
    ),
    "stock_ratio": (
        "stock ratio: poor at t among the units that ever exited by t (observed at t)",
        "1",
    ),
    "exits": ("weighted exits at wave t (poor at t-1, nonpoor at t)", "1"),
    "reentries": ("weighted re-entries at t (ever exited before t, nonpoor t-1, poor t)", "1"),
    "relapse_at_risk": ("weighted units ever exited before t, nonpoor at t-1, observed at t", "1"),
    "first_entries": ("weighted first entries at t (never poor before t, nonpoor t-1)", "1"),
    "first_entry_at_risk": ("weighted units never poor before t, nonpoor t-1, observed t", "1"),
    "ever_exited": ("weighted units that exited at a wave <= t and are observed at t", "1"),
    "reentered": ("weighted units poor at t after an earlier exit", "1"),
    "reentry_newly_deprived_share": (
        "share of re-entries newly deprived in the indicator (g_j,t-1 = 0, g_jt = 1)",
        "1",
    ),
    "reentry_deprived_share": ("share of re-entries deprived in the indicator at re-entry", "1"),
    "mean_score_at_reentry": ("mean deprivation score c_it at re-entry (relapse depth)", "1"),
    "weighted_exits": ("weighted exit events", "1"),
    "weighted_reentries": ("weighted re-entries (all waves)", "1"),
    "n_exits": ("exit events (unweighted)", "1"),
    "n_reentries": ("re-entries (unweighted)", "1"),
    "n_units": ("units used (unweighted)", "1"),
}

#: Measures resampled by the bootstrap (name -> its dims after the leading ones).
_BOOT = (
    "hazard",
    "survival",
    "cumulative_relapse",
    "hazard_by_band",
    "survival_by_band",
    "cumulative_relapse_by_band",
    "hazard_years",
    "survival_years",
    "cumulative_relapse_years",
    "relapse_rate",
    "first_entry_rate",
    "stock_ratio",
    "reentry_newly_deprived_share",
    "reentry_deprived_share",
    "mean_score_at_reentry",
)


def _km(
    n: np.ndarray, d: np.ndarray, cross: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier hazard, survival and linearised SE over the last axis.

    ``cross[..., u, v, :]`` holds the unit-level cross sums (``DD``, ``DN``, ``NN``) of
    :func:`mpi.kernels.relapse.relapse_cross_sums` for the times of the last axis of ``n``
    and ``d``; without them (bootstrap replicates) the SE is NaN. With
    ``z_i(e) = w_i sum_{u<=e} a_u (d_iu - h_u n_iu)``, ``a_u = 1 / (n_u - d_u)``,

        Var S(e) = S(e)^2 sum_i z_i(e)^2
                 = S(e)^2 sum_{u, v <= e} a_u a_v (DD_uv - h_v DN_uv - h_u DN_vu + h_u h_v NN_uv).

    Times without anyone at risk (after the last one at risk) are NaN. A term with
    ``n == d`` (everyone at risk re-enters, ``S = 0``) is taken as 0, as lifelines does
    for Greenwood's, so the SE is 0 from then on.
    """
    at = n > 0
    h = ratio(d, n)
    s = np.cumprod(np.where(at, 1.0 - np.where(at, h, 0.0), 1.0), axis=-1)
    s = np.where(at, s, np.nan)
    if cross is None:
        return h, s, np.full(s.shape, np.nan)
    hz = np.where(at, h, 0.0)
    live = n > d
    a = np.where(live, 1.0 / np.where(live, n - d, 1.0), 0.0)
    hu, hv = hz[..., :, None], hz[..., None, :]
    dn = cross[..., krl.DN]
    m = cross[..., krl.DD] - hv * dn - hu * np.swapaxes(dn, -1, -2) + hu * hv * cross[..., krl.NN]
    q = a[..., :, None] * a[..., None, :] * m
    var_log = np.diagonal(np.cumsum(np.cumsum(q, axis=-1), axis=-2), axis1=-2, axis2=-1)
    se = np.where(at, s * np.sqrt(np.maximum(var_log, 0.0)), np.nan)
    return h, s, se


class _Layout:
    """Coordinates of the result (years of the waves, time since exit, indicators)."""

    def __init__(self, years: np.ndarray, indicators: list[str] | None):
        T = len(years)
        self.T = T
        self.years = years
        self.indicators = indicators
        tx, e = np.meshgrid(np.arange(T), np.arange(T), indexing="ij")
        valid = (tx >= 1) & (e >= 1) & (tx + e < T)  # exits happen at t_x >= 1
        gap = np.where(valid, years[np.minimum(tx + e, T - 1)] - years[tx], np.nan)
        key = np.round(gap[valid], 9)
        self.taus, inv = np.unique(key, return_inverse=True)
        self.n_taus = len(self.taus)
        # (t_x, e) -> index of its duration in years among taus (-1: not a valid pair)
        tau_index = np.full(T * T, -1, np.int64)
        tau_index[np.flatnonzero(valid.ravel())] = inv.ravel()
        self.tau_index = tau_index.reshape(T, T)
        # (t_x, e) -> years since exit, one-hot (T * T, K)
        onehot = np.zeros((T * T, len(self.taus)))
        onehot[np.flatnonzero(valid.ravel()), inv.ravel()] = 1.0
        self.onehot = onehot
        self.gap = np.where(valid, gap, 0.0)


def _measures(
    life: np.ndarray,
    period: np.ndarray,
    comp: np.ndarray,
    lay: _Layout,
    denom: int,
    cross: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """All measures from the weighted sums (any leading axes): ``life[..., 2, T, T, 3]``,
    ``period[..., T - 1, 7]``, ``comp[..., 2 + 2d]`` and the cross sums of
    :func:`mpi.kernels.relapse.relapse_cross_sums` ``(waves[..., 3, T, T, 3],
    years[..., K, K, 3])`` for the survival SEs (NaN without them). Plain numpy on the
    trailing axes."""
    T = lay.T
    xw, xy = (None, None) if cross is None else cross
    inner = slice(1, T - 1)
    by_band = life.sum(-3)  # [..., band, e, kind], summed over the exit wave
    tot = by_band.sum(-3)  # [..., e, kind]
    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    E, B = ["time_since_exit"], ["band_at_exit", "time_since_exit"]
    for src, dims, sfx, slot in ((tot, E, "", 2), (by_band, B, "_by_band", slice(0, 2))):
        n = src[..., 1 : T - 1, krl.AT_RISK]
        d = src[..., 1 : T - 1, krl.EVENTS]
        h, s, se = _km(n, d, None if xw is None else xw[..., slot, inner, inner, :])
        out["at_risk" + sfx] = (n, dims)
        out["events" + sfx] = (d, dims)
        out["censored" + sfx] = (src[..., 1 : T - 1, krl.CENSORED], dims)
        out["hazard" + sfx] = (h, dims)
        out["survival" + sfx] = (s, dims)
        out["survival" + sfx + "_se"] = (se, dims)
        out["cumulative_relapse" + sfx] = (1.0 - s, dims)
    out["exits_without_followup"] = (tot[..., 0, krl.CENSORED], [])
    # mean years since exit of the spells at risk at e
    ar = life[..., krl.AT_RISK].sum(-3)  # [..., t_x, e]
    out["years"] = (ratio((ar * lay.gap).sum(-2)[..., 1 : T - 1], ar.sum(-2)[..., 1 : T - 1]), E)
    # years since exit: KM over the distinct durations y_{t_x+e} - y_{t_x}
    lead = life.shape[:-4]
    flat = life.sum(-4).reshape((*lead, T * T, 3))
    dy = flat[..., krl.EVENTS] @ lay.onehot
    cy = flat[..., krl.CENSORED] @ lay.onehot
    ny = np.flip(np.cumsum(np.flip(dy + cy, -1), -1), -1)
    h, s, se = _km(ny, dy, xy)
    Y = ["years_since_exit"]
    out.update(
        {
            "at_risk_years": (ny, Y),
            "events_years": (dy, Y),
            "censored_years": (cy, Y),
            "hazard_years": (h, Y),
            "survival_years": (s, Y),
            "survival_years_se": (se, Y),
            "cumulative_relapse_years": (1.0 - s, Y),
        }
    )
    # period rates along the later wave of each pair
    P = period
    t = ["time"]
    out.update(
        {
            "exits": (P[..., krl.EXITS], t),
            "reentries": (P[..., krl.RR_NUM], t),
            "relapse_at_risk": (P[..., krl.RR_DEN], t),
            "relapse_rate": (ratio(P[..., krl.RR_NUM], P[..., krl.RR_DEN]), t),
            "first_entries": (P[..., krl.FE_NUM], t),
            "first_entry_at_risk": (P[..., krl.FE_DEN], t),
            "first_entry_rate": (ratio(P[..., krl.FE_NUM], P[..., krl.FE_DEN]), t),
            "reentered": (P[..., krl.STOCK_NUM], t),
            "ever_exited": (P[..., krl.STOCK_DEN], t),
            "stock_ratio": (ratio(P[..., krl.STOCK_NUM], P[..., krl.STOCK_DEN]), t),
            "weighted_exits": (P[..., krl.EXITS].sum(-1), []),
            "weighted_reentries": (comp[..., 0], []),
        }
    )
    if lay.indicators is not None:
        d = len(lay.indicators)
        r = comp[..., 0]
        out["mean_score_at_reentry"] = (ratio(comp[..., 1], r * denom), [])
        out["reentry_newly_deprived_share"] = (
            ratio(comp[..., 2 : 2 + d], r[..., None]),
            ["indicator"],
        )
        out["reentry_deprived_share"] = (ratio(comp[..., 2 + d :], r[..., None]), ["indicator"])
    return out


def _boot_name(name: str, taken: set[str]) -> str:
    se = f"{name}_se"
    return f"{name}_bse" if se in taken else se


def _boot_stats(
    reps: dict[str, tuple[np.ndarray, list[str]]], taken: set[str]
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Bootstrap SE (std over replicates, ddof 1, NaN replicates left out) and percentile
    95% interval of each resampled measure; replicates on axis 0."""
    out = {}
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in _BOOT:
            if name not in reps:
                continue
            x, dims = reps[name]
            ok = np.isfinite(x).sum(0)
            se = np.where(ok >= 2, np.nanstd(x, axis=0, ddof=1), np.nan)
            lo, hi = np.nanpercentile(x, [2.5, 97.5], axis=0)
            out[_boot_name(name, taken)] = (se, dims)
            out[f"{name}_lower"] = (lo, dims)
            out[f"{name}_upper"] = (hi, dims)
    return out


_LINEAR_SE = {
    "survival_se": "",
    "survival_by_band_se": " (by band at exit)",
    "survival_years_se": " (in years since exit)",
}


def _meta(name: str) -> tuple[str, str]:
    """(long_name, units) of a result variable, built from its base name and suffixes."""
    if name in _META:
        return _META[name]
    if name in _LINEAR_SE:
        return _META["survival_se"][0] + _LINEAR_SE[name], "1"
    base, extra = name, ""
    for sfx, what in (
        ("_bse", ", bootstrap standard error"),
        ("_se", ", bootstrap standard error"),
        ("_lower", ", bootstrap percentile 95% interval, lower bound"),
        ("_upper", ", bootstrap percentile 95% interval, upper bound"),
    ):
        if base.endswith(sfx):
            base, extra = base[: -len(sfx)], what
            break
    for sfx, what in (("_by_band", " (by band at exit)"), ("_years", " (in years since exit)")):
        if base.endswith(sfx):
            base, extra = base[: -len(sfx)], what + extra
    if base.endswith("_count"):
        base = base[: -len("_count")]
    long_name, units = _META.get(base, (base, "1"))
    if extra.startswith(" (in years"):
        long_name = long_name.replace("e waves", "tau years").replace("(e)", "(tau)")
    return long_name + extra, units


def _describe(ds: xr.Dataset) -> xr.Dataset:
    for name, var in ds.data_vars.items():
        long_name, units = _meta(str(name))
        var.attrs.update({"long_name": long_name, "units": units})
    return ds


class RelapseResult(DynamicsResult):
    """Relapse after exit: life tables of re-entry, period relapse rates, composition.

    :meth:`to_dataset` holds the overall result (all units, whatever their group);
    :meth:`by_group` the same per ``by`` group (leading dims = the ``by`` variables).
    See :func:`relapse` for the variables.
    """

    kind = "Relapse after exit (re-entry into poverty)"
    headline = (
        "hazard",
        "survival",
        "cumulative_relapse",
        "relapse_rate",
        "first_entry_rate",
        "stock_ratio",
        "mean_score_at_reentry",
        "n_exits",
        "n_reentries",
    )

    call = "mpi.relapse"

    def life_table(self, scale: str = "waves") -> pd.DataFrame:
        """The life table as a DataFrame: ``scale="waves"`` (index ``time_since_exit``) or
        ``"years"`` (index ``years_since_exit``)."""
        ds = self._ds
        if scale == "waves":
            cols = ["at_risk", "events", "censored", "hazard", "survival", "survival_se"]
            cols += ["cumulative_relapse"] + [c for c in ("hazard_se", "survival_bse") if c in ds]
        elif scale == "years":
            cols = [
                "at_risk_years",
                "events_years",
                "censored_years",
                "hazard_years",
                "survival_years",
                "survival_years_se",
                "cumulative_relapse_years",
            ]
        else:
            raise ValidationError(f"scale must be 'waves' or 'years'; got {scale!r}")
        return ds[cols].to_dataframe()[cols]

    def period_table(self) -> pd.DataFrame:
        """Exits, period relapse and first-entry rates and the stock ratio by wave."""
        cols = ["exits", "reentries", "relapse_rate", "first_entry_rate", "stock_ratio"]
        return self._ds[cols].to_dataframe()[cols]

    def composition_table(self) -> pd.DataFrame:
        """Shares of re-entries newly deprived / deprived in each indicator."""
        if "reentry_deprived_share" not in self._ds:
            raise ValidationError(
                "the composition of re-entries needs deprivation scores; it is unavailable "
                "with status= (poverty status from another rule)"
            )
        cols = ["reentry_newly_deprived_share", "reentry_deprived_share"]
        return self._ds[cols].to_dataframe()[cols]

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        names = ["n_exits", "n_reentries", "weighted_exits", "weighted_reentries"]
        if "mean_score_at_reentry" in ds:
            names.append("mean_score_at_reentry")
        head = pd.Series({n: float(ds[n]) for n in names}).to_frame("value")
        out = [
            ("Headline", head),
            ("Life table of exit spells (waves since exit)", self.life_table("waves")),
        ]
        if not ds.attrs.get("even_spacing", 1):
            out.append(("Life table (years since exit)", self.life_table("years")))
        out.append(("Period rates by wave", self.period_table()))
        if "reentry_deprived_share" in ds:
            out.append(("Composition of re-entries", self.composition_table()))
        return out

    def _repr_values(self) -> str:
        ds = self._ds
        f = ds["cumulative_relapse"].values
        first = f"{f[0]:.4f}" if f.size else "nan"
        return (
            f"n_exits={int(ds['n_exits'])} n_reentries={int(ds['n_reentries'])} "
            f"cumulative_relapse(1)={first}"
        )


def _status_states(
    panel: Any,
    status: Hashable,
    weight: str | None,
    by: str | Sequence[str] | None,
    unit: Hashable,
    time: Hashable,
) -> PanelStates:
    """States 2 (poor) / 0 (nonpoor) / -1 (unobserved) from a (unit, time) status variable.

    The returned :class:`PanelStates` has no spec (``spec=None``), no scores and no
    deprivation patterns; weights and groups are encoded as :func:`mpi.panel_states` does.
    """
    if isinstance(panel, PanelStates):
        raise ValidationError(
            "status= needs the panel Dataset holding the status variable, not PanelStates; "
            "pass the xarray.Dataset"
        )
    layout = check_panel(panel, unit=unit, time=time, min_waves=2)
    if layout.n_units == 0:
        raise DataError("panel has no units; nothing to measure")
    by_names, groups = unit_groups(panel, by, layout)
    sw = unit_weights(panel, weight, layout)
    state = status_states(panel, status, layout)
    dummy = readonly(np.zeros((1, 1), np.int16))
    return PanelStates(
        spec=None,  # type: ignore[arg-type]  # poverty status from another rule
        k=None,  # type: ignore[arg-type]
        layout=layout,
        num=dummy,
        pattern=dummy,
        state=readonly(state),
        denom=1,
        weight=readonly(sw),
        weight_name=weight,
        groups=groups,
        by=by_names,
    )


def _check_bootstrap(bootstrap: Any, seed: Any) -> int:
    if (
        isinstance(bootstrap, bool)
        or not isinstance(bootstrap, int | np.integer)
        or bootstrap < 0
        or bootstrap == 1
    ):
        raise ValidationError(
            f"bootstrap must be 0 (no bootstrap) or a number of replicates >= 2, e.g. "
            f"bootstrap=200; got {bootstrap!r}"
        )
    if not (
        seed is None
        or isinstance(seed, np.random.Generator)
        or (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0)
    ):
        raise ValidationError(
            f"seed must be None, a non-negative integer or a numpy Generator; got {seed!r}"
        )
    return int(bootstrap)


def relapse(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    status: Hashable | None = None,
    bootstrap: int = 0,
    seed: Any = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> RelapseResult:
    """Survival out of poverty after an exit, relapse rates and re-entry composition.

    Life table of re-entry over the time since exit (Kaplan-Meier with right censoring
    and multiple exits per unit; methods.md §3.4, Stevens 1999):

    .. math::

        n_e = \\sum_{(i, t_x)} s_i\\, 1[\\text{at risk at } e], \\quad
        d_e = \\sum_{(i, t_x)} s_i\\, 1[P_{i, t_x + e} = 1,\\ \\text{at risk at } e],

        \\lambda(e) = d_e / n_e, \\quad S(e) = \\prod_{u \\le e} (1 - \\lambda(u)), \\quad
        F(e) = 1 - S(e),

        \\widehat{\\mathrm{Var}}\\, S(e) = S(e)^2 \\sum_i z_i(e)^2, \\quad
        z_i(e) = s_i \\sum_{u \\le e} \\frac{d_{iu} - \\lambda(u)\\, n_{iu}}{n_u - d_u}

    (``n_iu``, ``d_iu``: unit ``i``'s own exit spells at risk / re-entering at ``u``; see
    Notes). An exit event ``(i, t_x)``: poor at ``t_x - 1``, non-poor at ``t_x`` (both
    observed). The exit spell is at risk at ``e`` when the unit is observed at ``t_x + e`` and
    non-poor at ``t_x .. t_x + e - 1``; it ends with a re-entry (poor at ``t_x + e``), or
    is right-censored by a gap (unobserved wave) or the panel end. Several exits of a unit
    are several spells.

    Period rates at wave ``t`` (later wave of the pair ``t - 1, t``):

    .. math::

        RR_t = \\frac{\\sum_i s_i 1[\\text{exited}_i(<t),\\ P_{i,t-1}=0,\\ P_{it}=1]}
                     {\\sum_i s_i 1[\\text{exited}_i(<t),\\ P_{i,t-1}=0,\\ P_{it}
                     \\text{ observed}]},

    :math:`FE_t` the same among units never observed poor before ``t`` (a left-censored
    history: "never poor in the panel"), and the stock ratio (the administrative
    返贫人口/脱贫人口) :math:`\\sum s_i 1[\\text{exited}_i(\\le t),\\ P_{it}=1] /
    \\sum s_i 1[\\text{exited}_i(\\le t),\\ P_{it} \\text{ observed}]`.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        A panel with dims ``(unit, time)`` and calendar years as the ``time`` coordinate
        (decimals, uneven spacing allowed), or the states :func:`mpi.panel_states` computed
        from one (then ``spec`` may be omitted and the other arguments must match).
    spec : mpi.Spec, optional
        Indicators, weights and cutoffs (AF identification, ``k`` overrides the cutoff).
        Not used with ``status``.
    weight : str, optional
        Fixed panel weight over ``unit``; units with a missing weight are dropped and
        counted (``n_no_weight``).
    by : str or list of str, optional
        Time-invariant group variables; adds :meth:`RelapseResult.by_group`.
    status : str, optional
        Name of a ``(unit, time)`` variable with the poverty status from another rule (an
        income-line flag, a registry flag): 1/True poor, 0/False not poor, NaN unobserved.
        No ``spec`` is needed (and none may be given). The band at exit, the score at
        re-entry and the composition of re-entries are then unavailable: the ``*_by_band``,
        ``mean_score_at_reentry`` and ``reentry_*_share`` variables are left out.
    bootstrap : int
        Unit-cluster bootstrap replicates (0: none). Each replicate draws ``N`` units with
        replacement among the units with a weight (multinomial frequencies ``f_i``, numpy
        ``Generator``), runs the kernel with weights ``f_i s_i`` and recomputes every
        measure; gives ``<name>_se`` (standard deviation over the replicates, ``ddof=1``,
        replicates where the measure is undefined left out; ``survival_bse`` /
        ``survival_by_band_bse`` / ``survival_years_bse`` since ``survival_se`` is the
        linearised SE) and the percentile 95% interval ``<name>_lower`` / ``<name>_upper``.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    unit, time : str
        Dimension names.

    Returns
    -------
    RelapseResult
        ``to_dataset()`` variables:

        * along ``time_since_exit`` (``e = 1 .. T-2`` waves: an exit happens at the second
          wave at the earliest): ``at_risk``, ``events``, ``censored`` (weighted; spells
          censored after ``e`` waves at risk), their unweighted ``*_count``, ``hazard``
          :math:`\\lambda(e)`, ``survival`` :math:`S(e)`, ``survival_se`` (linearised over
          units; also the SE of :math:`F(e)`), ``cumulative_relapse`` :math:`F(e)`,
          ``years`` (mean years since exit of the spells at risk). Times after the last one
          at risk are NaN;
        * the same life table along ``(band_at_exit, time_since_exit)`` with suffix
          ``_by_band``: band ``"clean"`` (state nonpoor at the exit wave) and
          ``"vulnerable"`` (state vulnerable, ``vulnerable <= c < k``; empty when the spec's
          ``vulnerable`` equals ``k``, as in ``china_2b3g``);
        * along ``years_since_exit`` (the distinct values :math:`y_{t_x+e} - y_{t_x}`):
          ``at_risk_years``, ``events_years``, ``censored_years``, ``hazard_years``,
          ``survival_years``, ``survival_years_se``, ``cumulative_relapse_years``: the
          Kaplan-Meier estimator over the durations in years (event time: years from the
          exit to the re-entry wave; censoring time: to the last wave observed non-poor).
          The risk set at :math:`\\tau` holds the spells whose duration is at least
          :math:`\\tau`, so with uneven spacing a spell counts at risk at a duration
          falling between two of its waves (a re-entry is seen at the next wave). With
          even spacing :math:`\\Delta` it equals the wave table at :math:`\\tau = e\\Delta`;
        * along ``time`` (the later wave of each pair): ``exits``, ``reentries``,
          ``relapse_at_risk``, ``relapse_rate`` :math:`RR_t`, ``first_entries``,
          ``first_entry_at_risk``, ``first_entry_rate`` :math:`FE_t`, ``reentered``,
          ``ever_exited``, ``stock_ratio``;
        * along ``indicator``: ``reentry_newly_deprived_share``
          :math:`\\sum s_i 1[g_{ij,t-1}=0, g_{ijt}=1] / \\sum s_i` and
          ``reentry_deprived_share`` over the re-entries (the numerators of
          :math:`RR_t`, all waves);
        * scalars: ``mean_score_at_reentry`` (relapse depth: the mean score
          :math:`c_{it}` at re-entry), ``exits_without_followup``, ``weighted_exits``,
          ``weighted_reentries``, ``n_exits``, ``n_reentries`` (unweighted), ``n_units``.

        A re-entry (§3.2) is an entry by a unit with an earlier observed exit: observed
        poor at some wave and observed nonpoor at a later one, gaps bridged (the same
        re-entrants as :func:`mpi.decompose_change`'s ``H_reentry`` and the ``exited``
        feature of :func:`mpi.relapse_risk`), so every entry from an observed nonpoor
        wave is either a re-entry or a first entry. Every life-table event is a re-entry;
        a re-entry after a gap (which censored the exit spell, or hid the exit wave)
        counts in the period rates and the composition but not in the life table.

    Notes
    -----
    **Standard errors of the survival.** ``survival_se`` is the Taylor linearisation
    (influence function) of :math:`\\log S(e)` summed over units, Binder's (1992) survey
    linearisation with the units as clusters (Williams 1995): unit ``i`` contributes
    :math:`z_i(e)` above, the variance is :math:`S(e)^2 \\sum_i z_i(e)^2` (the infinitesimal
    jackknife, without the :math:`m/(m-1)` factor of a with-replacement design of
    :math:`m` units), and a term with :math:`n_u = d_u` is 0 (survival is then 0). It is
    invariant to the scale of the weights (multiplying every :math:`s_i` by a constant
    leaves it unchanged, unlike Greenwood's formula evaluated with weighted counts, which
    treats the weights as frequencies), and the spells of one unit count as one cluster.
    With equal weights and at most one exit spell per unit it equals Greenwood's (1926)
    variance :math:`S(e)^2 \\sum_{u \\le e} d_u / (n_u (n_u - d_u))` exactly (statsmodels'
    ``SurvfuncRight``, lifelines' ``KaplanMeierFitter``); with repeated spells of a unit
    the two differ, in either direction. It needs only additive sums over units,
    :math:`\\sum_i s_i^2 d_{iu} d_{iv}`, :math:`\\sum_i s_i^2 d_{iu} n_{iv}`,
    :math:`\\sum_i s_i^2 n_{iu} n_{iv}` (:func:`mpi.kernels.relapse.relapse_cross_sums`),
    and agrees with the unit-cluster bootstrap's ``survival_bse`` within Monte-Carlo error;
    neither accounts for strata or sampling without replacement. All statistics are
    additive over units (one kernel pass per replicate); the result does not depend on how
    units are chunked.

    References
    ----------
    Stevens (1999); Bane & Ellwood (1986); Kaplan & Meier (1958); Greenwood (1926);
    Binder (1992); Williams (1995). Full entries in the result's ``references`` attribute.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")  # doctest: +SKIP
    >>> res = mpi.relapse(panel, mpi.presets.china_2b3g(), weight="weight")  # doctest: +SKIP
    >>> res.to_dataset()["cumulative_relapse"]  # doctest: +SKIP
    >>> mpi.relapse(panel, status="latent_poor", bootstrap=200, seed=1)  # doctest: +SKIP

    Unit 1 exits and re-enters twice, unit 2 exits once and stays out: the SE treats unit
    1's two spells as one cluster (:math:`\\sqrt 8 / 9`; Greenwood's would be
    :math:`\\sqrt 6 / 9`), whatever the scale of the weights:

    >>> import xarray as xr
    >>> toy = xr.Dataset(
    ...     {"p": (("unit", "time"), [[1, 0, 1, 0, 1], [1, 0, 0, 0, 0]]), "w": ("unit", [50, 50])},
    ...     coords={"unit": [1, 2], "time": [2015, 2016, 2017, 2018, 2019]},
    ... )
    >>> mpi.relapse(toy, status="p", weight="w")["survival_se"].values.round(4)
    array([0.3143, 0.3143, 0.3143])
    """
    n_boot = _check_bootstrap(bootstrap, seed)
    if status is not None:
        if spec is not None or k is not None:
            raise ValidationError(
                f"status={status!r} gives the poverty status directly; leave out spec= and k= "
                "(or leave out status= to identify the poor with the spec)"
            )
        ps = _status_states(panel, status, weight, by, unit, time)
        scores = False
    else:
        ps = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=2)
        scores = True
    lay = ps.layout
    tdim = lay.time_dim
    reserved = ("time_since_exit", "band_at_exit", "years_since_exit", "indicator", "time", tdim)
    check_by_names(ps.by, reserved, "relapse")
    n = lay.n_units
    n_chunks = parallel_chunks(n)
    d = len(ps.spec) if scores else 0

    def run(w: np.ndarray) -> tuple[np.ndarray, ...]:
        return krl.relapse_sums(
            ps.state, ps.num, ps.pattern, w, ps.cell, ps.n_cells, d, scores, n_chunks
        )

    life_w, life_n, period_w, period_n, comp_w, comp_n, units = run(ps.weight)
    tot_units = units.sum(0)
    n_used = int(tot_units[krl.USED])
    if n_used == 0:
        raise DataError(
            f"relapse: the weight variable {ps.weight_name!r} is missing (NaN) for every unit; "
            "fill it or pass another weight="
        )
    L = _Layout(lay.years, list(ps.spec.names) if scores else None)
    denom = ps.denom
    # unit-level cross sums for the linearised survival SEs (not needed by the replicates)
    cross = krl.relapse_cross_sums(
        ps.state, ps.weight, ps.cell, ps.n_cells, L.tau_index, L.n_taus, n_chunks
    )

    # -- bootstrap replicates: the weighted sums per cell of each replicate
    reps: tuple[np.ndarray, ...] | None = None
    if n_boot:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        ok = np.flatnonzero(~np.isnan(ps.weight))
        wok = np.where(np.isnan(ps.weight), np.nan, ps.weight)
        rl = np.empty((n_boot, *life_w.shape))
        rp = np.empty((n_boot, *period_w.shape))
        rc = np.empty((n_boot, *comp_w.shape))
        for b in range(n_boot):
            f = np.zeros(n)
            f[ok] = np.bincount(rng.integers(0, len(ok), len(ok)), minlength=len(ok))
            rw = readonly(np.where(np.isnan(wok), np.nan, f * np.nan_to_num(wok)))
            lw, _, pw, _, cw, _, _ = run(rw)
            rl[b], rp[b], rc[b] = lw, pw, cw
        reps = (rl, rp, rc)

    def coords(ds: xr.Dataset) -> xr.Dataset:
        c = {
            "time_since_exit": np.arange(1, lay.n_waves - 1),
            "band_at_exit": list(BANDS_AT_EXIT),
            "years_since_exit": L.taus,
            "time": lay.times[1:],
        }
        if scores:
            c["indicator"] = list(ps.spec.names)
        ds = ds.assign_coords({k_: v for k_, v in c.items() if k_ in ds.dims})
        if "time" in ds.dims:
            ds = ds.assign_coords(from_time=("time", lay.times[:-1]))
            if tdim != "time":
                ds = ds.rename(time=tdim)
        return _describe(ds)

    def collect(sums, counts, cross_sums, boot, to_da) -> xr.Dataset:
        """Measures -> Dataset; ``to_da(array, dims)`` places the leading (cell) axes."""
        lw, pw, cw = sums
        ln, pn, cn, un = counts
        meas = _measures(lw, pw, cw, L, denom, cross_sums)
        if boot is not None:
            rmeas = _measures(*boot, L, denom)
            meas.update(_boot_stats(rmeas, set(meas)))
        lt = ln.sum(-4).sum(-3)  # [..., e, kind]
        meas["at_risk_count"] = (lt[..., 1 : lay.n_waves - 1, krl.AT_RISK], ["time_since_exit"])
        meas["events_count"] = (lt[..., 1 : lay.n_waves - 1, krl.EVENTS], ["time_since_exit"])
        meas["censored_count"] = (lt[..., 1 : lay.n_waves - 1, krl.CENSORED], ["time_since_exit"])
        meas["n_exits"] = (pn[..., krl.EXITS].sum(-1), [])
        meas["n_reentries"] = (cn, [])
        meas["n_units"] = (un[..., krl.USED], [])
        if not scores:  # no band at exit without scores
            meas = {k_: v for k_, v in meas.items() if "_by_band" not in k_}
        return xr.Dataset({name: to_da(a, dims) for name, (a, dims) in meas.items()})

    def overall_da(a: np.ndarray, dims: list[str]) -> xr.DataArray:
        return xr.DataArray(a, dims=dims)

    ds = coords(
        collect(
            (life_w.sum(0), period_w.sum(0), comp_w.sum(0)),
            (life_n.sum(0), period_n.sum(0), comp_n.sum(0), units.sum(0)),
            (cross[0].sum(0), cross[1].sum(0)),
            None if reps is None else tuple(r.sum(1) for r in reps),
            overall_da,
        )
    )
    spacing = np.diff(lay.years)
    extra = dict(
        balance="observed",
        gap_policy="break",
        n_used=n_used,
        n_dropped=int(n - n_used),
        n_no_weight=int(tot_units[krl.NO_WEIGHT]),
        even_spacing=int(bool(np.allclose(spacing, spacing[0]))),
        survival_se_method=SE_METHOD,
        bootstrap=n_boot,
        bootstrap_method=(
            "unit-cluster bootstrap: units resampled with replacement (multinomial "
            "frequencies), percentile 95% intervals"
            if n_boot
            else "none"
        ),
        seed="none" if seed is None or isinstance(seed, np.random.Generator) else int(seed),
        status=str(status) if status is not None else "none",
        band_at_exit="available" if scores else "unavailable (status=)",
        time_coordinate="the later wave of each pair (from_time: the earlier wave)",
    )
    attrs = panel_attrs(
        ps,
        title="Relapse after exit from poverty",
        references=REFERENCES,
        status_variable=status,
        **extra,
    )
    ds.attrs = attrs

    def grouped() -> xr.Dataset:
        def cell_da(a: np.ndarray, dims: list[str]) -> xr.DataArray:
            return ps.split_cells(np.asarray(a), dims)

        # per cell (bootstrap replicates first, then cells): finalize, then split the cells
        out = coords(
            collect(
                (life_w, period_w, comp_w),
                (life_n, period_n, comp_n, units),
                cross,
                reps,
                cell_da,
            )
        )
        out.attrs = dict(attrs)
        return out

    return RelapseResult(ds, ps, grouped if ps.groups is not None else None)
