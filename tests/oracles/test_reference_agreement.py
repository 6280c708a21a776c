"""``mpi.measure`` against the independent reference implementation (``tests/reference.py``).

Random surveys (``strategies.random_survey``: 50–3000 units, 3–10 flag, cardinal and
categorical indicators in nested dimensions, sampling weights, groups, missing values) are
measured by both; every measure must agree to 1e-12 (relative and absolute), for
``missing="drop"`` and ``missing="reweight"``, several k at once (the ``k`` dimension) and
one k at a time.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from reference import assert_measures_close, from_result, run_measure
from strategies import random_survey

import mpi

SEEDS = list(range(18))
BY = [None, "region", ["region", "urban"]]
MISSING = ["drop", "reweight"]


def options(seed: int) -> dict:
    return {
        "by": BY[seed % 3],
        "weight": None if seed % 5 == 4 else "hhw",
    }


def check(got, exp, ks):
    assert len(got) == len(exp) == len(ks)
    for kk, g, e in zip(ks, got, exp, strict=True):
        assert_measures_close(g, e, where=f"k={kk}: ")


@pytest.mark.parametrize("missing", MISSING)
@pytest.mark.parametrize("seed", SEEDS)
def test_k_sequence_agrees_with_reference(seed, missing):
    df, spec, info = random_survey(seed)
    kw = dict(options(seed), k=info["ks"], missing=missing)
    got = run_measure("mpi", df, spec, **kw)
    exp = run_measure("reference", df, spec, **kw)
    check(got, exp, info["ks"])


@pytest.mark.parametrize("missing", MISSING)
@pytest.mark.parametrize("seed", SEEDS[::3])
def test_single_k_agrees_with_reference_and_with_k_dimension(seed, missing):
    df, spec, info = random_survey(seed)
    opts = options(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        seq = mpi.measure(df, spec, k=info["ks"], missing=missing, **opts)
    for pos, kk in enumerate(info["ks"]):
        # k as an exact fraction, as a float, and (first one) from the spec
        for k_arg in ([None] if pos == 0 else []) + [kk, float(kk)]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", mpi.MissingDataWarning)
                res = mpi.measure(
                    df, spec.with_k(kk) if k_arg is None else spec, k=k_arg, missing=missing, **opts
                )
            assert "k" not in res.to_dataset().dims, "a scalar k must not give a k dimension"
            one = from_result(res, spec, by=opts["by"])
            exp = run_measure("reference", df, spec, k=kk, missing=missing, **opts)
            assert_measures_close(one, exp, where=f"k={k_arg!r}: ")
            # the k dimension gives the same numbers as one k at a time
            assert_measures_close(
                from_result(seq, spec, by=opts["by"], k_index=pos), one, where=f"k[{pos}]: "
            )


@pytest.mark.parametrize("missing", MISSING)
@pytest.mark.parametrize("seed", [100, 101, 102])
def test_unknown_groups_and_zero_weights(seed, missing):
    df, spec, info = random_survey(
        seed, n=800, nan_rate=0.05, zero_weights=True, unknown_groups=True
    )
    kw = dict(by="region", weight="hhw", k=info["ks"], missing=missing)
    got = run_measure("mpi", df, spec, **kw)
    exp = run_measure("reference", df, spec, **kw)
    check(got, exp, info["ks"])
    # the overall measures include the units whose group is unknown
    assert exp[0]["n_obs"] > sum(g["n_obs"] for g in exp[0]["groups"].values())


@pytest.mark.parametrize("missing", MISSING)
@pytest.mark.parametrize("seed", [200, 202])
def test_xarray_input_and_string_dtypes(seed, missing):
    df, spec, info = random_survey(seed, n=300, nan_rate=0.03)
    # pandas' string dtype instead of object columns
    df_str = df.copy()
    for col in df.columns:
        if df[col].dtype == object:
            df_str[col] = df[col].astype("string")
    ds = df.to_xarray()
    kw = dict(by="region", weight="hhw", k=info["ks"], missing=missing)
    exp = run_measure("reference", df, spec, **kw)
    check(run_measure("mpi", ds, spec, **kw), exp, info["ks"])
    check(run_measure("mpi", df_str, spec, **kw), exp, info["ks"])


@pytest.mark.parametrize("missing", MISSING)
def test_large_mostly_missing_dimension(missing):
    """Many units with a whole dimension missing: dropped under both rules."""
    df, spec, info = random_survey(7, n=600, nan_rate=0.3)
    kw = dict(by="urban", weight="hhw", k=info["ks"], missing=missing)
    got = run_measure("mpi", df, spec, **kw)
    exp = run_measure("reference", df, spec, **kw)
    check(got, exp, info["ks"])
    assert exp[0]["n_dropped"] > 0


def test_to_frame_matches_dataset():
    df, spec, info = random_survey(3, n=200)
    ks = info["ks"][:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(df, spec, weight="hhw", by="region", k=ks)
    ds = res.to_dataset()
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame)
    # issue 15: the value column is "estimate", as in every result's to_frame (ResultBase)
    for col in ("measure", "indicator", "k", "region", "estimate"):
        assert col in frame.columns, col
    for name in ("M0", "H"):
        rows = frame[frame["measure"] == name]
        for _, row in rows.iterrows():
            want = ds[name].sel(region=row["region"], k=row["k"]).item()
            assert row["estimate"] == pytest.approx(want, abs=0, rel=0, nan_ok=True)
    rows = frame[frame["measure"] == "censored_headcount"]
    assert len(rows) == ds["censored_headcount"].size
    s = res.summary()
    assert isinstance(s, str) and "M0" in s


def test_reference_k_as_fraction_or_float_is_the_same():
    df, spec, _ = random_survey(11, n=120)
    a = run_measure("reference", df, spec, k=Fraction(1, 3))
    b = run_measure("reference", df, spec, k=1 / 3)
    assert_measures_close(a, b, rtol=0, atol=0)
    assert np.isfinite(a["M0"])
