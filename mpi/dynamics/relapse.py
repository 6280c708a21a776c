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

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from mpi._common.chunked import is_lazy
from mpi._common.panel_layout import (
    check_by_names,
    check_panel,
    parallel_chunks,
    status_states,
    unit_groups,
    unit_weights,
)
from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi._common.table import readonly
from mpi.dynamics._relapse_tables import (
    BOOTSTRAPPED,
    WaveGrid,
    bootstrap_stats,
    relapse_measures,
)
from mpi.dynamics.bootstrap_chunked import bootstrap_entropy, unit_frequencies
from mpi.dynamics.relapse_result import RelapseResult, Replicates, describe
from mpi.dynamics.result import panel_attrs
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.states_chunked import block_sums, lazy_status_states
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
    if is_lazy(panel, [status]):  # a dask panel: states converted block by block
        return PanelStates(
            spec=None,  # type: ignore[arg-type]  # poverty status from another rule
            k=None,  # type: ignore[arg-type]
            layout=layout,
            denom=1,
            weight_name=weight,
            **lazy_status_states(panel, status, layout, weight, by),
        )
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
    progress: bool | None = None,
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
    k : optional
        Poverty cutoff overriding ``spec.k`` (not with ``status``).
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
        ``mean_score_at_reentry`` and ``reentry_*_share`` variables are left out. On a
        dask panel the status stays lazy: it is converted block by block of units
        (:func:`mpi.dynamics.states_chunked.lazy_status_states`), never loaded whole.
    bootstrap : int
        Unit-cluster bootstrap replicates (0: none). Each replicate draws ``N`` units with
        replacement among the units with a weight (multinomial frequencies ``f_i``, drawn
        down a fixed tree over the units so that a dask panel gives the same replicates
        for any chunking: :mod:`mpi.dynamics.bootstrap_chunked`), runs the kernel with weights ``f_i s_i`` and recomputes every measure; gives
        ``<name>_se`` (standard deviation over the replicates, ``ddof=1``, replicates where
        the measure is undefined left out; ``survival_bse`` / ``survival_by_band_bse`` /
        ``survival_years_bse`` since ``survival_se`` is the linearised SE) and the
        percentile 95% interval ``<name>_lower`` / ``<name>_upper``. The same SEs are
        :attr:`RelapseResult.se` (named like the estimates) and
        :meth:`RelapseResult.ci` gives percentile intervals at any level.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    unit, time : str
        Dimension names.
    progress : bool or None, default None
        A progress bar over the bootstrap replicates, on stderr: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The result is the same either way.

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
    check_progress(progress)
    ps, scores = _relapse_states(panel, spec, k, status, weight, by, unit, time)
    lay = ps.layout
    reserved = ("time_since_exit", "band_at_exit", "years_since_exit", "indicator", "time")
    check_by_names(ps.by, (*reserved, lay.time_dim), "relapse")
    ctx = _Context.of(ps, scores)
    sums_t, cross, drawable = block_sums(ps, partial(_unit_sums, scores=scores), with_block=True)
    sums = _Sums(*sums_t)
    tot_units = sums.units.sum(0)
    if int(tot_units[krl.USED]) == 0:
        raise DataError(
            f"relapse: the weight variable {ps.weight_name!r} is missing (NaN) for every unit; "
            "fill it or pass another weight="
        )
    reps = _replicate_sums(ps, scores, sums, n_boot, seed, drawable, progress) if n_boot else None
    overall_reps = None
    if reps is not None:
        overall_reps = relapse_measures(*(r.sum(1) for r in reps), ctx.grid, ps.denom)
    ds = ctx.dataset(sums.total(), tuple(c.sum(0) for c in cross), overall_reps, _overall_da)
    ds.attrs = _attrs(ps, tot_units, n_boot=n_boot, seed=seed, status=status, scores=scores)
    grouped = None
    if ps.groups is not None:
        grouped = partial(_grouped, ctx, sums, cross, reps, ds.attrs)
    kept = {n: v for n, v in (overall_reps or {}).items() if n in BOOTSTRAPPED and n in ds}
    return RelapseResult(ds, ps, grouped, kept)


class _Sums(NamedTuple):
    """Sums of :func:`mpi.kernels.relapse.relapse_sums` per group cell (first axis)."""

    life_w: np.ndarray
    life_n: np.ndarray
    period_w: np.ndarray
    period_n: np.ndarray
    comp_w: np.ndarray
    comp_n: np.ndarray
    units: np.ndarray

    def total(self) -> _Sums:
        """The sums over every cell (the overall result)."""
        return _Sums(*(a.sum(0) for a in self))


@dataclass(frozen=True)
class _Context:
    """What every step of :func:`relapse` shares: the states, the wave grid, the kernel
    arguments."""

    ps: PanelStates
    grid: WaveGrid
    scores: bool
    chunks: int

    @classmethod
    def of(cls, ps: PanelStates, scores: bool) -> _Context:
        grid = WaveGrid(ps.layout.years, list(ps.spec.names) if scores else None)
        return cls(ps, grid, scores, parallel_chunks(ps.layout.n_units))

    def sums(self, weight: np.ndarray) -> _Sums:
        """One kernel pass with the unit weights ``weight``."""
        ps = self.ps
        d = len(ps.spec) if self.scores else 0
        return _Sums(
            *krl.relapse_sums(
                ps.state,
                ps.num,
                ps.pattern,
                weight,
                ps.cell,
                ps.n_cells,
                d,
                self.scores,
                self.chunks,
            )
        )

    def dataset(
        self,
        sums: _Sums,
        cross: tuple[np.ndarray, np.ndarray],
        replicates: Replicates | None,
        to_da: Callable[[np.ndarray, list[str]], xr.DataArray],
    ) -> xr.Dataset:
        """Measures -> labelled Dataset; ``to_da(array, dims)`` places the leading (cell)
        axes; ``replicates`` are the bootstrap's replicate measures (replicates first)."""
        T = self.ps.layout.n_waves
        meas = relapse_measures(
            sums.life_w, sums.period_w, sums.comp_w, self.grid, self.ps.denom, cross
        )
        if replicates is not None:
            meas.update(bootstrap_stats(replicates, set(meas)))
        lt = sums.life_n.sum(-4).sum(-3)  # [..., e, kind]
        E = ["time_since_exit"]
        meas["at_risk_count"] = (lt[..., 1 : T - 1, krl.AT_RISK], E)
        meas["events_count"] = (lt[..., 1 : T - 1, krl.EVENTS], E)
        meas["censored_count"] = (lt[..., 1 : T - 1, krl.CENSORED], E)
        meas["n_exits"] = (sums.period_n[..., krl.EXITS].sum(-1), [])
        meas["n_reentries"] = (sums.comp_n, [])
        meas["n_units"] = (sums.units[..., krl.USED], [])
        if not self.scores:  # no band at exit without scores
            meas = {k_: v for k_, v in meas.items() if "_by_band" not in k_}
        ds = xr.Dataset({name: to_da(a, dims) for name, (a, dims) in meas.items()})
        return self.label(ds)

    def label(self, ds: xr.Dataset) -> xr.Dataset:
        """Coordinates, the wave dimension's name and the variables' metadata."""
        lay = self.ps.layout
        c = {
            "time_since_exit": np.arange(1, lay.n_waves - 1),
            "band_at_exit": list(BANDS_AT_EXIT),
            "years_since_exit": self.grid.taus,
            "time": lay.times[1:],
        }
        if self.scores:
            c["indicator"] = list(self.ps.spec.names)
        ds = ds.assign_coords({k_: v for k_, v in c.items() if k_ in ds.dims})
        if "time" in ds.dims:
            ds = ds.assign_coords(from_time=("time", lay.times[:-1]))
            if lay.time_dim != "time":
                ds = ds.rename(time=lay.time_dim)
        return describe(ds)


def _unit_sums(ps: PanelStates, block: xr.Dataset, *, scores: bool) -> tuple[Any, ...]:
    """The kernel's sums per cell, the unit-level cross sums of the linearised survival
    SEs (:func:`mpi.kernels.relapse.relapse_cross_sums`), both additive over units, and
    ``{first row of the block: its units with a weight}`` (the bootstrap's positions)."""
    ctx = _Context.of(ps, scores)
    cross = krl.relapse_cross_sums(
        ps.state, ps.weight, ps.cell, ps.n_cells, ctx.grid.tau_index, ctx.grid.n_taus, ctx.chunks
    )
    drawable = {_first_row(block): int((~np.isnan(ps.weight)).sum())}
    return tuple(ctx.sums(ps.weight)), tuple(cross), drawable


def _first_row(block: xr.Dataset) -> int:
    """Position in the panel of the block's first unit."""
    return int(block["row"].values[0]) if block["row"].size else 0


def _overall_da(a: np.ndarray, dims: list[str]) -> xr.DataArray:
    return xr.DataArray(a, dims=dims)


def _replicate_sums(
    ps: PanelStates,
    scores: bool,
    like: _Sums,
    n_boot: int,
    seed: Any,
    drawable: dict[int, int],
    progress: bool | None = None,
) -> tuple[np.ndarray, ...]:
    """Weighted sums per cell of each bootstrap replicate (replicates first): the ``m``
    units with a weight are drawn ``m`` times with replacement (multinomial frequencies
    ``f_i``, :func:`mpi.dynamics.bootstrap_chunked.unit_frequencies`: the same for any
    chunking), weights ``f_i s_i``. ``drawable`` maps the first row of each block to its
    units with a weight; blocks are computed one dask task each on lazy states."""
    entropy = bootstrap_entropy(seed)
    starts = sorted(drawable)
    before = dict(
        zip(starts, np.cumsum([0, *(drawable[s] for s in starts)]).tolist(), strict=False)
    )
    m = sum(drawable.values())
    bar = not ps.lazy  # replicates run inside each block's task on lazy states

    def block_reps(bps: PanelStates, block: xr.Dataset) -> tuple[np.ndarray, ...]:
        ctx = _Context.of(bps, scores)
        missing = np.isnan(bps.weight)
        ok = ~missing
        weight = np.nan_to_num(bps.weight)
        lo = before[_first_row(block)]
        hi = lo + int(ok.sum())
        life = np.empty((n_boot, *like.life_w.shape))
        period = np.empty((n_boot, *like.period_w.shape))
        comp = np.empty((n_boot, *like.comp_w.shape))
        f = np.zeros(bps.layout.n_units)
        reps = progress_bar(
            range(n_boot), total=n_boot, desc="bootstrap", unit="replicates",
            enabled=progress if bar else False,
        )  # fmt: skip
        for b in reps:
            f[ok] = unit_frequencies(entropy, b, m, lo, hi)
            s = ctx.sums(readonly(np.where(missing, np.nan, f * weight)))
            life[b], period[b], comp[b] = s.life_w, s.period_w, s.comp_w
        return life, period, comp

    return block_sums(ps, block_reps, with_block=True)


def _grouped(
    ctx: _Context,
    sums: _Sums,
    cross: tuple[np.ndarray, np.ndarray],
    reps: tuple[np.ndarray, ...] | None,
    attrs: dict,
) -> xr.Dataset:
    """The result per ``by`` group: per cell (bootstrap replicates first, then cells),
    finalize, then split the cells into the group dims."""

    def cell_da(a: np.ndarray, dims: list[str]) -> xr.DataArray:
        return ctx.ps.split_cells(np.asarray(a), dims)

    replicates = None if reps is None else relapse_measures(*reps, ctx.grid, ctx.ps.denom)
    out = ctx.dataset(sums, cross, replicates, cell_da)
    out.attrs = dict(attrs)
    return out


def _attrs(
    ps: PanelStates,
    tot_units: np.ndarray,
    *,
    n_boot: int,
    seed: Any,
    status: Hashable | None,
    scores: bool,
) -> dict:
    n_used = int(tot_units[krl.USED])
    spacing = np.diff(ps.layout.years)
    extra = dict(
        balance="observed",
        gap_policy="break",
        n_used=n_used,
        n_dropped=int(ps.layout.n_units - n_used),
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
    return panel_attrs(
        ps,
        title="Relapse after exit from poverty",
        references=REFERENCES,
        status_variable=status,
        **extra,
    )


def _relapse_states(
    panel: Any,
    spec: Spec | None,
    k: Any,
    status: Hashable | None,
    weight: str | None,
    by: str | Sequence[str] | None,
    unit: Hashable,
    time: Hashable,
) -> tuple[PanelStates, bool]:
    """The states (from the spec, or from ``status``) and whether they carry scores."""
    if status is None:
        ps = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=2)
        return ps, True
    if spec is not None or k is not None:
        raise ValidationError(
            f"status={status!r} gives the poverty status directly; leave out spec= and k= "
            "(or leave out status= to identify the poor with the spec)"
        )
    return _status_states(panel, status, weight, by, unit, time), False
