"""Properties of mpi.jobs.match on random tiny markets (hypothesis): every matched pair
satisfies every hard constraint, capacities hold, statuses follow the contract, the optimal
total is the brute-force maximum and the stable matching has no blocking pair."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jobs_market import assignments, expected_status, feasible, random_market

from mpi.jobs import match
from mpi.jobs.assign import assign_optimal
from mpi.jobs.constraints import classify, normalise
from mpi.jobs.score import suitability

SETTINGS = settings(max_examples=50, deadline=None)
MARKETS = {"seed": st.integers(0, 2**32 - 1), "n": st.integers(1, 5), "p": st.integers(1, 4)}


@SETTINGS
@given(**MARKETS, method=st.sampled_from(["optimal", "stable"]))
def test_every_matched_pair_is_feasible_and_capacities_hold(
    seed: int, n: int, p: int, method: str
) -> None:
    workers, posts = random_market(seed, n, p, zero_openings=True)
    res = match(workers, posts, method=method)
    frame = res.to_frame()
    w = workers.set_index("worker_id")
    q = posts.set_index("post_id")
    for _, row in frame[frame["matched"]].iterrows():
        assert feasible(w.loc[row["worker_id"]], q.loc[row["post_id"]])
    filled = frame.loc[frame["matched"], "post_id"].value_counts()
    for pid, k in filled.items():
        assert k <= q.loc[pid, "openings"]
    posts_table = res.posts().set_index("post_id")
    assert (posts_table["filled"] <= posts_table["openings"]).all()
    assert int(posts_table["filled"].sum()) == int(frame["matched"].sum())
    assert res.to_dataset().attrs["n_posts_without_openings"] == int((posts["openings"] == 0).sum())
    # statuses and feasible counts per the contract
    for _, row in frame.iterrows():
        wr = w.loc[row["worker_id"]].copy()
        wr["worker_id"] = row["worker_id"]
        assert row["status"] == expected_status(wr, posts, matched=bool(row["matched"]))
        want = sum(feasible(wr, pr) for _, pr in posts.iterrows() if pr["openings"] > 0)
        assert row["n_feasible"] == want
    if method == "optimal":
        # no unmatched worker has a feasible post with an opening left (score > 0)
        left = posts_table["openings"] - posts_table["filled"]
        for _, row in frame[~frame["matched"]].iterrows():
            for pid in left.index[left > 0]:
                assert not feasible(w.loc[row["worker_id"]], q.loc[pid])


@SETTINGS
@given(**MARKETS)
def test_optimal_total_is_the_brute_force_maximum(seed: int, n: int, p: int) -> None:
    workers, posts = random_market(seed, n, p)
    res = match(workers, posts)
    t = normalise(workers, posts)
    wi, pj, d, _ = classify(t)
    score = suitability(t, wi, pj, d)
    lookup = {(int(i), int(j)): s for i, j, s in zip(wi, pj, score, strict=True)}
    options = [pj[wi == i].tolist() for i in range(n)]
    best = max(
        sum(lookup[(i, j)] for i, j in enumerate(c) if j >= 0)
        for c in assignments(n, options, t.arrays["openings"].tolist())
    )
    assert res.to_dataset().attrs["total_score"] == pytest.approx(best, abs=1e-12)
    assert res.to_frame()["score"].sum() == pytest.approx(best, abs=1e-12)
    stable = match(workers, posts, method="stable").to_dataset().attrs["total_score"]
    assert stable <= best + 1e-12


@SETTINGS
@given(**MARKETS)
def test_stable_has_no_blocking_pair(seed: int, n: int, p: int) -> None:
    workers, posts = random_market(seed, n, p)
    res = match(workers, posts, method="stable")
    frame = res.to_frame().set_index("worker_id")
    # offers=None keeps every feasible pair with its score
    all_offers = match(workers, posts, method="stable", offers=None).offers()
    cap = posts.set_index("post_id")["openings"]
    held = frame[frame["matched"]].groupby("post_id").size()
    score = {(r.worker_id, r.post_id): r.score for r in all_offers.itertuples()}
    for (wid, pid), s in score.items():
        cur = frame.loc[wid, "post_id"]
        if cur == pid:
            continue
        if cur and (score[(wid, cur)], -ord_key(cur)) >= (s, -ord_key(pid)):
            continue
        rivals = frame.index[frame["post_id"] == pid]
        assert held.get(pid, 0) == cap[pid], f"{wid} and {pid} block: the post has room"
        # the post prefers each worker it holds: higher score, or equal score and lower id
        assert all(score[(k, pid)] > s or (score[(k, pid)] == s and k < wid)
                   for k in rivals), f"{wid} and {pid} block"  # fmt: skip


def ord_key(post_id: str) -> int:
    """Post ids of random_market are 'P00'..'P99': their order as an integer."""
    return int(post_id[1:])


def test_same_input_same_output() -> None:
    workers, posts = random_market(11, 30, 10)
    a = match(workers, posts).to_dataset()
    b = match(workers, posts).to_dataset()
    assert a.identical(b)
    np.testing.assert_array_equal(a["post_id"].values, b["post_id"].values)


@pytest.mark.parametrize("seed", range(4))
def test_optimal_total_equals_the_lp_on_medium_markets(seed: int) -> None:
    """150 workers x 40 posts with up to 4 openings: too many for brute force; the b-matching
    LP (HiGHS) is integral (totally unimodular constraints), so its optimum is the target.
    Both solvers: match's default (dense at this size) and the sparse one."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    workers, posts = random_market(seed, 150, 40, max_openings=4)
    res = match(workers, posts)
    t = normalise(workers, posts)
    wi, pj, d, _ = classify(t)
    score = suitability(t, wi, pj, d)
    m = len(wi)
    a = vstack([coo_matrix((np.ones(m), (wi, np.arange(m))), shape=(t.n_workers, m)),
                coo_matrix((np.ones(m), (pj, np.arange(m))), shape=(t.n_posts, m))])  # fmt: skip
    b = np.concatenate([np.ones(t.n_workers), t.arrays["openings"]])
    lp = linprog(-score, A_ub=a.tocsr(), b_ub=b, bounds=(0, 1), method="highs")
    assert lp.status == 0 and m > 100
    np.testing.assert_allclose(lp.x, np.round(lp.x), atol=1e-9)
    assert res.to_dataset().attrs["total_score"] == pytest.approx(-lp.fun, abs=1e-9)
    post_of, name = assign_optimal(t.n_workers, t.n_posts, wi, pj, score, t.arrays["openings"],
                                   solver="sparse")  # fmt: skip
    assert "min_weight_full_bipartite_matching" in name
    got = sum(score[(wi == i) & (pj == j)][0] for i, j in enumerate(post_of) if j >= 0)
    assert got == pytest.approx(-lp.fun, abs=1e-9)
