"""The panel kernels compile once per session: after the calls a typical session makes
(panel_states, transitions, spells, chronic both orders, decompose_change, relapse with and
without a status, with a bootstrap, the risk estimator's counts), every numba dispatcher of
the panel kernel modules holds exactly one signature (read-only inputs of fixed dtypes and
layouts; "no array" is an empty array of the same type). Run in a fresh process, so that
earlier tests' direct kernel calls (writable arrays) do not count.

Also: the Python sides of the kernels (private sums allocated and merged in chunk order with
numpy, lean pattern tables) give the same numbers for any chunking and never modify inputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mpi.kernels import _config as kconfig
from mpi.kernels import panel as kpanel
from mpi.kernels import relapse as krl
from mpi.kernels import transitions as ktr

MODULES = ("panel", "transitions", "chronic", "decompose", "relapse", "risk")

SESSION = r"""
import json, sys, warnings
import numpy as np
import numba
import mpi
from mpi import kernels
from mpi.kernels import risk as krisk

warnings.simplefilter("ignore")
spec = mpi.presets.china_2b3g()
p = mpi.datasets.generate("registry_panel", n=300, seed=2, format="xarray")
st = mpi.panel_states(p, spec, weight="weight")
mpi.transitions(st).to_frame()
mpi.transitions(p, spec, weight="weight", by="county", states="bands", balance="pairs").to_frame()
mpi.spells(st).to_frame()
mpi.chronic(st, tau=0.5).to_frame()
mpi.chronic(st, tau=0.5, order="dimensions_first").to_frame()
t = p["time"].values
mpi.decompose_change(p, spec, start=t[0], end=t[-1], weight="weight").to_frame()
mpi.relapse(st).to_frame()
status = (np.arange(p.sizes["unit"] * p.sizes["time"]) % 3 == 0).reshape(
    p.sizes["unit"], p.sizes["time"])
mpi.relapse(p.assign(s=(("unit", "time"), status)), status="s", weight="weight").to_frame()
mpi.relapse(p, spec, weight="weight", by="county", bootstrap=4, seed=1).to_frame()
krisk.risk_counts(st.state, st.weight, 4, 3, 1, 2)
out = {}
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
def signatures() -> dict[str, dict[str, int]]:
    run = subprocess.run(
        [sys.executable, "-c", SESSION, *MODULES],
        capture_output=True,
        text=True,
        env={**os.environ, "XMPI_PROGRESS": "0"},
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", MODULES)
def test_every_kernel_has_one_signature_after_a_session(signatures, module) -> None:
    sigs = signatures[module]
    assert sigs, f"no numba kernels found in mpi.kernels.{module}"
    assert {k: n for k, n in sigs.items() if n > 1} == {}
    # the session compiled (or loaded from the disk cache) this module's thin parallel loops;
    # their serial chunk bodies are compiled into them (a loaded loop registers no callee)
    assert any(n == 1 for k, n in sigs.items() if k.endswith("_par")), sigs


def test_session_compiles_only_the_lean_mode(signatures) -> None:
    """china_2b3g has few indicators: the full-mode kernels are never compiled."""
    sigs = signatures["panel"]
    assert sigs["_lean_par"] == 1
    assert sigs["_full_par"] == 0 and sigs["_full_chunk"] == 0


def test_relapse_without_scores_passes_the_scores_dtype() -> None:
    """Without scores, num/pattern are an empty read-only array of the scores' usual dtype."""
    assert krl.NO_SCORES.dtype == np.int16 and krl.NO_SCORES.size == 0
    assert not krl.NO_SCORES.flags.writeable


def _states(n: int, T: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    state = rng.integers(-1, 4, (n, T)).astype(np.int8)
    weight = rng.uniform(0.5, 2.0, n)
    weight[::17] = np.nan
    cell = rng.integers(0, 3, n).astype(np.int64)
    return state, weight, cell


def test_merge_chunks_adds_chunks_in_order_from_zero() -> None:
    rng = np.random.default_rng(0)
    private = kconfig.private_sums(5, 3, (2, 4), np.float64)
    assert private.shape == (5, 3 + kconfig.PAD, 2, 4)
    assert private.flags.c_contiguous and not private.any()
    private[...] = rng.normal(size=private.shape) * 10.0 ** rng.integers(-8, 8, private.shape)
    expected = np.zeros((3, 2, 4))
    for c in range(5):
        for idx in np.ndindex(3, 2, 4):
            expected[idx] = expected[idx] + private[(c, *idx)]
    got = kconfig.merge_chunks(private, 3)
    assert got.shape == (3, 2, 4)
    np.testing.assert_array_equal(got, expected)  # the same bits, in chunk order


@pytest.mark.parametrize("mode", [ktr.POVERTY, ktr.BANDS])
def test_transition_flows_any_chunking_same_bits_inputs_untouched(mode) -> None:
    state, weight, cell = _states(3000, 5, 1)
    before = (state.copy(), weight.copy(), cell.copy())
    one = ktr.transition_flows(state, weight, cell, 3, mode, ktr.PAIRS, 1)
    for n_chunks in (2, 7, 64):
        many = ktr.transition_flows(state, weight, cell, 3, mode, ktr.PAIRS, n_chunks)
        for a, b in zip(one[1:], many[1:], strict=True):  # integer sums: exact
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(one[0], many[0], rtol=1e-13)
    assert state.flags.writeable and weight.flags.writeable  # the caller's arrays
    for a, b in zip(before, (state, weight, cell), strict=True):
        np.testing.assert_array_equal(a, b)
    # a unit of every cell is counted exactly once
    assert one[2].sum() == len(state)


def test_pattern_tables_match_the_state_rule() -> None:
    wint = np.array([3, 3, 2, 2, 2, 1, 1], np.int64)
    denom = int(wint.sum())
    pnum, pstate = kpanel.pattern_tables(wint, denom, 1, 3, 1, 5, 1, 2)
    assert pnum.dtype == np.int32 and pstate.dtype == np.int8 and len(pnum) == 1 << 7
    for p in range(1 << 7):
        s = sum(int(wint[j]) for j in range(7) if (p >> j) & 1)
        assert pnum[p] == s
        if 3 * s >= denom:
            want = kpanel.SEVERE if 2 * s >= denom else kpanel.POOR
        elif 5 * s >= denom:
            want = kpanel.VULNERABLE
        else:
            want = kpanel.NONPOOR
        assert pstate[p] == want, p
