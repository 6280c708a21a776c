"""Bit-identical results for any number of numba threads (issue 14, point 11).

The kernels split the units into chunks with private float sums that are merged at the end;
the chunks (count and boundaries) must depend on the data only, never on the thread count,
or point estimates move in the last bits between machines. Each check runs the same call
under 1 and 2 numba threads and asserts equal bits (``xr.testing.assert_identical``,
``np.array_equal``). The data are large enough for several chunks
(:func:`mpi.kernels.af.chunk_count`, :func:`mpi.kernels.panel.chunk_count`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numba
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")

N_UNITS = 150_000  # several chunks of the AF kernel
N_PANEL = 24_000  # several chunks of the panel kernels
WAVES = 6


def test_chunks_depend_on_the_data_only():
    """Several chunks for the test data, the same under any thread count; the memory cap
    halves them (powers of two stay powers of two) but never below 2."""
    from mpi.kernels._config import cap_chunks, merge_chunks

    counts = {}
    for threads in (1, 2):
        counts[threads] = _run(
            threads,
            lambda: (
                mpi.kernels.af.chunk_count(N_UNITS),
                mpi.kernels.panel.chunk_count(N_PANEL),
                cap_chunks(64, 10**6, 10_000),
            ),
        )
    assert counts[1] == counts[2]
    assert counts[1][0] >= 2 and counts[1][1] >= 2
    assert counts[1][2] == 16  # 16 x 10 kB <= 10**6 / 4 bytes < 32 x 10 kB
    assert cap_chunks(64, 1000, 10**9) == 2 and cap_chunks(1, 10, 10**9) == 1
    private = np.arange(3 * 5 * 2, dtype=np.float64).reshape(3, 5, 2)
    assert np.array_equal(merge_chunks(private, 4), private[:, :4].sum(axis=0))


def _run(threads: int, fn: Callable[[], Any]) -> Any:
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mpi.MissingDataWarning)
            return fn()
    finally:
        numba.set_num_threads(before)


def _assert_same(a: Any, b: Any, what: str) -> None:
    if isinstance(a, xr.Dataset | xr.DataArray):
        # ``history`` holds the time of the call (to the second), not a result
        a, b = (x.copy(deep=False) for x in (a, b))
        a.attrs.pop("history", None)
        b.attrs.pop("history", None)
        xr.testing.assert_identical(a, b)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), what
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{what}[{i}]")
    else:
        raise TypeError(f"cannot compare {type(a).__name__} ({what})")


def _same_bits(fn: Callable[[], Any], what: str) -> None:
    _assert_same(_run(1, fn), _run(2, fn), what)


# ---------------------------------------------------------------------------------------
# cross-section: mpi.measure
# ---------------------------------------------------------------------------------------
SPEC = mpi.Spec(
    [
        mpi.Indicator("x0", weight="1/6", dimension="a", cutoff=0.35),
        mpi.Indicator("x1", weight="1/6", dimension="a", cutoff=0.3),
        mpi.Indicator("x2", weight="1/6", dimension="a", cutoff=0.25),
        mpi.Indicator("x3", weight="1/4", dimension="b", cutoff=0.3),
        mpi.Indicator("x4", weight="1/4", dimension="b", cutoff=0.4),
    ],
    k="1/3",
)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(20240611)
    n = N_UNITS
    df = pd.DataFrame({f"x{j}": rng.random(n) for j in range(5)})
    for j in (1, 3):  # ~1% missing per column for the drop / reweight rules
        df.loc[rng.random(n) < 0.01, f"x{j}"] = np.nan
    df["w"] = rng.lognormal(0.0, 0.7, n)
    df["g"] = rng.integers(0, 7, n)
    psu = rng.integers(0, 1_500, n)  # not sorted by PSU: the kernel's general path
    df["psu"] = psu
    df["stratum"] = psu // 20
    return df


def _measure(df: pd.DataFrame, **kw: Any) -> Callable[[], xr.Dataset]:
    return lambda: mpi.measure(df, SPEC, weight="w", **kw).to_dataset()


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"by": "g"},
        {"by": "g", "k": ["1/5", "1/3", "1/2", "2/3"]},
        {"by": "g", "missing": "reweight"},
        {"k": [0.25, 0.5], "missing": "reweight"},
    ],
    ids=["plain", "groups", "several_k", "reweight_groups", "reweight_k"],
)
def test_measure_same_bits_for_any_thread_count(survey, kw):
    _same_bits(_measure(survey, **kw), f"measure {kw}")


@pytest.mark.parametrize("by", [None, "g"])
def test_design_standard_errors_same_bits_for_any_thread_count(survey, by):
    """Point estimates and linearised SEs (PSU x group cells, ranged kernel mode, and the
    variance pass split between threads)."""
    design = mpi.Design("w", strata="stratum", psu="psu")

    def run() -> tuple:
        r = mpi.measure(survey, SPEC, by=by, design=design)
        return r.to_dataset(), r.se

    _same_bits(run, f"design by={by}")


def test_sorted_design_same_bits_for_any_thread_count(survey):
    """A file sorted by PSU: chunk boundaries move to PSU changes and the chunks add into one
    shared table."""
    df = survey.sort_values(["psu"], kind="stable").reset_index(drop=True)
    design = mpi.Design("w", strata="stratum", psu="psu")

    def run() -> tuple:
        r = mpi.measure(df, SPEC, by="g", design=design)
        return r.to_dataset(), r.se

    _same_bits(run, "sorted design")


# ---------------------------------------------------------------------------------------
# panels: states and every dynamics estimator
# ---------------------------------------------------------------------------------------
PANEL_SPEC = mpi.Spec(
    [
        mpi.Indicator(f"i{j}", weight=Fraction(wj, 9), dimension=f"dim{j % 2}")
        for j, wj in enumerate((2, 3, 1, 3))
    ],
    k=Fraction(1, 3),
    vulnerable=Fraction(1, 5),
    severe=Fraction(1, 2),
)


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    rng = np.random.default_rng(7)
    n, T, d = N_PANEL, WAVES, 4
    g = np.empty((n, T, d))
    g[:, 0] = rng.random((n, d)) < 0.35
    for t in range(1, T):
        keep = rng.random((n, d)) < 0.7
        g[:, t] = np.where(keep, g[:, t - 1], rng.random((n, d)) < 0.35)
    g[rng.random((n, T)) < 0.03] = np.nan
    data = {f"i{j}": (("unit", "time"), g[:, :, j]) for j in range(d)}
    data["w"] = ("unit", rng.lognormal(0.0, 0.6, n))
    data["region"] = ("unit", rng.integers(0, 5, n))
    data["y"] = (("unit", "time"), rng.lognormal(0.0, 0.5, (n, T)))
    years = np.arange(2010, 2010 + T)
    return xr.Dataset(data, coords={"unit": np.arange(n), "time": years})


@pytest.fixture(scope="module")
def states(panel) -> mpi.PanelStates:
    return mpi.panel_states(panel, PANEL_SPEC, weight="w", by="region")


def test_panel_states_same_bits_for_any_thread_count(panel):
    def run() -> tuple:
        s = mpi.panel_states(panel, PANEL_SPEC, weight="w", by="region")
        return s.state, s.num, s.pattern

    _same_bits(run, "panel_states")


def _grouped(r: Any) -> tuple:
    """A dynamics result's overall and per-group Datasets."""
    return r.to_dataset(), r.by_group()


ESTIMATORS: dict[str, Callable[[mpi.PanelStates], tuple]] = {
    "transitions": lambda s: _grouped(mpi.transitions(s, balance="pairs")),
    "transitions_bands": lambda s: _grouped(mpi.transitions(s, states="bands", pooled=True)),
    "spells": lambda s: _grouped(mpi.spells(s)),
    "relapse": lambda s: _grouped(mpi.relapse(s)),
    # chronic and decompose: the per-group variables are in to_dataset()
    "chronic": lambda s: mpi.chronic(s, tau="1/2").to_dataset(),
    "chronic_observed": lambda s: mpi.chronic(
        s, tau="1/3", balance="observed", min_waves=3
    ).to_dataset(),
    "chronic_dims": lambda s: mpi.chronic(s, tau="1/2", order="dimensions_first").to_dataset(),
    "decompose": lambda s: (
        (r := mpi.decompose_change(s, chained=True, balance="pairs")).to_dataset(),
        r.overall.to_dataset(),
    ),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_dynamics_same_bits_for_any_thread_count(states, name):
    est = ESTIMATORS[name]
    _same_bits(lambda: est(states), name)


def test_spell_table_same_bits_for_any_thread_count(states):
    _same_bits(lambda: mpi.spells(states).table(), "spell table")


def test_relapse_risk_same_bits_for_any_thread_count(states):
    _same_bits(lambda: mpi.relapse_risk(states, fit_until=2013).to_dataset(), "relapse_risk")


def test_duration_adjusted_same_bits_for_any_thread_count(panel):
    def run() -> xr.Dataset:
        return mpi.duration_adjusted(
            panel, "y", line=0.8, tau="1/2", weight="w", by="region"
        ).to_dataset()

    _same_bits(run, "duration_adjusted")
