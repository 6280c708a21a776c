"""Tests of the ``labour_market`` dataset (synthetic Yueyang-like database of poor workers and
posts)."""

from __future__ import annotations

import re
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

import mpi.datasets
from mpi.datasets import _labour_market as lm
from mpi.errors import ValidationError

NAME = "labour_market"
BUNDLED_N = 7658
BUNDLED_SEED = 2017
BUNDLED_EMPLOYERS = 396
BUNDLED_OPENINGS = 10_090
#: Figures the data card states for the bundled file.
BUNDLED_LINKED = 2917
BUNDLED_HOUSEHOLDS = 1887
BUNDLED_POSTS = 809
#: First failing stage of every worker under the contract's hard constraints (bundled file).
BUNDLED_STAGES = {
    "no_post_in_reach": 133,
    "wage_floor_above_offers": 177,
    "sector_preference": 501,
    "requirements_not_met": 600,
    "skill_gap": 297,
    "feasible": 5950,
}
BUNDLED_MAX_MATCHED = 5145

STAGES = (
    "no_post_in_reach",
    "wage_floor_above_offers",
    "sector_preference",
    "requirements_not_met",
    "skill_gap",
)
INTS = {"household_id", "village", "age", "education", "openings", "min_age", "max_age",
        "min_education"}  # fmt: skip
EXPECTED = {
    "workers": ["worker_id", "household_id", "village", "county", "x_km", "y_km", "age", "sex",
                "education", "health", "skills", "wage_floor", "max_distance_km", "sectors"],
    "posts": ["post_id", "employer_id", "employer", "sector", "county", "x_km", "y_km", "wage",
              "openings", "min_age", "max_age", "min_education", "skill", "health_required"],
}  # fmt: skip
SKILLS = ("construction", "driving", "cooking", "sewing", "electrician", "welding", "care",
          "farming", "retail", "computer", "mechanic", "cleaning")  # fmt: skip
SECTORS = ("manufacturing", "construction", "services", "agriculture", "logistics", "retail",
           "care", "hospitality")  # fmt: skip
HEALTH_RANK = {"poor": 0, "fair": 1, "good": 2}
REQUIRED_RANK = {"any": 0, "fair": 1, "good": 2}


@pytest.fixture(scope="module")
def db() -> dict[str, pd.DataFrame]:
    return mpi.datasets.load(NAME)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mpi.datasets.load("registry_panel")["households"].set_index("hh_id")


def tokens(column: pd.Series) -> list[list[str]]:
    return [s.split(";") if s else [] for s in column]


def membership(column: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Worker x name boolean matrix of a ';'-separated column."""
    out = np.zeros((len(column), len(names)), dtype=bool)
    for i, items in enumerate(tokens(column)):
        for item in items:
            out[i, names.index(item)] = True
    return out


def stage_masks(w: pd.DataFrame, p: pd.DataFrame) -> list[np.ndarray]:
    """Worker x post masks of the contract's hard constraints, in the status order: reach,
    wage, sector, requirements (age, education, health), skill."""
    dist = np.hypot(
        w["x_km"].to_numpy()[:, None] - p["x_km"].to_numpy()[None, :],
        w["y_km"].to_numpy()[:, None] - p["y_km"].to_numpy()[None, :],
    )
    reach = dist <= w["max_distance_km"].to_numpy()[:, None]
    wage = p["wage"].to_numpy()[None, :] >= w["wage_floor"].to_numpy()[:, None]
    sector_idx = np.array([SECTORS.index(s) for s in p["sector"]])
    sector = (w["sectors"] == "").to_numpy()[:, None] | membership(w["sectors"], SECTORS)[
        :, sector_idx
    ]
    age = w["age"].to_numpy()[:, None]
    requirements = (
        (p["min_age"].to_numpy()[None, :] <= age)
        & (age <= p["max_age"].to_numpy()[None, :])
        & (w["education"].to_numpy()[:, None] >= p["min_education"].to_numpy()[None, :])
        & (
            w["health"].map(HEALTH_RANK).to_numpy()[:, None]
            >= p["health_required"].map(REQUIRED_RANK).to_numpy()[None, :]
        )
    )
    has = membership(w["skills"], SKILLS)
    needs = p["skill"].to_numpy() != ""
    skill = np.ones(reach.shape, dtype=bool)
    skill[:, needs] = has[:, [SKILLS.index(s) for s in p["skill"].to_numpy()[needs]]]
    return [reach, wage, sector, requirements, skill]


def first_failing_stage(w: pd.DataFrame, p: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each worker's first failing stage ("feasible" if none) and the feasibility matrix."""
    status = np.full(len(w), "feasible", dtype=object)
    cum = np.ones((len(w), len(p)), dtype=bool)
    for name, mask in zip(STAGES, stage_masks(w, p), strict=True):
        cum &= mask
        status[(status == "feasible") & ~cum.any(axis=1)] = name
    return status, cum


def max_matched(feasible: np.ndarray, openings: np.ndarray) -> int:
    """Most workers any assignment can place (maximum flow: source -> workers (1) -> feasible
    posts (1) -> sink (openings))."""
    nw, npo = feasible.shape
    wi, pj = np.nonzero(feasible)
    sink = nw + npo + 1
    rows = np.r_[np.zeros(nw, dtype=np.int64), 1 + wi, nw + 1 + np.arange(npo)]
    cols = np.r_[1 + np.arange(nw), nw + 1 + pj, np.full(npo, sink)]
    cap = np.r_[np.ones(nw + wi.shape[0], dtype=np.int64), openings].astype(np.int32)
    graph = sp.csr_matrix((cap, (rows, cols)), shape=(sink + 1, sink + 1))
    return int(maximum_flow(graph, 0, sink).flow_value)


# --- registry, load, codebook --------------------------------------------------------------------


def test_registered_and_described() -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.splitlines()[0].startswith("# labour_market: ")
    for table in EXPECTED.values():
        for col in table:
            assert f"`{col}`" in card, col
    for figure in ("7,658", "396", "10,090", f"{BUNDLED_LINKED:,}", f"{BUNDLED_HOUSEHOLDS:,}"):
        assert figure in card, figure
    assert "CC0" in card


def test_sizes_and_totals(db: dict[str, pd.DataFrame]) -> None:
    assert list(db) == ["workers", "posts"]
    w, p = db["workers"], db["posts"]
    assert len(w) == BUNDLED_N
    assert p["employer_id"].nunique() == BUNDLED_EMPLOYERS
    assert int(p["openings"].sum()) == BUNDLED_OPENINGS
    assert len(p) == BUNDLED_POSTS


def test_load_is_fast_and_fresh() -> None:
    mpi.datasets.load(NAME)
    start = time.perf_counter()
    a = mpi.datasets.load(NAME)
    assert time.perf_counter() - start < 1.0
    a["workers"].loc[0, "age"] = 99
    assert mpi.datasets.load(NAME)["workers"].loc[0, "age"] != 99


def test_columns_and_dtypes(db: dict[str, pd.DataFrame]) -> None:
    for table, columns in EXPECTED.items():
        df = db[table]
        assert list(df.columns) == columns, table
        assert isinstance(df.index, pd.RangeIndex)
        for col in columns:
            s = df[col]
            if col in INTS:
                want = "int32" if col == "village" else "int64"
                assert str(s.dtype) == want, (table, col)
            elif col in {"x_km", "y_km", "wage", "wage_floor", "max_distance_km"}:
                assert s.dtype == np.float64, (table, col)
                assert np.isfinite(s).all(), (table, col)
            else:
                assert pd.api.types.is_string_dtype(s.dtype), (table, col)
                assert s.map(type).eq(str).all(), (table, col)  # no NaN: "" for empty
    assert list(lm.DTYPES["workers"]) == EXPECTED["workers"]
    assert list(lm.DTYPES["posts"]) == EXPECTED["posts"]
    assert lm.SKILLS == SKILLS and lm.SECTORS == SECTORS


def test_ids_unique_and_formatted(db: dict[str, pd.DataFrame]) -> None:
    w, p = db["workers"], db["posts"]
    assert w["worker_id"].tolist() == [f"W{i:06d}" for i in range(1, BUNDLED_N + 1)]
    assert p["post_id"].tolist() == [f"P{i:06d}" for i in range(1, len(p) + 1)]
    employers = p["employer_id"].unique()
    assert sorted(employers) == [f"E{i:04d}" for i in range(1, BUNDLED_EMPLOYERS + 1)]
    # One name, sector and place per employer; names distinct across employers.
    per = p.groupby("employer_id")[["employer", "sector", "county", "x_km", "y_km"]].nunique()
    assert (per == 1).all().all()
    assert p.groupby("employer")["employer_id"].nunique().max() == 1


def test_worker_values(db: dict[str, pd.DataFrame]) -> None:
    w = db["workers"]
    assert w["age"].between(16, 64).all() and w["education"].between(0, 5).all()
    assert set(w["sex"]) == {"female", "male"}
    assert set(w["health"]) == {"good", "fair", "poor"}
    assert set(w["county"]) == set(lm.COUNTIES)
    for col, names in (("skills", SKILLS), ("sectors", SECTORS)):
        for items in tokens(w[col]):
            assert set(items) <= set(names), items
            assert items == sorted(items, key=names.index), items  # codebook order, no repeats
            assert len(set(items)) == len(items)
    assert (w["skills"] == "").any() and (w["sectors"] == "").any()
    floor = w["wage_floor"]
    assert floor.between(1800, 4500).all() and (floor % 100 == 0).all()
    assert floor.min() == 1800 and floor.max() == 4500
    dist = w["max_distance_km"]
    assert dist.between(10, 1500).all()
    local, migrant = (dist <= 40).mean(), (dist >= 300).mean()
    assert 0.55 < local < 0.8 and 0.08 < migrant < 0.25
    assert not ((dist > 200) & (dist < 300)).any()  # local, regional (40-200) or migrant
    # Migrants ask more and are younger; the poor labour force is older and little educated.
    assert floor[dist >= 300].mean() > floor[dist <= 40].mean() + 500
    assert w["age"][dist >= 300].mean() < w["age"][dist <= 40].mean() - 5
    assert 40 < w["age"].mean() < 50
    assert (w["education"] <= 2).mean() > 0.8
    assert (w["health"] != "good").mean() > 0.15


def test_post_values(db: dict[str, pd.DataFrame]) -> None:
    p = db["posts"]
    assert set(p["sector"]) == set(SECTORS)
    assert p["wage"].between(2000, 7000).all() and (p["wage"] % 50 == 0).all()
    assert (p["openings"] >= 1).all()
    assert p["min_age"].between(16, 64).all() and p["max_age"].between(16, 64).all()
    assert (p["min_age"] < p["max_age"]).all()
    assert p["min_education"].between(0, 5).all()
    assert set(p["skill"]) <= {"", *SKILLS} and (p["skill"] == "").any()
    assert set(p["health_required"]) == {"any", "fair", "good"}
    places = {name for name, *_ in lm.PLACES}
    assert set(p["county"]) <= places | set(lm.COUNTIES)
    # Coastal factories far away (Guangdong, Jiangsu, Zhejiang) pay more than local posts.
    far = np.hypot(p["x_km"], p["y_km"]) >= 600
    assert 0.25 < p["openings"][far].sum() / BUNDLED_OPENINGS < 0.6
    assert set(p["county"][far]) <= {"Guangzhou", "Dongguan", "Shenzhen", "Suzhou", "Ningbo"}
    assert p["wage"][far].median() > p["wage"][~far].median() + 1000


def test_links_to_registry_panel(db: dict[str, pd.DataFrame], panel: pd.DataFrame) -> None:
    w = db["workers"]
    linked = w[w["household_id"] != -1]
    assert len(linked) == BUNDLED_LINKED
    assert linked["household_id"].nunique() == BUNDLED_HOUSEHOLDS
    assert (w["household_id"] >= -1).all()
    hh = panel.loc[linked["household_id"].to_numpy()]  # raises KeyError on a missing id
    np.testing.assert_array_equal(hh["village"].to_numpy(), linked["village"].to_numpy())
    assert (hh["county"].astype(str).to_numpy() == linked["county"].to_numpy()).all()
    assert hh["labour_capacity"].astype(str).isin(["full", "partial"]).all()
    assert hh["death_year"].isna().all()
    per_household = linked.groupby("household_id").size()
    assert per_household.between(1, 3).all() and per_household.max() == 3
    # Every worker, linked or not, lives in a panel village of the panel's county.
    county_of = panel.groupby("village")["county"].first().astype(str)
    assert w["village"].isin(county_of.index).all()
    assert (county_of.loc[w["village"].to_numpy()].to_numpy() == w["county"].to_numpy()).all()
    # The registry panel through its xarray format has the same units.
    units = mpi.datasets.load("registry_panel", format="xarray")["unit"].to_numpy()
    assert np.isin(linked["household_id"].to_numpy(), units).all()


def test_every_status_can_occur(db: dict[str, pd.DataFrame]) -> None:
    w, p = db["workers"], db["posts"]
    status, feasible = first_failing_stage(w, p)
    counts = pd.Series(status).value_counts().to_dict()
    assert counts == BUNDLED_STAGES
    best = max_matched(feasible, p["openings"].to_numpy())
    assert best == BUNDLED_MAX_MATCHED
    # A good matching places 55-75 % of the workers, and some workers with feasible posts
    # must lose them to others ("outcompeted") in any assignment.
    assert 0.55 * BUNDLED_N <= best <= 0.75 * BUNDLED_N
    assert best < counts["feasible"]


def test_feasibility_check_on_a_hand_instance() -> None:
    """The test's own constraint check against hand-computed answers."""
    w = pd.DataFrame(
        {"x_km": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "y_km": [0.0] * 6,
         "max_distance_km": [5.0, 20.0, 20.0, 20.0, 20.0, 20.0],
         "wage_floor": [2000.0, 5000.0, 2000.0, 2000.0, 2000.0, 2000.0],
         "sectors": ["", "", "retail", "", "", ""], "age": [30, 30, 30, 63, 30, 30],
         "education": [2, 2, 2, 2, 2, 2], "health": ["good"] * 6,
         "skills": ["", "", "", "", "", "driving"]}
    )  # fmt: skip
    p = pd.DataFrame(
        {"x_km": [10.0], "y_km": [0.0], "wage": [3000.0], "sector": ["logistics"],
         "min_age": [18], "max_age": [60], "min_education": [1], "health_required": ["good"],
         "skill": ["driving"], "openings": [1]}
    )  # fmt: skip
    status, feasible = first_failing_stage(w, p)
    assert status.tolist() == ["no_post_in_reach", "wage_floor_above_offers",
                               "sector_preference", "requirements_not_met", "skill_gap",
                               "feasible"]  # fmt: skip
    assert max_matched(feasible, np.array([1])) == 1


# --- generator ----------------------------------------------------------------------------------


def test_bundled_files_equal_generator(db: dict[str, pd.DataFrame]) -> None:
    start = time.perf_counter()
    gen = mpi.datasets.generate(NAME, n=BUNDLED_N, seed=BUNDLED_SEED)
    assert time.perf_counter() - start < 5.0
    for table in ("workers", "posts"):
        pd.testing.assert_frame_equal(gen[table], db[table])
    assert mpi.datasets.generate(NAME, seed=BUNDLED_SEED)["workers"].equals(db["workers"])


def test_regenerated_files_are_byte_identical(tmp_path: Path) -> None:
    lm.write_csv(lm.generate(n=BUNDLED_N, seed=BUNDLED_SEED), tmp_path)
    data = resources.files("mpi.datasets").joinpath("data")
    for file in lm.FILES.values():
        assert (tmp_path / file).read_bytes() == data.joinpath(file).read_bytes(), file


def test_deterministic_seed_sensitive_and_prefix() -> None:
    a = mpi.datasets.generate(NAME, n=2500, seed=3)
    b = mpi.datasets.generate(NAME, n=2500, seed=3, chunk_size=7, progress=False)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    c = mpi.datasets.generate(NAME, n=2500, seed=4)
    assert not a["workers"]["age"].equals(c["workers"]["age"])
    assert not a["posts"]["wage"].equals(c["posts"]["wage"])
    # Workers of a smaller draw are the first rows of a larger one (across blocks of 1,024),
    # household links included.
    for k in (1, 700, 1024, 1025, 2100):
        small = mpi.datasets.generate(NAME, n=k, seed=3)["workers"]
        pd.testing.assert_frame_equal(small, a["workers"].iloc[:k])
    assert (a["workers"]["household_id"] > 0).any()
    # Employers are a prefix too (their openings are rescaled to the size's total).
    small_posts = mpi.datasets.generate(NAME, n=700, seed=3)["posts"]
    cols = ["employer_id", "employer", "sector", "county", "x_km", "y_km", "wage", "skill"]
    head = a["posts"][a["posts"]["employer_id"].isin(small_posts["employer_id"])]
    pd.testing.assert_frame_equal(
        small_posts[cols].reset_index(drop=True), head[cols].reset_index(drop=True)
    )


@pytest.mark.parametrize("n", [1, 2, 40, 1000, 20_000])
def test_posts_scale_with_n(n: int) -> None:
    t = mpi.datasets.generate(NAME, n=n, seed=5)
    w, p = t["workers"], t["posts"]
    assert len(w) == n and w["worker_id"].is_unique and p["post_id"].is_unique
    employers = max(1, round(BUNDLED_EMPLOYERS * n / BUNDLED_N))
    assert p["employer_id"].nunique() == employers == lm.n_employers(n)
    target = max(round(BUNDLED_OPENINGS * n / BUNDLED_N), 1)
    assert target == lm.n_openings(n)
    assert int(p["openings"].sum()) == max(target, len(p))
    assert (p["openings"] >= 1).all()
    assert list(w.columns) == EXPECTED["workers"] and list(p.columns) == EXPECTED["posts"]


def test_links_run_out_beyond_the_panel() -> None:
    """With more workers than link slots, the later workers are unlinked; every household
    still has at most 3 workers and each slot is used once."""
    w = mpi.datasets.generate(NAME, n=12_000, seed=BUNDLED_SEED)["workers"]
    linked = w["household_id"] != -1
    slots = lm._slots(BUNDLED_SEED)[0].shape[0]
    assert linked.sum() == slots
    assert not linked.iloc[-1000:].any()
    assert w.loc[linked].groupby("household_id").size().max() <= 3


def test_rescale_hits_the_total() -> None:
    raw = np.array([1.0, 1.0, 50.0, 3.0, 7.0])
    for total in (5, 6, 11, 62, 63, 1000):
        out = lm._rescale(raw, total)
        assert out.sum() == total and (out >= 1).all()
    assert lm._rescale(raw, 3).tolist() == [1, 1, 1, 1, 1]  # fewer openings than postings
    assert lm._rescale(raw, 62).tolist() == [1, 1, 50, 3, 7]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"n": 0}, "n"),
        ({"n": -5}, "n"),
        ({"n": 2.5}, "n"),
        ({"n": True}, "n"),
        ({"n": "100"}, "n"),
        ({"n": lm.MAX_N + 1}, "n"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.0}, "seed"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"format": "xarray"}, "format"),
        ({"format": "pandas_wide"}, "format"),
    ],
)
def test_bad_arguments(kwargs: dict, argument: str) -> None:
    pattern = rf"^{re.escape(argument)}\b"
    with pytest.raises(ValidationError, match=pattern):
        lm.generate(**kwargs)
    with pytest.raises(ValidationError, match=argument):
        mpi.datasets.generate(NAME, **kwargs)


def test_bad_load_format() -> None:
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load(NAME, format="xarray")
    with pytest.raises(ValidationError, match="^format"):
        lm.load(format="pandas")
