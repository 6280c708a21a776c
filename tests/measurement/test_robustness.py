"""Pairwise robustness over k and weights, first-order dominance, attainable scores."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.measurement.robustness import attainable_scores

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3", "d4"]}, k="1/4")


def _data(seed: int = 5, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["poor", "middle", "rich"], n)
    p = pd.Series(region).map({"poor": 0.6, "middle": 0.35, "rich": 0.1}).to_numpy()
    df = pd.DataFrame({f"d{j}": (rng.random(n) < p).astype(float) for j in range(1, 5)})
    df["region"] = region
    df["stratum"] = rng.integers(0, 10, n)
    df["psu"] = df["stratum"] * 1000 + rng.integers(0, 30, n)
    df["w"] = rng.uniform(0.5, 1.5, n)
    return df


DESIGN = mpi.Design("w", strata="stratum", psu="psu")


def test_attainable_scores_are_exact():
    s = attainable_scores(mpi.presets.global_mpi_2018())
    assert s[0] == Fraction(1, 18) and s[-1] == 1
    assert all(x.denominator in (1, 2, 3, 6, 9, 18) for x in s)
    assert len(s) == 18
    assert attainable_scores(SPEC) == [Fraction(i, 4) for i in range(1, 5)]


def test_dominance_orders_clearly_different_regions():
    ds = mpi.dominance(_data(), SPEC, over="region", design=DESIGN)
    assert list(ds.score.values) == pytest.approx([0.25, 0.5, 0.75, 1.0])
    v = ds.verdict.to_series()
    # pair labels are "a vs b"; the poorer one has H_a(c) >= H_b(c) at every score
    assert v["poor vs rich"] == "a poorer"
    assert v["middle vs poor"] == "b poorer"
    assert bool(ds.significant.sel(pair="poor vs rich"))
    # differences equal the headcounts at every score cutoff
    res = mpi.measure(_data(), SPEC, by="region", k=[0.25, 0.5, 0.75, 1.0], design=DESIGN)
    diff = res.H.sel(region="poor") - res.H.sel(region="rich")
    assert ds.difference.sel(pair="poor vs rich").values == pytest.approx(diff.values, abs=1e-15)


def test_dominance_detects_a_crossing():
    rng = np.random.default_rng(1)
    n = 4000
    g = rng.choice(["A", "B"], n)
    # A: many with exactly one deprivation (score 1/4), few with all; B: the reverse shape
    k_a = rng.choice([0, 1, 4], n, p=[0.3, 0.6, 0.1])
    k_b = rng.choice([0, 2, 3], n, p=[0.55, 0.15, 0.30])
    kk = np.where(g == "A", k_a, k_b)
    df = pd.DataFrame({f"d{j}": (kk >= j).astype(float) for j in range(1, 5)})
    df["g"] = g
    df["w"] = 1.0
    ds = mpi.dominance(df, SPEC, over="g", design=mpi.Design("w"))
    assert ds.verdict.item() == "crossing"
    assert not bool(ds.significant.item())


def test_robustness_over_k_and_weights():
    df = _data()
    weights = ["1/2", "1/6", "1/6", "1/6"]
    alt = mpi.Spec(
        [mpi.Indicator(f"d{j}", weight=w) for j, w in zip(range(1, 5), weights, strict=True)],
        k="1/4",
        name="alt",
    )
    rb = mpi.robustness(
        df, SPEC, over="region", design=DESIGN, k=[0.25, 0.5, 0.75], alternatives=[alt]
    )
    comp = rb.comparisons
    assert comp.groupby(["spec", "k"]).ngroups == 6
    assert len(rb.pairs) == 3
    # regions differ strongly: every comparison keeps its direction and is significant
    assert rb.pairs["robust"].all()
    assert rb.share_robust == 1.0
    # recompute one setting by hand
    res = mpi.measure(df, SPEC, by="region", k=[0.25, 0.5, 0.75], design=DESIGN)
    d = res.estimate("M0").sel(region="middle") - res.estimate("M0").sel(region="poor")
    row = comp[(comp.spec == "baseline") & (comp.a == "middle") & (comp.b == "poor")]
    row = row.set_index("k")
    assert row["difference"].to_numpy() == pytest.approx(d.value.values, abs=1e-15)
    assert row["se"].to_numpy() == pytest.approx(d.se.values, rel=1e-12)
    assert "share robust" in repr(rb) and "Pairwise robustness" in rb.summary()


def test_robustness_flags_fragile_pairs():
    rng = np.random.default_rng(2)
    n = 2000
    df = pd.DataFrame({f"d{j}": (rng.random(n) < 0.3).astype(float) for j in range(1, 5)})
    df["region"] = rng.choice(["x", "y"], n)  # no real difference
    df["w"] = 1.0
    rb = mpi.robustness(df, SPEC, over="region", design=mpi.Design("w"), k=[0.5, 0.75])
    assert not rb.pairs["robust"].any()
    assert rb.pairs["robust_share"].iloc[0] < 1


def test_robustness_errors():
    df = _data()
    with pytest.raises(mpi.ValidationError, match="level"):
        mpi.robustness(df, SPEC, over="region", design=DESIGN, level=1.5)
    with pytest.raises(mpi.ValidationError, match="alternatives"):
        mpi.robustness(df, SPEC, over="region", design=DESIGN, alternatives=["x"])
    with pytest.raises(mpi.ValidationError, match="not a value"):
        mpi.robustness(df, SPEC, over="region", design=DESIGN, pairs=[("poor", "nowhere")])


def test_dominance_score_range_and_pair_order():
    df = _data()
    ds = mpi.dominance(df, SPEC, over="region", design=DESIGN, max_score=0.5)
    assert list(ds.score.values) == pytest.approx([0.25, 0.5])
    labels = list(mpi.measure(df, SPEC, by="region", weight="w").statistics.region.values)
    first = [f"{a} vs {b}" for i, a in enumerate(labels) for b in labels[i + 1 :]]
    assert list(ds.pair.values) == first
    with pytest.raises(mpi.ValidationError, match="below k"):
        mpi.dominance(df, SPEC, over="region", design=DESIGN, max_score=0.1)
