"""The early-warning estimator :func:`relapse_risk`, written as named steps.

1. :func:`_check_options` and :func:`_check_wave_count`: the arguments;
2. :func:`_poverty_states`: the ``(unit, time)`` states (the AF rule, or ``status=``);
3. :func:`_transition_sums`: one kernel pass (features and transition sums) and the fit
   period;
4. :func:`_fit_nonparametric` or :func:`_fit_logit`: the model, its risk per unit-wave and
   its Dataset variables;
5. :func:`_result` (:func:`_risk_dataset`, :func:`_risk_attrs`, :func:`_with_evaluation`):
   the finished Dataset, from which the :class:`~mpi.RiskResult` is made.

The four steps after the checks advance the call's progress bar (``progress=``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.panel_layout import check_panel, parallel_chunks, status_states, unit_weights
from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.dynamics.result import panel_attrs
from mpi.dynamics.risk.evaluation import default_evaluation
from mpi.dynamics.risk.features import TSE_NAMES, Covariates, Features, check_int
from mpi.dynamics.risk.fit import (
    FALLBACK_LEVELS,
    LogitDesign,
    LogitFit,
    cell_scores,
    cell_table,
    fit_logit,
    naive_scores,
    naive_table,
    score_logit,
)
from mpi.dynamics.risk.model import RiskModel
from mpi.dynamics.risk.result import RiskResult
from mpi.dynamics.states import BAND_NAMES, PanelStates, panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import risk as krisk
from mpi.measurement.spec import Spec

__all__ = ["relapse_risk", "METHODS", "REFERENCES"]

#: The models of :func:`relapse_risk`.
METHODS = ("nonparametric", "logit")
#: Dims of the cell table.
CELL_DIMS = ("band", "history", "time_since_exit")
TITLE = "Early warning: risk of being poor at a later wave"

REFERENCES = (
    "Stevens, A. H. (1999). Climbing out of poverty, falling back in: measuring the "
    "persistence of poverty over multiple spells. Journal of Human Resources 34(3): 557-588.",
    "Chaudhuri, S., Jalan, J. and Suryahadi, A. (2002). Assessing household vulnerability to "
    "poverty from cross-sectional data. Columbia University DP 0102-52.",
    "Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver "
    "operating characteristic (ROC) curve. Radiology 143: 29-36.",
    "Brier, G. W. (1950). Verification of forecasts expressed in terms of probability. "
    "Monthly Weather Review 78(1): 1-3.",
)


@dataclass(frozen=True)
class _Options:
    """The checked model options of one call."""

    method: str
    horizon: int
    min_count: int
    max_history: int
    covariates: list
    fit_until: Any


@dataclass(frozen=True, eq=False)
class _Poverty:
    """The poverty states of the panel and the weights the model uses."""

    states: PanelStates | None  # with a spec (the AF rule, or status= plus a spec)
    layout: Any
    state: np.ndarray  # (unit, time) int8, C-contiguous
    weight: np.ndarray  # per unit
    band_names: list[str]


@dataclass(frozen=True, eq=False)
class _Sums:
    """The kernel's codes and the transition sums of the fit period."""

    code: np.ndarray  # (unit, time) full-cell codes
    fit_weight: np.ndarray  # [n_full, 2] weighted unit-waves, events (target waves in the fit)
    fit_count: np.ndarray  # [n_full, 2] unweighted
    units: np.ndarray  # kernel unit counts (USED, NO_WEIGHT)
    fit_mask: np.ndarray  # target waves of the fit


@dataclass(frozen=True, eq=False)
class _Fitted:
    """A fitted model: its risk, its Dataset variables and coordinates."""

    risk: np.ndarray
    data: dict
    coords: dict
    cell_scores: np.ndarray | None = None
    logit: LogitFit | None = None


def relapse_risk(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    status: Hashable | None = None,
    method: str = "nonparametric",
    covariates: Sequence[Hashable] | None = None,
    fit_until: float | None = None,
    horizon: int = 1,
    min_count: int = 30,
    max_history: int = 2,
    unit: Hashable = "unit",
    time: Hashable = "time",
    progress: bool | None = None,
) -> RiskResult:
    """Early warning: the probability of being poor ``horizon`` waves later, per unit-wave.

    .. math::

        r_{it} = P(P_{i,t+h} = 1 \\mid \\text{band}_{it}, \\text{history}_{it},
        \\text{tse}_{it}[, c_{it}, z_{it}])

    Features (from the unit's past and present only, so scoring wave :math:`t` uses no data
    after :math:`t`):

    * ``band``: nonpoor / vulnerable / poor / severe (the spec's cutoffs), or nonpoor /
      poor with ``status=``;
    * ``history``: earlier observed poor waves, capped at ``max_history`` (0, 1, ``2+``);
    * ``time_since_exit`` (tse): 0 when poor now or never observed exiting; otherwise
      :math:`\\min(t - u + 1, 3)` for the last exit at wave :math:`u` (the first nonpoor
      wave after a poor one, bridging gaps): 1 at the exit wave, whose next wave is the
      first at risk of re-entry (``e = 1`` of methods.md §3.4), 2, ``3+``;
    * logit only: the deprivation score :math:`c_{it}` (with a spec) and ``covariates``.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        Dims ``(unit, time)``, numeric years as ``time``. A PanelStates only without
        ``status``.
    spec : mpi.Spec, optional
        Required without ``status``; with ``status`` it adds the score and the deprived
        indicators (then a unit-wave needs both the status and all indicators).
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Fixed panel weight over ``unit``; units with a NaN weight are left out of the fit
        and the evaluation (counted in ``n_no_weight``) but still scored.
    status : str, optional
        A (unit, time) 0/1 variable (1 = poor, NaN = unobserved) used as poverty status
        instead of the AF rule (income line, registry flag, ...).
    method : {"nonparametric", "logit"}
        See Notes.
    covariates : list of str, optional
        Logit only: variables over ``(unit,)`` or ``(unit, time)`` (the value at the
        scored wave). Numeric ones enter linearly; strings, categoricals and booleans as
        dummies (first level as reference). A unit-wave with a missing covariate is not
        fitted and gets a NaN risk.
    fit_until : year, optional
        Fit on the transitions whose *target* wave is at most ``fit_until``; the later
        ones are held out for :meth:`RiskResult.evaluate`. Default: fit on every transition
        (no evaluation).
    horizon : int
        Waves ahead (default 1: the next wave).
    min_count : int
        Nonparametric: fewest fitting unit-waves (unweighted) a cell needs before falling
        back to a coarser one.
    max_history : int
        Cap of the count of earlier poor waves.
    unit, time : str
        Names of the panel's unit and time dimensions.
    progress : bool or None, default None
        A progress bar on stderr over the steps of the fit (states, transition sums, model,
        scoring and evaluation): ``None`` when stderr is a terminal (and the environment
        variable ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False`` never. The
        result is the same either way.

    Returns
    -------
    RiskResult
        ``to_dataset()``: ``risk`` (unit, time; float64, NaN where unobserved: 8 bytes per
        unit-wave, i.e. 64 MB at 1e6 units x 8 waves), the features ``current_band``,
        ``poor_history``, ``waves_since_exit`` (int8 codes, -1 unobserved); nonparametric: ``probability`` (after
        fallback), ``cell_probability`` (raw), ``fallback_level``, ``cell_weight``,
        ``cell_events``, ``cell_count`` over (band, history, time_since_exit); logit:
        ``coef``, ``std_err`` over ``term``; ``naive_probability`` (band, exited); with a
        held-out period, the evaluation of :meth:`RiskResult.evaluate` (``auc``,
        ``brier``, ``calibration_*``).

    Notes
    -----
    **Nonparametric.** One kernel pass (:func:`mpi.kernels.risk.risk_counts`) sums, per
    target wave and full cell, the weights :math:`\\sum s_i` of the unit-waves and of those
    poor at the target. The fit sums the target waves :math:`\\le` ``fit_until``:
    :math:`\\hat r(c) = \\sum_{(i,t) \\in c} s_i P_{i,t+h} / \\sum_{(i,t) \\in c} s_i`.
    Fallback hierarchy (a cell uses the first level whose cell has at least ``min_count``
    fitting unit-waves and a positive weight; the last level always applies):

    0. band x history x time_since_exit;
    1. band x ever poor before (history 0 / 1+) x time_since_exit;
    2. band x time_since_exit;
    3. band;
    4. all unit-waves.

    **Logit.** ``statsmodels.api.GLM(y, X, family=Binomial(), freq_weights=s)`` on the
    pooled fitting unit-waves. ``X``: a constant, band dummies (reference nonpoor),
    history dummies (reference 0), time-since-exit dummies (reference 0), the score
    :math:`c_{it}` (with a spec), the covariates. Columns without variation in the fitting
    rows are dropped (attr ``dropped_terms``). Standard errors treat the weights as
    frequencies (not design-based).

    **Naive rule (baseline): "band at exit".** :math:`P(P_{i,t+h}=1 \\mid \\text{band}_{it},
    X_{it})` with :math:`X_{it} = 1` when the unit was observed exiting poverty at or
    before :math:`t` — the weighted frequency over the same fitting unit-waves, an empty
    cell falling back to the band and then to all unit-waves. For a unit that exited and is
    still nonpoor, its band now is its band since the exit unless it moved; what the rule
    lacks is the poverty history and the time since exit.

    **Evaluation.** AUC (exact, weighted, ties 1/2), Brier score and a calibration table by
    weighted deciles of predicted risk on the held-out unit-waves observed at both waves.

    References
    ----------
    Stevens (1999); Chaudhuri, Jalan & Suryahadi (2002); methods.md §3.4-§3.5, §4.4.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")  # doctest: +SKIP
    >>> res = mpi.relapse_risk(panel, mpi.presets.china_2b3g(), weight="weight",
    ...                        fit_until=2021)  # doctest: +SKIP
    >>> res.evaluate()["auc"]  # doctest: +SKIP
    >>> res.watch_list(top=20)  # doctest: +SKIP
    """
    options = _check_options(method, horizon, min_count, max_history, covariates, fit_until)
    check_progress(progress)
    _check_wave_count(panel, time, options.horizon)
    with progress_bar(total=4, desc="relapse_risk", unit="steps", enabled=progress) as bar:
        poverty = _poverty_states(
            panel,
            spec,
            k=k,
            weight=weight,
            status=status,
            unit=unit,
            time=time,
            horizon=options.horizon,
        )
        if options.covariates and isinstance(panel, PanelStates):
            raise ValidationError("covariates need the panel Dataset, not PanelStates")
        bar.update(1)
        sums = _transition_sums(poverty, options)
        bar.update(1)
        features = Features(sums.code, len(poverty.band_names), options.max_history)
        shape = (len(poverty.band_names), options.max_history + 1, krisk.N_TSE)
        naive = naive_table(sums.fit_weight, sums.fit_count, shape)
        if options.method == "nonparametric":
            fitted = _fit_nonparametric(sums, shape, options.min_count)
        else:
            fitted = _fit_logit(panel, poverty, sums, features, options)
        bar.update(1)
        result = _result(poverty, sums, features, fitted, naive, shape, options, status, weight)
        bar.update(1)
    return result


def _result(
    poverty: _Poverty,
    sums: _Sums,
    features: Features,
    fitted: _Fitted,
    naive: np.ndarray,
    shape: tuple,
    options: _Options,
    status: Hashable | None,
    weight: str | None,
) -> RiskResult:
    """The fitted model, its Dataset (risk, model variables, attributes) and the
    out-of-time evaluation, as a :class:`RiskResult`."""
    model = RiskModel(
        years=poverty.layout.years,
        times=poverty.layout.times,
        units=poverty.layout.units,
        horizon=options.horizon,
        fit_until=options.fit_until,
        state=poverty.state,
        code=sums.code,
        risk=fitted.risk,
        weight=poverty.weight,
        fit_mask=sums.fit_mask,
        features=features,
        naive_scores=naive_scores(naive, shape),
        band_names=poverty.band_names,
        cell_scores=fitted.cell_scores,
        logit=fitted.logit,
    )
    ds = _risk_dataset(poverty, model, fitted, naive, sums, options)
    ds.attrs = _risk_attrs(poverty, sums, fitted, options, status=status, weight=weight)
    return RiskResult(_with_evaluation(ds, model), poverty.states, model)


# ---------------------------------------------------------------------------- arguments
def _check_options(
    method: str,
    horizon: Any,
    min_count: Any,
    max_history: Any,
    covariates: Sequence[Hashable] | Hashable | None,
    fit_until: Any,
) -> _Options:
    """Validate the model options (in the order the errors are documented)."""
    if method not in METHODS:
        raise ValidationError(
            f"method must be 'nonparametric' (cell frequencies) or 'logit'; got {method!r}"
        )
    horizon = check_int("horizon", horizon, 1)
    min_count = check_int("min_count", min_count, 1)
    max_history = check_int("max_history", max_history, 1)
    if max_history > 100:  # feature codes are int16; more past poor waves than this is moot
        raise ValidationError(
            f"max_history={max_history} is too large; past poor waves are capped at it, so "
            "use at most the number of waves (e.g. max_history=2 or 3)"
        )
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or [])  # type: ignore[arg-type]
    if covariates and method != "logit":
        raise ValidationError(
            f"covariates={covariates!r} need method='logit'; the nonparametric model uses "
            "only band, history and time since exit"
        )
    if fit_until is not None and (
        isinstance(fit_until, bool) or not isinstance(fit_until, int | float | np.number)
    ):
        raise ValidationError(f"fit_until must be a year (number); got {fit_until!r}")
    return _Options(method, horizon, min_count, max_history, covariates, fit_until)


def _check_wave_count(panel: Any, time: Hashable, horizon: int) -> None:
    """A panel needs ``horizon + 1`` waves (a wave and its target)."""
    n_waves = (
        panel.layout.n_waves
        if isinstance(panel, PanelStates)
        else panel.sizes.get(time)
        if isinstance(panel, xr.Dataset)
        else None
    )
    if n_waves is not None and n_waves < horizon + 1:
        raise DataError(
            f"horizon={horizon} needs at least {horizon + 1} waves (a wave and its target "
            f"{horizon} wave(s) later); the panel has {n_waves}. Use horizon <= "
            f"{max(n_waves - 1, 1)}"
        )


# ---------------------------------------------------------------------------- states
def _poverty_states(
    panel: Any,
    spec: Spec | None,
    *,
    k: Any,
    weight: str | None,
    status: Hashable | None,
    unit: Hashable,
    time: Hashable,
    horizon: int,
) -> _Poverty:
    """The states by the AF rule (four bands), or by ``status`` (nonpoor / poor)."""
    if status is None:
        ps = panel_states(
            panel, spec, k=k, weight=weight, unit=unit, time=time, min_waves=horizon + 1
        )
        return _Poverty(ps, ps.layout, np.ascontiguousarray(ps.state), ps.weight, list(BAND_NAMES))
    if isinstance(panel, PanelStates):
        raise ValidationError(
            "status= needs the panel Dataset (the status variable is read from it); "
            "pass the xarray.Dataset instead of PanelStates"
        )
    if k is not None and spec is None:
        raise ValidationError(
            f"k={k!r} is a cutoff of the spec's AF rule, but status={status!r} gives the "
            "poverty status and no spec was given; leave out k (or pass spec= too)"
        )
    layout = check_panel(panel, unit=unit, time=time, min_waves=horizon + 1)
    state = status_states(panel, status, layout)
    ps = None
    if spec is not None:  # the spec adds the score and needs every indicator observed
        ps = panel_states(
            panel, spec, k=k, weight=weight, unit=unit, time=time, min_waves=horizon + 1
        )
        state = np.where(ps.state < 0, np.int8(-1), state)
        sw_unit = ps.weight
    else:
        sw_unit = unit_weights(panel, weight, layout)
    return _Poverty(ps, layout, np.ascontiguousarray(state), sw_unit, ["nonpoor", "poor"])


def _transition_sums(poverty: _Poverty, options: _Options) -> _Sums:
    """Kernel pass (codes and sums per target wave and full cell), summed over the fit."""
    state = poverty.state
    years = poverty.layout.years
    horizon, fit_until = options.horizon, options.fit_until
    code, sum_w, sum_n, units = krisk.risk_counts(
        state,
        poverty.weight,
        len(poverty.band_names),
        options.max_history,
        horizon,
        parallel_chunks(state.shape[0]),
    )
    fit_mask = np.zeros(state.shape[1], bool)
    fit_mask[horizon:] = True if fit_until is None else years[horizon:] <= float(fit_until)
    if not fit_mask.any():
        raise ValidationError(
            f"fit_until={fit_until!r} leaves no transition to fit: the first target wave is "
            f"{years[horizon]:g}; choose fit_until >= {years[horizon]:g}"
        )
    fw, fn = sum_w[fit_mask].sum(0), sum_n[fit_mask].sum(0)
    if fn[:, 0].sum() == 0:
        raise DataError(
            "relapse_risk: no unit-wave with a weight is observed at both a wave and its "
            f"target {horizon} wave(s) later within fit_until={fit_until!r} (units without "
            f"weight: {int(units[krisk.NO_WEIGHT])})"
        )
    return _Sums(code, fw, fn, units, fit_mask)


# ---------------------------------------------------------------------------- models
def _cell_coords(band_names: list[str], max_history: int) -> dict:
    """Coordinates of the cell table (band, history, time_since_exit)."""
    hist_names = [str(h) for h in range(max_history)] + [f"{max_history}+"]
    return {"band": band_names, "history": hist_names, "time_since_exit": list(TSE_NAMES)}


def _fit_nonparametric(sums: _Sums, shape: tuple, min_count: int) -> _Fitted:
    """The cell table with fallback; the risk of a unit-wave is its cell's probability."""
    tab = cell_table(sums.fit_weight, sums.fit_count, shape, min_count)
    full = cell_scores(tab["prob"])
    data = {
        "probability": (CELL_DIMS, tab["prob"]),
        "cell_probability": (CELL_DIMS, tab["raw"]),
        "fallback_level": (CELL_DIMS, tab["level"]),
        "cell_weight": (CELL_DIMS, tab["weight"]),
        "cell_events": (CELL_DIMS, tab["events"]),
        "cell_count": (CELL_DIMS, tab["count"]),
    }
    return _Fitted(risk=full[sums.code], data=data, coords={}, cell_scores=full)


def _fit_logit(
    panel: Any, poverty: _Poverty, sums: _Sums, features: Features, options: _Options
) -> _Fitted:
    """The discrete-time logit (statsmodels GLM) and its risk of every unit-wave."""
    cov = Covariates(panel, options.covariates, poverty.layout) if options.covariates else None
    ps = poverty.states
    design = LogitDesign(
        features,
        sums.code,
        poverty.band_names,
        ps.num if ps is not None else None,
        ps.denom if ps is not None else 1,
        cov,
    )
    fit = fit_logit(design, poverty.state, poverty.weight, sums.fit_mask, options.horizon)
    data = {"coef": ("term", fit.beta), "std_err": ("term", fit.bse)}
    return _Fitted(
        risk=score_logit(fit, sums.code), data=data, coords={"term": fit.terms}, logit=fit
    )


# ---------------------------------------------------------------------------- dataset
def _long_names(options: _Options, band_names: list[str]) -> dict[str, str]:
    """CF ``long_name`` of every variable of the result."""
    levels = "; ".join(f"{i} = {x}" for i, x in enumerate(FALLBACK_LEVELS))
    return {
        "risk": f"P(poor {options.horizon} wave(s) later | features at this wave) "
        f"({options.method})",
        "current_band": f"band code at the wave ({', '.join(band_names)}; -1 unobserved)",
        "poor_history": "earlier observed poor waves, capped at "
        f"{options.max_history} (-1 unobserved)",
        "waves_since_exit": "waves since the last exit: 0 never/poor now, 1, 2, 3 = 3+ (-1 "
        "unobserved)",
        "probability": "P(poor next | cell) after the fallback to coarser cells",
        "cell_probability": "raw weighted frequency P(poor next | cell) (NaN: empty cell)",
        "fallback_level": "level of the fallback hierarchy used (0 = the cell itself; "
        + levels
        + ")",
        "cell_weight": "sum of weights of the fitting unit-waves in the cell",
        "cell_events": "sum of weights of the fitting unit-waves poor at the target wave",
        "cell_count": "fitting unit-waves in the cell (unweighted)",
        "coef": "logit coefficient (statsmodels GLM, binomial, freq_weights = panel weight)",
        "std_err": "standard error of the coefficient (weights as frequencies)",
        "naive_probability": "naive band-at-exit rule P(poor next | band, ever exited)",
        "fit_count": "fitting unit-waves (unweighted)",
        "fit_weight": "sum of weights of the fitting unit-waves",
        "fit_events": "sum of weights of the fitting unit-waves poor at the target wave",
    }


def _risk_dataset(
    poverty: _Poverty,
    model: RiskModel,
    fitted: _Fitted,
    naive: np.ndarray,
    sums: _Sums,
    options: _Options,
) -> xr.Dataset:
    """Risk and features per unit-wave, the model, the naive table and the fit totals."""
    fw, fn = sums.fit_weight, sums.fit_count
    band_a, hist_a, tse_a, _ = model.features.decode(model.code)
    features = {"current_band": band_a, "poor_history": hist_a, "waves_since_exit": tse_a}
    udim, tdim = poverty.layout.unit_dim, poverty.layout.time_dim
    ds = xr.Dataset(
        {
            "risk": ((udim, tdim), model.risk),
            **{name: ((udim, tdim), arr) for name, arr in features.items()},
            **fitted.data,
            "naive_probability": (("band", "exited"), naive),
            "fit_count": ((), int(fn[:, 0].sum())),
            "fit_weight": ((), float(fw[:, 0].sum())),
            "fit_events": ((), float(fw[:, 1].sum())),
        },
        coords={
            udim: poverty.layout.units,
            tdim: poverty.layout.times,
            **_cell_coords(poverty.band_names, options.max_history),
            **fitted.coords,
            "exited": [False, True],
        },
    )
    meta = _long_names(options, poverty.band_names)
    for name, var in ds.data_vars.items():
        var.attrs.update({"long_name": meta.get(str(name), str(name)), "units": "1"})
    return ds


def _risk_attrs(
    poverty: _Poverty,
    sums: _Sums,
    fitted: _Fitted,
    options: _Options,
    *,
    status: Hashable | None,
    weight: str | None,
) -> dict:
    """Dataset attributes: the panel's (as every dynamics result) and the model's."""
    n, T = poverty.state.shape
    years = poverty.layout.years
    n_used = int(sums.units[krisk.USED])
    extra: dict[str, Any] = dict(
        method=options.method,
        horizon=options.horizon,
        fit_until="all" if options.fit_until is None else float(options.fit_until),
        min_count=options.min_count,
        max_history=options.max_history,
        status=str(status) if status is not None else "none (AF rule)",
        balance="observed",
        n_used=n_used,
        n_dropped=int(n - n_used),
        n_no_weight=int(sums.units[krisk.NO_WEIGHT]),
        fitted_target_waves=", ".join(f"{y:g}" for y in years[sums.fit_mask]),
        baseline="naive band-at-exit rule: P(poor next | band, ever exited)",
    )
    if fitted.logit is not None:
        extra["dropped_terms"] = ", ".join(fitted.logit.dropped_terms) or "none"
        extra["covariates"] = ", ".join(map(str, options.covariates)) or "none"
    if poverty.states is not None:
        return panel_attrs(poverty.states, title=TITLE, references=REFERENCES, **extra)
    return {
        "title": TITLE,
        "references": "\n".join(REFERENCES),
        "spec": "none (status)",
        "k": "none",
        "weight": weight or "none",
        "by": "none",
        "unit_dim": str(poverty.layout.unit_dim),
        "time_dim": str(poverty.layout.time_dim),
        "n_units": n,
        "n_waves": T,
        "waves": ", ".join(f"{y:g}" for y in years),
        **extra,
    }


def _with_evaluation(ds: xr.Dataset, model: RiskModel) -> xr.Dataset:
    """``ds`` with the evaluation on every held-out transition (unchanged without one)."""
    ev = default_evaluation(model)
    if ev is None:
        return ds
    for name, var in ev.data_vars.items():
        ds[name] = var
    ds = ds.assign_coords(model=ev["model"], bin=ev["bin"])
    ds.attrs["evaluated_waves"] = ev.attrs["evaluated_waves"]
    return ds
