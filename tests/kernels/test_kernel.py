"""The numba kernel: purity, additivity over chunks, thread and block independence."""

import subprocess
import sys
import warnings
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi import Indicator, Spec
from mpi.measurement.measure import compute_statistics


def test_kernels_do_not_import_xarray_or_pandas():
    """kernels/ is importable on its own (as the top-level folder) without xarray or pandas."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; import kernels; kernels.af_statistics\n"
        "bad = [m for m in ('xarray', 'pandas', 'mpi') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def random_frame(n, seed, missing=0.0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.random(n),
            "x2": rng.integers(0, 2, n).astype(float),
            "x3": rng.integers(0, 10, n).astype(float),
            "x4": rng.choice(["a", "b", "c"], n),
            "w": rng.random(n) + 0.1,
            "g": rng.integers(0, 4, n),
        }
    )
    if missing:
        for c in ["x1", "x3"]:
            df.loc[rng.random(n) < missing, c] = np.nan
    return df


SPEC = Spec(
    [
        Indicator("x1", weight="1/6", dimension="d1", cutoff=0.4),
        Indicator("x2", weight="1/6", dimension="d1"),
        Indicator("x3", weight="1/3", dimension="d2", cutoff=3, deprived_if="<="),
        Indicator("x4", weight="1/3", dimension="d2", cutoff=["a"], deprived_if="in"),
    ],
    k="1/3",
)


def stats_of(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return compute_statistics(df, SPEC, weight="w", by="g", k=[0.2, "1/3", 0.5], **kw)[0]


@pytest.mark.parametrize("missing", ["drop", "reweight"])
@pytest.mark.parametrize("weighted", [True, False])
def test_pattern_and_unit_accumulation_agree(missing, weighted):
    """The three accumulation modes of the kernel give the same statistics."""
    df = random_frame(9000, 11, missing=0.03)
    if weighted:
        df.loc[df.index[::97], "w"] = np.nan
    kw = dict(weight="w" if weighted else None, by="g", k=[0.2, "1/3", 0.5], missing=missing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        a = compute_statistics(df, SPEC, use_patterns=True, **kw)[0]
        b = compute_statistics(df, SPEC, use_patterns=False, **kw)[0]
        c = compute_statistics(df, SPEC, use_patterns=mpi.kernels.af.DIRECT, **kw)[0]
    for v in a.data_vars:
        np.testing.assert_allclose(a[v], b[v], rtol=1e-12, atol=1e-10, err_msg=v)
        np.testing.assert_allclose(c[v], b[v], rtol=1e-12, atol=1e-10, err_msg=v)


@pytest.mark.parametrize("missing", ["drop", "reweight"])
def test_statistics_add_up_over_chunks(missing):
    df = random_frame(5000, 1, missing=0.05)
    whole = stats_of(df, missing=missing)
    parts = [stats_of(df.iloc[a:b], missing=missing) for a, b in [(0, 1234), (1234, 4000), (4000, 5000)]]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    for v in whole.data_vars:
        np.testing.assert_allclose(total[v], whole[v], rtol=1e-12, atol=1e-9, err_msg=v)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 513, 3001, 4095, 4096, 4097, 8193])
def test_block_boundaries(n):
    df = random_frame(n, n)
    res = mpi.measure(df, SPEC, weight="w").to_dataset()
    # plain recomputation for H and M0
    g = np.column_stack(
        [df.x1 < 0.4, df.x2 == 1, df.x3 <= 3, df.x4 == "a"]
    ).astype(int)
    score = g @ np.array([1, 1, 2, 2])  # over 6
    poor = score >= 2
    w = df.w.to_numpy()
    np.testing.assert_allclose(float(res.H), (w * poor).sum() / w.sum(), rtol=1e-12)
    np.testing.assert_allclose(float(res.M0), (w * poor * score / 6).sum() / w.sum(), rtol=1e-12)


def test_thread_count_does_not_change_results():
    df = random_frame(20000, 5, missing=0.02)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = stats_of(df, missing="reweight")
        numba.set_num_threads(before)
        many = stats_of(df, missing="reweight")
    finally:
        numba.set_num_threads(before)
    xr.testing.assert_allclose(one, many, rtol=1e-12, atol=1e-12)


def test_exact_ties_at_one_third_with_mpi_weights():
    """Two health deprivations (2/6) and six living-standards deprivations (6/18) are poor."""
    spec = Spec.from_dimensions(
        {"health": ["h1", "h2"], "education": ["e1", "e2"],
         "living": ["l1", "l2", "l3", "l4", "l5", "l6"]},
        k=1 / 3,
    )
    rows = {
        "two_health": dict(h1=1, h2=1),
        "six_living": dict(l1=1, l2=1, l3=1, l4=1, l5=1, l6=1),
        "five_living": dict(l1=1, l2=1, l3=1, l4=1, l5=1),
        "one_health_two_living": dict(h1=1, l1=1, l2=1),
    }
    cols = spec.variables
    df = pd.DataFrame([{c: r.get(c, 0) for c in cols} for r in rows.values()])
    res = mpi.measure(df, spec, k=[1 / 3, 0.2])
    ds = res.to_dataset()
    assert float(ds.H.sel(k=1 / 3)) == 0.5
    assert float(ds.vulnerable.sel(k=1 / 3)) == 0.5  # 5/18 and 5/18 are in [1/5, 1/3)
    assert float(ds.H.sel(k=0.2)) == 1.0


def test_float_trap_weights_03_06_01():
    spec = Spec([Indicator("a", weight=0.3), Indicator("b", weight=0.6),
                 Indicator("c", weight=0.1)], k=0.9)
    df = pd.DataFrame({"a": [1, 1, 0], "b": [1, 1, 1], "c": [0, 1, 1]})
    ds = mpi.measure(df, spec).to_dataset()
    assert 0.3 + 0.6 < 0.9
    assert float(ds.H) == 2 / 3  # the unit with 0.3 + 0.6 = 0.9 exactly is poor


@pytest.mark.parametrize("mode", [False, mpi.kernels.af.DIRECT])
def test_many_cells_chunk_ranges_sum_exactly(mode):
    """With more than RANGE_MIN_CELLS cells each chunk keeps sums for its own range of cells;
    sorted (disjoint ranges) and shuffled rows give the same statistics as a bincount."""
    n_cells = mpi.kernels.af.RANGE_MIN_CELLS + 1500
    rng = np.random.default_rng(4)
    df = random_frame(30000, 5, missing=0.0)
    df["area"] = np.sort(rng.integers(0, n_cells, len(df)))
    kw = dict(weight="w", by="area", use_patterns=mode)
    a = compute_statistics(df, SPEC, **kw)[0]
    b = compute_statistics(df.sample(frac=1.0, random_state=3), SPEC, **kw)[0]
    for v in a.data_vars:
        np.testing.assert_allclose(a[v], b[v], rtol=1e-12, atol=1e-10, err_msg=v)
    expect = np.bincount(df["area"], weights=df["w"], minlength=n_cells)
    got = a["SUMW"].reindex(area=np.arange(n_cells), fill_value=0.0).values
    np.testing.assert_allclose(got, expect, rtol=1e-12)


def test_every_kernel_is_compiled_by_the_one_decorator():
    """No module of kernels/ calls numba.njit itself: kernels._config.kernel does, with the
    options every kernel shares (nogil, the cache and parallel switches)."""
    from mpi.kernels import _config
    from mpi.kernels.af_sums import af_sums
    from mpi.kernels.variance import sum_rows

    root = Path(__file__).resolve().parents[2] / "kernels"
    for path in root.glob("*.py"):
        if path.name != "_config.py":
            text = path.read_text()
            assert "njit" not in text and "numba.jit" not in text, path.name
    assert af_sums.targetoptions["nogil"] and sum_rows.targetoptions["nogil"]
    assert af_sums.targetoptions["parallel"] == _config.PARALLEL
    assert "parallel" not in sum_rows.targetoptions
    assert af_sums.targetoptions["error_model"] == "numpy"


@pytest.mark.parametrize("n", [0, 1, 7, 64, 1000, 4097])
@pytest.mark.parametrize("n_chunks", [1, 2, 3, 16, 64])
def test_chunk_ranges_cover_every_unit_once(n, n_chunks):
    from mpi.kernels._config import chunk_range, share_range

    for split in (chunk_range, share_range):
        ranges = [split(n, n_chunks, c) for c in range(n_chunks)]
        covered = np.concatenate([np.arange(lo, hi) for lo, hi in ranges])
        assert np.array_equal(covered, np.arange(n)), split
    # chunk_range: chunks of ceil(n / n_chunks) units, the last ones shorter or empty
    sizes = [hi - lo for lo, hi in (chunk_range(n, n_chunks, c) for c in range(n_chunks))]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) == -(-n // n_chunks)


def test_private_sums_are_padded_and_weights_missing_only_when_nan():
    from mpi.kernels._config import PAD, merge_chunks, private_sums, weight_missing

    sums = private_sums(3, 5, (2, 4), np.int64)
    assert sums.shape == (3, 5 + PAD, 2, 4) and sums.dtype == np.int64 and not sums.any()
    assert private_sums(2, 1, (), np.float64).shape == (2, 1 + PAD)
    sums[:, :5] = np.arange(3 * 5 * 8).reshape(3, 5, 2, 4)
    sums[:, 5:] = 10**6  # padding never reaches the merged sums
    assert np.array_equal(merge_chunks(sums, 5), sums[:, :5].sum(axis=0))
    assert weight_missing(np.nan) and not weight_missing(0.0) and not weight_missing(-np.inf)


def test_af_parts_stay_readable_from_af():
    """The AF kernel lives in af_layout/rules/af_chunks/af_sums; the names the rest of mpi
    reads as ``mpi.kernels.af.<name>`` stay there."""
    af = mpi.kernels.af
    for name in af.__all__:
        assert hasattr(af, name), name
    assert af.RULE_CODES is mpi.kernels.rules.RULE_CODES
    assert af.chunk_count(10**6) == mpi.kernels.af_chunks.chunk_count(10**6) == 64
    assert (af.NOBS, af.NBS, af.ERR_CELL, af.DIRECT) == (1, 8, 4, 2)
