r"""The arithmetic of composite indices, written once: normalisation, means, contributions.

:func:`plan` fixes everything that depends only on the spec and the table (capping,
imputation, transforms, goalposts in transformed units, the statistics each normalisation
needs). :func:`evaluate` turns a plan into scores, dimension scores, the index and the
contributions; its keyword arguments override one choice at a time, which is how the
uncertainty analysis runs thousands of variants of the same index. With nothing overridden
``evaluate(plan)`` *is* the point computation of :func:`mpi.composite`, so an uncertainty
analysis whose choices are all fixed reproduces the point index bit for bit.

Normalisation of the transformed value :math:`t = T(x)` of an indicator with direction
:math:`d = \pm 1` (Handbook on Constructing Composite Indicators, OECD/JRC 2008, section 5):

* ``goalposts``: :math:`s = (t - T(\min))/(T(\max) - T(\min))` for :math:`d = 1` and
  :math:`s = (T(\max) - t)/(T(\max) - T(\min))` for :math:`d = -1`, clipped to [0, 1] (the
  UNDP HDI's dimension indices); ``minmax`` is the same with the observed minimum and maximum;
* ``zscore``: :math:`s = d\,(t - \bar t)/\mathrm{sd}(t)` (``ddof = 1``);
* ``rank``: the percentile rank :math:`s = (r - 1)/(n - 1)` of :math:`d\,t` (average ranks
  for ties; 0 the worst, 1 the best);
* ``frontier``: the ratio to the best observed value, :math:`t/\max t` (:math:`d = 1`) or
  :math:`\min t / t` (:math:`d = -1`), for positive :math:`t`.

Means of scores :math:`s_j` with weights :math:`v_j` (:math:`\sum v_j = 1`), summed left to
right so a result does not depend on memory layout, with the floor :math:`f` (0 if none):
arithmetic :math:`\sum v_j s_j`; geometric :math:`\exp \sum v_j \log \max(s_j, f)`;
harmonic :math:`(\sum v_j / \max(s_j, f))^{-1}`. The index is ``scale`` times the mean of the
dimension scores.

Contributions (Euler): each mean :math:`M` is homogeneous of degree one, so the
elasticities :math:`e_j = s_j\,\partial M/\partial s_j / M` sum to 1 -- arithmetic
:math:`v_j s_j / M`, geometric :math:`v_j`, harmonic :math:`v_j M / s_j` -- and the
contribution of indicator :math:`j` of dimension :math:`g` is
:math:`c_j = Y\,e_g\,e_{j \mid g}` with :math:`\sum_j c_j = Y`, the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mpi._common import libm
from mpi._common.dist import rankdata
from mpi.composites.spec import MEANS, NORMALISATIONS, CompositeSpec
from mpi.errors import ValidationError

__all__ = ["Plan", "Evaluation", "plan", "evaluate", "ranks", "NORMALISATIONS", "MEANS"]


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything fixed by a spec and a table, built once by :func:`plan`.

    Attributes
    ----------
    indicators, dimensions : tuple of str
        Names, indicators dimension by dimension.
    dim_of : numpy.ndarray
        ``(m,)`` dimension code of each indicator.
    w, W : numpy.ndarray
        ``(m,)`` weights within the dimensions and ``(d,)`` dimension weights.
    direction : numpy.ndarray
        ``(m,)`` +1 (higher is better) or -1.
    t : numpy.ndarray
        ``(n, m)`` transformed values after capping and imputation (NaN missing; ``-inf`` for
        a value <= 0 under a log transform).
    lo, hi : numpy.ndarray
        ``(m,)`` goalposts in transformed units (observed where the spec has none).
    dim_means, index_mean, floor, scale, normalisation, clip, missing
        The spec's choices.
    n_capped, n_imputed, n_nonpositive_log : numpy.ndarray
        ``(m,)`` counts.
    stats_cache : dict
        The statistics of each normalisation (observed extremes, means and standard
        deviations, percentile ranks), computed once on first use.
    """

    indicators: tuple[str, ...]
    dimensions: tuple[str, ...]
    dim_of: np.ndarray
    w: np.ndarray
    W: np.ndarray
    direction: np.ndarray
    t: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    dim_means: tuple[str, ...]
    index_mean: str
    floor: float | None
    scale: float
    normalisation: str
    clip: bool
    missing: str
    n_capped: np.ndarray
    n_imputed: np.ndarray
    n_nonpositive_log: np.ndarray
    #: Per-normalisation statistics, computed once on first use (see ``_statistics``).
    stats_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_units(self) -> int:
        """Number of units (rows of ``t``)."""
        return int(self.t.shape[0])


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Scores, dimension scores, index and contributions of one evaluation of a plan.

    Attributes
    ----------
    scores : numpy.ndarray
        ``(n, m)`` normalised indicator scores (NaN where missing).
    dimension : numpy.ndarray
        ``(n, d)`` dimension scores (NaN where they cannot be computed).
    index : numpy.ndarray
        ``(n,)`` the index, ``scale`` applied; NaN for dropped units.
    contribution : numpy.ndarray or None
        ``(n, m)`` Euler contributions, summing to ``index`` over the indicators.
    dropped : numpy.ndarray
        ``(n,)`` True for units dropped by the missing-value rule.
    n_below, n_above : numpy.ndarray
        ``(m,)`` values beyond the goalposts (scores clipped to 0 or 1).
    n_floored : numpy.ndarray
        ``(m + d,)`` scores raised to the floor in a geometric or harmonic mean (indicators,
        then dimensions).
    """

    scores: np.ndarray
    dimension: np.ndarray
    index: np.ndarray
    contribution: np.ndarray | None
    dropped: np.ndarray
    n_below: np.ndarray
    n_above: np.ndarray
    n_floored: np.ndarray


def _impute(x: np.ndarray, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Missing values replaced by the group mean of the indicator (overall mean if none)."""
    x = x.copy()
    counts = np.zeros(x.shape[1], dtype=np.int64)
    for j in range(x.shape[1]):
        col = x[:, j]
        miss = np.isnan(col)
        if not miss.any():
            continue
        if not (~miss).any():
            raise ValidationError(
                f"indicator column {j}: every value is missing, nothing to impute from; "
                "remove the indicator from the spec or supply values"
            )
        overall = col[~miss].mean()
        fill = np.full(col.shape, overall)
        if groups is not None:
            g = np.where(groups >= 0, groups, 0)
            size = int(g.max()) + 1 if g.size else 0
            ok = ~miss & (groups >= 0)
            sums = np.bincount(g[ok], weights=col[ok], minlength=size)
            cnts = np.bincount(g[ok], minlength=size)
            means = np.divide(sums, cnts, out=np.full(size, overall), where=cnts > 0)
            fill = np.where(groups >= 0, means[g], overall)
        col[miss] = fill[miss]
        counts[j] = int(miss.sum())
    return x, counts


def plan(values: np.ndarray, spec: CompositeSpec, *, groups: np.ndarray | None = None) -> Plan:
    """Fix what depends only on the spec and the table.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n, m)`` raw indicator values in ``spec.indicator_names`` order, NaN for missing.
        Not modified.
    spec : CompositeSpec
        The index.
    groups : numpy.ndarray, optional
        ``(n,)`` int group codes for ``missing="impute"`` (-1: no group, overall mean);
        ``None``: impute the overall mean.

    Returns
    -------
    Plan

    Raises
    ------
    mpi.errors.ValidationError
        If ``values`` is not ``(n, m)`` or holds infinite values.
    """
    # column-major: every operation below works on one indicator (one column) at a time
    x = np.array(values, dtype=np.float64, order="F")
    m = len(spec.indicators)
    if x.ndim != 2 or x.shape[1] != m:
        raise ValidationError(
            f"values: need an (n, {m}) array, one column per indicator; got shape {x.shape}"
        )
    if np.isinf(x).any():
        j = int(np.isinf(x).any(axis=0).argmax())
        raise ValidationError(
            f"indicator {spec.indicators[j].name!r}: holds infinite values; replace them "
            "by NaN (missing) or finite numbers"
        )
    n_capped = np.zeros(m, dtype=np.int64)
    for j, ind in enumerate(spec.indicators):
        if ind.cap is not None:
            lo, hi = ind.cap
            col = x[:, j]
            low = col < lo if lo is not None else np.zeros(col.shape, bool)
            high = col > hi if hi is not None else np.zeros(col.shape, bool)
            n_capped[j] = int(low.sum() + high.sum())
            x[:, j] = np.clip(col, lo, hi)
    n_imputed = np.zeros(m, dtype=np.int64)
    if spec.missing == "impute":
        x, n_imputed = _impute(x, groups)
    t = x
    n_nonpos = np.zeros(m, dtype=np.int64)
    lo = np.empty(m)
    hi = np.empty(m)
    for j, ind in enumerate(spec.indicators):
        if ind.transform == "log":
            col = x[:, j]
            bad = col <= 0
            n_nonpos[j] = int(bad.sum())
            t[:, j] = np.where(bad, -np.inf, libm.log(col))
        if ind.goalposts is not None:
            a, b = ind.goalposts
            lo[j], hi[j] = (
                (float(libm.log(a)), float(libm.log(b))) if ind.transform == "log" else (a, b)
            )
        else:
            lo[j], hi[j] = _observed(t[:, j], spec.indicators[j].name)
    dims = spec.dimension_names
    return Plan(
        indicators=spec.indicator_names,
        dimensions=dims,
        dim_of=np.array([dims.index(i.dimension) for i in spec.indicators], dtype=np.int64),
        w=np.array([float(i.weight) for i in spec.indicators]),
        W=np.array([float(d.weight) for d in spec.dimensions]),
        direction=np.array([i.direction for i in spec.indicators], dtype=np.int8),
        t=t,
        lo=lo,
        hi=hi,
        dim_means=tuple(d.mean for d in spec.dimensions),
        index_mean=spec.mean,
        floor=spec.floor,
        scale=float(spec.scale),
        normalisation=spec.normalisation,
        clip=spec.clip,
        missing=spec.missing,
        n_capped=n_capped,
        n_imputed=n_imputed,
        n_nonpositive_log=n_nonpos,
    )


def _observed(col: np.ndarray, name: str) -> tuple[float, float]:
    ok = np.isfinite(col)
    if not ok.any():
        raise ValidationError(
            f"indicator {name!r}: no finite value to take the observed minimum and maximum "
            "from; give goalposts in the spec"
        )
    lo, hi = float(col[ok].min()), float(col[ok].max())
    if not lo < hi:
        raise ValidationError(
            f"indicator {name!r}: every value is {lo}, so observed goalposts (min = max) "
            "cannot rescale it; give goalposts in the spec or drop the indicator"
        )
    return lo, hi


def _finite_only(p: Plan, method: str) -> None:
    bad = np.flatnonzero(p.n_nonpositive_log)
    if bad.size:
        name = p.indicators[bad[0]]
        raise ValidationError(
            f"indicator {name!r}: {int(p.n_nonpositive_log[bad[0]])} value(s) <= 0 under a log "
            f"transform have no logarithm; the {method!r} normalisation cannot use them. Cap "
            "the indicator (cap: [lower > 0, null]) or use goalposts (a value <= 0 scores 0)"
        )


def _statistics(p: Plan, method: str) -> Any:
    """Per-indicator statistics of a normalisation, computed once per plan."""
    if method in p.stats_cache:
        return p.stats_cache[method]
    t = p.t
    names = p.indicators
    if method == "minmax":
        out: Any = np.array([_observed(t[:, j], names[j]) for j in range(t.shape[1])]).T
    elif method == "zscore":
        mean = np.nanmean(t, axis=0)
        sd = np.nanstd(t, axis=0, ddof=1)
        flat = np.flatnonzero(~(sd > 0))
        if flat.size:
            raise ValidationError(
                f"indicator {names[flat[0]]!r}: constant (standard deviation 0), so it has no "
                "z-score; drop it or use goalposts"
            )
        out = (mean, sd)
    elif method == "rank":
        signed = t * p.direction
        r = rankdata(signed, method="average", axis=0, nan_policy="omit")
        count = np.sum(~np.isnan(t), axis=0)
        out = np.where(count > 1, (r - 1) / np.maximum(count - 1, 1), 1.0)
    else:  # frontier
        pos = np.where(np.isnan(t), 1.0, t)
        bad = np.flatnonzero(~(pos > 0).all(axis=0))
        if bad.size:
            raise ValidationError(
                f"indicator {names[bad[0]]!r}: the 'frontier' normalisation (ratio to the best "
                "value) needs positive values after the transform; remove the log transform "
                "or use another normalisation"
            )
        out = (np.nanmax(t, axis=0), np.nanmin(t, axis=0))
    p.stats_cache[method] = out
    return out


def _normalise(
    p: Plan, method: str, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = p.t
    m = t.shape[1]
    below = np.zeros(m, dtype=np.int64)
    above = np.zeros(m, dtype=np.int64)
    if method != "goalposts" or not p.clip:
        _finite_only(p, method)
    if method in ("goalposts", "minmax"):
        if method == "minmax":
            lo, hi = _statistics(p, "minmax")
        s = np.empty(t.shape, order="F")
        clip = p.clip and method == "goalposts"
        for j in range(m):
            col = s[:, j]  # written in place, column by column: no (n, m) temporaries
            if p.direction[j] == 1:
                np.subtract(t[:, j], lo[j], out=col)
            else:
                np.subtract(hi[j], t[:, j], out=col)
            col /= hi[j] - lo[j]
            if clip:
                below[j] = np.count_nonzero(col < 0)
                above[j] = np.count_nonzero(col > 1)
                np.clip(col, 0.0, 1.0, out=col)
        return s, below, above
    if method == "zscore":
        mean, sd = _statistics(p, "zscore")
        return p.direction * (t - mean) / sd, below, above
    if method == "rank":
        return _statistics(p, "rank"), below, above
    top, bottom = _statistics(p, "frontier")
    s = np.where(p.direction == 1, t / top, bottom / t)
    return s, below, above


def _mean(
    s: np.ndarray, v: np.ndarray, how: str, floor: float | None, e: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Row means of ``s`` (n, k) with weights ``v`` (k,) or (n, k), columns added left to
    right; the elasticities are written into ``e`` (n, k) when given."""
    f = 0.0 if floor is None else floor
    k = s.shape[1]

    def vj(j: int) -> Any:
        return v[:, j] if v.ndim == 2 else v[j]

    n_floored = np.zeros(k, np.int64)
    if how != "arithmetic" and floor is not None:
        n_floored = np.array([np.count_nonzero(s[:, j] < f) for j in range(k)], np.int64)
    tmp = np.empty(s.shape[0])
    total = np.zeros(s.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(k):
            if how == "arithmetic":
                np.multiply(vj(j), s[:, j], out=tmp)
            elif how == "geometric":
                np.maximum(s[:, j], f, out=tmp)
                tmp[:] = libm.log(tmp)
                tmp *= vj(j)
            else:
                np.maximum(s[:, j], f, out=tmp)
                np.divide(vj(j), tmp, out=tmp)
            if j == 0:
                total[:] = tmp
            else:
                total += tmp
        if how == "geometric":
            mean = libm.exp(total)
        elif how == "harmonic":
            mean = np.divide(1.0, total)
        else:
            mean = total
        if e is not None:
            # elasticities s dM/ds / M: arithmetic v s / M, geometric v, harmonic v M / s
            for j in range(k):
                col = e[:, j]
                if how == "arithmetic":
                    np.multiply(vj(j), s[:, j], out=col)
                    np.divide(col, mean, out=col, where=mean != 0)
                    col[mean == 0] = 0.0
                elif how == "geometric":
                    col[:] = vj(j)
                else:
                    np.divide(vj(j), np.maximum(s[:, j], f), out=col)
                    col *= mean
                    col[~(mean > 0)] = 0.0
    return mean, n_floored


def evaluate(
    p: Plan,
    *,
    normalisation: str | None = None,
    index_mean: str | None = None,
    w: np.ndarray | None = None,
    W: np.ndarray | None = None,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    contributions: bool = True,
) -> Evaluation:
    """Scores, dimension scores, index and contributions of a plan.

    Parameters
    ----------
    p : Plan
        From :func:`plan`.
    normalisation, index_mean : str, optional
        Override the spec's normalisation and the mean of the dimension scores.
    w, W : numpy.ndarray, optional
        Override the weights within the dimensions (``(m,)``, summing to 1 in each
        dimension) and the dimension weights (``(d,)``, summing to 1).
    lo, hi : numpy.ndarray, optional
        Override the goalposts (``(m,)``, transformed units).
    contributions : bool, default True
        Compute the Euler contributions (skipped in uncertainty runs).

    Returns
    -------
    Evaluation

    Raises
    ------
    mpi.errors.ValidationError
        For an unknown normalisation or mean, z-scores with a geometric or harmonic mean, or
        a normalisation the values cannot take (a constant indicator, values <= 0 under a log
        transform outside clipped goalposts).
    """
    method = p.normalisation if normalisation is None else normalisation
    how = p.index_mean if index_mean is None else index_mean
    if method not in NORMALISATIONS:
        raise ValidationError(f"normalisation: must be one of {NORMALISATIONS}; got {method!r}")
    if how not in MEANS:
        raise ValidationError(f"index_mean: must be one of {MEANS}; got {how!r}")
    if method == "zscore" and any(m != "arithmetic" for m in (how, *p.dim_means)):
        raise ValidationError(
            "normalisation 'zscore' gives negative scores, which a geometric or harmonic mean "
            "cannot take; combine z-scores with arithmetic means only"
        )
    w = p.w if w is None else np.asarray(w, dtype=np.float64)
    W = p.W if W is None else np.asarray(W, dtype=np.float64)
    s, below, above = _normalise(
        p, method, p.lo if lo is None else np.asarray(lo), p.hi if hi is None else np.asarray(hi)
    )
    n, m = s.shape
    d = len(p.dimensions)
    dim_scores = np.empty((n, d), order="F")
    e_within = np.empty((n, m), order="F") if contributions else None
    e_dim = np.empty((n, d), order="F") if contributions else None
    n_floored = np.zeros(m + d, dtype=np.int64)
    dropped = np.zeros(n, dtype=bool)
    gaps = p.stats_cache.get("gaps")
    if gaps is None:  # indicators with a missing value (the plan never changes)
        gaps = p.stats_cache["gaps"] = np.isnan(p.t).any(axis=0)
    for g in range(d):
        members = np.flatnonzero(p.dim_of == g)  # contiguous: the spec groups them
        cols = slice(int(members[0]), int(members[-1]) + 1)
        sg = s[:, cols]
        v: np.ndarray = w[cols]
        if gaps[cols].any():
            ok = ~np.isnan(sg)
            incomplete = ~ok.all(axis=1)
            if p.missing == "reweight":
                vw = np.where(ok, w[cols], 0.0)
                tot = vw.sum(axis=1, keepdims=True)
                v = np.where(incomplete[:, None], vw / np.where(tot > 0, tot, 1.0), w[cols])
                dropped |= ~ok.any(axis=1)
            else:
                dropped |= incomplete
            sg = np.where(ok, sg, 1.0)  # weight 0 (reweight) or dropped: a neutral value
        e = e_within[:, cols] if e_within is not None else None
        mean, nf = _mean(sg, v, p.dim_means[g], p.floor, e)
        dim_scores[:, g] = mean
        n_floored[cols] = nf
    dim_scores[dropped] = np.nan
    top, nf = _mean(dim_scores, W, how, p.floor, e_dim)
    n_floored[m:] = nf
    index = p.scale * top
    index[dropped] = np.nan
    contribution = None
    if e_within is not None and e_dim is not None:
        # c_j = Y e_g e_(j|g), in place in the elasticities' array
        for j in range(m):
            col = e_within[:, j]
            col *= e_dim[:, p.dim_of[j]]
            col *= index
        contribution = e_within
    return Evaluation(
        scores=s,
        dimension=dim_scores,
        index=index,
        contribution=contribution,
        dropped=dropped,
        n_below=np.asarray(below, dtype=np.int64),
        n_above=np.asarray(above, dtype=np.int64),
        n_floored=n_floored,
    )


def ranks(index: np.ndarray) -> np.ndarray:
    """Ranks of an index along its last axis: 1 for the highest value, ties share the best
    rank ("min", competition ranking), NaN stays NaN and is not counted.

    Parameters
    ----------
    index : numpy.ndarray
        ``(..., n)`` index values.

    Returns
    -------
    numpy.ndarray
        float64 ranks of the same shape.
    """
    x = np.asarray(index, dtype=np.float64)
    return rankdata(-x, method="min", axis=-1, nan_policy="omit").astype(np.float64)
