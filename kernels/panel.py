"""Per unit-wave poverty states of a panel, in one pass over the data.

A panel's indicator columns are flattened row-major over ``(unit, time)`` (row
``i * T + t``), so each block of rows holds whole units. The kernel evaluates the
deprivation rules once and writes, per unit-wave, the *exact* integer score numerator
(over the common denominator of the weights), the deprivation pattern (bit ``j`` set when
deprived in indicator ``j``) and the state code:

* ``UNOBSERVED`` (-1): some indicator is missing (a gap in the unit's history);
* ``NONPOOR`` (0): score below the vulnerability cutoff;
* ``VULNERABLE`` (1): vulnerability cutoff reached, poverty cutoff ``k`` not;
* ``POOR`` (2): ``k`` reached, severity cutoff not;
* ``SEVERE`` (3): poor, and the severity cutoff reached.

A unit-wave is poor exactly when its state is at least ``POOR``. Every dynamic estimator
(:mod:`mpi.kernels.dynamics`, :mod:`mpi.kernels.chronic`) reads these arrays unit by unit
with time inside. This module imports only numpy and numba.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from ._config import cap_chunks, chunk_range, fixed_chunks, kernel, merge_chunks, private_sums
from .af_layout import BLOCK
from .columns import column, column_table, readonly_view
from .rules import MISS_SHIFT, evaluate, evaluate_lean, note_bad_flag

__all__ = [
    "panel_scores",
    "chunk_count",
    "UNOBSERVED",
    "NONPOOR",
    "VULNERABLE",
    "POOR",
    "SEVERE",
    "MAX_D",
    "private_sums",
    "merge_chunks",
    "pattern_tables",
    "unit_arrays",
]

UNOBSERVED, NONPOOR, VULNERABLE, POOR, SEVERE = -1, 0, 1, 2, 3
#: Most indicators a pattern (int64 bits) can hold.
MAX_D = 62
#: Fewest units per chunk of the panel kernels (:func:`chunk_count`).
CHUNK = 4096


def chunk_count(n_units: int) -> int:
    """Chunks of the panel kernels (:func:`panel_scores` and the estimators' kernels) for
    ``n_units`` units: :func:`~._config.fixed_chunks` with at least :data:`CHUNK` units each,
    a function of ``n_units`` only (never of the thread count). Kernels with large private
    sums use fewer (:func:`~._config.cap_chunks`)."""
    return fixed_chunks(n_units, CHUNK)


@kernel(inline="always")
def _state_of(s, denom, k_num, k_den, vul_num, vul_den, sev_num, sev_den):
    """State code of an observed score ``s / denom`` (exact integer comparisons)."""
    if s * k_den >= k_num * denom:  # poor; severe is a band among the poor
        return SEVERE if s * sev_den >= sev_num * denom else POOR
    if s * vul_den >= vul_num * denom:
        return VULNERABLE
    return NONPOOR


def pattern_tables(
    wint: np.ndarray,
    denom: int,
    k_num: int,
    k_den: int,
    vul_num: int,
    vul_den: int,
    sev_num: int,
    sev_den: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Score numerator (int32) and state (int8) of each of the ``2**d`` deprivation patterns
    (bit ``j`` = deprived in indicator ``j``), for the lean mode of :func:`panel_scores`:
    numpy, once per call (``d <= MISS_SHIFT``, at most 32,768 patterns)."""
    d = len(wint)
    bits = (np.arange(1 << d, dtype=np.int64)[:, None] >> np.arange(d)) & 1
    sc = bits @ np.asarray(wint, np.int64)
    state = np.full(len(sc), NONPOOR, np.int8)
    state[sc * vul_den >= vul_num * denom] = VULNERABLE
    poor = sc * k_den >= k_num * denom
    state[poor] = POOR
    state[poor & (sc * sev_den >= sev_num * denom)] = SEVERE
    return sc.astype(np.int32), state


def panel_scores(
    columns: Any,
    rules: np.ndarray,
    cutoffs: np.ndarray,
    wint: np.ndarray,
    denom: int,
    n_waves: int,
    k_num: int,
    k_den: int,
    vul_num: int,
    vul_den: int,
    sev_num: int,
    sev_den: int,
    n_chunks: int,
    num: np.ndarray,
    pattern: np.ndarray,
    state: np.ndarray,
) -> np.ndarray:
    """Score numerator, deprivation pattern and state of every unit-wave, written into
    ``num``, ``pattern`` and ``state``.

    Selects one of two thin parallel kernels (lean: ``d <= MISS_SHIFT`` indicators, the
    score and state of each pattern looked up in tables built here with numpy; full:
    integer scores per row), so a call compiles only the mode it runs; every read-only
    array is passed read-only (one specialisation per output dtype).

    Parameters
    ----------
    columns : sequence of float64[n]
        One column per indicator, rows ``i * n_waves + t``; NaN marks a missing value. The
        kernels read them through their addresses (:class:`.columns.ColumnTable`), never a
        copy.
    rules, cutoffs : int64[d], float64[d]
        Rule codes (:data:`mpi.kernels.rules.RULE_CODES`) and cutoffs.
    wint : int64[d]
        Weights as integers over ``denom``.
    denom : int
        The common denominator of the weights.
    n_waves : int
        Waves per unit ``T`` (chunks are cut at unit boundaries).
    k_num, k_den, vul_num, vul_den, sev_num, sev_den : int
        Poverty, vulnerability and severity cutoffs as fractions; a score ``N/denom``
        reaches ``a/b`` exactly when ``N * b >= a * denom``.
    n_chunks : int
        Most contiguous chunks of units processed in parallel (:func:`chunk_count`; fewer
        when their buffers outweigh the work). Every output is per unit-wave, so the chunks
        never change a bit.
    num : signed int[n] (output)
        Score numerator (``c = num / denom``); -1 for an unobserved unit-wave. The caller
        picks the narrowest dtype that holds ``denom`` (int16 for most specs).
    pattern : signed int[n] (output)
        Deprivation bits (0 for an unobserved unit-wave); int16 holds 15 indicators,
        int32 31, int64 62.
    state : int8[n] (output)
        State code (see the module docstring).

    Returns
    -------
    err : float64[chunks, 3]
        ``(code, indicator, value)`` of the first invalid 0/1 flag met by each chunk.
    """
    rules = readonly_view(np.ascontiguousarray(rules, np.int64))
    cutoffs = readonly_view(np.ascontiguousarray(cutoffs, np.float64))
    wint = np.ascontiguousarray(wint, np.int64)
    n = state.shape[0]
    # the kernels read the columns through their addresses; ``arrays`` keeps them alive
    cols, arrays = column_table(list(columns))
    if cols.n != n:
        raise ValueError(f"the columns have {cols.n} values but state has {n}")
    d = rules.shape[0]
    n_units = n // n_waves
    block = max(1, BLOCK // n_waves) * n_waves  # whole units per block
    # no sums here, so the chunks change no bit; fewer of them when each chunk's fresh
    # buffers (flags, scores, patterns of a block) outweigh its share of the work
    n_chunks = cap_chunks.py_func(n_chunks, n_units, block * (2 * d + 20))
    err = np.zeros((n_chunks, 3))
    frac = (denom, k_num, k_den, vul_num, vul_den, sev_num, sev_den)
    if d <= MISS_SHIFT:
        # lean mode: per value only a deprivation bit and a missing bit are set; the score
        # and the state of each of the 2**d patterns are looked up in tables
        pnum, pstate = (readonly_view(a) for a in pattern_tables(wint, *frac))
        _lean_par(cols, rules, cutoffs, n_waves, block, pnum, pstate, n_chunks, num, pattern,
                  state, err)  # fmt: skip
    else:
        _full_par(cols, rules, cutoffs, readonly_view(wint), *frac, n_waves, block, n_chunks,
                  num, pattern, state, err)  # fmt: skip
    del arrays  # the kernels are done with the columns' addresses
    return err


@kernel(parallel=True, error_model="numpy")
def _lean_par(cols, rules, cutoffs, n_waves, block, pnum, pstate, n_chunks, num, pattern,
                 state, err):  # fmt: skip
    """Thin parallel loop of the lean mode: one :func:`_lean_chunk` per chunk of units."""
    n_units = state.shape[0] // n_waves
    for c in nb.prange(n_chunks):
        u0, u1 = chunk_range(n_units, n_chunks, c)
        _lean_chunk(cols, rules, cutoffs, u0 * n_waves, u1 * n_waves, block, pnum, pstate,
                    num, pattern, state, err[c])  # fmt: skip


@kernel(error_model="numpy")
def _lean_chunk(cols, rules, cutoffs, start, stop, block, pnum, pstate, num, pattern, state,
                err):  # fmt: skip
    """Rows ``start .. stop - 1`` (whole units) of the lean mode, block by block."""
    d = rules.shape[0]
    pat = np.zeros(block, np.int32)
    dummy = np.zeros(block)
    for i0 in range(start, stop, block):
        m = min(block, stop - i0)
        pat[:m] = 0
        for j in range(d):
            col = column(cols, j)
            bad = evaluate_lean(
                col,
                i0,
                m,
                rules[j],
                cutoffs[j],
                pat,
                np.int32(1 << j),
                np.int32(1 << (MISS_SHIFT + j)),
                False,
                0.0,
                dummy,
                dummy,
            )
            if bad and err[0] == 0:
                note_bad_flag(err, col, i0, m, j)
        for r in range(m):
            i = i0 + r
            p = pat[r]
            if p >> MISS_SHIFT:
                num[i] = -1
                pattern[i] = 0
                state[i] = UNOBSERVED
            else:
                num[i] = pnum[p]
                pattern[i] = p
                state[i] = pstate[p]


@kernel(parallel=True, error_model="numpy")
def _full_par(cols, rules, cutoffs, wint, denom, k_num, k_den, vul_num, vul_den, sev_num,
                 sev_den, n_waves, block, n_chunks, num, pattern, state, err):  # fmt: skip
    """Thin parallel loop of the full mode: one :func:`_full_chunk` per chunk of units."""
    n_units = state.shape[0] // n_waves
    for c in nb.prange(n_chunks):
        u0, u1 = chunk_range(n_units, n_chunks, c)
        _full_chunk(cols, rules, cutoffs, wint, denom, k_num, k_den, vul_num, vul_den,
                    sev_num, sev_den, u0 * n_waves, u1 * n_waves, block, num, pattern, state,
                    err[c])  # fmt: skip


@kernel(error_model="numpy")
def _full_chunk(cols, rules, cutoffs, wint, denom, k_num, k_den, vul_num, vul_den, sev_num,
                sev_den, start, stop, block, num, pattern, state, err):  # fmt: skip
    """Rows ``start .. stop - 1`` (whole units) of the full mode, block by block."""
    d = rules.shape[0]
    g = np.zeros((d, block), np.uint8)
    miss = np.zeros((d, block), np.uint8)
    bnum = np.zeros(block, np.int32)
    bnm = np.zeros(block, np.int32)
    dummy = np.zeros(block)
    for i0 in range(start, stop, block):
        m = min(block, stop - i0)
        bnum[:m] = 0
        bnm[:m] = 0
        for j in range(d):
            col = column(cols, j)
            bad = evaluate(
                col,
                i0,
                m,
                rules[j],
                cutoffs[j],
                np.int32(wint[j]),
                g[j],
                miss[j],
                bnum,
                bnm,
                False,
                0.0,
                dummy,
                dummy,
                dummy,
            )
            if bad and err[0] == 0:
                note_bad_flag(err, col, i0, m, j)
        for r in range(m):
            i = i0 + r
            if bnm[r]:
                num[i] = -1
                pattern[i] = 0
                state[i] = UNOBSERVED
                continue
            p = np.int64(0)
            for j in range(d):
                p |= np.int64(g[j, r]) << j
            num[i] = bnum[r]
            pattern[i] = p
            state[i] = _state_of(
                np.int64(bnum[r]), denom, k_num, k_den, vul_num, vul_den, sev_num, sev_den
            )


def unit_arrays(state: Any, weight: Any, cell: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``state`` (int8[N, T]), ``weight`` (float64[N]) and ``cell`` (int64[N]) as the
    read-only C-contiguous arrays the panel estimators' kernels are compiled for (one
    specialisation, whoever calls; no copy when they already are).

    Parameters
    ----------
    state, weight, cell : array_like
        State codes, unit weights and group cells.

    Returns
    -------
    tuple of numpy.ndarray
        The three arrays, read-only.
    """
    return (
        readonly_view(np.ascontiguousarray(state, np.int8)),
        readonly_view(np.ascontiguousarray(weight, np.float64)),
        readonly_view(np.ascontiguousarray(cell, np.int64)),
    )
