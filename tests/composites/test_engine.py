"""The composite engine against a plain-Python reference (unit by unit, formula by formula),
the Euler identity of the contributions, and its rules for the edge cases."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from mpi.composites import engine
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import ValidationError


def _spec(norm: str = "goalposts", dim_mean: str = "arithmetic", mean: str = "arithmetic",
          **kw: object) -> CompositeSpec:  # fmt: skip
    inds = (
        CompositeIndicator("a", "d1", "1/4", goalposts=(0, 10)),
        CompositeIndicator("b", "d1", "3/4", direction=-1, goalposts=(1, 9)),
        CompositeIndicator("c", "d2", "1/2", transform="log", goalposts=(1, 1000)),
        CompositeIndicator("e", "d2", "1/2", goalposts=(0, 1)),
    )
    dims = (Dimension("d1", "2/5", mean=dim_mean), Dimension("d2", "3/5", mean=dim_mean))
    return CompositeSpec("t", inds, dims, normalisation=norm, mean=mean, **kw)  # type: ignore[arg-type]


def _data(n: int = 40, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.uniform(-1, 11, n),
            rng.uniform(1, 9, n),
            np.exp(rng.uniform(0.5, 6, n)),
            rng.uniform(0.01, 1, n),
        ]
    )


def _ref_scores(x: np.ndarray, spec: CompositeSpec, norm: str) -> np.ndarray:
    n, m = x.shape
    out = np.empty((n, m))
    for j, ind in enumerate(spec.indicators):
        t = [math.log(v) if ind.transform == "log" else float(v) for v in x[:, j]]
        d = ind.direction
        if norm == "goalposts":
            lo, hi = ind.goalposts  # type: ignore[misc]
            lo, hi = (math.log(lo), math.log(hi)) if ind.transform == "log" else (lo, hi)
        else:
            lo, hi = min(t), max(t)
        for i, v in enumerate(t):
            if norm in ("goalposts", "minmax"):
                s = (v - lo) / (hi - lo) if d == 1 else (hi - v) / (hi - lo)
                out[i, j] = min(1.0, max(0.0, s)) if norm == "goalposts" else s
            elif norm == "zscore":
                mu = sum(t) / n
                sd = math.sqrt(sum((u - mu) ** 2 for u in t) / (n - 1))
                out[i, j] = d * (v - mu) / sd
            elif norm == "rank":
                below = sum(1 for u in t if d * u < d * v)
                ties = sum(1 for u in t if u == v)
                out[i, j] = (below + (ties + 1) / 2 - 1) / (n - 1)
            else:
                out[i, j] = v / max(t) if d == 1 else min(t) / v
    return out


def _ref_mean(s: list[float], v: list[float], how: str, floor: float | None) -> float:
    f = floor or 0.0
    if how == "arithmetic":
        return sum(a * b for a, b in zip(v, s, strict=True))
    if how == "geometric":
        return math.prod(max(a, f) ** b for a, b in zip(s, v, strict=True))
    return 1.0 / sum(b / max(a, f) for a, b in zip(s, v, strict=True))


# z-scores combine with arithmetic means only (the other pairs are an error, tested below)
CASES = [
    (norm, how)
    for norm in ("goalposts", "minmax", "zscore", "rank", "frontier")
    for how in ("arithmetic", "geometric", "harmonic")
    if norm != "zscore" or how == "arithmetic"
]


@pytest.mark.parametrize(("norm", "how"), CASES)
def test_engine_equals_plain_python(norm: str, how: str) -> None:
    floor = 0.05 if how != "arithmetic" else None
    spec = _spec(norm, dim_mean=how, mean=how, floor=floor, scale=100)
    x = _data()
    if norm == "frontier":
        x[:, 0] = np.abs(x[:, 0]) + 0.5  # ratios to the frontier need positive values
        x[:, 2] = np.exp(x[:, 2] / 100) + 1  # positive after the log
    ev = engine.evaluate(engine.plan(x, spec))
    scores = _ref_scores(x, spec, norm)
    np.testing.assert_allclose(ev.scores, scores, rtol=0, atol=1e-12)
    for i in range(x.shape[0]):
        d1 = _ref_mean(list(scores[i, :2]), [0.25, 0.75], how, floor)
        d2 = _ref_mean(list(scores[i, 2:]), [0.5, 0.5], how, floor)
        y = 100 * _ref_mean([d1, d2], [0.4, 0.6], how, floor)
        assert ev.dimension[i, 0] == pytest.approx(d1, abs=1e-12)
        assert ev.index[i] == pytest.approx(y, rel=1e-12, abs=1e-12)
    # Euler: the contributions add up to the index
    assert ev.contribution is not None
    np.testing.assert_allclose(ev.contribution.sum(axis=1), ev.index, rtol=1e-12, atol=1e-12)


def test_arithmetic_contributions_are_weighted_scores() -> None:
    x = _data()
    ev = engine.evaluate(engine.plan(x, _spec(scale=100)))
    w = np.array([0.4 * 0.25, 0.4 * 0.75, 0.6 * 0.5, 0.6 * 0.5])
    np.testing.assert_allclose(ev.contribution, 100 * w * ev.scores, rtol=1e-12, atol=1e-13)


def test_geometric_contributions_are_the_weights_times_the_index() -> None:
    ev = engine.evaluate(engine.plan(_data(), _spec(dim_mean="geometric", mean="geometric")))
    w = np.array([0.4 * 0.25, 0.4 * 0.75, 0.6 * 0.5, 0.6 * 0.5])
    np.testing.assert_allclose(ev.contribution, ev.index[:, None] * w, rtol=1e-12)


def test_goalposts_clip_and_count() -> None:
    x = _data()
    ev = engine.evaluate(engine.plan(x, _spec()))
    assert ev.n_below[0] == int((x[:, 0] < 0).sum()) > 0
    assert ev.n_above[0] == int((x[:, 0] > 10).sum()) > 0
    assert ev.scores.min() >= 0 and ev.scores.max() <= 1


def test_cap_counts_and_winsorises() -> None:
    spec = _spec()
    inds = list(spec.indicators)
    inds[0] = CompositeIndicator("a", "d1", "1/4", goalposts=(0, 10), cap=(2, 8))
    p = engine.plan(_data(), spec.replace(indicators=tuple(inds)))
    x = _data()
    assert p.n_capped[0] == int(((x[:, 0] < 2) | (x[:, 0] > 8)).sum())
    assert p.t[:, 0].min() == 2 and p.t[:, 0].max() == 8


def test_geometric_mean_over_a_zero_is_zero_without_floor_and_floored_with_one() -> None:
    x = np.array([[0.0, 5.0, 10.0, 0.5], [5.0, 5.0, 10.0, 0.5]])
    no_floor = engine.evaluate(engine.plan(x, _spec(dim_mean="geometric", mean="geometric")))
    assert no_floor.index[0] == 0.0 and no_floor.index[1] > 0
    floored = engine.evaluate(
        engine.plan(x, _spec(dim_mean="geometric", mean="geometric", floor=0.01))
    )
    assert floored.n_floored[0] == 1
    assert floored.dimension[0, 0] == pytest.approx(0.01**0.25 * 0.5**0.75)


def test_log_of_a_nonpositive_value_scores_zero_on_clipped_goalposts_else_errors() -> None:
    x = _data(6)
    x[0, 2] = 0.0
    p = engine.plan(x, _spec())
    assert p.n_nonpositive_log[2] == 1
    ev = engine.evaluate(p)
    assert ev.scores[0, 2] == 0.0 and ev.n_below[2] >= 1
    with pytest.raises(ValidationError, match=r"indicator 'c': 1 value\(s\) <= 0 under a log"):
        engine.evaluate(p, normalisation="minmax")


def test_missing_rules() -> None:
    x = _data(5)
    x[1, 0] = np.nan
    x[2, 2] = np.nan
    x[2, 3] = np.nan  # all of d2 missing
    drop = engine.evaluate(engine.plan(x, _spec()))
    assert drop.dropped.tolist() == [False, True, True, False, False]
    assert np.isnan(drop.index[[1, 2]]).all() and not np.isnan(drop.index[[0, 3, 4]]).any()
    rew = engine.evaluate(engine.plan(x, _spec(missing="reweight")))
    assert rew.dropped.tolist() == [False, False, True, False, False]
    # unit 1: d1 is b alone (weight 3/4 renormalised to 1)
    assert rew.dimension[1, 0] == pytest.approx(rew.scores[1, 1], abs=1e-15)
    np.testing.assert_array_equal(rew.index[[0, 3, 4]], drop.index[[0, 3, 4]])
    groups = np.array([0, 0, 1, 1, 1])
    p = engine.plan(x, _spec(missing="impute"), groups=groups)
    assert p.n_imputed.tolist() == [1, 0, 1, 1]
    assert p.t[1, 0] == x[0, 0]  # the mean of its group (unit 0 only)
    assert p.t[2, 3] == pytest.approx((x[3, 3] + x[4, 3]) / 2, abs=1e-15)
    assert not engine.evaluate(p).dropped.any()


def test_overrides_equal_a_spec_with_those_choices() -> None:
    x = _data()
    base = engine.plan(x, _spec())
    other = engine.evaluate(engine.plan(x, _spec(norm="rank", mean="geometric")))
    over = engine.evaluate(base, normalisation="rank", index_mean="geometric")
    np.testing.assert_array_equal(over.index, other.index)
    w = np.array([0.5, 0.5, 0.5, 0.5])
    W = np.array([0.5, 0.5])
    spec_w = _spec().replace(
        indicators=tuple(
            CompositeIndicator(
                i.name, i.dimension, Fraction(1, 2), i.direction, i.transform, i.goalposts
            )
            for i in _spec().indicators
        ),
        dimensions=(Dimension("d1", "1/2"), Dimension("d2", "1/2")),
    )
    np.testing.assert_array_equal(
        engine.evaluate(base, w=w, W=W).index, engine.evaluate(engine.plan(x, spec_w)).index
    )


def test_engine_errors() -> None:
    x = _data()
    p = engine.plan(x, _spec())
    with pytest.raises(ValidationError, match="combine z-scores with arithmetic means only"):
        engine.evaluate(p, normalisation="zscore", index_mean="geometric")
    with pytest.raises(ValidationError, match="normalisation: must be one of"):
        engine.evaluate(p, normalisation="robust")
    with pytest.raises(ValidationError, match=r"need an \(n, 4\) array"):
        engine.plan(x[:, :3], _spec())
    x2 = x.copy()
    x2[0, 0] = np.inf
    with pytest.raises(ValidationError, match="indicator 'a': holds infinite values"):
        engine.plan(x2, _spec())
    x3 = x.copy()
    x3[:, 3] = 0.5
    with pytest.raises(ValidationError, match="indicator 'e': constant"):
        engine.evaluate(engine.plan(x3, _spec()), normalisation="zscore")
    with pytest.raises(ValidationError, match="min = max"):
        engine.evaluate(engine.plan(x3, _spec()), normalisation="minmax")


def test_ranks_min_ties_and_nan() -> None:
    r = engine.ranks(np.array([3.0, 5.0, np.nan, 5.0, 1.0]))
    np.testing.assert_array_equal(r, [3.0, 1.0, np.nan, 1.0, 4.0])
    two = engine.ranks(np.array([[1.0, 2.0], [2.0, 1.0]]))
    np.testing.assert_array_equal(two, [[2.0, 1.0], [1.0, 2.0]])


def test_plan_does_not_mutate_values() -> None:
    x = _data()
    x[0, 0] = np.nan
    before = x.copy()
    engine.evaluate(engine.plan(x, _spec(missing="impute")))
    np.testing.assert_array_equal(x, before)
