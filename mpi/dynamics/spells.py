"""Poverty and non-poverty spells of a panel and their durations (methods.md §3.2-3.3).

A *spell* is a maximal run of consecutive **observed** waves with the same poverty status
(poor = score at least ``k``). Gaps (unobserved waves: some indicator missing) break
spells (``gap_policy="break"``, the default of methods.md §3.2): the spell before a gap is
right-censored, the one after it left-censored. A spell is also left-censored when it
starts at the first wave of the panel and right-censored when it ends at the last.

Two kernel passes over the ``(unit, time)`` states
(:func:`mpi.kernels.transitions.spells`) count the spells of every unit while summing the
additive duration statistics per group cell, then fill preallocated arrays with one row
per spell. Durations follow Bane & Ellwood (1986): among spells that begin inside the
panel (not left-censored), the hazard of ending after exactly ``d`` waves is

.. math::

    h(d) = \\frac{\\sum s_i\\, 1[\\text{spell lasts } d \\text{ waves and ends}]}
                {\\sum s_i\\, 1[\\text{spell is at risk at } d]}

where a completed spell of length ``L`` is at risk at ``d = 1..L`` and a right-censored
spell of observed length ``L`` at ``d = 1..L-1`` (it is known to have lasted beyond those
durations; whether it ends after ``L`` waves is unknown). Survival
:math:`S(d) = \\prod_{u \\le d} (1 - h(u))` and the distribution of completed lengths
:math:`f(d) = S(d-1) h(d)`. For poverty spells :math:`h` is the exit hazard, for
non-poor spells (which, when not left-censored, start with an exit) the re-entry hazard
(matching the Kaplan-Meier fixture of methods.md §3.4).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.panel_layout import BALANCE, check_balance, check_by_names, parallel_chunks
from mpi._common.ratio import ratio
from mpi._common.result import label_table
from mpi.dynamics.result import DynamicsResult, panel_attrs
from mpi.dynamics.spells_chunked import spell_rows
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.states_chunked import block_sums
from mpi.errors import DataError
from mpi.kernels import transitions as ktr
from mpi.measurement.spec import Spec

__all__ = ["spells", "SpellResult", "SPELL_BALANCE"]

#: Balance policies of :func:`spells`.
SPELL_BALANCE = BALANCE  # ("balanced", "observed")
SPELL_STATES = ("nonpoor", "poor")

REFERENCES = (
    "Bane, M. J. and Ellwood, D. T. (1986). Slipping into and out of poverty: the dynamics "
    "of spells. Journal of Human Resources 21(1): 1-23.",
    "Stevens, A. H. (1999). Climbing out of poverty, falling back in. Journal of Human "
    "Resources 34(3): 557-588.",
)

_META: dict[str, tuple[str, str]] = {
    "spells": ("weighted number of spells (sum of panel weights)", "1"),
    "spell_count": ("unweighted number of spells", "1"),
    "at_risk": ("weighted spells at risk of ending at duration d (begun in the panel)", "1"),
    "ending": ("weighted spells ending after exactly d waves (begun in the panel)", "1"),
    "hazard": ("hazard of ending after exactly d waves, Bane-Ellwood h(d)", "1"),
    "survival": ("survival S(d) = prod_{u<=d} (1 - h(u))", "1"),
    "distribution": ("distribution of completed spell lengths f(d) = S(d-1) h(d)", "1"),
    "restricted_mean_length": (
        "mean spell length restricted to the panel horizon sum_{d=0}^{D-1} S(d)",
        "waves",
    ),
    "expected_length": ("expected completed spell length (NaN when S(D) > 0)", "waves"),
    "exit_hazard": ("poverty exit hazard by duration (poverty spells)", "1"),
    "reentry_hazard": ("poverty re-entry hazard by duration (non-poor spells after an exit)", "1"),
    "units_by_poverty_spells": ("weighted number of units by number of poverty spells", "1"),
    "poverty_spells_share": ("weighted share of units by number of poverty spells", "1"),
    "mean_poverty_spells": ("mean number of poverty spells per unit", "1"),
    "n_units": ("units used (unweighted)", "1"),
}


def _duration_stats(sp: xr.DataArray) -> dict[str, xr.DataArray]:
    """Life-table statistics from weighted spells ``[..., state, length, left, right]``.

    Plain numpy on the trailing axes (xarray arithmetic on these small arrays costs far
    more than the arithmetic); the result carries the leading dims and coordinates.
    """
    a = sp.transpose(..., "state", "length", "left_censored", "right_censored").values
    begun = a[..., 0, :]  # Bane-Ellwood: spells that begin in the panel (not left-censored)
    done = begun[..., 0]  # completed: [..., state, duration]
    cens = begun[..., 1]  # right-censored
    # at risk at d: completed with L >= d, right-censored with L >= d + 1
    at_done = done[..., ::-1].cumsum(-1)[..., ::-1]
    at_cens = np.zeros_like(cens)
    at_cens[..., :-1] = cens[..., ::-1].cumsum(-1)[..., ::-1][..., 1:]
    at_risk = at_done + at_cens
    hazard = ratio(done, at_risk)
    # survival: product over durations at risk (h = NaN contributes nothing beyond D)
    surv = np.cumprod(1.0 - np.nan_to_num(hazard, nan=0.0), axis=-1)
    horizon = (at_risk > 0).cumsum(-1).max(-1)  # D: last duration at risk
    d = np.arange(1, a.shape[-3] + 1)
    within = d <= horizon[..., None]
    surv = np.where(within, surv, np.nan)
    surv_prev = np.ones_like(surv)
    surv_prev[..., 1:] = surv[..., :-1]
    surv_prev = np.where(within, surv_prev, np.nan)
    dist = surv_prev * hazard
    rmean = np.where(horizon > 0, np.nansum(surv_prev, axis=-1), np.nan)
    last = np.take_along_axis(surv, np.maximum(horizon - 1, 0)[..., None], axis=-1)[..., 0]
    expected = np.where((horizon > 0) & (last == 0), rmean, np.nan)
    lead = [x for x in sp.dims if x not in ("state", "length", "left_censored", "right_censored")]
    coords = {c: sp[c].values for c in lead if c in sp.coords}
    coords["state"] = sp["state"].values
    dur = {**coords, "duration": sp["length"].values}

    def da(x: np.ndarray, with_duration: bool = True) -> xr.DataArray:
        dims = [*lead, "state", "duration"] if with_duration else [*lead, "state"]
        return xr.DataArray(x, dims=dims, coords=dur if with_duration else coords)

    return {
        "at_risk": da(at_risk),
        "ending": da(done),
        "hazard": da(hazard),
        "survival": da(surv),
        "distribution": da(dist),
        "restricted_mean_length": da(rmean, False),
        "expected_length": da(expected, False),
    }


def _finalize(
    sp: xr.DataArray, spn: xr.DataArray, pw: xr.DataArray, units: xr.DataArray
) -> xr.Dataset:
    """The result Dataset from the weighted and unweighted spell counts (any leading dims)."""
    stats = _duration_stats(sp)
    # numpy on the trailing axis (xarray's where/alignment costs more than the arithmetic)
    pt = pw.transpose(..., "poverty_spells")
    a = pt.values
    total = a.sum(-1)
    share_a = ratio(a, total[..., None])
    mean_a = ratio((a * pt["poverty_spells"].values).sum(-1), total)
    share = pt.copy(data=share_a)
    lead = pt.dims[:-1]
    mean = xr.DataArray(mean_a, dims=lead, coords={c: pt[c] for c in lead if c in pt.coords})
    ds = xr.Dataset(
        {
            "spells": sp,
            "spell_count": spn,
            **stats,
            "exit_hazard": stats["hazard"].sel(state="poor", drop=True),
            "reentry_hazard": stats["hazard"].sel(state="nonpoor", drop=True),
            "units_by_poverty_spells": pw,
            "poverty_spells_share": share,
            "mean_poverty_spells": mean,
            "n_units": units,
        }
    )
    for name, var in ds.data_vars.items():
        long_name, u = _META.get(str(name), (str(name), "1"))
        var.attrs.update({"long_name": long_name, "units": u})
    return ds


class SpellResult(DynamicsResult):
    """Spells of a panel: one row per spell (:meth:`table`) and duration statistics.

    :meth:`to_dataset` holds the overall duration statistics (all units used);
    :meth:`by_group` the same per ``by`` group (leading dims = the ``by`` variables).
    """

    kind = "Poverty spells"
    call = "mpi.spells"
    headline = ("mean_poverty_spells", "exit_hazard", "reentry_hazard")

    def __init__(
        self,
        ds: xr.Dataset,
        states: PanelStates,
        n_spells: np.ndarray,
        grouped: Callable[[], xr.Dataset] | None = None,
    ) -> None:
        super().__init__(ds, states, grouped)
        self._n_spells = n_spells  # per unit, from the first kernel pass

    def __len__(self) -> int:
        return int(self._n_spells.sum())

    @cached_property
    def _rows(self) -> tuple[np.ndarray, ...]:
        """One entry per spell (second kernel pass, run when a table is first asked for):
        ``(unit row, poor, start wave, end wave, left-censored, right-censored)``."""
        if self._states.lazy:  # block by block: no process holds every unit's states
            return spell_rows(self._states, self._ds.attrs["balance"])
        offsets = np.zeros(len(self._n_spells) + 1, np.int64)
        np.cumsum(self._n_spells, out=offsets[1:])
        n_chunks = parallel_chunks(len(self._n_spells))
        return ktr.spell_fill(self._states.state, offsets, n_chunks)

    def table(self) -> pd.DataFrame:
        """One row per spell.

        Columns: ``unit`` (id), ``spell`` (number of the spell within the unit, from 0),
        ``state`` ("poor"/"nonpoor", categorical), ``start`` / ``end`` (years of the first
        and last wave of the spell), ``length`` (waves in the spell), ``duration_years``
        (``end - start``: 0 for a one-wave spell), ``length_years`` (years from the start
        wave to the first wave observed in the other state, i.e. ``year(end + 1) -
        year(start)``; NaN when right-censored), ``left_censored``, ``right_censored``,
        ``weight``, and one categorical column per ``by`` variable (NaN for a missing group).

        Returns
        -------
        pandas.DataFrame
            One row per spell.
        """
        unit, poor, start, end, left, right = self._rows
        lay = self._states.layout
        years = lay.years
        ext = np.append(years, np.nan)
        after = ext[np.minimum(end.astype(np.int64) + 1, len(years))]
        length_years = np.where(right, np.nan, after - years[start])
        # spell number within unit: rows of a unit are contiguous and in time order
        first = np.ones(len(unit), bool)
        first[1:] = unit[1:] != unit[:-1]
        idx = np.arange(len(unit))
        spell_no = idx - np.maximum.accumulate(np.where(first, idx, 0))
        df = pd.DataFrame(
            {
                "unit": lay.units[unit],
                "spell": spell_no,
                "state": pd.Categorical.from_codes(poor.astype(np.int64), SPELL_STATES),
                "start": lay.times[start],
                "end": lay.times[end],
                "length": (end - start + 1).astype(np.int64),
                "duration_years": years[end] - years[start],
                "length_years": length_years,
                "left_censored": left,
                "right_censored": right,
                "weight": np.asarray(self._states.weight[unit]),
            }
        )
        for name, values in self._states.unit_group_values(unit).items():
            df[name] = values
        return df

    def spells_per_unit(self) -> pd.Series:
        """Number of spells per used unit.

        Returns
        -------
        pandas.Series
            ``spells`` indexed by unit id.
        """
        unit = self._rows[0]
        ids, counts = np.unique(unit, return_counts=True)
        return pd.Series(counts, index=self._states.layout.units[ids], name="spells")

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        haz = pd.DataFrame(
            {
                "exit_hazard": ds["exit_hazard"].to_pandas(),
                "exit_survival": ds["survival"].sel(state="poor").to_pandas(),
                "reentry_hazard": ds["reentry_hazard"].to_pandas(),
                "nonpoor_survival": ds["survival"].sel(state="nonpoor").to_pandas(),
            }
        ).dropna(how="all")
        counts = ds["spell_count"].sum(("left_censored", "right_censored")).to_pandas().T
        head = pd.Series(
            {
                "mean_poverty_spells": float(ds["mean_poverty_spells"]),
                "restricted_mean_poverty_spell": float(
                    ds["restricted_mean_length"].sel(state="poor")
                ),
                "restricted_mean_nonpoor_spell": float(
                    ds["restricted_mean_length"].sel(state="nonpoor")
                ),
            }
        ).to_frame("value")
        shares = ds["poverty_spells_share"].to_pandas().to_frame("share")
        return [
            (text("result.table.headline", lang), label_table(head, lang)),
            (text("result.table.hazards", lang), label_table(haz, lang)),
            (text("result.table.spells_by_length", lang), label_table(counts, lang, cells=True)),
            (text("result.table.spells_per_unit", lang), label_table(shares, lang)),
        ]

    def _repr_values(self) -> str:
        return (
            f"spells={len(self)} mean_poverty_spells={float(self._ds['mean_poverty_spells']):.4f}"
        )


def spells(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    balance: str = "observed",
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> SpellResult:
    """Poverty and non-poverty spells, their censoring and durations (methods.md §3.2-3.3).

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        A panel, or the states :func:`mpi.panel_states` computed from one (then ``spec``
        may be omitted and the other arguments must match).
        Dims ``(unit, time)`` with calendar years as the ``time`` coordinate.
    spec : mpi.Spec, optional
        Indicators, weights and cutoffs; ``k`` overrides the poverty cutoff.
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Panel weight per unit; units without a weight are dropped and counted.
    by : str or list of str, optional
        Time-invariant group variables (group columns in the table, :meth:`~SpellResult.by_group`).
    balance : {"observed", "balanced"}
        ``"observed"`` (default): every unit with an observed wave; gaps break spells
        (gap_policy ``"break"``). ``"balanced"``: only units observed in every wave.
    unit, time : str
        Dimension names of the panel.

    Returns
    -------
    SpellResult
        :meth:`~SpellResult.table`: one row per spell. ``to_dataset()`` variables:

        * ``spells`` / ``spell_count``: weighted / unweighted spells by ``(state, length,
          left_censored, right_censored)``;
        * life table of the spells that begin in the panel (not left-censored), dims
          ``(state, duration)``: ``at_risk``, ``ending``, ``hazard`` :math:`h(d)`,
          ``survival`` :math:`S(d)`, ``distribution`` :math:`f(d) = S(d-1)h(d)`;
          ``exit_hazard`` (poverty spells) and ``reentry_hazard`` (non-poor spells) are
          its two rows. Durations beyond the last one at risk ``D`` are NaN;
        * ``restricted_mean_length`` :math:`\\sum_{d=0}^{D-1} S(d)` (state) and
          ``expected_length``, equal to it when :math:`S(D) = 0` (every spell ended within
          the horizon) and NaN otherwise;
        * ``units_by_poverty_spells``, ``poverty_spells_share`` (dim ``poverty_spells``
          = 0, 1, ...) and ``mean_poverty_spells``; ``n_units``.

    Notes
    -----
    Per unit with an observed wave: spells = 1 + transitions + gap breaks, where a
    transition is a change of status between two adjacent observed waves and a gap break a
    run of unobserved waves between two observed ones.

    References
    ----------
    Bane & Ellwood (1986); Stevens (1999).
    """
    check_balance(balance, SPELL_BALANCE)
    ps = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=1)
    reserved = ("state", "length", "left_censored", "right_censored", "duration")
    check_by_names(ps.by, (*reserved, "poverty_spells"), "spells")
    lay = ps.layout
    bal = ktr.BALANCED if balance == "balanced" else ktr.OBSERVED
    n_spells, counts = block_sums(ps, partial(_spell_counts, bal=bal, total=ps.lazy))
    sums = _SpellSums(*counts)
    tot = sums.units.sum(axis=0)
    n_used = int(tot[ktr.USED])
    if n_used == 0:
        fix = (
            "no unit is observed (all indicators present) in every wave; use balance='observed'"
            if balance == "balanced"
            else "no unit has an observed wave with a weight"
        )
        raise DataError(f"spells: {fix} (units without weight: {int(tot[ktr.NO_WEIGHT])})")
    coords = _coords(lay.n_waves, sums.poverty_w.shape[1])
    ds = sums.dataset(partial(_overall_da, coords))
    ds.attrs = panel_attrs(
        ps,
        title="Poverty and non-poverty spells",
        references=REFERENCES,
        balance=balance,
        gap_policy="break",
        n_used=n_used,
        n_dropped=int(lay.n_units - n_used),
        n_no_weight=int(tot[ktr.NO_WEIGHT]),
        n_unbalanced=int(tot[ktr.UNBALANCED]),
        n_spells=int(n_spells.sum()),
    )
    grouped = None
    if ps.groups is not None:
        grouped = partial(_grouped, sums, partial(_cell_da, ps, coords), ds.attrs)
    return SpellResult(ds, ps, n_spells, grouped)


_DIMS = ["state", "length", "left_censored", "right_censored"]


def _spell_counts(
    ps: PanelStates, *, bal: int, total: bool
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Spells per unit (their total when ``total``: lazy states) and the additive
    duration statistics per cell (:func:`mpi.kernels.transitions.spell_counts`)."""
    n_spells, *counts = ktr.spell_counts(
        ps.state, ps.weight, ps.cell, ps.n_cells, bal, parallel_chunks(ps.layout.n_units)
    )
    return (np.array([n_spells.sum()]) if total else n_spells), tuple(counts)


class _SpellSums(NamedTuple):
    """Sums of :func:`mpi.kernels.transitions.spell_counts` per group cell (first axis)."""

    spells_w: np.ndarray  # weighted spells [cell, state, length, left, right]
    spells_n: np.ndarray  # unweighted spells
    poverty_w: np.ndarray  # weighted units by number of poverty spells [cell, count]
    poverty_n: np.ndarray  # unweighted units by number of poverty spells
    units: np.ndarray  # unit counts [cell, USED / NO_WEIGHT / UNBALANCED]

    def dataset(self, to_da: Callable[[np.ndarray, list[str]], xr.DataArray]) -> xr.Dataset:
        """The result Dataset; ``to_da(array, dims)`` sums or splits the cells."""
        return _finalize(
            to_da(self.spells_w, _DIMS),
            to_da(self.spells_n, _DIMS),
            to_da(self.poverty_w, ["poverty_spells"]),
            to_da(self.units[:, ktr.USED], []),
        )


def _coords(n_waves: int, n_poverty_spells: int) -> dict[str, Any]:
    return {
        "state": list(SPELL_STATES),
        "length": np.arange(1, n_waves + 1),
        "left_censored": [False, True],
        "right_censored": [False, True],
        "poverty_spells": np.arange(n_poverty_spells),
    }


def _overall_da(coords: dict[str, Any], a: np.ndarray, dims: list[str]) -> xr.DataArray:
    """All cells summed (coordinates given to the constructor: no alignment step)."""
    return xr.DataArray(a.sum(axis=0), dims=dims, coords={c: coords[c] for c in dims})


def _cell_da(
    ps: PanelStates, coords: dict[str, Any], a: np.ndarray, dims: list[str]
) -> xr.DataArray:
    """The cells split into one dim per ``by`` variable."""
    return ps.split_cells(a, dims).assign_coords({c: coords[c] for c in dims})


def _grouped(
    sums: _SpellSums, to_da: Callable[[np.ndarray, list[str]], xr.DataArray], attrs: dict
) -> xr.Dataset:
    out = sums.dataset(to_da)
    out.attrs = dict(attrs)
    return out
