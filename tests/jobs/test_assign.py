"""The assignment solvers of mpi.jobs.assign: the optimal b-matching against the LP (HiGHS,
integral because the constraint matrix is totally unimodular) and brute force; deferred
acceptance against the definition of stability and brute force over stable matchings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jobs_market import assignments, random_market

from mpi.jobs.assign import assign_optimal, assign_stable, slots
from mpi.jobs.constraints import classify, normalise
from mpi.jobs.score import suitability

SETTINGS = settings(max_examples=60, deadline=None)


def _instance(seed: int, n: int, p: int, max_openings: int = 2):
    t = normalise(*random_market(seed, n, p, max_openings=max_openings))
    wi, pj, d, _ = classify(t)
    return t, wi, pj, suitability(t, wi, pj, d)


def _random_instance(seed: int, n: int, p: int, density: float, max_cap: int):
    """Random pairs and scores (with ties) directly, for larger instances."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, p)) < density
    wi, pj = np.nonzero(mask)
    score = rng.choice([0.2, 0.35, 0.5, 0.75, 1.0], len(wi))
    caps = rng.integers(1, max_cap + 1, p)
    return wi.astype(np.int64), pj.astype(np.int64), score, caps


def lp_optimum(n: int, p: int, wi, pj, score, caps) -> tuple[float, np.ndarray]:
    """max sum s x s.t. sum_j x_ij <= 1, sum_i x_ij <= c_j, 0 <= x <= 1 (HiGHS)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    m = len(wi)
    rows_w = coo_matrix((np.ones(m), (wi, np.arange(m))), shape=(n, m))
    rows_p = coo_matrix((np.ones(m), (pj, np.arange(m))), shape=(p, m))
    res = linprog(
        -score, A_ub=vstack([rows_w, rows_p]).tocsr(),
        b_ub=np.concatenate([np.ones(n), caps]), bounds=(0, 1), method="highs",
    )  # fmt: skip
    assert res.status == 0
    return -res.fun, res.x


def _total(post_of, wi, pj, score) -> float:
    lookup = {(int(i), int(j)): s for i, j, s in zip(wi, pj, score, strict=True)}
    return sum(lookup[(i, int(j))] for i, j in enumerate(post_of) if j >= 0)


def _check_valid(post_of, n, wi, pj, caps) -> None:
    pairs = set(zip(wi.tolist(), pj.tolist(), strict=True))
    for i, j in enumerate(post_of.tolist()):
        assert j == -1 or (i, j) in pairs
    used = np.bincount(post_of[post_of >= 0], minlength=len(caps))
    assert (used <= caps).all()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("solver", ["sparse", "dense"])
def test_optimal_equals_the_lp_optimum(seed: int, solver: str) -> None:
    n, p = 40, 12
    wi, pj, score, caps = _random_instance(seed, n, p, density=0.25, max_cap=4)
    post_of, name = assign_optimal(n, p, wi, pj, score, caps, solver=solver)
    _check_valid(post_of, n, wi, pj, caps)
    best, x = lp_optimum(n, p, wi, pj, score, caps)
    # total unimodularity: the LP's vertex solution is integral
    np.testing.assert_allclose(x, np.round(x), atol=1e-9)
    assert _total(post_of, wi, pj, score) == pytest.approx(best, abs=1e-9)
    assert ("min_weight_full" in name) == (solver == "sparse")


def test_default_solver_choice_by_size() -> None:
    wi, pj, score, caps = _random_instance(1, 10, 4, density=0.5, max_cap=2)
    assert "linear_sum_assignment" in assign_optimal(10, 4, wi, pj, score, caps)[1]
    n, p = 800, 400
    wi, pj, score, caps = _random_instance(2, n, p, density=0.01, max_cap=3)
    post_of, name = assign_optimal(n, p, wi, pj, score, caps)
    assert "min_weight_full_bipartite_matching" in name
    assert _total(post_of, wi, pj, score) == pytest.approx(
        lp_optimum(n, p, wi, pj, score, caps)[0], abs=1e-8
    )


def test_no_pairs_and_more_workers_than_slots() -> None:
    empty = np.empty(0, np.int64)
    post_of, name = assign_optimal(3, 2, empty, empty, np.empty(0), np.array([1, 1]))
    assert post_of.tolist() == [-1, -1, -1] and "no feasible pair" in name
    # 5 workers all wanting one post with 1 opening: exactly one placed, the best
    wi = np.arange(5, dtype=np.int64)
    pj = np.zeros(5, np.int64)
    score = np.array([0.3, 0.9, 0.5, 0.9, 0.1])
    for solver in ("sparse", "dense"):
        post_of, _ = assign_optimal(5, 1, wi, pj, score, np.array([1]), solver=solver)
        assert (post_of >= 0).sum() == 1 and score[post_of >= 0][0] == 0.9


def test_slots_are_capped_by_feasible_workers() -> None:
    pj = np.array([0, 0, 1], np.int64)
    assert slots(3, pj, np.array([5, 1, 4])).tolist() == [2, 1, 0]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), p=st.integers(1, 4))
def test_optimal_equals_brute_force_on_tiny_markets(seed: int, n: int, p: int) -> None:
    t, wi, pj, score = _instance(seed, n, p)
    caps = t.arrays["openings"]
    options = [pj[wi == i].tolist() for i in range(n)]
    lookup = {(int(i), int(j)): s for i, j, s in zip(wi, pj, score, strict=True)}
    best = max(
        sum(lookup[(i, j)] for i, j in enumerate(combo) if j >= 0)
        for combo in assignments(n, options, caps.tolist())
    )
    for solver in ("sparse", "dense"):
        post_of, _ = assign_optimal(n, t.n_posts, wi, pj, score, caps, solver=solver)
        _check_valid(post_of, n, wi, pj, caps)
        assert _total(post_of, wi, pj, score) == pytest.approx(best, abs=1e-12)


# -- stable matching ---------------------------------------------------------------------------
def _prefers_worker(i: int, j: int, key: dict, wrank) -> tuple:
    """Post j's key for worker i (larger = better): score, then lower worker id."""
    return (key[(i, j)], -int(wrank[i]))


def blocking_pairs(post_of, wi, pj, score, caps, wrank, prank) -> list[tuple[int, int]]:
    """(i, j) feasible pairs where i prefers j to its post and j has room or prefers i."""
    key = {(int(i), int(j)): s for i, j, s in zip(wi, pj, score, strict=True)}
    held = {j: [i for i, q in enumerate(post_of) if q == j] for j in range(len(caps))}
    out = []
    for (i, j), s in key.items():
        cur = int(post_of[i])
        if cur == j:
            continue
        if cur >= 0 and (key[(i, cur)], -prank[cur]) >= (s, -prank[j]):
            continue  # i does not prefer j
        if len(held[j]) < caps[j]:
            out.append((i, j))
        elif any(_prefers_worker(i, j, key, wrank) > _prefers_worker(k, j, key, wrank)
                 for k in held[j]):  # fmt: skip
            out.append((i, j))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_stable_has_no_blocking_pair_on_larger_markets(seed: int) -> None:
    n, p = 60, 15
    wi, pj, score, caps = _random_instance(seed, n, p, density=0.3, max_cap=3)
    rng = np.random.default_rng(seed)
    wrank, prank = rng.permutation(n), rng.permutation(p)
    post_of = assign_stable(n, p, wi, pj, score, caps, wrank, prank)
    _check_valid(post_of, n, wi, pj, caps)
    assert blocking_pairs(post_of, wi, pj, score, caps, wrank, prank) == []


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), p=st.integers(1, 4))
def test_stable_is_worker_optimal_among_all_stable_matchings(seed: int, n: int, p: int) -> None:
    t, wi, pj, score = _instance(seed, n, p)
    caps = t.arrays["openings"]
    post_of = assign_stable(n, t.n_posts, wi, pj, score, caps, t.worker_rank, t.post_rank)
    _check_valid(post_of, n, wi, pj, caps)
    args = (wi, pj, score, caps, t.worker_rank, t.post_rank)
    assert blocking_pairs(post_of, *args) == []
    key = {(int(i), int(j)): s for i, j, s in zip(wi, pj, score, strict=True)}

    def value(i: int, j: int) -> tuple:  # worker i's preference key for post j (larger = better)
        return (-1.0, 0) if j < 0 else (key[(i, j)], -int(t.post_rank[j]))

    options = [pj[wi == i].tolist() for i in range(n)]
    stable = [
        np.array(c) for c in assignments(n, options, caps.tolist())
        if not blocking_pairs(np.array(c), *args)
    ]  # fmt: skip
    assert any((s == post_of).all() for s in stable)
    for s in stable:  # every worker weakly prefers the deferred-acceptance post
        for i in range(n):
            assert value(i, int(post_of[i])) >= value(i, int(s[i]))


def test_stable_tie_breaking_by_ids() -> None:
    # two workers with equal scores for one opening: the lower worker id wins
    wi = np.array([0, 1], np.int64)
    pj = np.array([0, 0], np.int64)
    score = np.array([0.5, 0.5])
    post_of = assign_stable(2, 1, wi, pj, score, np.array([1]), np.array([1, 0]), np.array([0]))
    assert post_of.tolist() == [-1, 0]  # worker 1 has the lower id (rank 0)
    # one worker, two posts with equal scores: the lower post id is proposed to first
    post_of = assign_stable(1, 2, np.array([0, 0]), np.array([0, 1]), np.array([0.5, 0.5]),
                            np.array([1, 1]), np.array([0]), np.array([1, 0]))  # fmt: skip
    assert post_of.tolist() == [1]
