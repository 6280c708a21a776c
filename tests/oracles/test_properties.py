"""Identities and Alkire–Foster axioms, property-based (hypothesis).

Each property runs against ``mpi.measure`` and against the reference implementation
(``tests/reference.py``), so that a property that fails for both points at the test and a
property that fails for one only points at that implementation.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reference import INDICATOR_MEASURES, SCALAR_MEASURES, assert_measures_close, run_measure
from strategies import Problem, af_problems, deprivation_matrices, k_values, nested_weights

import mpi

#: examples per property; ``XMPI_MAX_EXAMPLES=500 pytest tests/test_properties.py`` for a
#: thorough run (the default keeps the file under a minute: mpi.measure costs ~0.1 s a call)
MAX_EXAMPLES = int(os.environ.get("XMPI_MAX_EXAMPLES", "12"))
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
IMPLS = ["mpi", "reference"]
EPS = 1e-12
POVERTY = (
    "H",
    "A",
    "M0",
    "M1",
    "M2",
    "intensity_variance",
    "censored_headcount",
    "contribution",
    "dimension_contribution",
)


#: parametrise every property over both implementations
with_impl = pytest.mark.parametrize("impl", IMPLS)


def run(impl: str, p: Problem, **kw):
    args = {"k": p.k, **p.kwargs, **kw}
    return run_measure(impl, p.data, p.spec, **args)


def same(a, b, names=None):
    assert_measures_close(a, b, rtol=EPS, atol=EPS, names=names)


# ======================================================================================
# Identities
# ======================================================================================
@with_impl
@SETTINGS
@given(p=af_problems(), missing=st.sampled_from(["drop", "reweight"]))
def test_identities(impl, p, missing):
    r = run(impl, p, missing=missing)
    w = np.array([float(x) for x in p.weights])
    H, A, M0, M1, M2 = (r[x] for x in ("H", "A", "M0", "M1", "M2"))
    assert r["n_obs"] == len(p.data) and r["n_dropped"] == 0
    # normalisation and ordering
    assert 0 <= M2 <= M1 + EPS and M1 <= M0 + EPS and M0 <= H + EPS and H <= 1
    if H > 0:
        assert M0 == pytest.approx(H * A, abs=EPS)
        assert float(p.k) - EPS <= A <= 1 + EPS
        assert 0 <= r["intensity_variance"] <= 0.25 + EPS
    else:
        assert np.isnan(A) and M0 == 0 and M1 == 0 and M2 == 0
    # M0 = Σ_j w_j h_j (all indicators observed here)
    assert M0 == pytest.approx(float(np.dot(w, r["censored_headcount"])), abs=EPS)
    assert np.all(
        np.asarray(r["censored_headcount"]) <= np.asarray(r["uncensored_headcount"]) + EPS
    )
    if M0 > 0:
        assert np.sum(r["contribution"]) == pytest.approx(1, abs=1e-12)
        assert np.sum(r["dimension_contribution"]) == pytest.approx(1, abs=1e-12)
        assert np.all(np.asarray(r["contribution"]) >= 0)
        np.testing.assert_allclose(r["contribution"], w * r["censored_headcount"] / M0, atol=1e-12)
    # bands
    assert 0 <= r["vulnerable"] <= 1 - H + EPS
    assert 0 <= r["severe"] <= 1
    if p.k <= p.spec.severe:
        assert r["severe"] <= H + EPS
    else:
        assert r["severe"] >= H - EPS


@with_impl
@SETTINGS
@given(p=af_problems())
def test_union_and_intersection(impl, p):
    g = p.deprived()
    s = p.data["s"].to_numpy() if "weight" in p.kwargs else np.ones(len(g))
    union = run(impl, p, k=min(p.weights))
    assert union["H"] == pytest.approx(np.sum(s * g.any(axis=1)) / s.sum(), abs=EPS)
    assert union["censored_headcount"] == pytest.approx(union["uncensored_headcount"], abs=EPS)
    inter = run(impl, p, k=1)
    assert inter["H"] == pytest.approx(np.sum(s * g.all(axis=1)) / s.sum(), abs=EPS)
    if inter["H"] > 0:
        assert inter["A"] == pytest.approx(1, abs=EPS)


@with_impl
@SETTINGS
@given(p=af_problems(groups=True), missing=st.sampled_from(["drop", "reweight"]))
def test_subgroup_decomposition(impl, p, missing):
    r = run(impl, p, by="grp", missing=missing)
    groups = r["groups"]
    shares = {g: v["population_share"] for g, v in groups.items() if v["n_obs"] > 0}
    assert sum(shares.values()) == pytest.approx(1, abs=EPS)
    for name in ("H", "M0", "M1", "M2", "vulnerable", "severe"):
        total = sum(shares[g] * groups[g][name] for g in shares)
        assert total == pytest.approx(r[name], abs=EPS), name
    for name in ("censored_headcount", "uncensored_headcount"):
        total = sum(shares[g] * np.asarray(groups[g][name]) for g in shares)
        np.testing.assert_allclose(total, r[name], atol=EPS, err_msg=name)
    if r["M0"] > 0:
        assert sum(groups[g]["group_contribution"] for g in shares) == pytest.approx(1, abs=EPS)
        for g in shares:
            assert groups[g]["group_contribution"] == pytest.approx(
                shares[g] * groups[g]["M0"] / r["M0"], abs=EPS
            )
    assert sum(v["n_obs"] for v in groups.values()) == r["n_obs"]


@with_impl
@SETTINGS
@given(p=af_problems(groups=False))
def test_single_group_equals_national(impl, p):
    national = run(impl, p)
    grouped = run(impl, p, by="grp")
    assert list(grouped["groups"]) == ["g0"]
    only = grouped["groups"]["g0"]
    same(only, national)
    same(grouped, national)
    assert only["population_share"] == pytest.approx(1, abs=EPS)
    if national["M0"] > 0:
        assert only["group_contribution"] == pytest.approx(1, abs=EPS)


@with_impl
@SETTINGS
@given(p=af_problems(), data=st.data())
def test_monotone_in_k(impl, p, data):
    ks = data.draw(
        st.lists(
            st.one_of(k_values(p.weights), st.fractions(Fraction(1, 36), 1, max_denominator=36)),
            min_size=2,
            max_size=5,
            unique=True,
        ).map(sorted)
    )
    rs = run(impl, p, k=ks)
    for a, b in zip(rs, rs[1:], strict=False):
        assert b["H"] <= a["H"] + EPS and b["M0"] <= a["M0"] + EPS
        assert b["M1"] <= a["M1"] + EPS and b["M2"] <= a["M2"] + EPS
        assert np.all(
            np.asarray(b["censored_headcount"]) <= np.asarray(a["censored_headcount"]) + EPS
        )
    # the k dimension gives the same numbers as one k at a time
    pos = data.draw(st.integers(0, len(ks) - 1))
    same(rs[pos], run(impl, p, k=ks[pos]))


# ======================================================================================
# Axioms
# ======================================================================================
@with_impl
@SETTINGS
@given(p=af_problems(groups=True), perm_seed=st.integers(0, 2**32 - 1))
def test_symmetry(impl, p, perm_seed):
    perm = np.random.default_rng(perm_seed).permutation(len(p.data))
    q = p.with_data(p.data.iloc[perm].reset_index(drop=True))
    same(run(impl, q, by="grp"), run(impl, p, by="grp"))


@with_impl
@SETTINGS
@given(p=af_problems(groups=True), r=st.integers(2, 3))
def test_replication_invariance(impl, p, r):
    q = p.with_data(pd.concat([p.data] * r, ignore_index=True))
    a, b = run(impl, p, by="grp"), run(impl, q, by="grp")
    names = [x for x in SCALAR_MEASURES + INDICATOR_MEASURES if x != "n_obs"]
    same(b, a, names=names)
    assert b["n_obs"] == r * a["n_obs"]


def _improve(p: Problem, i: int, j: int) -> Problem:
    """Raise unit i's achievement in indicator j (a flag goes from deprived to not)."""
    data = p.data.copy()
    col = f"x{j}"
    if p.kind[j] == "flag":
        data.loc[i, col] = 0
    else:
        data.loc[i, col] = data.loc[i, col] + 1.25
    return p.with_data(data)


def _worsen(p: Problem, i: int, j: int, to: float | None = None) -> Problem:
    data = p.data.copy()
    col = f"x{j}"
    if p.kind[j] == "flag":
        data.loc[i, col] = 1
    else:
        data.loc[i, col] = (data.loc[i, col] - 1.5) if to is None else to
    return p.with_data(data)


@with_impl
@SETTINGS
@given(p=af_problems(min_n=2), data=st.data())
def test_poverty_focus(impl, p, data):
    """Improving an achievement of a non-poor unit leaves the poverty measures unchanged."""
    scores = p.scores()
    g = p.deprived()
    cand = [
        (i, j)
        for i in range(len(scores))
        if scores[i] < p.k
        for j in range(len(p.kind))
        if p.kind[j] == "cardinal" or g[i, j]
    ]
    assume(cand)
    i, j = data.draw(st.sampled_from(cand))
    before, after = run(impl, p), run(impl, _improve(p, i, j))
    same(after, before, names=POVERTY)


@with_impl
@SETTINGS
@given(p=af_problems(min_n=2, cardinal="all"), data=st.data())
def test_deprivation_focus(impl, p, data):
    """Improving a non-deprived achievement (of anybody, poor or not) changes nothing."""
    g = p.deprived()
    scores = p.scores()
    cand = [(i, j) for i in range(g.shape[0]) for j in range(g.shape[1]) if not g[i, j]]
    assume(cand)
    poor_cand = [(i, j) for i, j in cand if scores[i] >= p.k]
    i, j = data.draw(st.sampled_from(poor_cand or cand))
    before, after = run(impl, p), run(impl, _improve(p, i, j))
    same(after, before)


@with_impl
@SETTINGS
@given(p=af_problems(min_n=2), data=st.data())
def test_dimensional_monotonicity(impl, p, data):
    """A poor unit becoming deprived in an indicator where it was not: M0 rises."""
    g = p.deprived()
    scores = p.scores()
    cand = [
        (i, j)
        for i in range(g.shape[0])
        if scores[i] >= p.k
        for j in range(g.shape[1])
        if not g[i, j]
    ]
    assume(cand)
    i, j = data.draw(st.sampled_from(cand))
    q = _worsen(p, i, j, to=0.0)
    before, after = run(impl, p), run(impl, q)
    assert after["M0"] > before["M0"]
    assert after["M1"] > before["M1"]
    assert after["M2"] > before["M2"]
    assert after["H"] == pytest.approx(before["H"], abs=EPS)
    assert after["A"] > before["A"]


@with_impl
@SETTINGS
@given(p=af_problems(min_n=2), data=st.data())
def test_weak_monotonicity(impl, p, data):
    """Worsening any achievement never lowers H, M0, M1 or M2."""
    i = data.draw(st.integers(0, len(p.data) - 1))
    j = data.draw(st.integers(0, len(p.kind) - 1))
    before, after = run(impl, p), run(impl, _worsen(p, i, j))
    for name in ("H", "M0", "M1", "M2"):
        assert after[name] >= before[name] - EPS, name
    scores = p.scores()
    if scores[i] >= p.k and p.deprived()[i, j] and p.kind[j] == "cardinal":
        x = p.data.loc[i, f"x{j}"]
        if x > 0:  # the gap was below 1 and grows
            assert after["M1"] > before["M1"]


@with_impl
@SETTINGS
@given(p=af_problems(min_n=4, groups=True), data=st.data())
def test_subgroup_consistency(impl, p, data):
    """M0 of one subgroup rises, the other's is unchanged, shares fixed: overall M0 rises."""
    assume(p.data["grp"].nunique() >= 2)
    g = p.deprived()
    scores = p.scores()
    grp = p.data["grp"].to_numpy()
    target = data.draw(st.sampled_from(sorted(set(grp))))
    cand = [
        (i, j)
        for i in range(len(grp))
        if grp[i] == target and scores[i] >= p.k
        for j in range(g.shape[1])
        if not g[i, j]
    ]
    assume(cand)
    i, j = data.draw(st.sampled_from(cand))
    before, after = run(impl, p, by="grp"), run(impl, _worsen(p, i, j, to=0.0), by="grp")
    for key in before["groups"]:
        b, a = before["groups"][key], after["groups"][key]
        assert a["population_share"] == pytest.approx(b["population_share"], abs=EPS)
        if key == target:
            assert a["M0"] > b["M0"]
        else:
            same(a, b)
    assert after["M0"] > before["M0"]


@with_impl
@SETTINGS
@given(wd=nested_weights(), n=st.integers(1, 20), data=st.data())
def test_normalisation_bounds(impl, wd, n, data):
    weights, dims = wd
    d = len(weights)
    g = data.draw(deprivation_matrices(n, d))
    spec = mpi.Spec(
        [mpi.Indicator(f"i{j}", weight=w, dimension=dims[j]) for j, w in enumerate(weights)],
        k=min(weights),
    )
    df = pd.DataFrame(g, columns=spec.names)
    r = run_measure(impl, df, spec)
    assert 0 <= r["M0"] <= 1
    none = run_measure(impl, df * 0, spec)
    assert none["M0"] == 0 and none["H"] == 0
    full = run_measure(impl, df * 0 + 1, spec, k=1)
    assert full["H"] == 1
    for name in ("M0", "A", "M1", "M2"):
        assert full[name] == pytest.approx(1, abs=EPS), name
