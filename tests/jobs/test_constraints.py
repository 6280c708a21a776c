"""Validation of the worker and post tables, the feasible pairs and the binding-constraint
classification of mpi.jobs.constraints, against row-by-row oracles written from the
contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jobs_market import expected_status, feasible, frames, post, random_market, worker

from mpi.errors import ValidationError
from mpi.jobs.constraints import classify, feasible_pairs, normalise, status_of

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 7), p=st.integers(0, 6))
def test_feasible_pairs_equal_the_row_by_row_oracle(seed: int, n: int, p: int) -> None:
    workers, posts = random_market(seed, n, p, max_openings=2, zero_openings=True)
    wi, pj = feasible_pairs(workers, posts)
    got = set(zip(wi.tolist(), pj.tolist(), strict=True))
    want = {
        (i, j)
        for i, w in workers.iterrows()
        for j, q in posts.iterrows()
        if q["openings"] > 0 and feasible(w, q)
    }
    assert got == want
    assert wi.dtype == np.int64 and pj.dtype == np.int64
    # sorted by worker, then post
    assert list(zip(wi, pj, strict=True)) == sorted(zip(wi, pj, strict=True))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 7), p=st.integers(0, 6))
def test_stage_counts_and_statuses_follow_the_contract_order(seed: int, n: int, p: int) -> None:
    workers, posts = random_market(seed, n, p, zero_openings=True)
    t = normalise(workers, posts)
    _, _, _, info = classify(t)
    status = status_of(info.counts, np.zeros(n, bool))
    for i, w in workers.iterrows():
        assert status[i] == expected_status(w, posts, matched=False)
        n_feasible = sum(feasible(w, q) for _, q in posts.iterrows() if q["openings"] > 0)
        assert info.counts[i, -1] == n_feasible
    # counts shrink stage by stage (cumulative constraints)
    assert (np.diff(info.counts, axis=1) <= 0).all()


def test_blocks_do_not_change_the_pairs() -> None:
    workers, posts = random_market(7, 23, 9)
    t = normalise(workers, posts)
    a = classify(t, block=512)
    b = classify(t, block=3)
    for x, y in zip(a[:3], b[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a[3].counts, b[3].counts)
    np.testing.assert_array_equal(a[3].missing_skill, b[3].missing_skill)


def test_each_binding_constraint_on_hand_built_workers() -> None:
    posts = [
        post("P1", x_km=10.0, wage=3000.0, sector="services", min_age=18, max_age=40,
             min_education=2, skill="welding", openings=1),
    ]  # fmt: skip
    workers = [
        worker("far", max_distance_km=5.0),  # the post is 10 km away
        worker("rich", wage_floor=3500.0),
        worker("picky", sectors="construction;manufacturing"),
        worker("old", age=55, skills="welding"),
        worker("unskilled", skills="cooking"),
        worker("welder1", skills="welding", x_km=1.0),
        worker("welder2", skills="welding;driving", x_km=2.0),
    ]
    w, p = frames(workers, posts)
    t = normalise(w, p)
    _, _, _, info = classify(t)
    matched = np.array([False] * 5 + [True, False])
    assert status_of(info.counts, matched).tolist() == [
        "no_post_in_reach", "wage_floor_above_offers", "sector_preference",
        "requirements_not_met", "skill_gap", "matched", "outcompeted",
    ]  # fmt: skip
    assert info.nearest_km[0] == pytest.approx(10.0)
    assert info.best_wage[1] == 3000.0
    assert info.failing[3].tolist() == [1, 0, 0]  # age fails, education and health pass
    assert t.skill_codes[info.missing_skill[4]] == "welding"


def test_health_levels_and_requirement_order() -> None:
    posts = [post("Pg", health_required="good"), post("Pf", health_required="fair"),
             post("Pa", health_required="any")]  # fmt: skip
    workers = [worker("g", health="good"), worker("f", health="fair"), worker("p", health="poor")]
    wi, pj = feasible_pairs(*frames(workers, posts))
    got = {(int(i), int(j)) for i, j in zip(wi, pj, strict=True)}
    assert got == {(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)}


def test_distance_is_euclidean_and_inclusive() -> None:
    workers = [worker("W1", max_distance_km=5.0)]
    posts = [post("P1", x_km=3.0, y_km=4.0), post("P2", x_km=3.0, y_km=4.01)]
    wi, pj = feasible_pairs(*frames(workers, posts))
    assert pj.tolist() == [0]


def test_infinite_reach_is_allowed() -> None:
    workers = [worker("W1", max_distance_km=np.inf)]
    posts = [post("P1", x_km=1e5)]
    assert feasible_pairs(*frames(workers, posts))[1].tolist() == [0]


def test_zero_openings_are_excluded_and_indices_refer_to_the_given_rows() -> None:
    workers = [worker("W1")]
    posts = [post("P1", openings=0), post("P2", openings=2), post("P3", openings=0)]
    w, p = frames(workers, posts)
    wi, pj = feasible_pairs(w, p)
    assert pj.tolist() == [1]
    t = normalise(w, p)
    assert t.n_posts_without_openings == 2 and t.posts["post_id"].tolist() == ["P2"]
    assert t.post_rows.tolist() == [1]


def test_custom_id_columns_and_integer_ids() -> None:
    w, p = frames([worker("W1")], [post("P1")])
    w = w.rename(columns={"worker_id": "person"}).assign(person=[17])
    p = p.rename(columns={"post_id": "job"})
    t = normalise(w, p, worker_id="person", post_id="job")
    assert t.workers["worker_id"].tolist() == ["17"] and t.posts["post_id"].tolist() == ["P1"]


def test_inputs_are_not_mutated() -> None:
    w, p = random_market(3, 6, 4, zero_openings=True)
    w0, p0 = w.copy(deep=True), p.copy(deep=True)
    normalise(w, p)
    feasible_pairs(w, p)
    pd.testing.assert_frame_equal(w, w0)
    pd.testing.assert_frame_equal(p, p0)


# -- bad input -------------------------------------------------------------------------------
def _bad(workers=None, posts=None, **kw):
    w, p = frames([worker("W1"), worker("W2")], [post("P1"), post("P2")])
    if workers is not None:
        w = workers(w)
    if posts is not None:
        p = posts(p)
    return lambda: normalise(w, p, **kw)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        (_bad(workers=lambda w: w.drop(columns="wage_floor")), r"workers misses.*wage_floor"),
        (_bad(posts=lambda p: p.drop(columns=["openings", "skill"])), r"posts misses.*openings"),
        (_bad(workers=lambda w: w.drop(columns="worker_id")), r"workers misses.*worker_id"),
        (_bad(workers=lambda w: w.assign(worker_id=["W1", "W1"])), r"duplicated ids.*W1"),
        (_bad(posts=lambda p: p.assign(post_id=["P9", "P9"])), r"posts\['post_id'\].*duplicated.*P9"),
        (_bad(workers=lambda w: w.assign(worker_id=["W1", None])), r"missing id"),
        (_bad(posts=lambda p: p.assign(openings=[1, -1])), r"openings'\] must be >= 0.*-1"),
        (_bad(posts=lambda p: p.assign(openings=[1.0, 2.5])), r"openings'\] must hold whole.*2.5"),
        (_bad(posts=lambda p: p.assign(wage=[-5.0, 3000.0])), r"wage'\] must be >= 0"),
        (_bad(workers=lambda w: w.assign(wage_floor=[-1.0, 2.0])), r"wage_floor'\] must be >= 0"),
        (_bad(workers=lambda w: w.assign(max_distance_km=[-1.0, 2.0])), r"max_distance_km'\] must be >= 0"),
        (_bad(workers=lambda w: w.assign(x_km=[np.nan, 0.0])), r"x_km'\] has 1 missing"),
        (_bad(posts=lambda p: p.assign(wage=[np.inf, 1.0])), r"wage'\] has 1 missing or infinite"),
        (_bad(workers=lambda w: w.assign(age=["30", "40"])), r"age'\] must be numeric; got dtype.*'30'"),
        (_bad(workers=lambda w: w.assign(age=[True, False])), r"age'\] must be numeric"),
        (_bad(workers=lambda w: w.assign(health=["good", "excellent"])), r"health.*excellent"),
        (_bad(posts=lambda p: p.assign(health_required=["any", "poor"])), r"health_required.*poor"),
        (_bad(workers=lambda w: w.assign(skills=["", None])), r"skills'\] has a missing value"),
        (_bad(posts=lambda p: p.assign(min_age=[50, 16], max_age=[40, 64])), r"min_age > max_age"),
        (_bad(posts=lambda p: p.assign(skill=["welding;driving", ""])), r"one skill code"),
        (_bad(posts=lambda p: p.assign(sector=["", "services"])), r"sector'\] is empty"),
        (_bad(workers=lambda w: w.iloc[:0]), r"workers has no rows"),
        (_bad(worker_id=3), r"worker_id must be a column name"),
    ],
)  # fmt: skip
def test_bad_input_raises_naming_argument_value_and_fix(case, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        case()


def test_not_a_dataframe() -> None:
    with pytest.raises(ValidationError, match="workers must be a pandas DataFrame"):
        normalise([1, 2], frames([], [post("P1")])[1])  # type: ignore[arg-type]


def test_whole_float_openings_are_accepted() -> None:
    w, p = frames([worker("W1")], [post("P1", openings=2.0)])
    assert normalise(w, p).arrays["openings"].tolist() == [2]


def test_no_posts_at_all() -> None:
    w, p = frames([worker("W1")], [])
    t = normalise(w, p)
    wi, pj, _, info = classify(t)
    assert len(wi) == 0 and status_of(info.counts, np.zeros(1, bool)).tolist() == [
        "no_post_in_reach"
    ]
