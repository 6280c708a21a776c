"""Layout of the AF kernel's statistics: field indices, error codes, modes and block sizes.

Constants only, shared by :mod:`.rules`, :mod:`.af_chunks`, :mod:`.af_sums`, :mod:`.af`,
:mod:`.buckets` and :mod:`.panel` (and re-exported by :mod:`.af`, where the rest of mpi
reads them).
"""

from __future__ import annotations

__all__ = [
    "SUMW",
    "NOBS",
    "SCORE",
    "C2",
    "M1",
    "M2",
    "VULNB",
    "SEVERE",
    "NBS",
    "PW",
    "PN",
    "PG1",
    "PG2",
    "NPT",
    "ERR_FLAG_VALUE",
    "ERR_NEG_WEIGHT",
    "ERR_DENOMINATOR",
    "ERR_CELL",
    "UNITS",
    "PATTERNS",
    "DIRECT",
    "BLOCK",
    "LEAN_BLOCK",
    "CHUNK",
    "RANGE_MIN_CELLS",
    "MAX_REWEIGHT_DENOMINATOR",
]

# per-bucket statistics (``bstat[C, K + 1, NBS]``)
SUMW, NOBS, SCORE, C2, M1, M2, VULNB, SEVERE = 0, 1, 2, 3, 4, 5, 6, 7
NBS = 8
# per (cell, deprivation pattern) sums of the pattern modes (``ptab[C, 2**d, NPT]``): weight,
# count and the units' weighted gap terms (one cache line per entry: a unit's four additions
# meet one line, and none waits on the unit before it as a per-bucket sum would)
PW, PN, PG1, PG2 = 0, 1, 2, 3
NPT = 4

# error codes written to ``err[:, 0]``
ERR_FLAG_VALUE = 1  # a 0/1 variable holds another value
ERR_NEG_WEIGHT = 2  # negative or infinite sampling weight
ERR_DENOMINATOR = 3  # reweighting needs a denominator too large for exact integers
ERR_CELL = 4  # a cell code outside 0 .. n_cells - 1 (or its chunk's range)

#: ``use_patterns`` modes: per unit, per pattern table, or lean patterns summed per unit.
UNITS, PATTERNS, DIRECT = 0, 1, 2
#: Units per block of the per-thread buffers (d x BLOCK flags and gaps stay in L2 cache; larger
#: blocks amortise the per-column call and slicing overhead).
BLOCK = 4096
#: Units per block of the lean pattern pass (:func:`.af_sums.af_sums_lean`): its buffers (the
#: patterns and two gap sums, 10 KB) stay in the L1 cache, and each column's slice of a block
#: is one 4 KB page. At 1e7 units x 10 columns on 2 threads the pass took 144 ms in blocks of
#: 4096 and 122 ms in blocks of 512 (256: the same).
LEAN_BLOCK = 512
#: Fewest units per chunk (:func:`.af_chunks.chunk_count`): two blocks, ~0.1 ms of work on one
#: thread (two chunks from 16,384 units on). Above that, the chunks' private sums bound their
#: number (:func:`~._config.cap_chunks`).
CHUNK = 2 * BLOCK
#: From this many cells on, each chunk sums only the range of cells it meets (one extra
#: scan of the cell codes); below, every chunk has private sums for all cells.
RANGE_MIN_CELLS = 4096
#: Largest common denominator of reweighted dimension shares (keeps products < 2**63).
MAX_REWEIGHT_DENOMINATOR = 10**6
