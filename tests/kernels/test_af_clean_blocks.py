"""The lean AF kernel's clean blocks: a block of units whose cells, weights and values need no
per-unit check is summed by a loop without the checks. Its sums, counts and first errors must
be those of the checked loop bit for bit.

The checked loop is forced by giving every block of :data:`~mpi.kernels.af_layout.LEAN_BLOCK`
units one extra unit with a missing weight (dropped and counted, so the other units' sums are
the same, added in the same order within one chunk). Each case below runs both ways on the
same units, with group cells and with PSU-major (PSU, group) cells. A clean block's weights
and cells are checked while the block before it is summed, so each bad value is also put in
the first block, at the last unit of a block and in the last, partial block."""

from __future__ import annotations

import numpy as np
import pytest

from mpi import kernels
from mpi.kernels import af
from mpi.kernels.af_layout import LEAN_BLOCK

N, N_GROUPS, N_PSU = 20_000, 4, 50  # 40 lean blocks


def _ident(mode: int) -> af.Identification:
    return af.Identification(
        np.full(3, af.LT), np.array([0.3, 0.5, 0.4]), np.array([True, True, False]),
        np.array([1, 1, 1]), np.array([0, 1, 2]), 3, 3, np.array([1, 2]), np.array([3, 3]),
        1, 5, 1, 2, False, mode,
    )  # fmt: skip


#: Where a case's bad value goes: in a middle block, the first block, a block's last unit
#: (the next block is read while this one is summed) or the last, partial block.
WHERE = {"middle": None, "first block": 5, "block end": 3 * LEAN_BLOCK - 1, "last block": N - 7}


def _data(case: str, where: str = "middle"):
    rng = np.random.default_rng(0)
    cols = [rng.random(N) for _ in range(3)]
    cols[2] = (cols[2] < 0.4).astype(np.float64)  # a 0/1 indicator
    w, group = rng.uniform(0.5, 2.0, N), rng.integers(0, N_GROUPS, N)
    psu = np.sort(rng.integers(0, N_PSU, N))
    at = {"nan weight": 7777, "missing value": 3000, "negative weight": 9000,
          "infinite weight": 15000, "cell out of range": 12345,
          "negative zero weight": 4321}.get(case)  # fmt: skip
    if at is not None and WHERE[where] is not None:
        at = WHERE[where]
    if case == "nan weight":
        w[at] = np.nan
    elif case == "missing value":
        cols[1][at] = np.nan
    elif case in ("negative weight", "infinite weight", "negative zero weight"):
        w[at] = {"negative weight": -1.0, "infinite weight": np.inf}.get(case, -0.0)
    elif case == "cell out of range":
        group[at] = N_GROUPS + 5
    return cols, w, group, psu, at


def _run(cols, w, group, psu, mode, layout):
    ident = _ident(mode)
    if layout == "groups":
        return kernels.af_statistics(cols, ident, w, group, 0, N_GROUPS, 1)
    return kernels.af_statistics(
        cols, ident, w, group, 0, N_GROUPS * N_PSU, 1, N_GROUPS, psu, N_GROUPS
    )


def _padded(cols, w, group, psu):
    """The units with a unit of missing weight (group 0, the PSU of its neighbour) before
    every LEAN_BLOCK - 1 of them: every block of the padded units has one. Returns the
    padded arrays and each original unit's position among them."""
    pos = np.arange(N) + np.arange(N) // (LEAN_BLOCK - 1) + 1
    size = N + N // (LEAN_BLOCK - 1) + 1
    out_cols = [np.zeros(size) for _ in cols]
    for a, b in zip(out_cols, cols, strict=True):
        a[pos] = b
    w2, g2, p2 = np.full(size, np.nan), np.zeros(size, np.int64), np.zeros(size, np.int64)
    w2[pos], g2[pos], p2[pos] = w, group, psu
    p2 = np.maximum.accumulate(p2)  # sorted PSUs stay sorted
    assert all(np.isnan(w2[i0 : i0 + LEAN_BLOCK]).any() for i0 in range(0, size, LEAN_BLOCK))
    return (out_cols, w2, g2, p2), pos, size - N


BAD = ["nan weight", "missing value", "negative weight", "infinite weight", "cell out of range",
       "negative zero weight"]  # fmt: skip
CASES = [("clean", "middle")] + [(c, where) for c in BAD for where in WHERE]


@pytest.mark.parametrize("layout", ["groups", "psu-major"])
@pytest.mark.parametrize("mode", [af.PATTERNS, af.DIRECT], ids=["patterns", "direct"])
@pytest.mark.parametrize(("case", "where"), CASES)
def test_clean_blocks_equal_the_checked_loop_bit_for_bit(case, where, mode, layout) -> None:
    cols, w, group, psu, at = _data(case, where)
    fast = _run(cols, w, group, psu, mode, layout)
    padded, pos, n_pad = _padded(cols, w, group, psu)
    checked = _run(*padded, mode, layout)
    for name, a, b in zip(("bstat", "bdep", "bmissw", "bcadj", "nmiss"),
                          fast[:4] + fast[5:6], checked[:4] + checked[5:6], strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b, err_msg=name)
    # the padding units are dropped in group 0 (of their PSU): the rest is the units' own
    pad = np.ones(len(padded[1]), bool)
    pad[pos] = False
    pad_cells = padded[3][pad] * N_GROUPS if layout == "psu-major" else np.zeros(n_pad, int)
    ndrop_fast = fast[4]
    ndrop_checked = checked[4] - np.bincount(pad_cells, minlength=len(checked[4]))
    np.testing.assert_array_equal(ndrop_fast, ndrop_checked, err_msg="ndrop")
    err_fast, err_checked = fast[-1][0], checked[-1][0]
    code = {"negative weight": af.ERR_NEG_WEIGHT, "infinite weight": af.ERR_NEG_WEIGHT,
            "cell out of range": af.ERR_CELL}.get(case, 0)  # fmt: skip
    assert err_fast[0] == err_checked[0] == code
    if code:  # the first error names the same unit (at its own position) and value
        assert (err_fast[1], err_checked[1]) == (at, pos[at])
        assert err_fast[2] == err_checked[2]
    # every unit is counted once: summed in a bucket or dropped
    assert fast[0][:, :, af.NOBS].sum() + ndrop_fast.sum() == N
