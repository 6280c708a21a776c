"""Measures of :func:`mpi.transitions` from the summed flows of its kernel.

Plain numpy on the trailing ``(time, from_state, to_state)`` axes of the flows (any leading
group axes): transition probabilities, entry and exit rates, their per-year versions under a
constant hazard, and the Markov summaries of the pooled chain (stationary distribution,
expected spell lengths, ``n``-step matrices). See :mod:`mpi.dynamics.transitions`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from mpi._common.ratio import ratio
from mpi.dynamics.states import BAND_NAMES, STATE_NAMES

__all__ = ["STATE_SETS", "PAIR_DIMS", "finalize_flows", "stationary", "step_matrix"]

#: ``states`` argument -> state labels.
STATE_SETS = {"poverty": STATE_NAMES, "bands": BAND_NAMES}
_POOR = {"poverty": ["poor"], "bands": ["poor", "severe"]}
_NONPOOR = {"poverty": ["nonpoor"], "bands": ["nonpoor", "vulnerable"]}
#: Dims of the flows of one pair of waves (after the leading group dims).
PAIR_DIMS = ["time", "from_state", "to_state"]
_AB = ["from_state", "to_state"]


def stationary(prob: np.ndarray) -> np.ndarray:
    """Stationary distributions of row-stochastic matrices ``prob[..., S, S]``.

    Solves ``pi (P - I) = 0`` with ``sum(pi) = 1`` exactly (``numpy.linalg.solve`` on
    ``P^T - I`` with its last row replaced by ones). A state no unit starts a pair in (a
    NaN row) gets probability 0 when no observed state moves into it (the chain is solved
    on the other states); otherwise, or when the system is singular (a reducible chain
    without a unique stationary distribution), the result is NaN.
    """
    S = prob.shape[-1]
    flat = prob.reshape(-1, S, S)
    out = np.full((flat.shape[0], S), np.nan)
    for g in range(flat.shape[0]):
        p = flat[g]
        ok = np.isfinite(p).all(axis=1)
        m = int(ok.sum())
        if m == 0 or (p[ok][:, ~ok] != 0).any():
            continue
        a = p[np.ix_(ok, ok)].T - np.eye(m)
        a[-1] = 1.0
        rhs = np.zeros(m)
        rhs[-1] = 1.0
        try:
            pi = np.linalg.solve(a, rhs)
        except np.linalg.LinAlgError:
            continue
        out[g] = 0.0
        out[g, ok] = pi
    return out.reshape(prob.shape[:-1])


def step_matrix(prob: np.ndarray, n: int) -> np.ndarray:
    """``P^n`` of matrices ``prob[..., S, S]`` whose NaN rows are states without mass.

    A row is NaN when it is itself NaN or when a path from it reaches a NaN-row state in
    fewer than ``n`` steps (its later moves are unknown); other rows are exact products.
    """
    S = prob.shape[-1]
    flat = prob.reshape(-1, S, S)
    out = np.empty_like(flat)
    for g in range(flat.shape[0]):
        p = flat[g]
        ok = np.isfinite(p).all(axis=1)
        q = np.where(ok[:, None], p, 0.0)
        r = np.linalg.matrix_power(q, n)
        bad = ~ok
        reach = np.eye(S, dtype=bool)  # states reachable in exactly s steps, s < n
        hit = np.zeros(S, dtype=bool)
        for _ in range(n):
            hit |= (reach & bad[None, :]).any(axis=1)
            reach = (reach.astype(np.int64) @ (q > 0).astype(np.int64)) > 0
        r[hit] = np.nan
        out[g] = r
    return out.reshape(prob.shape)


class _Rates(NamedTuple):
    """Transition rates of flows ``[..., from, to]`` (the last two axes summed out)."""

    prob: np.ndarray  # [..., from, to]
    entry: np.ndarray  # entry rate e
    exit: np.ndarray  # exit rate x
    mass_nonpoor: np.ndarray  # weight starting non-poor
    mass_poor: np.ndarray  # weight starting poor
    entries: np.ndarray
    exits: np.ndarray


def _annual(p: np.ndarray, d: np.ndarray | float) -> np.ndarray:
    """Per-year rate under a constant hazard, ``1 - (1 - p)^(1/d)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - (1.0 - p) ** (1.0 / d)


def _rates(fl: np.ndarray, poor: list[int], nonpoor: list[int]) -> _Rates:
    prob = ratio(fl, fl.sum(-1)[..., None])
    m_np = fl[..., nonpoor, :].sum((-2, -1))
    m_p = fl[..., poor, :].sum((-2, -1))
    entries = fl[..., nonpoor, :][..., poor].sum((-2, -1))
    exits = fl[..., poor, :][..., nonpoor].sum((-2, -1))
    return _Rates(prob, ratio(entries, m_np), ratio(exits, m_p), m_np, m_p, entries, exits)


def _mean_intervals(pairs: _Rates, iv: np.ndarray, even: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean interval of the pairs weighted by the non-poor / poor from-state mass (exactly
    the common interval when the waves are evenly spaced)."""
    m_np, m_p = pairs.mass_nonpoor, pairs.mass_poor
    d_np = ratio((m_np * iv).sum(-1), m_np.sum(-1))
    d_p = ratio((m_p * iv).sum(-1), m_p.sum(-1))
    if even and iv.size:
        d_np = d_p = np.full_like(d_np, float(iv[0]))
    return d_np, d_p


def _markov(
    chain: _Rates,
    annual: tuple[np.ndarray, np.ndarray],
    spacing: tuple[np.ndarray, np.ndarray],
    even: bool,
    states: str,
    poor: list[int],
) -> dict[str, Any]:
    """Markov summaries of the pooled chain: stationary distribution and spell lengths."""
    e, x = chain.entry, chain.exit
    e_ann, x_ann = annual
    d_np, d_p = spacing
    stat = stationary(chain.prob)
    sp = stat[..., poor]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "stationary_poverty_rate": (
                ratio(e, e + x)  # exact two-state formula e / (e + x)
                if states == "poverty"
                else np.where(np.isnan(sp).all(-1), np.nan, np.nansum(sp, -1))
            ),
            "stationary": (stat, ["state"]),
            "expected_poverty_spell": 1.0 / x,
            "expected_nonpoor_spell": 1.0 / e,
            "expected_poverty_spell_years": (d_p / x) if even else 1.0 / x_ann,
            "expected_nonpoor_spell_years": (d_np / e) if even else 1.0 / e_ann,
        }


def _pooled_variables(
    F: np.ndarray,
    C: np.ndarray,
    iv: np.ndarray,
    chain: _Rates,
    annual: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """Variables of ``pooled=True``: the flows summed over the pairs before dividing."""
    pooled_flow = F.sum(-3)
    return {
        "probability": (chain.prob, _AB),
        "flow": (pooled_flow, _AB),
        "count": (C.sum(-3), _AB),
        "n_units": C.sum((-3, -2, -1)),
        "population": pooled_flow.sum((-2, -1)),
        "entry_rate": chain.entry,
        "exit_rate": chain.exit,
        "persistence": 1.0 - chain.exit,
        "entry_rate_annual": annual[0],
        "exit_rate_annual": annual[1],
        "interval": ratio((F.sum((-2, -1)) * iv).sum(-1), F.sum((-3, -2, -1))),
    }


def _pair_variables(
    F: np.ndarray,
    C: np.ndarray,
    iv: np.ndarray,
    chain: _Rates,
    pair: _Rates,
    annual: tuple[np.ndarray, np.ndarray],
    poor: list[int],
) -> dict[str, Any]:
    """Variables per pair of consecutive waves (``pair``), then the pooled rates."""
    pop = F.sum((-2, -1))
    r_e, r_x = pair.entry, pair.exit
    return {
        "probability": (pair.prob, PAIR_DIMS),
        "flow": (F, PAIR_DIMS),
        "count": (C, PAIR_DIMS),
        "n_units": (C.sum((-2, -1)), ["time"]),
        "population": (pop, ["time"]),
        "entry_rate": (r_e, ["time"]),
        "exit_rate": (r_x, ["time"]),
        "persistence": (1.0 - r_x, ["time"]),
        "interval": (iv, ["time"]),
        "entry_rate_annual": (_annual(r_e, iv), ["time"]),
        "exit_rate_annual": (_annual(r_x, iv), ["time"]),
        "poverty_rate_start": (ratio(pair.mass_poor, pop), ["time"]),
        "poverty_rate_end": (ratio(F[..., poor].sum((-2, -1)), pop), ["time"]),
        "entries": (ratio(pair.entries, pop), ["time"]),
        "exits": (ratio(pair.exits, pop), ["time"]),
        "implied_poverty_rate": (ratio(r_e, r_e + r_x), ["time"]),
        "pooled_probability": (chain.prob, _AB),
        "pooled_flow": (F.sum(-3), _AB),
        "pooled_entry_rate": chain.entry,
        "pooled_exit_rate": chain.exit,
        "pooled_entry_rate_annual": annual[0],
        "pooled_exit_rate_annual": annual[1],
    }


def finalize_flows(
    flow: xr.DataArray, count: xr.DataArray, interval: xr.DataArray, states: str, pooled: bool
) -> xr.Dataset:
    """Measures from the flows (dims ``[*groups], time, from_state, to_state``).

    Plain numpy on the trailing axes, then one Dataset: xarray arithmetic and alignment on
    these small arrays cost far more than the arithmetic. The caller assigns coordinates.
    """
    names = list(STATE_SETS[states])
    poor = [names.index(x) for x in _POOR[states]]
    nonpoor = [names.index(x) for x in _NONPOOR[states]]
    F, C, iv = flow.values, count.values, interval.values
    even = bool(np.allclose(iv, iv[0])) if iv.size else True
    chain = _rates(F.sum(-3), poor, nonpoor)
    pair = _rates(F, poor, nonpoor)
    d_np, d_p = _mean_intervals(pair, iv, even)
    annual = (_annual(chain.entry, d_np), _annual(chain.exit, d_p))
    markov = _markov(chain, annual, (d_np, d_p), even, states, poor)
    if pooled:
        data = {**_pooled_variables(F, C, iv, chain, annual), **markov}
    else:
        data = {**_pair_variables(F, C, iv, chain, pair, annual, poor), **markov}
    lead = list(flow.dims[:-3])
    out = {}
    for name, value in data.items():
        arr, dims = value if isinstance(value, tuple) else (value, [])
        arr = np.asarray(arr)
        out[name] = ([*lead[: arr.ndim - len(dims)], *dims], arr)  # the intervals: no groups
    ds = xr.Dataset(out)
    if pooled:
        ds["interval"].attrs["note"] = "mean interval of the pairs weighted by their units"
    return ds
