"""Poverty transition matrices between consecutive waves of a panel (methods.md §3.1).

One kernel pass (:func:`mpi.kernels.transitions.transition_flows`) sums, per group cell
and pair of consecutive waves, the panel weights of the units moving from each state to
each state. Every measure here is a ratio of those additive flows:

.. math::

    p_{ab}(t) = \\frac{\\sum_i s_i 1[P_{i,t-1}=a,\\ P_{it}=b]}{\\sum_i s_i 1[P_{i,t-1}=a]}

entry rate :math:`e_t = P(\\text{poor}_t \\mid \\text{nonpoor}_{t-1})`, exit rate
:math:`x_t = P(\\text{nonpoor}_t \\mid \\text{poor}_{t-1})`, persistence :math:`1 - x_t`,
per-year rates under a constant hazard :math:`1 - (1 - p)^{1/\\Delta_t}`, and the
two-state Markov summaries of the pooled (time-homogeneous) rates: stationary poverty
rate :math:`\\pi^* = e/(e + x)` and expected spell lengths :math:`1/x` (poor) and
:math:`1/e` (non-poor) waves.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.panel_layout import check_balance, check_by_names, parallel_chunks
from mpi.dynamics.result import DynamicsResult, panel_attrs, ratio
from mpi.dynamics.states import BAND_NAMES, STATE_NAMES, panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import transitions as ktr
from mpi.measurement.spec import Spec

__all__ = ["transitions", "TransitionResult", "TRANSITION_BALANCE", "STATE_SETS"]

#: Balance policies of :func:`transitions`.
TRANSITION_BALANCE = ("balanced", "pairs")
#: ``states`` argument -> state labels.
STATE_SETS = {"poverty": STATE_NAMES, "bands": BAND_NAMES}
_POOR = {"poverty": ["poor"], "bands": ["poor", "severe"]}
_NONPOOR = {"poverty": ["nonpoor"], "bands": ["nonpoor", "vulnerable"]}

REFERENCES = (
    "Alkire, S. et al. (2015). Multidimensional Poverty Measurement and Analysis, ch. 9. OUP.",
    "Apablaza, M. and Yalonetzky, G. (2013). Decomposing multidimensional poverty dynamics. "
    "Young Lives Working Paper 101.",
    "Bane, M. J. and Ellwood, D. T. (1986). Slipping into and out of poverty: the dynamics "
    "of spells. Journal of Human Resources 21(1): 1-23.",
)

_META: dict[str, tuple[str, str]] = {
    "probability": ("transition probability P(state_t = to | state_t-1 = from)", "1"),
    "flow": ("weighted number of units moving from -> to (sum of panel weights)", "1"),
    "count": ("unweighted number of units moving from -> to", "1"),
    "n_units": ("units observed in both waves of the pair (unweighted)", "1"),
    "population": ("sum of panel weights of the units used in the pair", "1"),
    "entry_rate": ("entry rate P(poor_t | nonpoor_t-1)", "1"),
    "exit_rate": ("exit rate P(nonpoor_t | poor_t-1)", "1"),
    "persistence": ("poverty persistence 1 - exit_rate = P(poor_t | poor_t-1)", "1"),
    "entry_rate_annual": ("entry rate per year, constant hazard 1-(1-e)^(1/interval)", "1"),
    "exit_rate_annual": ("exit rate per year, constant hazard 1-(1-x)^(1/interval)", "1"),
    "interval": ("years between the two waves of the pair", "years"),
    "poverty_rate_start": ("headcount ratio at the earlier wave among the pair's units", "1"),
    "poverty_rate_end": ("headcount ratio at the later wave among the pair's units", "1"),
    "entries": ("weighted share of the pair's units entering poverty (pi_NP)", "1"),
    "exits": ("weighted share of the pair's units exiting poverty (pi_PN)", "1"),
    "implied_poverty_rate": ("stationary poverty rate e_t/(e_t + x_t) implied by the pair", "1"),
    "pooled_probability": ("pooled transition probability (flows summed over pairs)", "1"),
    "pooled_flow": ("flows summed over all pairs", "1"),
    "pooled_entry_rate": ("pooled entry rate (flows summed over pairs)", "1"),
    "pooled_exit_rate": ("pooled exit rate (flows summed over pairs)", "1"),
    "pooled_entry_rate_annual": (
        "pooled entry rate per year (mean interval, constant hazard)",
        "1",
    ),
    "pooled_exit_rate_annual": ("pooled exit rate per year (mean interval, constant hazard)", "1"),
    "stationary_poverty_rate": ("stationary poverty rate of the pooled chain", "1"),
    "stationary": ("stationary distribution of the pooled chain (left eigenvector)", "1"),
    "expected_poverty_spell": ("expected poverty spell length 1/x (pooled)", "waves"),
    "expected_nonpoor_spell": ("expected non-poor spell length 1/e (pooled)", "waves"),
    "expected_poverty_spell_years": (
        "expected poverty spell length in years (interval/x if evenly spaced, else 1/x_annual)",
        "years",
    ),
    "expected_nonpoor_spell_years": (
        "expected non-poor spell length in years (interval/e if evenly spaced, else 1/e_annual)",
        "years",
    ),
}


def _stationary(prob: np.ndarray) -> np.ndarray:
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


def _matrix_power(prob: np.ndarray, n: int) -> np.ndarray:
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


def _finalize(
    flow: xr.DataArray, count: xr.DataArray, interval: xr.DataArray, states: str, pooled: bool
) -> xr.Dataset:
    """Measures from the flows (dims ``[*groups], time, from_state, to_state``).

    Plain numpy on the trailing axes, then one Dataset: xarray arithmetic and alignment on
    these small arrays cost far more than the arithmetic. The caller assigns coordinates.
    """
    names = list(STATE_SETS[states])
    poor = [names.index(x) for x in _POOR[states]]
    nonpoor = [names.index(x) for x in _NONPOOR[states]]
    lead = list(flow.dims[:-3])
    F, C, iv = flow.values, count.values, interval.values
    even = bool(np.allclose(iv, iv[0])) if iv.size else True

    def annual(p: np.ndarray, d: np.ndarray | float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - (1.0 - p) ** (1.0 / d)

    def rates(fl: np.ndarray) -> tuple[np.ndarray, ...]:  # fl [..., from, to]
        prob = ratio(fl, fl.sum(-1)[..., None])
        m_np = fl[..., nonpoor, :].sum((-2, -1))
        m_p = fl[..., poor, :].sum((-2, -1))
        entries = fl[..., nonpoor, :][..., poor].sum((-2, -1))
        exits = fl[..., poor, :][..., nonpoor].sum((-2, -1))
        return prob, ratio(entries, m_np), ratio(exits, m_p), m_np, m_p, entries, exits

    pooled_flow = F.sum(-3)
    prob, e, x = rates(pooled_flow)[:3]
    r_prob, r_e, r_x, m_np, m_p, entries, exits = rates(F)
    # mean interval of the pairs, weighted by the from-state mass (exact when evenly spaced)
    d_np = ratio((m_np * iv).sum(-1), m_np.sum(-1))
    d_p = ratio((m_p * iv).sum(-1), m_p.sum(-1))
    if even and iv.size:
        d_np = d_p = np.full_like(d_np, float(iv[0]))
    e_ann, x_ann = annual(e, d_np), annual(x, d_p)
    stat = _stationary(prob)
    sp = stat[..., poor]
    with np.errstate(divide="ignore", invalid="ignore"):
        markov = {
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
    ab, tab = ["from_state", "to_state"], ["time", "from_state", "to_state"]
    if pooled:
        data = {
            "probability": (prob, ab),
            "flow": (pooled_flow, ab),
            "count": (C.sum(-3), ab),
            "n_units": C.sum((-3, -2, -1)),
            "population": pooled_flow.sum((-2, -1)),
            "entry_rate": e,
            "exit_rate": x,
            "persistence": 1.0 - x,
            "entry_rate_annual": e_ann,
            "exit_rate_annual": x_ann,
            "interval": ratio((F.sum((-2, -1)) * iv).sum(-1), F.sum((-3, -2, -1))),
            **markov,
        }
    else:
        pop = F.sum((-2, -1))
        data = {
            "probability": (r_prob, tab),
            "flow": (F, tab),
            "count": (C, tab),
            "n_units": (C.sum((-2, -1)), ["time"]),
            "population": (pop, ["time"]),
            "entry_rate": (r_e, ["time"]),
            "exit_rate": (r_x, ["time"]),
            "persistence": (1.0 - r_x, ["time"]),
            "interval": (iv, ["time"]),
            "entry_rate_annual": (annual(r_e, iv), ["time"]),
            "exit_rate_annual": (annual(r_x, iv), ["time"]),
            "poverty_rate_start": (ratio(m_p, pop), ["time"]),
            "poverty_rate_end": (ratio(F[..., poor].sum((-2, -1)), pop), ["time"]),
            "entries": (ratio(entries, pop), ["time"]),
            "exits": (ratio(exits, pop), ["time"]),
            "implied_poverty_rate": (ratio(r_e, r_e + r_x), ["time"]),
            "pooled_probability": (prob, ab),
            "pooled_flow": (pooled_flow, ab),
            "pooled_entry_rate": e,
            "pooled_exit_rate": x,
            "pooled_entry_rate_annual": e_ann,
            "pooled_exit_rate_annual": x_ann,
            **markov,
        }
    out = {}
    for name, value in data.items():
        arr, dims = value if isinstance(value, tuple) else (value, [])
        arr = np.asarray(arr)
        out[name] = ([*lead[: arr.ndim - len(dims)], *dims], arr)  # the intervals: no groups
    ds = xr.Dataset(out)
    if pooled:
        ds["interval"].attrs["note"] = "mean interval of the pairs weighted by their units"
    return ds


def _dim_of(value: Any, name: str) -> str:
    """The dimension a coordinate given as ``values`` or ``(dim, values)`` lies along."""
    return value[0] if isinstance(value, tuple) else name


def _describe(ds: xr.Dataset, states: str) -> xr.Dataset:
    for name, var in ds.data_vars.items():
        long_name, units = _META.get(str(name), (str(name), "1"))
        if states == "bands":
            long_name = long_name.replace(
                "P(poor_t | nonpoor_t-1)", "P(poor/severe_t | nonpoor/vulnerable_t-1)"
            )
        if name in ("n_units", "population") and "time" not in ds.dims:  # pooled result
            long_name += ", summed over the wave pairs (a unit counts once per pair)"
        var.attrs.update({"long_name": long_name, "units": units})
    return ds


class TransitionResult(DynamicsResult):
    """Transition matrices between consecutive waves, entry/exit rates and Markov summaries.

    :meth:`to_dataset` holds the overall result (all units, whatever their group);
    :meth:`by_group` the same variables with one leading dimension per ``by`` variable.
    Main variables (see :func:`transitions`): ``probability`` (time, from_state, to_state),
    ``flow``, ``count``, ``entry_rate``, ``exit_rate``, ``persistence``, ``interval``,
    ``*_annual``, the pooled rates and the Markov summaries.
    """

    kind = "Poverty transitions"
    headline = (
        "entry_rate",
        "exit_rate",
        "persistence",
        "stationary_poverty_rate",
        "expected_poverty_spell",
        "expected_nonpoor_spell",
    )

    call = "mpi.transitions"

    @property
    def pooled(self) -> bool:
        return bool(self._ds.attrs.get("pooled", 0))

    def matrix(self) -> xr.DataArray:
        """The pooled (time-homogeneous) transition matrix ``(from_state, to_state)``."""
        return self._ds["probability" if self.pooled else "pooled_probability"].copy()

    def steps(self, n: int, *, by_group: bool = False) -> xr.DataArray:
        """``n``-step transition matrix ``P^n`` of the pooled chain (``numpy`` matrix power).

        ``P^n[a, b]`` is the probability of being in state ``b`` ``n`` waves after being in
        ``a`` when transitions are time-homogeneous (first-order Markov). NaN rows (no unit
        in a state) propagate.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValidationError(f"n must be a non-negative integer number of waves; got {n!r}")
        src = self.by_group() if by_group else self._ds
        p = src["probability" if self.pooled else "pooled_probability"]
        p = p.transpose(..., "from_state", "to_state")
        out = p.copy(data=_matrix_power(p.values, int(n)))
        out.attrs = {
            "long_name": f"{n}-step transition probability of the pooled chain",
            "units": "1",
        }
        return out

    matrix_power = steps

    def to_frame(self, variables: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy long table (default: the per-pair rates and the Markov summaries)."""
        return super().to_frame(variables)

    def transition_table(self) -> pd.DataFrame:
        """Transition probabilities as a table: rows (pair, from_state), columns to_state."""
        p = self._ds["probability"]
        df = p.to_dataframe(name="p")["p"].unstack("to_state")
        return df[list(p["to_state"].values)]

    def rates_table(self) -> pd.DataFrame:
        """Entry/exit rates by wave (one row per pair) with units and interval."""
        names = [
            "n_units",
            "interval",
            "entry_rate",
            "exit_rate",
            "persistence",
            "entry_rate_annual",
            "exit_rate_annual",
        ]
        ds = self._ds
        if self.pooled:
            return pd.Series({n: float(ds[n]) for n in names}).to_frame("pooled")
        df = ds[names].to_dataframe()[names]
        df.insert(0, "from_time", ds["from_time"].values)
        return df

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        markov = [
            "stationary_poverty_rate",
            "expected_poverty_spell",
            "expected_nonpoor_spell",
            "expected_poverty_spell_years",
            "expected_nonpoor_spell_years",
        ]
        pooled_rates = (
            ["entry_rate", "exit_rate", "entry_rate_annual", "exit_rate_annual"]
            if self.pooled
            else [
                "pooled_entry_rate",
                "pooled_exit_rate",
                "pooled_entry_rate_annual",
                "pooled_exit_rate_annual",
            ]
        )
        head = pd.Series({n: float(ds[n]) for n in pooled_rates + markov}).to_frame("value")
        out = [("Pooled rates and Markov summaries", head)]
        title = "Pooled rates" if self.pooled else "Entry and exit rates by wave"
        out.append((title, self.rates_table()))
        out.append(("Transition probabilities (rows: from_state)", self.transition_table()))
        return out

    def _repr_values(self) -> str:
        ds = self._ds
        e = ds["entry_rate" if self.pooled else "pooled_entry_rate"]
        x = ds["exit_rate" if self.pooled else "pooled_exit_rate"]
        return (
            f"pooled_entry_rate={float(e):.4f} pooled_exit_rate={float(x):.4f} "
            f"stationary_poverty_rate={float(ds['stationary_poverty_rate']):.4f}"
        )


def transitions(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    states: str = "poverty",
    pooled: bool = False,
    balance: str = "balanced",
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> TransitionResult:
    """Weighted transition matrices between consecutive waves (methods.md §3.1).

    .. math::

        p_{ab}(t) = \\frac{\\sum_i s_i\\, 1[P_{i,t-1}=a,\\ P_{it}=b]}
                         {\\sum_i s_i\\, 1[P_{i,t-1}=a]}

    with the fixed panel weight :math:`s_i`. Rows sum to one; a row without mass is NaN.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        A panel, or the states :func:`mpi.panel_states` computed from one (then ``spec``
        may be omitted and the other arguments must match).
        Dims ``(unit, time)``; ``time`` holds calendar years (decimals and uneven spacing
        allowed).
    spec : mpi.Spec, optional
        Indicators, weights and cutoffs; ``k`` overrides the poverty cutoff.
    weight : str, optional
        Panel weight (dims ``(unit,)``); units with a missing weight are dropped and
        counted (``n_no_weight``).
    by : str or list of str, optional
        Time-invariant group variables; adds :meth:`TransitionResult.by_group`.
    states : {"poverty", "bands"}
        ``"poverty"``: nonpoor (score below ``k``) / poor. ``"bands"``: nonpoor,
        vulnerable, poor, severe (cutoffs of the spec). Entry is then any move from
        {nonpoor, vulnerable} to {poor, severe}, exit the reverse.
    pooled : bool
        Sum the flows over all pairs before dividing (time-homogeneous estimate); the
        ``time`` dimension is dropped.
    balance : {"balanced", "pairs"}
        ``"balanced"``: only units observed (all indicators present) in every wave, so each
        pair has the same units. ``"pairs"``: for each pair, the units observed in both of
        its waves. Units used / dropped are in the attrs (``n_used``, ``n_dropped``,
        ``n_no_weight``, ``n_unbalanced``) and per pair in ``n_units``.

    Returns
    -------
    TransitionResult
        ``to_dataset()`` variables (``time`` = the LATER wave of each pair, coordinate its
        year; ``from_time`` the earlier wave):

        * ``probability``, ``flow`` (weighted sums, the sufficient statistics), ``count``
          (unweighted), dims ``(time, from_state, to_state)``;
        * ``n_units``, ``population``, ``interval`` (years between the waves),
          ``entry_rate`` :math:`e_t`, ``exit_rate`` :math:`x_t`, ``persistence``
          :math:`1 - x_t`, ``entry_rate_annual`` :math:`1 - (1 - e_t)^{1/\\Delta_t}` and
          ``exit_rate_annual`` (constant hazard), ``poverty_rate_start``/``_end``,
          ``entries`` :math:`\\pi_{NP}` and ``exits`` :math:`\\pi_{PN}` (weighted shares of
          the pair's units; balanced: :math:`\\Delta H = \\pi_{NP} - \\pi_{PN}`),
          ``implied_poverty_rate`` :math:`e_t/(e_t + x_t)`;
        * pooled: ``pooled_probability``, ``pooled_flow``, ``pooled_entry_rate``,
          ``pooled_exit_rate`` and their ``*_annual`` versions, annualised with the mean
          interval of the pairs weighted by the from-state mass (exact for even spacing);
        * Markov summaries of the pooled chain: ``stationary`` (distribution over the
          states: the left eigenvector of :math:`P` solved exactly with
          ``numpy.linalg.solve``), ``stationary_poverty_rate`` (two states:
          :math:`\\pi^* = e/(e + x)`; bands: the stationary mass of poor + severe),
          ``expected_poverty_spell`` :math:`1/x` and ``expected_nonpoor_spell``
          :math:`1/e` (waves) and their ``*_years`` versions (:math:`\\Delta/x` for even
          spacing :math:`\\Delta`, else :math:`1/x_{annual}`).

        With ``pooled=True`` the per-pair variables are replaced by their pooled values
        (same names, no ``time`` dim). :meth:`TransitionResult.steps` gives :math:`P^n`.

    References
    ----------
    Alkire et al. (2015), ch. 9; Apablaza & Yalonetzky (2013); Bane & Ellwood (1986).

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")  # doctest: +SKIP
    >>> res = mpi.transitions(panel, mpi.presets.china_2b3g(), weight="weight")  # doctest: +SKIP
    >>> res.to_dataset()["exit_rate"]  # doctest: +SKIP
    """
    if states not in STATE_SETS:
        raise ValidationError(
            f"states must be 'poverty' (nonpoor/poor) or 'bands' (nonpoor/vulnerable/poor/"
            f"severe); got {states!r}"
        )
    if not isinstance(pooled, bool | np.bool_):
        raise ValidationError(f"pooled must be True or False; got {pooled!r}")
    if balance not in TRANSITION_BALANCE:
        check_balance(balance, TRANSITION_BALANCE)
    ps = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=2)
    lay = ps.layout
    reserved = ("time", lay.time_dim, "from_time", "from_state", "to_state", "state")
    check_by_names(ps.by, reserved, "transitions")
    n_chunks = parallel_chunks(lay.n_units)
    mode = ktr.POVERTY if states == "poverty" else ktr.BANDS
    bal = ktr.BALANCED if balance == "balanced" else ktr.PAIRS
    flow, count, units = ktr.transition_flows(
        ps.state, ps.weight, ps.cell, ps.n_cells, mode, bal, n_chunks
    )
    tot = units.sum(axis=0)
    n_used = int(tot[ktr.USED])
    if n_used == 0:
        n_no_weight = int(tot[ktr.NO_WEIGHT])
        if n_no_weight == lay.n_units:  # the cause is the weight, not the balance policy
            fix = (
                f"the weight variable {ps.weight_name!r} is missing (NaN) for every unit; "
                "fill it or pass another weight="
            )
        elif balance == "balanced":
            fix = (
                "no unit is observed (all indicators present) in every wave; use "
                "balance='pairs' to use each pair's observed units"
            )
        else:
            fix = "no unit is observed in two consecutive waves"
        raise DataError(f"transitions: {fix} (units without weight: {n_no_weight})")
    names = list(STATE_SETS[states])
    years = lay.years
    coords = {
        "time": ("time", lay.times[1:]),
        "from_time": ("time", lay.times[:-1]),
        "from_state": names,
        "to_state": names,
    }
    dims = ["time", "from_state", "to_state"]
    interval = xr.DataArray(np.diff(years), dims=["time"], coords={"time": lay.times[1:]})
    coords["state"] = names
    interval = interval.drop_vars("time")
    fl = xr.DataArray(flow.sum(axis=0), dims=dims)
    ct = xr.DataArray(count.sum(axis=0), dims=dims)

    def labelled(ds: xr.Dataset, extra: dict) -> xr.Dataset:
        wanted = {**coords, **extra}
        return _describe(
            ds.assign_coords({k: v for k, v in wanted.items() if _dim_of(v, k) in ds.dims}),
            states,
        )

    ds = labelled(_finalize(fl, ct, interval, states, pooled), {})
    if lay.time_dim != "time" and "time" in ds.dims:  # pooled results have no time dim
        ds = ds.rename(time=lay.time_dim)
    spacing = np.diff(years)
    attrs = panel_attrs(
        ps,
        title="Poverty transition matrices between consecutive waves",
        references=REFERENCES,
        state_set=states,
        pooled=int(bool(pooled)),
        balance=balance,
        n_used=n_used,
        n_dropped=int(lay.n_units - n_used),
        n_no_weight=int(tot[ktr.NO_WEIGHT]),
        n_unbalanced=int(tot[ktr.UNBALANCED]),
        even_spacing=int(bool(np.allclose(spacing, spacing[0]))),
        time_coordinate="the later wave of each pair (from_time: the earlier wave)",
    )
    ds.attrs = attrs

    def grouped() -> xr.Dataset:
        gfl = ps.split_cells(flow, dims)
        gct = ps.split_cells(count, dims)
        group_coords = {b: gfl[b].values for b in ps.by}
        gfl, gct = gfl.drop_vars(ps.by), gct.drop_vars(ps.by)
        out = labelled(_finalize(gfl, gct, interval, states, pooled), group_coords)
        if lay.time_dim != "time" and "time" in out.dims:
            out = out.rename(time=lay.time_dim)
        out.attrs = dict(attrs)
        return out

    return TransitionResult(ds, ps, grouped if ps.groups is not None else None)
