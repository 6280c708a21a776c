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
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.panel_layout import check_balance, check_by_names, parallel_chunks
from mpi._common.result import label_table
from mpi.dynamics._transition_measures import (
    PAIR_DIMS,
    STATE_SETS,
    finalize_flows,
    step_matrix,
)
from mpi.dynamics.result import DynamicsResult, panel_attrs
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.states_chunked import block_sums
from mpi.errors import DataError, ValidationError
from mpi.kernels import transitions as ktr
from mpi.measurement.spec import Spec

__all__ = ["transitions", "TransitionResult", "TRANSITION_BALANCE", "STATE_SETS"]

#: Balance policies of :func:`transitions`.
TRANSITION_BALANCE = ("balanced", "pairs")

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
        """True when the flows were summed over the pairs (``pooled=True``)."""
        return bool(self._ds.attrs.get("pooled", 0))

    def matrix(self) -> xr.DataArray:
        """The pooled (time-homogeneous) transition matrix.

        Returns
        -------
        xarray.DataArray
            Probabilities ``(from_state, to_state)`` (a copy).
        """
        return self._ds["probability" if self.pooled else "pooled_probability"].copy()

    def steps(self, n: int, *, by_group: bool = False) -> xr.DataArray:
        """``n``-step transition matrix ``P^n`` of the pooled chain (``numpy`` matrix power).

        ``P^n[a, b]`` is the probability of being in state ``b`` ``n`` waves after being in
        ``a`` when transitions are time-homogeneous (first-order Markov). NaN rows (no unit
        in a state) propagate.

        Parameters
        ----------
        n
            Number of waves (a non-negative integer).
        by_group
            Per ``by`` group (from :meth:`by_group`) instead of all units.

        Returns
        -------
        xarray.DataArray
            ``P^n`` with dims ``(..., from_state, to_state)``.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValidationError(f"n must be a non-negative integer number of waves; got {n!r}")
        src = self.by_group() if by_group else self._ds
        p = src["probability" if self.pooled else "pooled_probability"]
        p = p.transpose(..., "from_state", "to_state")
        out = p.copy(data=step_matrix(p.values, int(n)))
        out.attrs = {
            "long_name": f"{n}-step transition probability of the pooled chain",
            "units": "1",
        }
        return out

    matrix_power = steps

    def transition_table(self) -> pd.DataFrame:
        """Transition probabilities as a table.

        Returns
        -------
        pandas.DataFrame
            Rows (pair, from_state), columns to_state.
        """
        p = self._ds["probability"]
        df = p.to_dataframe(name="p")["p"].unstack("to_state")
        return df[list(p["to_state"].values)]

    def rates_table(self) -> pd.DataFrame:
        """Entry/exit rates by wave with units and interval.

        Returns
        -------
        pandas.DataFrame
            One row per pair (one column ``pooled`` for a pooled result).
        """
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

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
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
        rates = "pooled_rates" if self.pooled else "rates_by_wave"
        return [
            (text("result.table.pooled_markov", lang), label_table(head, lang)),
            (text(f"result.table.{rates}", lang), label_table(self.rates_table(), lang)),
            (
                text("result.table.transition_probabilities", lang),
                label_table(self.transition_table(), lang, cells=True),
            ),
        ]

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
    k : optional
        Poverty cutoff overriding ``spec.k``.
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
    unit, time : str
        Dimension names of the panel.

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
    _check_arguments(states, pooled, balance)
    ps = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=2)
    lay = ps.layout
    reserved = ("time", lay.time_dim, "from_time", "from_state", "to_state", "state")
    check_by_names(ps.by, reserved, "transitions")
    mode = ktr.POVERTY if states == "poverty" else ktr.BANDS
    bal = ktr.BALANCED if balance == "balanced" else ktr.PAIRS
    flow, count, units = block_sums(ps, partial(_flows, mode=mode, bal=bal))
    tot = units.sum(axis=0)
    _require_units(tot, ps, balance)
    tables = _Tables.of(ps, states, pooled)
    ds = tables.dataset(flow.sum(axis=0), count.sum(axis=0))
    ds.attrs = _attrs(ps, tot, states=states, pooled=pooled, balance=balance)
    grouped = None
    if ps.groups is not None:
        grouped = partial(_grouped, tables, ps, flow, count, ds.attrs)
    return TransitionResult(ds, ps, grouped)


def _flows(ps: PanelStates, *, mode: int, bal: int) -> tuple[np.ndarray, ...]:
    """The kernel's flows, counts and unit counts per cell (additive over units)."""
    return ktr.transition_flows(
        ps.state, ps.weight, ps.cell, ps.n_cells, mode, bal, parallel_chunks(ps.layout.n_units)
    )


def _check_arguments(states: str, pooled: Any, balance: str) -> None:
    if states not in STATE_SETS:
        raise ValidationError(
            f"states must be 'poverty' (nonpoor/poor) or 'bands' (nonpoor/vulnerable/poor/"
            f"severe); got {states!r}"
        )
    if not isinstance(pooled, bool | np.bool_):
        raise ValidationError(f"pooled must be True or False; got {pooled!r}")
    if balance not in TRANSITION_BALANCE:
        check_balance(balance, TRANSITION_BALANCE)


def _require_units(tot: np.ndarray, ps: PanelStates, balance: str) -> None:
    """Raise a :class:`~mpi.DataError` naming the cause when no unit is used."""
    if int(tot[ktr.USED]) > 0:
        return
    n_no_weight = int(tot[ktr.NO_WEIGHT])
    if n_no_weight == ps.layout.n_units:  # the cause is the weight, not the balance policy
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


@dataclass(frozen=True)
class _Tables:
    """Turns summed flows into the labelled result Dataset (overall or per group)."""

    coords: dict[str, Any]
    interval: xr.DataArray
    states: str
    pooled: bool
    time_dim: Hashable

    @classmethod
    def of(cls, ps: PanelStates, states: str, pooled: bool) -> _Tables:
        lay = ps.layout
        names = list(STATE_SETS[states])
        coords = {
            "time": ("time", lay.times[1:]),
            "from_time": ("time", lay.times[:-1]),
            "from_state": names,
            "to_state": names,
            "state": names,
        }
        interval = xr.DataArray(np.diff(lay.years), dims=["time"])
        return cls(coords, interval, states, pooled, lay.time_dim)

    def dataset(
        self, flow: np.ndarray, count: np.ndarray, groups: dict[str, Any] | None = None
    ) -> xr.Dataset:
        """Measures of flows ``[*groups, time, from, to]`` with coordinates and metadata.

        ``groups`` holds the coordinates of the leading group dims (None: no groups).
        """
        names = [*(groups or {}), *PAIR_DIMS]
        fl = xr.DataArray(flow, dims=names)
        ct = xr.DataArray(count, dims=names)
        ds = finalize_flows(fl, ct, self.interval, self.states, self.pooled)
        wanted = {**self.coords, **(groups or {})}
        ds = ds.assign_coords({k: v for k, v in wanted.items() if _dim_of(v, k) in ds.dims})
        ds = _describe(ds, self.states)
        if self.time_dim != "time" and "time" in ds.dims:  # pooled results have no time dim
            ds = ds.rename(time=self.time_dim)
        return ds


def _attrs(ps: PanelStates, tot: np.ndarray, *, states: str, pooled: bool, balance: str) -> dict:
    lay = ps.layout
    n_used = int(tot[ktr.USED])
    spacing = np.diff(lay.years)
    return panel_attrs(
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


def _grouped(
    tables: _Tables, ps: PanelStates, flow: np.ndarray, count: np.ndarray, attrs: dict
) -> xr.Dataset:
    """The result per ``by`` group (cells of the kernel's flows split into group dims)."""
    gfl = ps.split_cells(flow, PAIR_DIMS)
    gct = ps.split_cells(count, PAIR_DIMS)
    groups = {str(d): gfl[d].values for d in gfl.dims[:-3]}
    out = tables.dataset(gfl.values, gct.values, groups)
    out.attrs = dict(attrs)
    return out
