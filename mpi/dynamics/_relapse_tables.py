"""Measures of :func:`mpi.relapse` from the summed statistics of its kernels.

Kaplan-Meier life tables of re-entry (with the linearised SE of the survival), period
relapse rates, the composition of re-entries, and the bootstrap summaries of replicate
measures. Plain numpy on the trailing axes of the kernel sums (any leading axes: group
cells, bootstrap replicates). See :mod:`mpi.dynamics.relapse` for the definitions.
"""

from __future__ import annotations

import warnings

import numpy as np

from mpi._common.ratio import ratio
from mpi.kernels import relapse as krl

__all__ = [
    "BOOTSTRAPPED",
    "WaveGrid",
    "bootstrap_name",
    "bootstrap_stats",
    "kaplan_meier",
    "relapse_measures",
]

#: Measures resampled by the bootstrap.
BOOTSTRAPPED = (
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


def kaplan_meier(
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


class WaveGrid:
    """The wave grid of a relapse result: years of the waves, exit wave x time since exit
    -> years since exit (``taus``, ``tau_index``, ``onehot``), indicator names.

    Parameters
    ----------
    years
        Calendar years of the waves (float64, increasing).
    indicators
        Indicator names (None without deprivation scores, e.g. with ``status=``).
    """

    def __init__(self, years: np.ndarray, indicators: list[str] | None) -> None:
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


def relapse_measures(
    life: np.ndarray,
    period: np.ndarray,
    comp: np.ndarray,
    grid: WaveGrid,
    denom: int,
    cross: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """All measures from the weighted sums (any leading axes).

    Parameters
    ----------
    life, period, comp
        Weighted sums of :func:`mpi.kernels.relapse.relapse_sums`: ``life[..., 2, T, T, 3]``,
        ``period[..., T - 1, 7]``, ``comp[..., 2 + 2d]``.
    grid
        The wave grid.
    denom
        Common denominator of the deprivation scores.
    cross
        Cross sums of :func:`mpi.kernels.relapse.relapse_cross_sums` ``(waves[..., 3, T,
        T, 3], years[..., K, K, 3])`` for the survival SEs (NaN without them).

    Returns
    -------
    dict
        ``name -> (array, dims after the leading axes)``. Plain numpy on the trailing axes.
    """
    xw, xy = (None, None) if cross is None else cross
    out = _wave_tables(life, grid, xw)
    out.update(_years_table(life, grid, xy))
    out.update(_period_rates(period, comp))
    if grid.indicators is not None:
        out.update(_composition(comp, len(grid.indicators), denom))
    return out


def _wave_tables(
    life: np.ndarray, grid: WaveGrid, xw: np.ndarray | None
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Life tables along the waves since exit: overall and by the band at exit."""
    T = grid.T
    inner = slice(1, T - 1)
    by_band = life.sum(-3)  # [..., band, e, kind], summed over the exit wave
    tot = by_band.sum(-3)  # [..., e, kind]
    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    E, B = ["time_since_exit"], ["band_at_exit", "time_since_exit"]
    for src, dims, sfx, slot in ((tot, E, "", 2), (by_band, B, "_by_band", slice(0, 2))):
        n = src[..., 1 : T - 1, krl.AT_RISK]
        d = src[..., 1 : T - 1, krl.EVENTS]
        h, s, se = kaplan_meier(n, d, None if xw is None else xw[..., slot, inner, inner, :])
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
    out["years"] = (ratio((ar * grid.gap).sum(-2)[..., 1 : T - 1], ar.sum(-2)[..., 1 : T - 1]), E)
    return out


def _years_table(
    life: np.ndarray, grid: WaveGrid, xy: np.ndarray | None
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Kaplan-Meier over the distinct durations in years ``y_{t_x+e} - y_{t_x}``."""
    T = grid.T
    lead = life.shape[:-4]
    flat = life.sum(-4).reshape((*lead, T * T, 3))
    dy = flat[..., krl.EVENTS] @ grid.onehot
    cy = flat[..., krl.CENSORED] @ grid.onehot
    ny = np.flip(np.cumsum(np.flip(dy + cy, -1), -1), -1)
    h, s, se = kaplan_meier(ny, dy, xy)
    Y = ["years_since_exit"]
    return {
        "at_risk_years": (ny, Y),
        "events_years": (dy, Y),
        "censored_years": (cy, Y),
        "hazard_years": (h, Y),
        "survival_years": (s, Y),
        "survival_years_se": (se, Y),
        "cumulative_relapse_years": (1.0 - s, Y),
    }


def _period_rates(period: np.ndarray, comp: np.ndarray) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Period rates along the later wave of each pair."""
    P = period
    t = ["time"]
    return {
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


def _composition(comp: np.ndarray, d: int, denom: int) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Depth (mean score) and composition (deprivations) of the re-entries."""
    r = comp[..., 0]
    return {
        "mean_score_at_reentry": (ratio(comp[..., 1], r * denom), []),
        "reentry_newly_deprived_share": (
            ratio(comp[..., 2 : 2 + d], r[..., None]),
            ["indicator"],
        ),
        "reentry_deprived_share": (ratio(comp[..., 2 + d :], r[..., None]), ["indicator"]),
    }


def bootstrap_name(name: str, taken: set[str]) -> str:
    """Name of the bootstrap SE of ``name``: ``<name>_se``, or ``<name>_bse`` when
    ``<name>_se`` is taken (the linearised SE of the survival)."""
    se = f"{name}_se"
    return f"{name}_bse" if se in taken else se


def bootstrap_stats(
    reps: dict[str, tuple[np.ndarray, list[str]]], taken: set[str]
) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Bootstrap SE (std over replicates, ddof 1, NaN replicates left out) and percentile
    95% interval of each resampled measure; replicates on axis 0."""
    out = {}
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in BOOTSTRAPPED:
            if name not in reps:
                continue
            x, dims = reps[name]
            ok = np.isfinite(x).sum(0)
            se = np.where(ok >= 2, np.nanstd(x, axis=0, ddof=1), np.nan)
            lo, hi = np.nanpercentile(x, [2.5, 97.5], axis=0)
            out[bootstrap_name(name, taken)] = (se, dims)
            out[f"{name}_lower"] = (lo, dims)
            out[f"{name}_upper"] = (hi, dims)
    return out
