"""Uncertainty and sensitivity of composite index ranks (mpi.composites.uncertainty)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi.datasets
from mpi.composites import engine
from mpi.composites.compute import composite
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.composites.uncertainty import uncertainty
from mpi.composites.uncertainty_result import UNIT_STATS, CompositeUncertaintyResult
from mpi.errors import MissingDataWarning, ValidationError

LSI = "mpi/presets/undp_china_lsi_2016.yml"


@pytest.fixture(scope="module")
def county():
    table = mpi.datasets.load("county_lsi")
    spec = CompositeSpec.from_yaml(LSI)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return composite(table, spec, id="county_id")


def toy_table(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x1": rng.uniform(1, 9, n), "x2": rng.uniform(1, 39, n), "x3": rng.uniform(0.2, 3.8, n)},
        index=pd.Index([f"u{i:02d}" for i in range(n)], name="unit_id"),
    )


def toy_spec(**changes: object) -> CompositeSpec:
    inds = [
        CompositeIndicator("x1", "A", 1, goalposts=(0, 10)),
        CompositeIndicator("x2", "B", "1/2", goalposts=(0, 40)),
        CompositeIndicator("x3", "B", "1/2", direction="-", goalposts=(0, 4)),
    ]
    spec = CompositeSpec("toy", inds, [Dimension("A", "1/2"), Dimension("B", "1/2")])
    return spec.replace(**changes) if changes else spec


@pytest.fixture(scope="module")
def toy():
    return composite(toy_table(), toy_spec())


@pytest.fixture(scope="module")
def four(toy):
    return uncertainty(
        toy,
        draws=64,
        normalisation=["goalposts", "minmax", "rank"],
        aggregation=["arithmetic", "geometric"],
        weights=0.3,
        goalposts=0.2,
        bootstrap=50,
        seed=5,
    )


# -- fixed choices reproduce the point estimate bit for bit ----------------------------------
@pytest.mark.parametrize("sobol", [True, False])
def test_spec_choice_reproduces_point_index(county, sobol: bool) -> None:
    u = uncertainty(county, draws=8, normalisation=["goalposts"], sobol=sobol)
    frame = u.to_frame()
    point = county.to_frame(["index", "rank"])
    assert frame.index.equals(point.index) and frame.index.name == "county_id"
    # == bit for bit (NaN for the dropped units in the same places)
    assert np.array_equal(
        frame["nominal_index"].to_numpy(), point["index"].to_numpy(), equal_nan=True
    )
    assert np.array_equal(
        frame["nominal_rank"].to_numpy(), point["rank"].to_numpy(), equal_nan=True
    )
    draws = u.rank_draws
    assert draws.shape == ((8 * 3 if sobol else 8), len(point))
    assert all(np.array_equal(row, point["rank"].to_numpy(), equal_nan=True) for row in draws)
    kept = point["rank"].notna().to_numpy()
    assert (frame["mean_abs_rank_shift"].to_numpy()[kept] == 0).all()
    assert (u.to_dataset()["rank_shift"].to_numpy() == 0).all()
    if sobol:  # nothing varies: no variance to share out
        assert np.isnan(u.sensitivity()["first_order"]).all()


def test_spec_mean_reproduces_point_index(toy) -> None:
    u = uncertainty(toy, draws=4, aggregation=["arithmetic"], sobol=False)
    assert np.array_equal(u.to_frame()["nominal_index"].to_numpy(), toy.index.to_numpy())
    assert (u.rank_draws == toy.to_frame()["rank"].to_numpy()[None, :]).all()


# -- each run is the engine's computation with the run's choices ------------------------------
def test_runs_are_engine_evaluations(toy, four) -> None:
    ds = four.to_dataset()
    for r in (0, 70, 64 * 3 + 5, ds.sizes["run"] - 1):
        ev = engine.evaluate(
            toy.plan,
            normalisation=str(ds["normalisation_draws"][r].item()),
            index_mean=str(ds["aggregation_draws"][r].item()),
            w=ds["weight_draws"][r].to_numpy(),
            W=ds["dimension_weight_draws"][r].to_numpy(),
            lo=ds["lo_draws"][r].to_numpy(),
            hi=ds["hi_draws"][r].to_numpy(),
            contributions=False,
        )
        assert np.array_equal(engine.ranks(ev.index), ds["rank_draws"][r].to_numpy())


def test_choices_follow_the_design(toy, four) -> None:
    ds = four.to_dataset()
    n = 64
    assert ds.sizes["run"] == n * (4 + 2) and four.factors == [
        "normalisation",
        "aggregation",
        "weights",
        "goalposts",
    ]
    block = ds["block"].to_numpy()
    assert list(block[[0, n, 2 * n, 5 * n]]) == ["A", "B", "AB:normalisation", "AB:goalposts"]
    a, b, ab_norm = slice(0, n), slice(n, 2 * n), slice(2 * n, 3 * n)
    norm, w = ds["normalisation_draws"].to_numpy(), ds["weight_draws"].to_numpy()
    assert np.array_equal(norm[ab_norm], norm[b]) and np.array_equal(w[ab_norm], w[a])
    assert set(norm) == {"goalposts", "minmax", "rank"}
    # weights: renormalised within each dimension (A: x1; B: x2, x3) and across dimensions
    np.testing.assert_allclose(w[:, 0], 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(w[:, 1] + w[:, 2], 1.0, rtol=0, atol=1e-15)
    big_w = ds["dimension_weight_draws"].to_numpy()
    np.testing.assert_allclose(big_w.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    # ±30 % of 1/2 each, renormalised: the ratio is within (0.7/1.3, 1.3/0.7)
    ratio = w[:, 1] / w[:, 2]
    assert (ratio > 0.7 / 1.3).all() and (ratio < 1.3 / 0.7).all() and ratio.std() > 0.1
    # goalposts: each end within ±20 % of the range
    lo, hi = toy.plan.lo, toy.plan.hi
    shift = np.abs(ds["lo_draws"].to_numpy() - lo) / (hi - lo)
    assert (shift <= 0.2).all() and shift.max() > 0.15
    assert (np.abs(ds["hi_draws"].to_numpy() - hi) / (hi - lo) <= 0.2).all()


# -- rank statistics are those of the stored draws --------------------------------------------
@pytest.mark.parametrize("sobol", [True, False])
def test_rank_statistics_of_draws(toy, sobol: bool) -> None:
    u = uncertainty(toy, draws=40, weights=0.5, aggregation=["arithmetic", "harmonic"], sobol=sobol)
    ds = u.to_dataset()
    used = ds["in_rank_stats"].to_numpy()
    assert used.sum() == (80 if sobol else 40)
    assert used[: used.sum()].all()  # A and B: the first 2N runs
    r = u.rank_draws[used]
    frame = u.to_frame()
    assert list(frame.columns) == list(UNIT_STATS)
    assert np.array_equal(frame["rank_q05"], np.quantile(r, 0.05, axis=0))
    assert np.array_equal(frame["rank_q95"], np.quantile(r, 0.95, axis=0))
    assert np.array_equal(frame["median_rank"], np.median(r, axis=0))
    assert np.array_equal(frame["mean_rank"], r.mean(axis=0))
    nominal = frame["nominal_rank"].to_numpy()
    assert np.array_equal(frame["mean_abs_rank_shift"], np.abs(r - nominal).mean(axis=0))
    # the scalar target of each run: mean over the units of |rank - nominal rank|
    target = np.abs(u.rank_draws - nominal).mean(axis=1)
    assert np.array_equal(ds["rank_shift"].to_numpy(), target)
    assert (frame["rank_q05"] <= frame["median_rank"]).all()
    assert (frame["median_rank"] <= frame["rank_q95"]).all() and r.std() > 0


# -- sensitivity ---------------------------------------------------------------------------
def test_only_factor_that_moves_ranks_gets_everything(toy) -> None:
    # one indicator per dimension in A: its within-dimension weight renormalises to 1, so the
    # indicator-weight factor changes nothing; normalisation=["goalposts"] is the spec's own
    spec = toy_spec(
        indicators=[
            CompositeIndicator("x1", "A", 1, goalposts=(0, 10)),
            CompositeIndicator("x2", "B", 1, goalposts=(0, 40)),
        ]
    )
    res = composite(toy_table(), spec)
    u = uncertainty(
        res,
        draws=512,
        normalisation=["goalposts"],
        weights={"indicators": 0.4, "dimensions": 0.4},
        bootstrap=100,
        seed=1,
    )
    assert u.factors == ["normalisation", "indicator_weights", "dimension_weights"]
    sens = u.sensitivity()
    # f_ABi == f_A exactly for the factors without effect: ST is exactly 0
    assert sens.loc["normalisation", "total_order"] == 0.0
    assert sens.loc["indicator_weights", "total_order"] == 0.0
    assert abs(sens.loc["dimension_weights", "first_order"] - 1) < 0.05
    assert abs(sens.loc["dimension_weights", "total_order"] - 1) < 0.05
    lo, hi = sens.loc["dimension_weights", ["first_order_lower", "first_order_upper"]]
    assert lo <= sens.loc["dimension_weights", "first_order"] <= hi and hi - lo < 0.2
    # every unit whose rank moves: S = ST = 1 for the dimension weights
    unit_s = u.unit_sensitivity("first")["dimension_weights"].dropna()
    unit_st = u.unit_sensitivity("total")["dimension_weights"].dropna()
    assert len(unit_s) > 10
    assert abs(unit_s.median() - 1) < 0.05 and abs(unit_st.median() - 1) < 0.05
    assert (u.unit_sensitivity("total")["indicator_weights"].dropna() == 0).all()


def test_reproducible_with_seed(toy) -> None:
    kw = {"draws": 16, "normalisation": ["goalposts", "rank"], "weights": 0.2, "bootstrap": 20}
    a, b = uncertainty(toy, seed=7, **kw), uncertainty(toy, seed=7, **kw)
    xr.testing.assert_identical(a.to_dataset(), b.to_dataset())
    c = uncertainty(toy, seed=8, **kw)
    assert not np.array_equal(a.rank_draws, c.rank_draws)


def test_dropped_units(toy) -> None:
    table = toy_table()
    table.iloc[3, 0] = np.nan
    with pytest.warns(MissingDataWarning):
        res = composite(table, toy_spec())
    u = uncertainty(res, draws=20, weights=0.3, sobol=False)
    frame = u.to_frame()
    assert frame.iloc[3].isna().all() and frame.drop(index=frame.index[3]).notna().all().all()
    kept = np.ones(len(frame), bool)
    kept[3] = False
    target = np.abs(u.rank_draws[:, kept] - frame["nominal_rank"].to_numpy()[kept]).mean(axis=1)
    assert np.array_equal(u.to_dataset()["rank_shift"].to_numpy(), target)


# -- the result ----------------------------------------------------------------------------
def test_result_interface(toy, four) -> None:
    assert isinstance(four, CompositeUncertaintyResult)
    en, zh = four.summary(), four.summary(lang="zh")
    assert en.title == "Uncertainty and sensitivity of the composite index ranks"
    assert zh.title == "综合指数排名的不确定性与敏感性分析"
    assert "Saltelli (2010): N = 64 base rows, N (d + 2) = 384 runs (seed 5)" in en
    assert "权重（两个层级） ±30%" in zh and "一阶指数" in zh
    ds = four.to_dataset()
    assert ds.attrs["Conventions"] == "CF-1.8" and ds.attrs["factors"].startswith("normalisation")
    assert ds["rank_q05"].attrs["long_name"].startswith("5 % quantile")
    assert ds["unit_first_order"].dims == ("unit", "factor")
    ds["rank_draws"][0, 0] = -1.0  # a copy
    assert four.rank_draws[0, 0] >= 1
    sens = four.sensitivity()
    assert list(sens.index) == four.factors and (sens["total_order"] >= 0).all()
    assert (sens["first_order_lower"] <= sens["first_order_upper"]).all()
    assert four.choices["normalisation_draws"].shape == (384,)
    with pytest.raises(ValidationError, match="has no by argument"):
        four.by_group()
    plain = uncertainty(toy, draws=5, weights=0.1, sobol=False)
    with pytest.raises(ValidationError, match="sobol"):
        plain.sensitivity()
    assert "Plain Monte Carlo" in plain.summary()


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "nothing varies"),
        (
            {"normalisation": ["zscore", "goalposts"], "aggregation": ["geometric"]},
            "normalisation=\\['zscore', 'goalposts'\\]\\) with aggregation=\\['geometric'\\]",
        ),
        ({"normalisation": "minmax"}, "normalisation='minmax'"),
        ({"normalisation": ["minmax", "best"]}, "'best' is not one of"),
        ({"aggregation": ["arithmetic", "arithmetic"]}, "appears twice"),
        ({"weights": 1.5}, "weights=1.5"),
        ({"weights": {"indicator": 0.2}}, "'indicators' and 'dimensions'"),
        ({"goalposts": 0.6}, "goalposts=0.6"),
        ({"goalposts": 0.1, "normalisation": ["minmax", "rank"]}, "varies nothing"),
        ({"weights": 0.1, "draws": 1}, "draws=1"),
        ({"weights": 0.1, "seed": 1.5}, "seed=1.5"),
        ({"weights": 0.1, "bootstrap": -2}, "bootstrap=-2"),
        ({"weights": 0.1, "progress": "yes"}, "progress"),
    ],
)
def test_bad_input(toy, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        uncertainty(toy, **kwargs)


def test_not_a_composite_result() -> None:
    with pytest.raises(ValidationError, match="result=DataFrame.*mpi.composite"):
        uncertainty(toy_table(), weights=0.1)  # type: ignore[arg-type]


def test_zscore_with_spec_geometric_mean() -> None:
    res = composite(toy_table(), toy_spec(mean="geometric"))
    with pytest.raises(ValidationError, match="zscore.*the spec's index mean 'geometric'"):
        uncertainty(res, normalisation=["goalposts", "zscore"])
