"""Regressions for bugs found in review of the survey-inference code (all fixed)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import mpi

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")


def _df(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"d{j}": (rng.random(n) < 0.4).astype(float) for j in (1, 2, 3)})
    df["stratum"] = rng.integers(0, 4, n)
    df["psu"] = df["stratum"] * 10 + rng.integers(0, 5, n)
    df["w"] = rng.uniform(0.5, 2.0, n)
    df["round"] = rng.integers(0, 2, n)
    return df


def _alone(df: pd.DataFrame, k: int, **kw) -> mpi.MeasureResult:
    d = mpi.Design("w", strata="stratum", psu="psu", **kw)
    return mpi.measure(df[df["round"] == k], SPEC, design=d)


# regression (found in review, fixed)
def test_rounds_df_ignores_strata_absent_from_a_round():
    df = _df(400, 0)
    df = df[~((df["stratum"] == 3) & (df["round"] == 1))]  # stratum 3 not sampled in round 1
    d = mpi.Design("w", strata="stratum", psu="psu", rounds="round")
    res = mpi.measure(df, SPEC, design=d, by="round")
    # PSUs minus (non-empty) strata, per round: 16 + 12
    assert res.df == _alone(df, 0).df + _alone(df, 1).df


# regression (found in review, fixed)
def test_rounds_average_lonely_psu_matches_round_alone():
    warnings.simplefilter("ignore")
    df = _df(600, 6)
    df.loc[(df["stratum"] == 0) & (df["round"] == 0), "psu"] = 0  # lone PSU, round 0 only
    d = mpi.Design("w", strata="stratum", psu="psu", rounds="round", lonely_psu="average")
    res = mpi.measure(df, SPEC, design=d, by="round")
    alone = [float(_alone(df, k, lonely_psu="average").se.H) for k in (0, 1)]
    # round 0 pooled 0.02750 vs alone 0.02970; round 1 (no lone PSU) also inflated
    np.testing.assert_allclose(res.se.H.values, alone, rtol=1e-10)


def test_rounds_adjust_and_remove_lonely_psu_match_round_alone():
    """Control (passes): the other lonely-PSU policies agree with the round alone."""
    warnings.simplefilter("ignore")
    df = _df(600, 6)
    df.loc[(df["stratum"] == 0) & (df["round"] == 0), "psu"] = 0
    for pol in ("adjust", "remove"):
        d = mpi.Design("w", strata="stratum", psu="psu", rounds="round", lonely_psu=pol)
        res = mpi.measure(df, SPEC, design=d, by="round")
        alone = [float(_alone(df, k, lonely_psu=pol).se.H) for k in (0, 1)]
        np.testing.assert_allclose(res.se.H.values, alone, rtol=1e-10)
