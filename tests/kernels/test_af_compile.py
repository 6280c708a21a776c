"""The AF kernel compiles one specialisation per column dtype: after a point call, a design
call, int8 and float64 columns, missing='drop' and missing='reweight' in one fresh process,
every numba dispatcher of the AF kernel modules holds at most one signature per column
dtype (read-only inputs of fixed dtypes and layouts; "no array" is an empty array of the
same type), the pattern modes without reweighting compile only the lean body, and numba's
typed-List ``getitem`` is never compiled (the kernels are given the number of units).

Also: the Python sides of the kernel (per-pattern facts, chunk planning, the merge of the
chunks' private rows) against direct computations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from mpi.kernels import af, af_chunks, af_layout, af_sums

MODULES = ("af", "af_sums", "af_chunks", "rules", "reweight")

SESSION = r"""
import json, sys, warnings
import numpy as np
import numba
import pandas as pd
import mpi
from mpi import Indicator, Spec, kernels
from numba.typed import typedlist

warnings.simplefilter("ignore")
rng = np.random.default_rng(3)
n = 20000
df = pd.DataFrame({
    "x1": rng.random(n), "x2": rng.integers(0, 2, n).astype(float),
    "f1": rng.integers(0, 2, n).astype("int8"), "f2": rng.integers(0, 2, n).astype("int8"),
    "w": rng.random(n) + 0.1, "g": rng.integers(0, 4, n), "psu": np.sort(rng.integers(0, 900, n)),
})
df["st"] = df["psu"] // 300
spec = Spec([Indicator("x1", weight="1/2", dimension="a", cutoff=0.4, cardinal=True),
             Indicator("x2", weight="1/2", dimension="b")], k="1/2")
spec8 = Spec([Indicator("f1", weight="1/2", dimension="a"),
              Indicator("f2", weight="1/2", dimension="b")], k="1/2")
design = mpi.Design("w", strata="st", psu="psu")
lean_only = {}
for s in (spec, spec8):
    mpi.measure(df, s, weight="w", by="g").to_frame()
    mpi.measure(df, s, by="g", design=design).to_frame()
    mpi.measure(df, s, weight="w").to_frame()
    lean_only[str(s.names)] = {
        k: len(getattr(kernels.af_sums, k).signatures) for k in ("af_sums", "af_sums_lean")
    }
miss = df.copy()
miss.loc[::7, "x1"] = np.nan
mpi.measure(miss, spec, weight="w", by="g", missing="drop").to_frame()
mpi.measure(miss, spec, weight="w", by="g", missing="reweight").to_frame()
mpi.measure(miss, spec, by="g", missing="reweight", design=design).to_frame()
from mpi.measurement.measure import compute_statistics
for s in (spec, spec8):
    compute_statistics(df, s, weight="w", by="g", use_patterns=False)
out = {"lean_only": lean_only, "getitem": len(typedlist._getitem.signatures)}
for name in sys.argv[1:]:
    mod = getattr(kernels, name)
    out[name] = {
        k: len(v.signatures)
        for k, v in vars(mod).items()
        if isinstance(v, numba.core.registry.CPUDispatcher) and v.py_func.__module__ == mod.__name__
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def signatures() -> dict:
    run = subprocess.run(
        [sys.executable, "-c", SESSION, *MODULES],
        capture_output=True,
        text=True,
        # no disk cache: every kernel the session needs is compiled here, so the counts do
        # not depend on what earlier processes left in the cache
        env={**os.environ, "XMPI_PROGRESS": "0", "XMPI_NUMBA_CACHE": "0"},
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", MODULES)
def test_at_most_one_signature_per_column_dtype(signatures, module) -> None:
    sigs = signatures[module]
    assert {k: n for k, n in sigs.items() if n > 2} == {}  # float64 and int8 columns


def test_entry_points_have_one_signature_per_column_dtype(signatures) -> None:
    sums = signatures["af_sums"]
    assert sums["af_sums_lean"] == 2 and sums["_lean_chunk"] == 2
    assert sums["af_sums"] == 2 and sums["_full_chunk"] == 2
    assert signatures["rules"]["evaluate_lean"] == 2


def test_point_and_design_calls_compile_only_the_lean_body(signatures) -> None:
    """A point call, a design call and an ungrouped call (missing='drop') share one
    specialisation of the lean kernel per dtype and never compile the full one."""
    assert list(signatures["lean_only"].values()) == [
        {"af_sums": 0, "af_sums_lean": 1},
        {"af_sums": 0, "af_sums_lean": 2},
    ]


def test_typed_list_is_never_indexed_from_python(signatures) -> None:
    assert signatures["getitem"] == 0


def _ident(wint, denom, ks, vul=(1, 5), sev=(1, 2), patterns=af.PATTERNS):
    return SimpleNamespace(
        wint=np.array(wint, np.int64),
        denom=denom,
        k_num=np.array([k[0] for k in ks], np.int64),
        k_den=np.array([k[1] for k in ks], np.int64),
        vul_num=vul[0],
        vul_den=vul[1],
        sev_num=sev[0],
        sev_den=sev[1],
        use_patterns=patterns,
    )


def test_pattern_facts_match_exact_fractions() -> None:
    from fractions import Fraction

    ident = _ident([1, 2, 3, 6], 12, [(1, 4), (1, 3), (1, 2)])
    pnum, pbucket, pscore, pvul, psev = af_sums.pattern_facts(ident, 16)
    for p in range(16):
        num = sum(w for j, w in enumerate([1, 2, 3, 6]) if p >> j & 1)
        score = Fraction(num, 12)
        assert pnum[p] == num
        assert pbucket[p] == sum(
            score >= k for k in (Fraction(1, 4), Fraction(1, 3), Fraction(1, 2))
        )
        assert pscore[p] == num / 12.0
        assert pvul[p] == float(score >= Fraction(1, 5)) and psev[p] == float(
            score >= Fraction(1, 2)
        )
    assert pnum.dtype == pbucket.dtype == np.int64
    # without patterns: zeros of the same types (one kernel signature)
    z = af_sums.pattern_facts(_ident([1, 1], 2, [(1, 2)], patterns=af.UNITS), 1)
    assert [a.dtype for a in z] == [np.int64, np.int64, np.float64, np.float64, np.float64]
    assert not any(a.any() for a in z)


@pytest.mark.parametrize("sorted_", [True, False])
def test_chunk_plan_moves_bounds_to_block_changes_and_covers_the_cells(sorted_) -> None:
    rng = np.random.default_rng(5)
    n, block, n_cells = 50_000, 3, 3 * 5000
    cell = rng.integers(0, n_cells, n).astype(np.int64)
    if sorted_:
        cell.sort()
    bounds, lo, size, shared = af_chunks.chunk_plan(
        n, cell, 0, n_cells, 8, block, af.__dict__["_NO_MAJOR"], 0, sorted_, af.DIRECT
    )
    assert bounds[0] == 0 and bounds[-1] == n and np.all(np.diff(bounds) >= 0)
    for b in bounds[1:-1]:
        if 0 < b < n:
            assert cell[b] // block != cell[b - 1] // block
    for t in range(8):
        c = cell[bounds[t] : bounds[t + 1]]
        if c.size:
            assert lo[t] <= c.min() and c.max() < lo[t] + size[t]
    assert shared == sorted_


def test_merge_private_adds_chunks_in_order() -> None:
    rng = np.random.default_rng(1)
    k, rows, nb_, d = 4, 3, 2, 2
    private = (
        rng.normal(size=(k, rows * nb_, af.NBS)),
        rng.normal(size=(k, rows * nb_, d)),
        None,
        None,
        rng.normal(size=(k, rows)),
        rng.normal(size=(k, rows, d)),
    )
    lo = np.array([0, 2, 1, 4])
    size = np.array([3, 3, 2, 1])
    out = (np.zeros((6 * nb_, af.NBS)), np.zeros((6 * nb_, d)), None, None, np.zeros(6),
           np.zeros((6, d)))  # fmt: skip
    af_sums.merge_private(out, private, lo, size, nb_, False)
    want = np.zeros(6)
    for t in range(k):
        for i in range(size[t]):
            want[lo[t] + i] += private[4][t, i]
    np.testing.assert_array_equal(out[4], want)
    assert out[0][: 3 * nb_].sum() != 0.0 and not out[0][5 * nb_ :].any()


RULE_OPS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@pytest.mark.parametrize("dtype", [np.float64, np.int8])
@pytest.mark.parametrize("z", [0.0, 1.0, 2.5, -3.0, 5e-324])
def test_interval_rules_are_the_comparisons(dtype, z) -> None:
    """Each rule as one interval test (rules.interval) flags exactly the values the
    comparison flags, NaN never deprived but missing, infinities and neighbours of the cutoff
    included; a 0/1 flag column counts its invalid values."""
    from mpi.kernels import rules

    if dtype is np.float64:
        near = [np.nextafter(z, -np.inf), z, np.nextafter(z, np.inf)]
        x = np.array([-np.inf, np.inf, np.nan, 0.0, 1.0, -1.0, 2.0, 7.0, *near])
    else:
        x = np.array([-128, -3, -1, 0, 1, 2, 3, 127], np.int8)
    m = x.shape[0]
    xf = x.astype(np.float64)
    for op, code in rules.RULE_CODES.items():
        pat = np.zeros(m, np.int32)
        m1, m2 = np.zeros(m), np.zeros(m)
        zz = 1.0 if op == "flag" else z
        bad = rules.evaluate_lean(
            x, 0, m, code, zz, pat, np.int32(2), np.int32(1 << 20), False, 0.5, m1, m2
        )
        with np.errstate(invalid="ignore"):
            want = (xf == 1.0) if op == "flag" else RULE_OPS[op](xf, zz)
        want &= ~np.isnan(xf)
        np.testing.assert_array_equal((pat >> 1) & 1, want.astype(np.int32), err_msg=op)
        np.testing.assert_array_equal(pat >> 20, np.isnan(xf).astype(np.int32), err_msg=op)
        valid = np.isnan(xf) | (xf == 0.0) | (xf == 1.0)
        assert bad == (int((~valid).sum()) if op == "flag" else 0), op
        # the full variant flags the same values
        gj, mj = np.zeros(m, np.uint8), np.zeros(m, np.uint8)
        num, nm = np.zeros(m, np.int32), np.zeros(m, np.int32)
        bad = rules.evaluate(
            x, 0, m, code, zz, np.int32(3), gj, mj, num, nm, False, 0.5, m1, m2, np.zeros(m)
        )
        np.testing.assert_array_equal(gj, want.astype(np.uint8), err_msg=op)
        np.testing.assert_array_equal(num, 3 * want.astype(np.int32), err_msg=op)
        np.testing.assert_array_equal(mj, np.isnan(xf).astype(np.uint8), err_msg=op)
        assert bad == (int((~valid).sum()) if op == "flag" else 0), op


def test_lean_scratch_has_one_type_per_call() -> None:
    """The lean kernel's buffers come from numpy (no allocation compiled in the kernel): one
    C-contiguous row per chunk, of the dtypes the kernel is compiled for."""
    pat, gaps = af_sums.lean_scratch(3)
    assert pat.shape == (3, af_layout.LEAN_BLOCK) and pat.dtype == np.int32
    assert gaps.shape == (3, 2, af_layout.LEAN_BLOCK) and gaps.dtype == np.float64
    assert pat.flags.c_contiguous and gaps.flags.c_contiguous
