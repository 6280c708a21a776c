"""Uncertainty and sensitivity analysis of a composite index over its construction choices.

:func:`uncertainty` (the method :meth:`mpi.CompositeResult.uncertainty`) recomputes a composite
index many times, each time with other choices drawn at random, and reports how much each
unit's rank depends on them (OECD/JRC Handbook 2008, step 7; Saisana, Saltelli and Tarantola
2005; the JRC's R package COINr, ``get_sensitivity``). Each choice given is a *factor*:

===================  ===========================================================================
``normalisation``    a list of normalisations (:data:`mpi.composites.engine.NORMALISATIONS`),
                     one drawn per run with equal probabilities
``aggregation``      a list of means of the index level (:data:`~mpi.composites.engine.MEANS`)
``weights``          a relative noise ``x``: every weight is multiplied by ``1 + x (2u - 1)``
                     (``u`` uniform), then the indicator weights are renormalised to sum to 1
                     within each dimension and the dimension weights to sum to 1 (as COINr's
                     ``get_noisy_weights``). A number is ONE factor, ``weights``, for all
                     weights of both levels; a mapping ``{"indicators": x, "dimensions": y}``
                     makes one factor per level given (``indicator_weights``,
                     ``dimension_weights``)
``goalposts``        a relative shift ``x``: each goalpost's ``lo`` and ``hi`` (in transformed
                     units) move independently by ``x (hi - lo) (2u - 1)``
===================  ===========================================================================

A factor with several numbers (the weights, the goalposts) is a *group*: its numbers are drawn
independently, and its Sobol indices are those of the group (Saltelli et al. 2008, 4.6). Only the
factors given vary; the rest stay as in the spec. Every run calls
:func:`mpi.composites.engine.evaluate` and :func:`mpi.composites.engine.ranks` (the formulas of
the point estimate, so a run with the spec's own choices reproduces the point index bit for bit).

With ``sobol=True`` the runs follow the Saltelli (2010) design (:mod:`mpi.composites.sobol`):
``N = draws`` base rows, ``N (d + 2)`` runs for ``d`` factors; the rank statistics use the
``2N`` independent runs (matrices ``A`` and ``B``) and the Sobol indices all of them. With
``sobol=False``: ``draws`` independent runs, no Sobol indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.composites import engine
from mpi.composites.sobol import saltelli_sample, sobol_indices
from mpi.composites.uncertainty_result import CompositeUncertaintyResult, build_dataset
from mpi.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd


class _HasPlan(Protocol):
    """What the analysis needs of a :class:`~mpi.CompositeResult` (which calls it; importing
    the class here would make the two modules import each other)."""

    plan: engine.Plan
    index: pd.Series


__all__ = ["uncertainty", "method_doc", "FACTORS"]

#: The factors, in the order of the design's columns (each present only when given).
FACTORS = (
    "normalisation",
    "aggregation",
    "weights",
    "indicator_weights",
    "dimension_weights",
    "goalposts",
)
_CALL = "uncertainty"


@dataclass(frozen=True)
class Factor:
    """One varied choice: its name, its design columns and what it varies over.

    Parameters
    ----------
    name
        One of :data:`FACTORS`.
    columns
        Uniforms per run (1 for a list of alternatives; one per weight or goalpost).
    alternatives
        The names drawn from (``normalisation``, ``aggregation``), else empty.
    spread
        The relative noise or shift ``x`` (weights, goalposts), else NaN.
    """

    name: str
    columns: int
    alternatives: tuple[str, ...] = ()
    spread: float = float("nan")


def _choices(value: Any, argument: str, allowed: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValidationError(
            f"{_CALL}({argument}={value!r}): give a non-empty list of alternatives from "
            f"{list(allowed)}, e.g. {argument}={list(allowed[:2])}"
        )
    out = tuple(value)
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ValidationError(
            f"{_CALL}({argument}={list(out)!r}): {bad[0]!r} is not one of {list(allowed)}"
        )
    if len(set(out)) != len(out):
        raise ValidationError(
            f"{_CALL}({argument}={list(out)!r}): an alternative appears twice; list each once"
        )
    return out


def _spread(value: Any, argument: str, upper: float) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool)
    if not ok or not 0 < float(value) < upper:
        raise ValidationError(
            f"{_CALL}({argument}={value!r}): give a relative change x with 0 < x < {upper:g} "
            f"(e.g. {argument}=0.2 for ±20 %)"
        )
    return float(value)


def _positive(value: Any, argument: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ValidationError(f"{_CALL}({argument}={value!r}): give an integer >= {minimum}")
    return int(value)


def _weight_factors(weights: Any, m: int, d: int) -> list[Factor]:
    if isinstance(weights, Mapping):
        unknown = sorted(set(map(str, weights)) - {"indicators", "dimensions"})
        if unknown or not weights:
            raise ValidationError(
                f"{_CALL}(weights={dict(weights)!r}): the keys of a weights mapping are "
                "'indicators' and 'dimensions', e.g. weights={'indicators': 0.2, "
                "'dimensions': 0.1}; or give one number for both levels"
            )
        out = []
        if "indicators" in weights:
            x = _spread(weights["indicators"], "weights['indicators']", 1.0)
            out.append(Factor("indicator_weights", m, spread=x))
        if "dimensions" in weights:
            x = _spread(weights["dimensions"], "weights['dimensions']", 1.0)
            out.append(Factor("dimension_weights", d, spread=x))
        return out
    return [Factor("weights", m + d, spread=_spread(weights, "weights", 1.0))]


def _check_combinations(
    plan: engine.Plan, norms: tuple[str, ...], means: tuple[str, ...], given: dict[str, bool]
) -> None:
    """zscore (negative scores) with a geometric or harmonic mean is an error naming both."""
    if "zscore" not in norms:
        return
    bad = [a for a in means if a != "arithmetic"]
    if bad:
        where = (
            f"aggregation={list(means)!r}"
            if given["aggregation"]
            else f"the spec's index mean {plan.index_mean!r}"
        )
        raise ValidationError(
            f"{_CALL}(normalisation={list(norms)!r}) with {where}: 'zscore' gives negative "
            f"scores, which a {bad[0]} mean cannot take; drop 'zscore' from normalisation or "
            f"keep only 'arithmetic' in aggregation"
        )
    bad = [a for a in plan.dim_means if a != "arithmetic"]
    if bad:
        raise ValidationError(
            f"{_CALL}(normalisation={list(norms)!r}) with the spec's dimension means "
            f"{list(plan.dim_means)!r}: 'zscore' gives negative scores, which a {bad[0]} mean "
            "cannot take; drop 'zscore' from normalisation"
        )


def factors_of(
    plan: engine.Plan,
    normalisation: Any,
    weights: Any,
    aggregation: Any,
    goalposts: Any,
) -> list[Factor]:
    """The factors of a call, checked, in the order of :data:`FACTORS`.

    Parameters
    ----------
    plan
        The point estimate's plan.
    normalisation, weights, aggregation, goalposts
        The arguments of :func:`uncertainty`.

    Returns
    -------
    list of Factor
        At least one.

    Raises
    ------
    ValidationError
        When nothing varies, for a bad argument, or for an invalid combination.
    """
    out: list[Factor] = []
    given = {"normalisation": normalisation is not None, "aggregation": aggregation is not None}
    norms = (plan.normalisation,)
    means = (plan.index_mean,)
    if normalisation is not None:
        norms = _choices(normalisation, "normalisation", engine.NORMALISATIONS)
        out.append(Factor("normalisation", 1, alternatives=norms))
    if aggregation is not None:
        means = _choices(aggregation, "aggregation", engine.MEANS)
        out.append(Factor("aggregation", 1, alternatives=means))
    _check_combinations(plan, norms, means, given)
    if weights is not None:
        out += _weight_factors(weights, len(plan.indicators), len(plan.dimensions))
    if goalposts is not None:
        x = _spread(goalposts, "goalposts", 0.5)
        if "goalposts" not in norms:
            raise ValidationError(
                f"{_CALL}(goalposts={goalposts!r}) with normalisation {list(norms)!r}: "
                "goalposts are used only by the 'goalposts' normalisation, so shifting them "
                "varies nothing; add 'goalposts' to normalisation or leave goalposts out"
            )
        out.append(Factor("goalposts", 2 * len(plan.indicators), spread=x))
    if not out:
        raise ValidationError(
            f"{_CALL}(): nothing varies; give at least one of normalisation=[...], "
            "aggregation=[...], weights=x or goalposts=x"
        )
    return out


def _pick(u: np.ndarray, alternatives: tuple[str, ...]) -> np.ndarray:
    k = len(alternatives)
    return np.minimum((u * k).astype(np.int64), k - 1)


def _noisy(base: np.ndarray, u: np.ndarray, x: float) -> np.ndarray:
    return base[None, :] * (1.0 + x * (2.0 * u - 1.0))


def _renormalise_within(w: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    totals = np.stack([np.bincount(group, weights=row, minlength=n_groups) for row in w])
    return w / totals[:, group]


def choices_of(plan: engine.Plan, factors: list[Factor], u: np.ndarray) -> dict[str, np.ndarray]:
    """Each run's choices from its uniforms ``u`` (runs, columns), as arrays.

    Parameters
    ----------
    plan
        The point estimate's plan (weights, goalposts, dimension of each indicator).
    factors
        From :func:`factors_of`.
    u
        The design: one row per run, the columns of the factors in order.

    Returns
    -------
    dict
        ``normalisation``/``aggregation``: ``(runs,)`` int64 codes into the alternatives;
        ``w`` ``(runs, m)``, ``W`` ``(runs, d)``: weights; ``lo``, ``hi`` ``(runs, m)``:
        goalposts in transformed units. Only for the factors given.
    """
    out: dict[str, np.ndarray] = {}
    m, d = len(plan.indicators), len(plan.dimensions)
    dim_of = np.asarray(plan.dim_of, dtype=np.int64)
    start = 0
    for f in factors:
        cols = u[:, start : start + f.columns]
        start += f.columns
        if f.alternatives:
            out[f.name] = _pick(cols[:, 0], f.alternatives)
        elif f.name == "goalposts":
            lo, hi = np.asarray(plan.lo, float), np.asarray(plan.hi, float)
            width = hi - lo
            out["lo"] = lo[None, :] + f.spread * width[None, :] * (2.0 * cols[:, :m] - 1.0)
            out["hi"] = hi[None, :] + f.spread * width[None, :] * (2.0 * cols[:, m:] - 1.0)
        else:
            if f.name in ("weights", "indicator_weights"):
                w = _noisy(np.asarray(plan.w, float), cols[:, :m], f.spread)
                out["w"] = _renormalise_within(w, dim_of, d)
            if f.name in ("weights", "dimension_weights"):
                big_w = _noisy(np.asarray(plan.W, float), cols[:, -d:], f.spread)
                out["W"] = big_w / big_w.sum(axis=1, keepdims=True)
    return out


def _run_all(
    plan: engine.Plan,
    factors: list[Factor],
    choices: dict[str, np.ndarray],
    runs: int,
    show: bool | None,
) -> np.ndarray:
    """Ranks of every run, ``(runs, n)``: one engine evaluation per run (cached when only
    discrete choices vary)."""
    alts = {f.name: f.alternatives for f in factors if f.alternatives}
    discrete = all(f.alternatives for f in factors)
    cache: dict[tuple[int, ...], np.ndarray] = {}
    out = np.empty((runs, plan.t.shape[0]))
    for r in progress_bar(range(runs), total=runs, desc="uncertainty", enabled=show):
        key = tuple(int(choices[name][r]) for name in alts)
        if discrete and key in cache:
            out[r] = cache[key]
            continue
        ev = engine.evaluate(
            plan,
            normalisation=(
                alts["normalisation"][choices["normalisation"][r]]
                if "normalisation" in alts
                else None
            ),
            index_mean=(
                alts["aggregation"][choices["aggregation"][r]] if "aggregation" in alts else None
            ),
            w=choices["w"][r] if "w" in choices else None,
            W=choices["W"][r] if "W" in choices else None,
            lo=choices["lo"][r] if "lo" in choices else None,
            hi=choices["hi"][r] if "hi" in choices else None,
            contributions=False,
        )
        out[r] = engine.ranks(ev.index)
        if discrete:
            cache[key] = out[r]
    return out


def _check_alternatives(plan: engine.Plan, factors: list[Factor]) -> None:
    """Evaluate each normalisation/mean alternative once, so a choice the data cannot take
    fails before the long run, with the argument named."""
    for f in factors:
        for a in f.alternatives:
            key = "normalisation" if f.name == "normalisation" else "index_mean"
            try:
                engine.evaluate(plan, contributions=False, **{key: a})
            except ValidationError as err:
                raise ValidationError(
                    f"{_CALL}({f.name}={list(f.alternatives)!r}): the alternative {a!r} cannot "
                    f"be computed on these data: {err}"
                ) from err


def uncertainty(
    result: _HasPlan,
    *,
    draws: int = 1000,
    normalisation: Sequence[str] | None = None,
    weights: float | Mapping[str, float] | None = None,
    aggregation: Sequence[str] | None = None,
    goalposts: float | None = None,
    sobol: bool = True,
    seed: int = 0,
    bootstrap: int = 200,
    progress: bool | None = None,
) -> CompositeUncertaintyResult:
    """Monte Carlo uncertainty and Sobol sensitivity of the ranks over the index's choices.

    Parameters
    ----------
    result
        A :class:`~mpi.CompositeResult` (its ``plan`` holds the data and the spec's choices).
    draws
        Monte Carlo sample size: ``N``, the base rows of the Saltelli design (``N (d + 2)``
        runs for ``d`` factors) when ``sobol``, else the number of runs.
    normalisation
        Normalisations to draw from with equal probabilities (e.g. ``["goalposts",
        "minmax", "rank"]``); None: the spec's.
    weights
        Relative weight noise ``0 < x < 1``: each weight times ``1 + x (2u - 1)``, then
        renormalised within its level (one factor, ``weights``, for both levels); or a
        mapping ``{"indicators": x, "dimensions": y}`` (one factor per level given).
    aggregation
        Means of the index level to draw from (``"arithmetic"``, ``"geometric"``,
        ``"harmonic"``); None: the spec's.
    goalposts
        Relative goalpost shift ``0 < x < 0.5``: ``lo`` and ``hi`` of each indicator each move
        by ``x (hi - lo) (2u - 1)`` (needs the ``goalposts`` normalisation among the choices).
    sobol
        Saltelli design and Sobol indices (True) or plain Monte Carlo (False).
    seed
        Seed of :func:`numpy.random.default_rng` (the design, then the bootstrap).
    bootstrap
        Bootstrap resamples of the ``N`` base rows for the 90 % percentile intervals of the
        Sobol indices of the mean absolute rank shift (0: none).
    progress
        A progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    CompositeUncertaintyResult
        Per unit: nominal index and rank, mean and median rank, 5 % and 95 % rank
        quantiles, mean absolute rank shift ``mean_r |rank_r - nominal rank|``; with
        ``sobol``, first-order ``S_i`` and total ``ST_i`` indices of each factor for the
        mean absolute rank shift over the units (COINr's target) with bootstrap intervals,
        and for every unit's rank; and the runs (choices and ranks).

    Raises
    ------
    ValidationError
        When no factor is given (nothing varies), for a bad argument, and for an invalid
        combination: ``zscore`` with a geometric or harmonic mean, goalposts shifted
        without the goalposts normalisation, an alternative the data cannot take.

    Notes
    -----
    Ranks: 1 = highest index, ties share the lowest rank (:func:`mpi.composites.engine.ranks`).
    Sobol estimators (:func:`mpi.composites.sobol.sobol_indices`):
    ``S_i = mean((f_B - f0) (f_ABi - f_A)) / V`` (Saltelli et al. 2010, on the centred
    output) and
    ``ST_i = mean((f_A - f_ABi)^2) / (2 V)`` (Jansen 1999); an output that never changes
    (e.g. a unit whose rank is the same in every run) has NaN indices.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, step 7.
    Saisana, M., Saltelli, A. and Tarantola, S. (2005). Uncertainty and sensitivity analysis
    techniques as tools for the quality assessment of composite indicators. *JRSS A* 168(2).
    Becker, W. et al. (2022). COINr: An R package for developing composite indicators. *JOSS*
    7(78), 4567.
    """
    plan = getattr(result, "plan", None)
    if not isinstance(plan, engine.Plan):
        raise ValidationError(
            f"{_CALL}(result={type(result).__name__}): give the CompositeResult of "
            "mpi.composite(table, spec) (its plan holds the data and the spec's choices)"
        )
    draws = _positive(draws, "draws", 2)
    bootstrap = _positive(bootstrap, "bootstrap", 0)
    if not isinstance(sobol, bool | np.bool_):
        raise ValidationError(f"{_CALL}(sobol={sobol!r}): give True or False")
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise ValidationError(f"{_CALL}(seed={seed!r}): give an integer seed")
    show = check_progress(progress)
    factors = factors_of(plan, normalisation, weights, aggregation, goalposts)
    _check_alternatives(plan, factors)
    rng = np.random.default_rng(int(seed))
    sizes = [f.columns for f in factors]
    if sobol:
        u = saltelli_sample(draws, sizes, rng)
    else:
        u = rng.random((draws, sum(sizes)))
    runs = u.shape[0]
    choices = choices_of(plan, factors, u)
    nominal = engine.evaluate(plan, contributions=False).index
    ranks = _run_all(plan, factors, choices, runs, show)
    nominal_rank = engine.ranks(nominal)
    kept = ~np.isnan(nominal_rank)
    target = np.abs(ranks[:, kept] - nominal_rank[kept][None, :]).mean(axis=1)
    sens = unit_sens = None
    if sobol:
        d = len(factors)
        sens = sobol_indices(target, draws, d, bootstrap=bootstrap, level=0.90, rng=rng)
        unit_sens = sobol_indices(ranks, draws, d)
    ds = build_dataset(
        result=result,
        factors=factors,
        choices=choices,
        ranks=ranks,
        target=target,
        nominal=nominal,
        nominal_rank=nominal_rank,
        draws=draws,
        sobol=bool(sobol),
        seed=int(seed),
        sens=sens,
        unit_sens=unit_sens,
    )
    return CompositeUncertaintyResult(ds, ids=result.index.index.copy())


def method_doc() -> str:
    """The docstring of :func:`uncertainty` without its ``result`` parameter, for the method
    :meth:`mpi.CompositeResult.uncertainty` (one text for both).

    Returns
    -------
    str
    """
    doc = uncertainty.__doc__ or ""
    start, end = doc.index("    result\n"), doc.index("    draws\n")
    return doc[:start] + doc[end:]
