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

import numba as nb
import numpy as np

from ._config import cap_chunks, chunk_range, fixed_chunks, kernel
from .af_layout import BLOCK
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


@kernel(parallel=True, error_model="numpy")
def panel_scores(
    cols,
    rules,
    cutoffs,
    wint,
    denom,
    n_waves,
    k_num,
    k_den,
    vul_num,
    vul_den,
    sev_num,
    sev_den,
    n_chunks,
    num,
    pattern,
    state,
):
    """Score numerator, deprivation pattern and state of every unit-wave, written into
    ``num``, ``pattern`` and ``state``.

    Parameters
    ----------
    cols : numba.typed.List of float64[n]
        One column per indicator, rows ``i * n_waves + t``; NaN marks a missing value.
    rules, cutoffs : int64[d], float64[d]
        Rule codes (:data:`mpi.kernels.rules.RULE_CODES`) and cutoffs.
    wint : int64[d]
        Weights as integers over ``denom``.
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
    n = cols[0].shape[0]
    d = rules.shape[0]
    n_units = n // n_waves
    block = max(1, BLOCK // n_waves) * n_waves  # whole units per block
    # no sums here, so the chunks change no bit; fewer of them when each chunk's fresh
    # buffers (flags, scores, patterns of a block) outweigh its share of the work
    n_chunks = cap_chunks(n_chunks, n_units, block * (2 * d + 20))
    err = np.zeros((n_chunks, 3))
    lean = d <= MISS_SHIFT
    # lean mode: per value only a deprivation bit and a missing bit are set; the score and
    # the state of each of the 2**d patterns are looked up in tables built once here
    n_pat = 1 << d if lean else 1
    pnum = np.zeros(n_pat, np.int32)
    pstate = np.zeros(n_pat, np.int8)
    if lean:
        for p in range(n_pat):
            sc = np.int64(0)
            for j in range(d):
                if (p >> j) & 1:
                    sc += wint[j]
            pnum[p] = sc
            pstate[p] = _state_of(sc, denom, k_num, k_den, vul_num, vul_den, sev_num, sev_den)
    for c in nb.prange(n_chunks):
        u0, u1 = chunk_range(n_units, n_chunks, c)
        start, stop = u0 * n_waves, u1 * n_waves  # rows of whole units (n = n_units * T)
        g = np.zeros((d, block), np.uint8)
        miss = np.zeros((d, block), np.uint8)
        bnum = np.zeros(block, np.int32)
        bnm = np.zeros(block, np.int32)
        pat = np.zeros(block, np.int32)
        dummy = np.zeros(block)
        for i0 in range(start, stop, block):
            m = min(block, stop - i0)
            if lean:
                pat[:m] = 0
            else:
                bnum[:m] = 0
                bnm[:m] = 0
            for j in range(d):
                if lean:
                    bad = evaluate_lean(
                        cols[j],
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
                else:
                    bad = evaluate(
                        cols[j],
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
                if bad and err[c, 0] == 0:
                    note_bad_flag(err[c], cols[j], i0, m, j)
            if lean:
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
                continue
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
    return err


@kernel(inline="always")
def _state_of(s, denom, k_num, k_den, vul_num, vul_den, sev_num, sev_den):
    """State code of an observed score ``s / denom`` (exact integer comparisons)."""
    if s * k_den >= k_num * denom:  # poor; severe is a band among the poor
        return SEVERE if s * sev_den >= sev_num * denom else POOR
    if s * vul_den >= vul_num * denom:
        return VULNERABLE
    return NONPOOR
