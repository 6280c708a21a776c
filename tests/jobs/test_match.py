"""mpi.jobs.match and MatchResult on hand-built markets: statuses, reasons, offers, training
needs, coverage, the summary in both languages, bad arguments; and the bundled labour
market."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from jobs_market import feasible, frames, post, random_market, worker

import mpi.jobs
from mpi.errors import ValidationError
from mpi.jobs import MatchResult, match

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six workers, three posts (see test_training_needs_on_a_hand_built_market)."""
    posts = [
        post("P1", sector="manufacturing", skill="welding", openings=2, wage=3000.0),
        post("P2", x_km=100.0, sector="logistics", skill="driving", openings=1),
        post("P3", sector="services", openings=1),
        post("P4", openings=0),
    ]
    workers = [
        worker("A", sectors="manufacturing", household_id=1, village=1),
        worker("B", sectors="manufacturing", household_id=1, village=1),
        worker("C", x_km=100.0, max_distance_km=10.0, household_id=2, village=2),
        worker("D", sectors="services", skills="cooking", household_id=2, village=2),
        worker("E", wage_floor=10_000.0, household_id=-1, village=1),
        worker("F", sectors="manufacturing", skills="welding", household_id=3, village=1),
    ]
    return frames(workers, posts)


@pytest.fixture(scope="module")
def res(market) -> MatchResult:
    return match(*market)


def test_statuses_on_a_hand_built_market(res: MatchResult) -> None:
    f = res.to_frame().set_index("worker_id")
    assert f["status"].to_dict() == {
        "A": "skill_gap", "B": "skill_gap", "C": "skill_gap", "D": "matched",
        "E": "wage_floor_above_offers", "F": "matched",
    }  # fmt: skip
    assert f.loc["F", "post_id"] == "P1" and f.loc["D", "post_id"] == "P3"
    assert f.loc["E", "post_id"] == "" and np.isnan(f.loc["E", "wage"])
    assert f["n_feasible"].to_dict() == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 0, "F": 1}
    un = res.unmatched().set_index("worker_id")
    assert list(un.index) == ["A", "B", "C", "E"]
    assert "welding" in un.loc["A", "detail"] and "driving" in un.loc["C", "detail"]
    assert "10,000" in un.loc["E", "detail"]
    assert CJK.search(res.unmatched(lang="zh")["detail"].iloc[0])


def test_zero_openings_counted_and_excluded(res: MatchResult) -> None:
    ds = res.to_dataset()
    assert ds.attrs["n_posts_without_openings"] == 1
    assert "P4" not in set(res.posts()["post_id"])
    assert ds.attrs["n_openings"] == 4 and ds.attrs["n_filled"] == 2
    assert any("zero openings" in n for n in res.summary().notes)


def test_training_needs_on_a_hand_built_market(res: MatchResult) -> None:
    # unmatched: A, B (need welding for P1, 1 opening left), C (needs driving for P2),
    # E (wage floor: no skill helps); cooking (D's skill) is required by no post
    needs = res.training_needs()
    assert needs.columns.tolist()[:3] == ["skill", "workers_placeable", "share_of_unmatched"]
    assert needs["skill"].tolist() == ["welding", "driving"]
    assert needs["workers_placeable"].tolist() == [2, 1]
    assert needs["share_of_unmatched"].tolist() == [2 / 4, 1 / 4]
    assert needs["openings_left"].tolist() == [1, 1]


def test_coverage_sums(res: MatchResult) -> None:
    village = res.coverage("village")
    total = res.coverage(None)
    assert village.loc[1].tolist() == [4, 1, 0.25, 2, 1]
    assert village.loc[2].tolist() == [2, 1, 0.5, 1, 1]
    for col in ("workers", "matched", "households", "households_with_match"):
        assert village[col].sum() == total[col].iloc[0]
    assert total["share_matched"].iloc[0] == pytest.approx(2 / 6)
    county = res.coverage("county")
    assert county["workers"].sum() == 6
    with pytest.raises(ValidationError, match="by must be one of"):
        res.coverage("township")


def test_pairs_have_reasons(res: MatchResult) -> None:
    pairs = res.pairs()
    assert pairs.columns.tolist() == [
        "worker_id", "post_id", "employer_id", "sector", "score", "wage", "distance_km", "reason"
    ]  # fmt: skip
    r = pairs.set_index("worker_id").loc["F", "reason"]
    assert r == ("wage 3,000 >= floor 2,000 yuan; 0.0 km of 50 km; skill welding used; "
                 "sector manufacturing wanted")  # fmt: skip
    assert CJK.search(res.pairs(lang="zh")["reason"].iloc[0])


def test_offers_are_ranked_and_include_the_assigned_post() -> None:
    # X prefers Q1 (higher wage) but only Y can reach Q1: the optimum gives Q1 to Y and Q2
    # to X, below X's top offer
    posts = [post("Q1", wage=5000.0), post("Q2", x_km=8.0, wage=2100.0),
             post("Q3", x_km=9.0, wage=2100.0)]  # fmt: skip
    workers = [worker("X"), worker("Y", max_distance_km=1.0)]
    res = match(*frames(workers, posts), offers=1)
    f = res.to_frame().set_index("worker_id")
    assert f.loc["X", "post_id"] == "Q2" and f.loc["Y", "post_id"] == "Q1"
    off = res.offers()
    x = off[off["worker_id"] == "X"]
    assert x["post_id"].tolist() == ["Q1", "Q2"] and x["rank"].tolist() == [1, 2]
    assert x["assigned"].tolist() == [False, True]
    assert (np.diff(x["score"].to_numpy()) <= 0).all()
    full = match(*frames(workers, posts), offers=None).offers()
    xs = full[full["worker_id"] == "X"]
    assert xs["post_id"].tolist() == ["Q1", "Q2", "Q3"]  # Q2 nearer than Q3: higher score
    assert len(res.offers(1)) == len(off)
    with pytest.raises(ValidationError, match="offers=2"):
        res.offers(2)
    with pytest.raises(ValidationError, match="positive integer"):
        res.offers(0)


def test_offer_ties_broken_by_post_id() -> None:
    posts = [post("P2"), post("P1"), post("P3")]  # identical posts: equal scores
    res = match(*frames([worker("W")], posts), offers=None)
    assert res.offers()["post_id"].tolist() == ["P1", "P2", "P3"]
    assert res.to_frame()["score"].notna().all()


def test_weights_change_the_choice() -> None:
    # near and low-paid vs far and well-paid
    posts = [post("near", wage=2100.0, x_km=1.0), post("far", wage=4000.0, x_km=45.0)]
    w = frames([worker("W")], posts)
    assert match(*w, weights={"distance": 1.0, "wage": 0.0}).to_frame()["post_id"][0] == "near"
    assert match(*w, weights={"distance": 0.0, "wage": 1.0}).to_frame()["post_id"][0] == "far"
    ds = match(*w, offers=None).to_dataset()
    assert ((ds["offer_score"] > 0) & (ds["offer_score"] <= 1)).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "greedy"}, "method must be one of"),
        ({"offers": 0}, "offers must be a positive integer"),
        ({"offers": True}, "offers must be a positive integer"),
        ({"weights": {"salary": 1.0}}, "unknown term 'salary'"),
        ({"weights": {"base": 0.0}}, r"weights\['base'\] must be > 0"),
        ({"weights": {"wage": -1.0}}, r"weights\['wage'\] must be a finite number >= 0"),
        ({"weights": {"wage": float("nan")}}, r"weights\['wage'\]"),
        ({"weights": [0.5]}, "weights must be a dict"),
    ],
)
def test_bad_arguments(market, kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        match(*market, **kwargs)


def test_inputs_not_mutated_and_custom_ids(market) -> None:
    w, p = market
    w0, p0 = w.copy(deep=True), p.copy(deep=True)
    res = match(w.rename(columns={"worker_id": "pid"}), p.rename(columns={"post_id": "job"}),
                worker_id="pid", post_id="job")  # fmt: skip
    pd.testing.assert_frame_equal(w, w0)
    pd.testing.assert_frame_equal(p, p0)
    assert res.to_frame()["worker_id"].tolist() == w["worker_id"].tolist()


def test_dataset_layout_and_cf_attributes(res: MatchResult) -> None:
    ds = res.to_dataset()
    assert set(ds.sizes) >= {"worker", "pair", "post", "offer", "skill"}
    for name in ("household_id", "village", "county", "status", "matched", "post_id", "wage",
                 "score", "distance_km", "n_feasible"):  # fmt: skip
        assert ds[name].dims == ("worker",)
    for name in ds.data_vars:
        assert {"long_name", "units"} <= set(ds[name].attrs), name
    assert ds["wage"].attrs["units"] == "yuan per month"
    for key in ("method", "total_score", "n_workers", "n_matched", "n_openings", "n_filled"):
        assert key in ds.attrs
    assert ds.attrs["total_score"] == pytest.approx(float(np.nansum(ds["score"].values)))
    ds["status"].values[...] = "x"
    assert res.to_dataset()["status"].values[0] != "x"  # a copy
    assert ds.sizes["pair"] == int(ds.attrs["n_matched"])


def test_summary_repr_in_both_languages(res: MatchResult) -> None:
    en, zh = res.summary(), res.summary(lang="zh")
    assert en.title.startswith(MatchResult.title) and CJK.search(zh.title)
    assert len(en.header) == len(zh.header) > 5
    assert all(CJK.search(k) for k, _ in zh.header)
    assert len(en.tables) == len(zh.tables) == 3
    status = en.tables[0][1]
    assert status["workers"].sum() == 6 and list(status.index)[0] == "matched"
    assert "MatchResult" in repr(res) and " at 0x" not in repr(res)
    assert str(res) == en.text and res._repr_html_().startswith("<div")
    with pytest.raises(ValidationError):
        res.summary(lang="fr")
    with pytest.raises(ValidationError):
        res.se  # noqa: B018
    with pytest.raises(ValidationError, match="by_group"):
        res.by_group()


def test_worker_without_feasible_post_and_no_posts() -> None:
    res = match(*frames([worker("W", max_distance_km=0.0)], [post("P", x_km=1.0)]))
    assert res.to_frame()["status"].tolist() == ["no_post_in_reach"]
    assert "1.0 km" in res.unmatched()["detail"].iloc[0]
    res = match(*frames([worker("W")], [post("P", openings=0)]))
    assert res.to_frame()["status"].tolist() == ["no_post_in_reach"]
    assert res.unmatched()["detail"].iloc[0] == "no post has openings"
    assert res.training_needs().empty and len(res.offers()) == 0


def test_stable_method_on_a_random_market() -> None:
    w, p = random_market(5, 40, 12)
    opt, st = match(w, p), match(w, p, method="stable")
    assert st.to_dataset().attrs["method"] == "stable"
    assert opt.to_dataset().attrs["total_score"] >= st.to_dataset().attrs["total_score"]
    assert "deferred acceptance" in st.summary().notes[0].lower() or "Gale" in st.summary().notes[0]


def test_public_names() -> None:
    assert mpi.jobs.match is match and mpi.jobs.MatchResult is MatchResult
    assert callable(mpi.jobs.feasible_pairs)
    assert mpi.jobs.STATUSES[0] == "matched" and mpi.jobs.STATUSES[-1] == "outcompeted"


# -- the bundled labour market ---------------------------------------------------------------
@pytest.fixture(scope="module")
def labour_market() -> dict[str, pd.DataFrame]:
    import mpi.datasets

    try:
        return mpi.datasets.load("labour_market")
    except (ValueError, KeyError, FileNotFoundError) as err:  # not bundled in this tree
        pytest.skip(f"labour_market dataset not available: {err}")


@pytest.mark.parametrize("method", ["optimal", "stable"])
def test_bundled_labour_market(labour_market, method: str) -> None:
    w, p = labour_market["workers"], labour_market["posts"]
    res = match(w, p, method=method)
    ds = res.to_dataset()
    assert ds.attrs["n_workers"] == 7658 and ds.attrs["n_openings"] == 10090
    f = res.to_frame()
    assert set(f["status"]) <= set(mpi.jobs.STATUSES)
    assert (res.posts()["filled"] <= res.posts()["openings"]).all()
    # a sample of matched pairs checked row by row against the contract
    wk = w.set_index("worker_id")
    pk = p.set_index("post_id")
    sample = f[f["matched"]].sample(300, random_state=0)
    for _, row in sample.iterrows():
        assert feasible(wk.loc[row["worker_id"]], pk.loc[row["post_id"]])
    status = res.status_counts()
    assert status["workers"].sum() == 7658
    cov = res.coverage("village")
    assert cov["workers"].sum() == 7658 and cov["matched"].sum() == ds.attrs["n_matched"]
