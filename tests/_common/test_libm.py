"""mpi._common.libm: the C library's log and exp per value, with numpy's domain conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mpi.presets
from mpi._common import libm
from mpi.composites.engine import evaluate, plan


def test_log_and_exp_are_the_c_library_value_by_value() -> None:
    x = np.random.default_rng(0).uniform(1e-6, 1e3, (50, 40))
    got_log, got_exp = libm.log(x), libm.exp(-x / 100)
    assert got_log.shape == got_exp.shape == x.shape
    assert got_log.dtype == got_exp.dtype == np.float64
    # bit for bit, not approximately: this is what makes results machine-independent
    assert got_log.tolist() == [[math.log(v) for v in row] for row in x.tolist()]
    assert got_exp.tolist() == [[math.exp(-v / 100) for v in row] for row in x.tolist()]


def test_values_outside_the_domain_follow_numpy() -> None:
    x = np.array([0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(libm.log(x), np.log(x))
    y = np.array([1000.0, 709.0, -np.inf, np.nan, np.inf, -1000.0, 0.0])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(libm.exp(y), np.exp(y))
    assert libm.exp(710.0) == np.inf  # math.exp raises OverflowError here


def test_inputs_are_not_mutated_and_scalars_work() -> None:
    x = np.array([[1.0, 2.0], [0.0, 4.0]])
    before = x.copy()
    libm.log(x)
    libm.exp(x)
    np.testing.assert_array_equal(x, before)
    assert libm.log(math.e).item() == 1.0
    assert libm.exp(0).item() == 1.0


@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_the_lsi_is_the_formula_evaluated_with_the_c_library(method: str) -> None:
    """The index equals the formula computed value by value with ``math`` (the bits do not
    depend on numpy's choice of loops for the processor, issue: AVX-512 vs AVX2)."""
    spec = mpi.presets.undp_china_lsi_2016(method)
    values = mpi.datasets.load("county_lsi")[list(spec.indicator_names)].to_numpy()[:200]
    got = evaluate(plan(values, spec), contributions=False).index
    floor = spec.floor or 0.0
    want = []
    for row in values.tolist():
        scores = []
        for x, ind in zip(row, spec.indicators, strict=True):
            lo, hi = ind.goalposts
            if ind.transform == "log":
                x, lo, hi = math.log(x), math.log(lo), math.log(hi)
            scores.append(min(max((x - lo) / (hi - lo), 0.0), 1.0))
        w = [float(i.weight) for i in spec.indicators]
        if method == "arithmetic":
            total = 0.0
            for wj, s in zip(w, scores, strict=True):
                total += wj * s
            want.append(total * spec.scale)
        else:
            total = 0.0
            for wj, s in zip(w, scores, strict=True):
                total += math.log(max(s, floor)) * wj
            want.append(math.exp(total) * spec.scale)
    assert got.tolist() == want
