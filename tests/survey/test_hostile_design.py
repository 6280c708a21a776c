"""Hostile survey-design labels (issue 14, points 1 and 4).

* a PSU label shared by 2, 3 or 4 strata is refused on every encoding path (integer or
  string labels, with ``fpc=`` or ``rounds=``, files sorted by PSU or not) unless
  ``nest=True``, which then equals the design with unique PSU labels;
* missing design labels of nullable dtypes (``Int64``, ``Float64``, ``string``) get the
  same :class:`mpi.DataError` as a float NaN;
* integer labels whose range exceeds 2**63 (int64 extremes, uint64 above 2**63) give the
  results of the same design with labels re-coded ``0 .. m-1``.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from survey_reference import TaylorDesign, Units, estimands, taylor_se

import mpi
from mpi import kernels
from mpi.survey.design import encode_design

measure_mod = importlib.import_module("mpi.measurement.measure")

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")
N_STRATA, PSU_PER_STRATUM, UNITS_PER_PSU = 5, 4, 12
SHARED = 999  # the PSU label given to PSU 0 of the first strata

try:  # noqa: SIM105
    import pyarrow  # noqa: F401

    STRING = "string[pyarrow]"
except ImportError:  # pragma: no cover
    STRING = "string"


def _survey(seed: int = 0) -> pd.DataFrame:
    """Strata 0..4 of 4 PSUs each (labels ``10 h + j``, unique), 12 units a PSU, two
    rounds revisiting every PSU, and a constant population PSU count per stratum."""
    rng = np.random.default_rng(seed)
    n = N_STRATA * PSU_PER_STRATUM * UNITS_PER_PSU
    stratum = np.repeat(np.arange(N_STRATA), PSU_PER_STRATUM * UNITS_PER_PSU)
    j = np.tile(np.repeat(np.arange(PSU_PER_STRATUM), UNITS_PER_PSU), N_STRATA)
    df = pd.DataFrame({f"d{i}": (rng.random(n) < 0.45).astype(float) for i in (1, 2, 3)})
    df["stratum"] = stratum
    df["psu"] = stratum * 10 + j
    df["r"] = np.arange(n) % 2
    df["N"] = 40.0 + stratum
    df["w"] = rng.uniform(0.5, 2.0, n)
    return df


def _share(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """PSU 0 of strata 0 .. k-1 all labelled ``SHARED`` (one label in k strata)."""
    first = (df["psu"] % 10 == 0) & (df["stratum"] < k)
    return df.assign(psu=df["psu"].where(~first, SHARED))


def _design(extra: str | None, nest: bool = False) -> mpi.Design:
    return mpi.Design(
        "w",
        strata="stratum",
        psu="psu",
        fpc="N" if extra == "fpc" else None,
        rounds="r" if extra == "rounds" else None,
        nest=nest,
    )


def _arrange(df: pd.DataFrame, labels: str, order: str) -> pd.DataFrame:
    if labels == "str":
        df = df.assign(psu="p" + df["psu"].astype(str))
    if order == "sorted":  # sorted by PSU label: the shared label is one run of k strata
        return df.sort_values(["psu", "stratum"], kind="stable").reset_index(drop=True)
    return df.sample(frac=1.0, random_state=7).reset_index(drop=True)


def _encoded(df: pd.DataFrame, design: mpi.Design):
    table = measure_mod._prepare(
        df, SPEC, weight="w", by=None, k=None, missing="drop", use_patterns=None,
        extra=design.variables,
    ).table  # fmt: skip
    return encode_design(table, design)


def _assert_same(a: mpi.MeasureResult, b: mpi.MeasureResult) -> None:
    xr.testing.assert_allclose(a.to_dataset(), b.to_dataset(), rtol=1e-12, atol=0)
    xr.testing.assert_allclose(a.se, b.se, rtol=1e-12, atol=1e-15)
    assert a.df == b.df


# -- point 1: a PSU label in several strata ------------------------------------------------
@pytest.mark.parametrize("order", ["sorted", "shuffled"])
@pytest.mark.parametrize("extra", [None, "fpc", "rounds"])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_psu_label_in_several_strata_is_refused_on_every_path(k, labels, extra, order):
    df = _arrange(_share(_survey(), k), labels, order)
    with pytest.raises(
        mpi.DataError,
        match=r"psu variable 'psu': 1 PSU label\(s\) appear in more than one stratum.*nest=True",
    ):
        mpi.measure(df, SPEC, design=_design(extra))


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
@pytest.mark.parametrize("extra", [None, "fpc", "rounds"])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_nest_relabels_a_shared_psu_label_within_strata(k, labels, extra, order):
    base = _survey()
    shared = _arrange(_share(base, k), labels, order)
    nested = mpi.measure(shared, SPEC, design=_design(extra, nest=True))
    unique = mpi.measure(_arrange(base, labels, order), SPEC, design=_design(extra))
    _assert_same(nested, unique)
    enc = nested._inference.encoded
    assert enc.n_psu == N_STRATA * PSU_PER_STRATUM * (2 if extra == "rounds" else 1)
    assert nested.df == enc.n_psu - enc.n_strata > 0


def test_nested_shared_labels_match_the_textbook_reference():
    df = _share(_survey(), 3).sample(frac=1.0, random_state=1).reset_index(drop=True)
    res = mpi.measure(df, SPEC, design=_design("fpc", nest=True))
    units = Units.from_data(df, SPEC, [SPEC.k], "w")
    td = TaylorDesign(
        strata=df["stratum"].to_numpy(), psu=df["psu"].to_numpy(), fpc=df["N"].to_numpy(),
        nest=True,
    )  # fmt: skip
    for name in ("H", "A", "M0"):
        _, u = estimands(units, k_dim=False)[name]
        assert float(res.se[name]) == pytest.approx(float(taylor_se(u, td)), rel=1e-10)
    assert res.df == td.df(len(df)) == 20 - 5


@pytest.mark.parametrize("n_strata", [1, 2, 3, 4, 5])
def test_psu_strata_counts_each_psu_in_several_strata_once(n_strata):
    """The kernel itself: PSU 0 met in ``n_strata`` strata, in runs or interleaved."""
    for strata in (np.arange(n_strata), np.tile(np.arange(n_strata), 3)):
        psu = np.concatenate([np.zeros(len(strata), np.int64), [1, 1, 2]])
        stratum = np.concatenate([strata, [7, 7, 8]]).astype(np.int64)
        out, bad = kernels.psu_strata(psu, stratum, 4)
        assert bad == (n_strata > 1)
        assert out.tolist() == [0, 7, 8, -1]  # first stratum met; -1: a code never met


# -- point 4: missing labels of nullable dtypes --------------------------------------------
def _with_missing(s: pd.Series, dtype: str) -> pd.Series:
    if dtype in (STRING, "string", "object"):
        s = ("x" + s.astype(str)).astype(dtype)
    else:
        s = s.astype(dtype)
    return s.where(s.index != 3)


@pytest.mark.parametrize("fpc", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "Int64", "UInt32", "Float64", STRING, "object"])
@pytest.mark.parametrize("role", ["strata", "psu", "rounds"])
def test_missing_design_labels_of_any_dtype_give_the_nan_error(role, dtype, fpc):
    col = {"strata": "stratum", "psu": "psu", "rounds": "r"}[role]
    df = _survey()
    df[col] = _with_missing(df[col], dtype)
    assert df[col].isna().sum() == 1
    design = mpi.Design(
        "w", strata="stratum", psu="psu", fpc="N" if fpc else None,
        rounds="r" if role == "rounds" else None,
    )  # fmt: skip
    with pytest.raises(
        mpi.DataError,
        match=rf"^{role} variable '{col}' has 1 missing value\(s\); every unit needs its {role}",
    ):
        mpi.measure(df, SPEC, design=design)


@pytest.mark.parametrize("dtype", ["Int64", "Float64"])
def test_missing_nullable_fpc_is_refused(dtype):
    df = _survey()
    df["N"] = df["N"].astype(dtype).where(df.index != 3)
    with pytest.raises(mpi.DataError, match="fpc variable 'N' must be numeric without missing"):
        mpi.measure(df, SPEC, design=_design("fpc"))


@pytest.mark.parametrize("extra", [None, "fpc"])
@pytest.mark.parametrize("dtype", ["Int64", "UInt16", "UInt64", "Float64", STRING])
def test_complete_nullable_labels_equal_numpy_labels(dtype, extra):
    df = _survey()
    plain = mpi.measure(df, SPEC, design=_design(extra))
    for col in ("stratum", "psu"):
        s = df[col]
        df[col] = ("x" + s.astype(str).str.zfill(3)) if dtype == STRING else s
        df[col] = df[col].astype(dtype)
    _assert_same(mpi.measure(df, SPEC, design=_design(extra)), plain)


# -- point 4: integer labels spanning more than 2**63 --------------------------------------
I64 = np.iinfo(np.int64)


def _wide(kind: str, m: int) -> np.ndarray:
    """``m`` distinct labels of ``kind`` whose range exceeds int64 arithmetic."""
    c = np.arange(m)
    if kind == "int64_wide":  # [-2**62-5, 2**62+7]: hi - lo + 1 > 2**63
        return np.where(c % 2 == 0, -(2**62) - 5 - c, 2**62 + 7 + c).astype(np.int64)
    if kind == "int64_extremes":  # hi - lo + 1 wraps to exactly 0
        out = (c * 1000 - 5000).astype(np.int64)
        out[0], out[-1] = I64.min, I64.max
        return out
    if kind == "uint64_wide":  # 0 .. 2**64 - 1
        out = np.array([2**63 + x if x % 2 else 2**64 - 1 - x for x in map(int, c)], np.uint64)
        out[0] = 0
        return out
    assert kind == "uint64_high"  # all above 2**63: int64 casts make them negative
    return (np.uint64(2**63) + c.astype(np.uint64) * np.uint64(3)).astype(np.uint64)


WIDE = ["int64_wide", "int64_extremes", "uint64_wide", "uint64_high"]


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
@pytest.mark.parametrize("extra", [None, "fpc", "rounds", "nest"])
@pytest.mark.parametrize("kind", WIDE)
def test_wide_integer_labels_equal_recoded_labels(kind, extra, order):
    base = _survey()
    design = _design(None if extra == "nest" else extra, nest=extra == "nest")
    wide = base.copy()
    psu_code = pd.factorize(base["psu"], sort=True)[0]
    wide["psu"] = _wide(kind, psu_code.max() + 1)[psu_code]
    wide["stratum"] = _wide(kind, N_STRATA)[base["stratum"]]
    wide["r"] = _wide(kind, 2)[base["r"]]
    if order == "sorted":
        keep = wide.sort_values("psu", kind="stable").index
    else:
        keep = wide.sample(frac=1.0, random_state=5).index
    wide, recoded = wide.loc[keep], base.loc[keep]
    _assert_same(mpi.measure(wide, SPEC, design=design), mpi.measure(recoded, SPEC, design=design))
    enc = _encoded(wide, design)
    if extra != "rounds":  # the strata keep their labels, in order
        assert [int(x) for x in enc.stratum_labels] == sorted(
            int(x) for x in wide["stratum"].unique()
        )


@pytest.mark.parametrize("kind", WIDE)
def test_wide_labels_shared_by_three_strata_are_refused(kind):
    df = _share(_survey(), 3)
    code = pd.factorize(df["psu"], sort=True)[0]
    df["psu"] = _wide(kind, code.max() + 1)[code]
    for extra in (None, "fpc"):
        with pytest.raises(mpi.DataError, match="1 PSU label.*nest=True"):
            mpi.measure(df.sample(frac=1.0, random_state=2), SPEC, design=_design(extra))


@pytest.mark.parametrize("kind", ["int64_wide", "int64_extremes"])
def test_dense_codes_refuses_a_range_beyond_int64(kind):
    arr = _wide(kind, 8)
    codes, uniques, ok = kernels.dense_codes(arr, 10**6)
    assert not ok and len(codes) == 0
    small = np.array([5, -3, 5, 9], np.int64)
    codes, uniques, ok = kernels.dense_codes(small, 100)
    assert ok and codes.tolist() == [1, 0, 1, 2] and uniques.tolist() == [-3, 5, 9]
    assert kernels.dense_codes(small, 12)[2] is False  # range 13
    assert kernels.dense_codes(small, 13)[2] is True
