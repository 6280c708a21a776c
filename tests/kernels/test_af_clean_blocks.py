"""The lean AF kernel's clean blocks: a block of units whose cells, weights and values need no
per-unit check takes a loop without them. Its sums, counts and first errors must equal those
of the checked loop bit for bit. Giving every unit a major cell code of 0 (``cell_major``,
``n_minor`` = the number of cells: the same cells) turns the clean-block loop off, so each
case below runs both loops on the same units."""

from __future__ import annotations

import numpy as np
import pytest

from mpi import kernels
from mpi.kernels import af

N, N_CELLS = 20_000, 4  # 40 lean blocks of 512 units, in several chunks


def _ident(mode: int) -> af.Identification:
    return af.Identification(
        np.full(3, af.LT), np.array([0.3, 0.5, 0.4]), np.array([True, True, False]),
        np.array([1, 1, 1]), np.array([0, 1, 2]), 3, 3, np.array([1, 2]), np.array([3, 3]),
        1, 5, 1, 2, False, mode,
    )  # fmt: skip


def _data(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = [rng.random(N) for _ in range(3)]
    cols[2] = (cols[2] < 0.4).astype(np.float64)  # a 0/1 indicator
    return cols, rng.uniform(0.5, 2.0, N), rng.integers(0, N_CELLS, N)


def _both(cols, w, cell, mode):
    """``af_statistics`` with the clean-block loop available, and with it turned off."""
    ident = _ident(mode)
    fast = kernels.af_statistics(cols, ident, w, cell, 0, N_CELLS, 3)
    checked = kernels.af_statistics(
        cols, ident, w, cell, 0, N_CELLS, 3, 0, np.zeros(N, np.int64), N_CELLS
    )
    return fast, checked


def _damage(case: str):
    cols, w, cell = _data()
    if case == "nan weight":
        w[7777] = np.nan
    elif case == "missing value":
        cols[1][3000] = np.nan
    elif case == "negative weight":
        w[9000] = -1.0
    elif case == "infinite weight":
        w[15000] = np.inf
    elif case == "cell out of range":
        cell[12345] = N_CELLS + 5
    return cols, w, cell


CASES = ["clean", "nan weight", "missing value", "negative weight", "infinite weight",
         "cell out of range"]  # fmt: skip


@pytest.mark.parametrize("mode", [af.PATTERNS, af.DIRECT], ids=["patterns", "direct"])
@pytest.mark.parametrize("case", CASES)
def test_clean_blocks_equal_the_checked_loop_bit_for_bit(case: str, mode: int) -> None:
    fast, checked = _both(*_damage(case), mode)
    for name, a, b in zip(("bstat", "bdep", "bmissw", "bcadj", "ndrop", "nmiss", "err"),
                          fast, checked, strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b, err_msg=name)
    err, ndrop = fast[-1], fast[4]
    found = {
        "clean": (0, 0), "nan weight": (0, 1), "missing value": (0, 1),
        "negative weight": (af.ERR_NEG_WEIGHT, 0), "infinite weight": (af.ERR_NEG_WEIGHT, 0),
        "cell out of range": (af.ERR_CELL, 0),
    }[case]  # fmt: skip
    assert (err[:, 0].max(), int(ndrop.sum())) == found
    if found[0]:  # the first error names the unit
        where = {"negative weight": 9000, "infinite weight": 15000, "cell out of range": 12345}
        assert where[case] in err[err[:, 0] > 0, 1]
    # every unit is counted once: summed in a bucket or dropped
    assert fast[0][:, :, af.NOBS].sum() + ndrop.sum() == N
