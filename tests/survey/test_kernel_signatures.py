"""One compiled specialisation per survey kernel (issue 22, convention 1).

Every kind of array difference (read-only flag, layout, dtype) makes numba compile a kernel
and all its callees again. A fresh process makes the calls the design path meets (point
estimates, a design by group and without groups, a sparse (PSU, group) table, unsorted
and string-labelled PSUs, several cutoffs, the bootstrap, a covariance) and then every
dispatcher of ``kernels.variance``, ``kernels.buckets`` and ``kernels.codes`` that was
compiled must hold exactly one signature. A subprocess keeps the count free of the
specialisations other tests' direct kernel calls add.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from mpi import kernels

_SCRIPT = r"""
import importlib, json, sys, warnings
import numpy as np, pandas as pd
import mpi

warnings.simplefilter("ignore")
if sys.argv[1] == "force":  # the large-data paths on this small survey
    from mpi import kernels
    kernels.buckets.NUMBA_MIN_CELLS = 0
    kernels.variance.PARALLEL_MIN_WORK = 0
rng = np.random.default_rng(3)
n = 2000  # fewer units than NUMBA_MIN_CELLS: even one row per unit stays below it
df = pd.DataFrame({f"x{j}": rng.random(n) for j in range(4)})
df["w"] = rng.uniform(0.5, 2.0, n)
df["g"] = rng.integers(0, 3, n)
df["many"] = rng.integers(0, 400, n)  # (PSU, group) pairs > units: the sparse rows
df["psu"] = np.sort(rng.integers(0, 60, n))
df["stratum"] = df["psu"] // 6
df["psu_shuffled"] = (df["psu"] * 7919) % 61  # not sorted: dense codes
df["s_label"] = "s" + df["stratum"].astype(str)  # strings: factorize + psu_strata
inds = [
    mpi.Indicator(f"x{j}", weight="1/4", dimension="ab"[j // 2], cutoff=0.3) for j in range(4)
]
spec = mpi.Spec(inds, k="1/4")
d = mpi.Design("w", strata="stratum", psu="psu")
for k in (None, ["1/4", "1/2"]):  # one cutoff (views of buckets) and several
    mpi.measure(df, spec, weight="w", by="g", k=k).to_dataset()
    for by in ("g", None, "many"):
        r = mpi.measure(df, spec, by=by, design=d, k=k)
        r.to_dataset()
        r.se
    for other in (
        mpi.Design("w", strata="stratum", psu="psu_shuffled"),
        mpi.Design("w", strata="s_label", psu="psu"),
    ):
        mpi.measure(df, spec, by="g", design=other, k=k).se
r = mpi.measure(df, spec, by="g", design=d)
r.vcov(["H", "M0"])
mpi.measure(df, spec, by="g", design=d.bootstrap(20, seed=1)).se
if sys.argv[1] == "force":  # the serial variance pass too: the same body, the same types
    kernels.variance.PARALLEL_MIN_WORK = 10**12
    mpi.measure(df, spec, by="g", design=d).se
out = {}
for mod in ("variance", "buckets", "codes"):
    m = importlib.import_module("mpi.kernels." + mod)
    for name in dir(m):
        f = getattr(m, name)
        if getattr(f, "__module__", None) == m.__name__ and hasattr(f, "signatures"):
            out[mod + "." + name] = len(f.signatures)
print("SIGS" + json.dumps(out))
"""


def _signatures(mode: str) -> dict[str, int]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SIGS"))
    return json.loads(line[4:])


def test_one_specialisation_per_survey_kernel():
    """The large-data paths forced (and the serial variance pass): every kernel compiled,
    each once."""
    sigs = _signatures("force")
    compiled = {k: v for k, v in sigs.items() if v}
    # (a kernel called only by a kernel loaded from the disk cache lists no signature;
    # ``_strata_block`` is also called from Python, by the serial pass)
    for name in (
        "variance._terms_variance",
        "variance._strata_block",
        "variance._add_part",
        "buckets._bucket_statistics",
        "codes._fill_codes",
        "codes._rank_values",
        "codes._psu_strata",
    ):
        assert compiled.get(name, 0) >= 1, (name, sigs)
    assert {k: v for k, v in compiled.items() if v != 1} == {}, sigs


def test_small_calls_compile_neither_the_parallel_variance_nor_the_bucket_pass():
    """A small survey's variance pass runs serially and its few cells' statistics come
    from numpy: the parallel kernel and the bucket pass are not compiled for it."""
    sigs = _signatures("default")
    assert sigs["variance._strata_block"] == 1, sigs
    assert sigs["variance._terms_variance"] == 0, sigs
    assert sigs["buckets._bucket_statistics"] == 0, sigs
    assert {k: v for k, v in sigs.items() if v > 1} == {}, sigs


def test_wrappers_leave_their_inputs_writable_and_unchanged():
    """The kernels read read-only views: the caller's arrays keep their flags and values."""
    rng = np.random.default_rng(0)
    bstat = rng.random((3, 2, 8))
    bdep = rng.random((3, 2, 4))
    empty = np.zeros((0, 2, 4))
    wflt = np.full(4, 0.25)
    position = np.zeros(1, np.int64)
    before = [a.copy() for a in (bstat, bdep, wflt)]
    out = kernels.bucket_statistics(bstat, bdep, empty, empty, wflt, position)
    for a, b in zip((bstat, bdep, wflt), before, strict=True):
        assert a.flags.writeable
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(out[0], bstat[:, 0, 0] + bstat[:, 1, 0])  # SUMW
    arr = np.array([5, 3, 5, 9], np.int64)
    codes, uniques, ok = kernels.dense_codes(arr, 100)
    assert ok and arr.flags.writeable
    np.testing.assert_array_equal(codes, [1, 0, 1, 2])
    np.testing.assert_array_equal(uniques, [3, 5, 9])
