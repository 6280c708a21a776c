"""Alkire-Foster sufficient statistics in one fused pass over the units.

The kernel reads each indicator column once, evaluates the deprivation rule, computes the
unit's *exact* rational deprivation score, identifies the poor for every requested ``k``
and adds the unit's contribution to additive statistics of its cell (group, PSU, ...).
Nothing of size ``n x d`` is ever allocated: rules are evaluated on blocks of
``BLOCK`` units held in small per-thread buffers.

Statistics are plain weighted sums, so statistics of disjoint sets of units (threads,
chunks of a dask array, PSUs, groups) add up exactly; :mod:`mpi.finalize` turns them into
measures. This module imports only numpy and numba.

Cost does not grow with the number of cutoffs ``k``: each unit falls in one *bucket* (how
many of the sorted cutoffs its score reaches) and statistics are kept per bucket; cumulative
sums over buckets give the statistics per cutoff. See :func:`af_statistics` for the outputs.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ._config import CACHE, PARALLEL, cap_chunks, fixed_chunks

__all__ = [
    "Identification",
    "af_statistics",
    "rows_with_units",
    "RULE_CODES",
    "BLOCK",
    "chunk_count",
]

#: Deprivation rules understood by the kernel (``in`` and string comparisons are encoded
#: as 0/1 flags before the kernel runs).
RULE_CODES = {"flag": 0, "<": 1, "<=": 2, ">": 3, ">=": 4, "==": 5, "!=": 6}
FLAG, LT, LE, GT, GE, EQ, NE = 0, 1, 2, 3, 4, 5, 6

# per-bucket statistics (``bstat[C, K + 1, NBS]``)
SUMW, NOBS, SCORE, C2, M1, M2, VULNB, SEVERE = 0, 1, 2, 3, 4, 5, 6, 7
NBS = 8

# error codes written to ``err[:, 0]``
ERR_FLAG_VALUE = 1  # a 0/1 variable holds another value
ERR_NEG_WEIGHT = 2  # negative or infinite sampling weight
ERR_DENOMINATOR = 3  # reweighting needs a denominator too large for exact integers
ERR_CELL = 4  # a cell code outside 0 .. n_cells - 1 (or its chunk's range)

#: ``use_patterns`` modes: per unit, per pattern table, or lean patterns summed per unit.
UNITS, PATTERNS, DIRECT = 0, 1, 2
#: Pattern bits: 0 .. d-1 deprivations, MISS_SHIFT .. MISS_SHIFT+d-1 missing values (int32).
MISS_SHIFT = 15
#: Units per block of the per-thread buffers (d x BLOCK flags and gaps stay in L2 cache; larger
#: blocks amortise the per-column call and slicing overhead).
BLOCK = 4096
#: Fewest units per chunk (:func:`chunk_count`): two blocks, ~0.1 ms of work on one thread
#: (two chunks from 16,384 units on). Above that, the chunks' private sums bound their
#: number (:func:`~._config.cap_chunks`).
CHUNK = 2 * BLOCK
#: From this many cells on, each chunk sums only the range of cells it meets (one extra
#: scan of the cell codes); below, every chunk has private sums for all cells.
RANGE_MIN_CELLS = 4096
#: Largest common denominator of reweighted dimension shares (keeps products < 2**63).
MAX_REWEIGHT_DENOMINATOR = 10**6


def chunk_count(n: int) -> int:
    """Chunks of :func:`af_statistics` for ``n`` units: :func:`~._config.fixed_chunks` with at
    least :data:`CHUNK` units each (a function of ``n`` only, never of the thread count)."""
    return fixed_chunks(n, CHUNK)


class Identification(NamedTuple):
    """Who is deprived and who is poor: the rules, weights and cutoffs of the kernel.

    ``rules, cutoffs, cardinal`` (int64[d], float64[d], bool[d]): rule code
    (:data:`RULE_CODES`), cutoff ``z_j`` and cardinal flag per indicator. ``wint`` (int64[d]):
    weights as integers over the common denominator ``denom`` (``w_j = wint_j/denom``).
    ``dim_of`` (int64[d]): dimension index of each indicator (``0 .. n_dims-1``), for
    reweighting. ``k_num, k_den`` (int64[K]): poverty cutoffs ``k = k_num/k_den``, sorted
    ascending: poor iff ``score >= k``, decided exactly as ``N * k_den >= k_num * D`` for
    the unit's score ``N/D``. ``vul_num, vul_den, sev_num, sev_den``: vulnerability and
    severity cutoffs as fractions. ``reweight``: False drops units with a missing value
    (and counts them); True applies the OPHI rule, weights re-spread within each dimension
    over the observed indicators. ``use_patterns``: ``PATTERNS`` (1) accumulates the
    weights of fully observed units per *deprivation pattern* (the set of indicators a
    unit is deprived in, as bits; needs ``n_cells * 2**d`` small): every AF statistic
    except the cardinal gap terms is a function of the pattern, so a unit costs one
    addition instead of ``d + 8``. ``DIRECT`` (2): the same lean pattern evaluation, but
    each unit's sums are added to its cell at once from the pattern's precomputed score,
    bucket and bands (for many cells, e.g. PSU x group; ``d <= 15``). ``UNITS`` (0): unit
    by unit (any ``d``).
    """

    rules: np.ndarray
    cutoffs: np.ndarray
    cardinal: np.ndarray
    wint: np.ndarray
    dim_of: np.ndarray
    n_dims: int
    denom: int
    k_num: np.ndarray
    k_den: np.ndarray
    vul_num: int
    vul_den: int
    sev_num: int
    sev_den: int
    reweight: bool
    use_patterns: int


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _cell_at(cell, offset, major, n_minor, i):
    """Cell of unit ``i``: ``cell[i] - offset``, plus ``major[i] * n_minor`` when ``major``
    is given (e.g. PSU-major (PSU, group) cells, computed here instead of in a pass of
    their own; -1, an error, when ``cell[i] - offset`` is not in ``0 .. n_minor - 1``)."""
    c = cell[i] - offset
    if major.shape[0] > 0:
        if c < 0 or c >= n_minor:
            return -1
        c += major[i] * n_minor
    return c


@nb.njit(cache=CACHE, nogil=True, error_model="numpy")
def _evaluate(col, i0, m, rule, z, wj, gj, mj, num, nm, card, wf, m1, m2, gapj):
    """Deprivation flags of ``col[i0:i0+m]``, added to the integer scores.

    One branch-free loop per rule so that the compiler vectorises it (a rule test inside
    the loop costs about 5x). NaN compares false with everything, so a missing value is
    never deprived; ``!=`` masks it explicitly. ``col`` is float64 or int8 (compiled once
    per dtype): an integer compares with the float cutoff exactly as its float64 value
    would, and ``x != x`` (missing) is then always false. Returns the number of values of a 0/1
    flag column that are neither 0, 1 nor missing. :func:`_evaluate_lean` is the variant
    for pattern accumulation.
    """
    x = col[i0 : i0 + m]
    bad = 0
    if rule == LT and card:  # cardinal: also the gap terms M1 = c + sum w (gap - g)
        inv_z = 1.0 / z
        for r in range(m):
            xr = x[r]
            isn = xr != xr
            dep = xr < z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
            xc = xr if dep else z  # NaN and non-deprived values give a gap of exactly 0
            gg = min((z - xc) * inv_z, 1.0)
            gapj[r] = gg
            m1[r] += wf * (gg - dep)
            m2[r] += wf * (gg * gg - dep)
    elif rule == LT:
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] < z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    elif rule == LE:
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] <= z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    elif rule == GT:
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] > z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    elif rule == GE:
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] >= z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    elif rule == EQ:
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] == z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    elif rule == NE:
        for r in range(m):
            isn = x[r] != x[r]
            dep = (x[r] != z) & ~isn
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    else:  # FLAG: 1 = deprived; anything but 0, 1 or NaN is an error
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] == 1.0
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
            bad += (x[r] != 0.0) & ~dep & ~isn
    return bad


@nb.njit(cache=CACHE, nogil=True, error_model="numpy")
def _evaluate_lean(col, i0, m, rule, z, pat, bit, mbit, card, wf, m1, m2):
    """Pattern-accumulation variant of :func:`_evaluate`: per value only the deprivation bit
    ``bit`` and the missing bit ``mbit`` of the unit's pattern are set (and the gap terms of
    a cardinal indicator added), so each value costs one load and one or two updates.
    Returns the number of invalid values of a 0/1 flag column.
    """
    x = col[i0 : i0 + m]
    bad = 0
    if rule == LT and card:
        inv_z = 1.0 / z
        for r in range(m):
            xr = x[r]
            dep = xr < z
            pat[r] |= bit * dep | mbit * (xr != xr)
            xc = xr if dep else z  # NaN and non-deprived values give a gap of exactly 0
            gg = min((z - xc) * inv_z, 1.0)
            m1[r] += wf * (gg - dep)
            m2[r] += wf * (gg * gg - dep)
    elif rule == LT:
        for r in range(m):
            pat[r] |= bit * (x[r] < z) | mbit * (x[r] != x[r])
    elif rule == LE:
        for r in range(m):
            pat[r] |= bit * (x[r] <= z) | mbit * (x[r] != x[r])
    elif rule == GT:
        for r in range(m):
            pat[r] |= bit * (x[r] > z) | mbit * (x[r] != x[r])
    elif rule == GE:
        for r in range(m):
            pat[r] |= bit * (x[r] >= z) | mbit * (x[r] != x[r])
    elif rule == EQ:
        for r in range(m):
            pat[r] |= bit * (x[r] == z) | mbit * (x[r] != x[r])
    elif rule == NE:
        for r in range(m):
            isn = x[r] != x[r]
            pat[r] |= bit * ((x[r] != z) & ~isn) | mbit * isn
    else:  # FLAG
        for r in range(m):
            isn = x[r] != x[r]
            dep = x[r] == 1.0
            pat[r] |= bit * dep | mbit * isn
            bad += (x[r] != 0.0) & ~dep & ~isn
    return bad


@nb.njit(cache=CACHE, nogil=True)
def _chunk_plan(
    n, cell, cell_offset, n_cells, n_chunks, cell_block, cell_major, n_minor, blocks_sorted,
    use_patterns,
):  # fmt: skip
    """The chunks of :func:`_af_sums`, a function of the data and ``n_chunks`` only.

    Returns ``bounds`` (int64[n_chunks + 1]: chunk ``t`` holds units ``bounds[t] ..
    bounds[t + 1] - 1``; with ``cell_block`` each inner boundary moves to the next change of
    block), ``lo`` and ``size`` (int64[n_chunks]: the cells ``lo[t] .. lo[t] + size[t] - 1``
    of chunk ``t``'s private sums) and ``shared`` (the chunks meet disjoint, increasing ranges
    of cells and add straight into the output).
    """
    has_cell = cell.shape[0] > 0
    step = (n + n_chunks - 1) // n_chunks
    bounds = np.empty(n_chunks + 1, np.int64)
    bounds[0] = 0
    bounds[n_chunks] = n
    for t in range(1, n_chunks):
        b = max(min(n, t * step), bounds[t - 1])
        while has_cell and cell_block > 0 and 0 < b < n:  # move to the next change of block
            here = _cell_at(cell, cell_offset, cell_major, n_minor, b) // cell_block
            if here != _cell_at(cell, cell_offset, cell_major, n_minor, b - 1) // cell_block:
                break
            b += 1
        bounds[t] = b
    # each chunk keeps private sums for the range of cells it meets only (units sorted by
    # cell, e.g. by PSU, make the ranges disjoint and the private arrays small)
    lo = np.zeros(n_chunks, np.int64)
    size = np.full(n_chunks, n_cells, np.int64)
    ranged = has_cell and n_cells > RANGE_MIN_CELLS  # few cells: full private arrays are small
    if ranged:
        _cell_ranges(
            bounds, cell, cell_offset, n_cells, cell_block, cell_major, n_minor, blocks_sorted,
            lo, size,
        )  # fmt: skip
    # chunks meeting disjoint, increasing ranges of cells add into the shared output
    shared = ranged and cell_block > 0 and use_patterns != PATTERNS
    hi_prev = -1
    for t in range(n_chunks):
        if shared and bounds[t + 1] > bounds[t]:
            shared = lo[t] > hi_prev
            hi_prev = lo[t] + size[t] - 1
    return bounds, lo, size, shared


@nb.njit(parallel=PARALLEL, cache=CACHE, nogil=True)
def _cell_ranges(
    bounds, cell, cell_offset, n_cells, cell_block, cell_major, n_minor, blocks_sorted, lo, size
):  # fmt: skip
    """The range of cells ``lo[t] .. lo[t] + size[t] - 1`` that chunk ``t`` meets, written
    into ``lo`` and ``size``: from the chunk's first and last unit when ``blocks_sorted``,
    else from a pass over its units (in parallel)."""
    for t in nb.prange(bounds.shape[0] - 1):
        a0 = bounds[t]
        a1 = bounds[t + 1]
        if blocks_sorted and cell_block > 0 and a1 > a0:  # the range from the ends
            c0 = _cell_at(cell, cell_offset, cell_major, n_minor, a0)
            c1 = _cell_at(cell, cell_offset, cell_major, n_minor, a1 - 1)
            if 0 <= c0 < n_cells and 0 <= c1 < n_cells and c0 // cell_block <= c1 // cell_block:
                lo[t] = c0 // cell_block * cell_block
                size[t] = min(n_cells, (c1 // cell_block + 1) * cell_block) - lo[t]
                continue
        cmin = n_cells - 1
        cmax = 0
        for i in range(a0, a1):
            c = _cell_at(cell, cell_offset, cell_major, n_minor, i)
            if 0 <= c < n_cells:
                cmin = min(cmin, c)
                cmax = max(cmax, c)
        if cmax < cmin:
            cmin = 0
            cmax = 0
        lo[t] = cmin
        size[t] = cmax - cmin + 1


@nb.njit(parallel=PARALLEL, cache=CACHE, nogil=True, error_model="numpy")
def _af_sums(
    cols, ident, sweight, cell, cell_offset, n_cells, bounds, lo, size, shared, cell_major,
    n_minor, block, out,
):  # fmt: skip
    """:func:`af_statistics` into the output arrays ``out``, views of the flat ``block``
    (allocated by the caller, uninitialised), over the chunks of :func:`_chunk_plan`;
    returns ``err``. The threads zero the block first, a share each: ``np.zeros`` of a large
    array reuses freed heap memory and clears it on one thread, or faults fresh pages in on
    first write. Each chunk sums into private rows (or, ``shared``, straight into its own
    cells of the output); the private rows are added to the output in chunk order, so the
    result depends on the chunks, never on the threads that ran them."""
    n_chunks = bounds.shape[0] - 1
    for t in nb.prange(n_chunks):
        block[t * block.shape[0] // n_chunks : (t + 1) * block.shape[0] // n_chunks] = 0.0
    rules, cutoffs, cardinal, wint, dim_of = (
        ident.rules, ident.cutoffs, ident.cardinal, ident.wint, ident.dim_of
    )  # fmt: skip
    n_dims, denom, k_num, k_den = ident.n_dims, ident.denom, ident.k_num, ident.k_den
    vul_num, vul_den, sev_num, sev_den = ident.vul_num, ident.vul_den, ident.sev_num, ident.sev_den
    reweight, use_patterns = ident.reweight, ident.use_patterns
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    has_cell = cell.shape[0] > 0
    d = rules.shape[0]
    K = k_num.shape[0]
    nb_ = K + 1
    has_w = sweight.shape[0] > 0
    rows = 0 if shared else size.max()
    bstat = np.zeros((n_chunks, rows * nb_, NBS))
    bdep = np.zeros((n_chunks, rows * nb_, d))
    # reweighting corrections exist only with reweight=True (one dummy row otherwise)
    n_rw = rows * nb_ if reweight else 1
    bmissw = np.zeros((n_chunks, n_rw, d))
    bcadj = np.zeros((n_chunks, n_rw, d))
    ndrop = np.zeros((n_chunks, rows))
    nmiss = np.zeros((n_chunks, rows, d))
    err = np.zeros((n_chunks, 3))
    dim_w = np.zeros(n_dims, np.int64)
    for j in range(d):
        dim_w[dim_of[j]] += wint[j]
    fdenom = float(denom)
    wflt = np.empty(d)
    for j in range(d):
        wflt[j] = wint[j] / fdenom
    n_pat = 1 << d if use_patterns else 1
    direct = use_patterns == DIRECT
    n_tab = 1 if direct else rows  # DIRECT keeps no pattern table
    ptab = np.zeros((n_chunks, n_tab, 1 if direct else n_pat))
    pcnt = np.zeros((n_chunks, n_tab, 1 if direct else n_pat))
    pnum = np.zeros(n_pat, np.int64)  # integer score numerator of each pattern
    pbucket = np.zeros(n_pat, np.int64)  # its bucket: how many sorted cutoffs it reaches
    pscore = np.zeros(n_pat)  # its score as a float
    # vulnerable and severe cutoffs reached, as 0.0/1.0 (a branch on them mispredicts)
    pvul = np.zeros(n_pat)
    psev = np.zeros(n_pat)
    if use_patterns:
        for p in range(n_pat):
            for j in range(d):
                if (p >> j) & 1:
                    pnum[p] += wint[j]
            bk = 0
            while bk < K and pnum[p] * k_den[bk] >= k_num[bk] * denom:
                bk += 1
            pbucket[p] = bk
            pscore[p] = pnum[p] / fdenom
            pvul[p] = 1.0 if pnum[p] * vul_den >= vul_num * denom else 0.0
            psev[p] = 1.0 if pnum[p] * sev_den >= sev_num * denom else 0.0
    has_card = False
    for j in range(d):
        has_card |= cardinal[j]
    ud = np.uint64(d)
    one = np.uint64(1)
    for t in nb.prange(n_chunks):
        start = bounds[t]
        stop = bounds[t + 1]
        g = np.zeros((d, BLOCK), np.uint8)
        miss = np.zeros((d, BLOCK), np.uint8)
        gap = np.zeros((d, BLOCK))
        # int32 is enough: a score numerator is at most sum_j wint_j = denom <= 1e6
        num = np.zeros(BLOCK, np.int32)
        nm = np.zeros(BLOCK, np.int32)
        pat = np.zeros(BLOCK, np.int32)
        m1 = np.zeros(BLOCK)
        m2 = np.zeros(BLOCK)
        a = np.zeros(n_dims, np.int64)
        b = np.zeros(n_dims, np.int64)
        weff = np.zeros(d)
        if shared:  # this chunk's cells are its own: add into the output directly
            st = o_stat
            dep_acc = o_dep
            nd_acc = o_drop
            nm_acc = o_miss
            mw_acc = o_missw if reweight else bmissw[t]
            ca_acc = o_cadj if reweight else bcadj[t]
            c_lo = 0
        else:
            st = bstat[t]
            dep_acc = bdep[t]
            nd_acc = ndrop[t]
            nm_acc = nmiss[t]
            mw_acc = bmissw[t]
            ca_acc = bcadj[t]
            c_lo = lo[t]
        c_end = lo[t] + size[t]  # the chunk's cells: lo[t] .. c_end - 1
        for i0 in range(start, stop, BLOCK):
            m = min(BLOCK, stop - i0)
            num[:m] = 0
            nm[:m] = 0
            pat[:m] = 0
            m1[:m] = 0.0
            m2[:m] = 0.0
            # pass 1, column by column: deprivation, integer score, gaps (vectorisable loops)
            for j in range(d):
                col = cols[j]
                rule = rules[j]
                z = cutoffs[j]
                wj = np.int32(wint[j])
                wf = wflt[j]
                gj = g[j]
                mj = miss[j]
                if use_patterns:
                    bad = _evaluate_lean(
                        col, i0, m, rule, z, pat, np.int32(1 << j), np.int32(1 << (MISS_SHIFT + j)),
                        cardinal[j], wf, m1, m2,
                    )
                else:
                    bad = _evaluate(
                        col, i0, m, rule, z, wj, gj, mj, num, nm, cardinal[j], wf, m1, m2, gap[j],
                    )
                if bad and err[t, 0] == 0:
                    for r in range(m):
                        x = col[i0 + r]
                        if x == x and x != 0.0 and x != 1.0:
                            err[t, 0] = ERR_FLAG_VALUE
                            err[t, 1] = j
                            err[t, 2] = x
                            break
            # pass 2, unit by unit: weight, missing values, exact identification
            for r in range(m):
                i = i0 + r
                nmr = nm[r]
                if use_patterns:  # missing values live in the pattern's high bits
                    nmr = pat[r] >> MISS_SHIFT
                    if nmr:
                        for j in range(d):
                            miss[j, r] = (nmr >> j) & 1
                c = 0
                if has_cell:
                    c = _cell_at(cell, cell_offset, cell_major, n_minor, i)
                    if c < lo[t] or c >= c_end:  # outside 0 .. n_cells - 1, or its chunk's
                        if err[t, 0] == 0:
                            err[t, 0] = ERR_CELL
                            err[t, 1] = i
                            err[t, 2] = cell[i]
                        c = c_lo
                    c -= c_lo  # the chunk's private row
                s = 1.0
                if has_w:
                    s = sweight[i]
                    if s != s:
                        nd_acc[c] += 1.0
                        if nmr:
                            for j in range(d):
                                nm_acc[c, j] += miss[j, r]
                        continue
                    if (s < 0.0 or s == np.inf) and err[t, 0] == 0:
                        err[t, 0] = ERR_NEG_WEIGHT
                        err[t, 1] = i
                        err[t, 2] = s
                if use_patterns and nmr == 0:  # fast path: one addition per unit
                    if direct:  # per-unit sums from the pattern's precomputed facts
                        # unsigned indices: no negative-index tests, the updates vectorise
                        pp = np.uint64(pat[r])
                        cbi = np.uint64(c * nb_ + pbucket[pp])
                        sc = pscore[pp]
                        st[cbi, SUMW] += s
                        st[cbi, NOBS] += 1.0
                        st[cbi, SCORE] += s * sc
                        st[cbi, C2] += s * sc * sc
                        st[cbi, M1] += s * (sc + m1[r])
                        st[cbi, M2] += s * (sc + m2[r])
                        st[cbi, VULNB] += s * pvul[pp]
                        st[cbi, SEVERE] += s * psev[pp]
                        for j in range(ud):  # branch-free: bit j of the pattern is 0 or 1
                            dep_acc[cbi, j] += s * ((pp >> j) & one)
                        continue
                    ptab[t, c, pat[r]] += s
                    pcnt[t, c, pat[r]] += 1.0
                    if has_card:  # gap terms; the score part is added per pattern below
                        cbi = c * nb_ + pbucket[pat[r]]
                        st[cbi, M1] += s * m1[r]
                        st[cbi, M2] += s * m2[r]
                    continue
                unum = np.int64(num[r])
                uden = np.int64(denom)
                um1 = unum / fdenom + m1[r]
                um2 = unum / fdenom + m2[r]
                if nmr:
                    for j in range(d):
                        nm_acc[c, j] += miss[j, r]
                    if not reweight:
                        nd_acc[c] += 1.0
                        continue
                    if use_patterns:  # lean pass 1: flags from the pattern, gaps recomputed
                        for j in range(d):
                            g[j, r] = (pat[r] >> j) & 1
                            if cardinal[j] and g[j, r]:
                                gg = (cutoffs[j] - cols[j][i]) / cutoffs[j]
                                gap[j, r] = gg if gg < 1.0 else 1.0
                    # OPHI reweighting: shares within each dimension over observed indicators
                    a[:] = 0
                    b[:] = 0
                    for j in range(d):
                        if not miss[j, r]:
                            b[dim_of[j]] += wint[j]
                            if g[j, r]:
                                a[dim_of[j]] += wint[j]
                    empty = False
                    big = 1
                    for q in range(n_dims):
                        if b[q] == 0:
                            empty = True
                        elif b[q] != dim_w[q]:
                            big = big // _gcd(big, b[q]) * b[q]
                    if empty or big > MAX_REWEIGHT_DENOMINATOR:
                        if not empty and err[t, 0] == 0:
                            err[t, 0] = ERR_DENOMINATOR
                            err[t, 1] = i
                            err[t, 2] = big
                        nd_acc[c] += 1.0
                        continue
                    unum = 0
                    for q in range(n_dims):
                        if b[q] == dim_w[q]:  # fully observed: a_q / L = a_q * big / (L * big)
                            unum += a[q] * big
                        else:  # reweighted: W_q a_q / (b_q L), and b_q divides big
                            unum += dim_w[q] * a[q] * (big // b[q])
                    uden = denom * big
                    um1 = 0.0
                    um2 = 0.0
                    for j in range(d):
                        q = dim_of[j]
                        if miss[j, r]:
                            weff[j] = 0.0
                        else:
                            weff[j] = dim_w[q] * wint[j] / (b[q] * fdenom)
                        gg = (gap[j, r] if cardinal[j] else 1.0) if g[j, r] else 0.0
                        um1 += weff[j] * gg
                        um2 += weff[j] * gg * gg
                score = unum / uden
                bucket = 0
                while bucket < K and unum * k_den[bucket] >= k_num[bucket] * uden:
                    bucket += 1
                cbi = c * nb_ + bucket
                st[cbi, SUMW] += s
                st[cbi, NOBS] += 1.0
                st[cbi, SCORE] += s * score
                st[cbi, C2] += s * score * score
                st[cbi, M1] += s * um1
                st[cbi, M2] += s * um2
                if unum * vul_den >= vul_num * uden:
                    st[cbi, VULNB] += s
                if unum * sev_den >= sev_num * uden:
                    st[cbi, SEVERE] += s
                for j in range(d):  # branch-free: g is 0 or 1
                    dep_acc[cbi, j] += s * g[j, r]
                if nmr:  # reweighted unit: observed-weight and contribution corrections
                    for j in range(d):
                        if miss[j, r]:
                            mw_acc[cbi, j] += s
                        elif g[j, r]:
                            ca_acc[cbi, j] += s * (weff[j] - wflt[j])
        if use_patterns and not direct:  # patterns -> statistics (exact identification)
            for c in range(size[t]):
                for p in range(n_pat):
                    w = ptab[t, c, p]
                    cnt = pcnt[t, c, p]
                    if cnt == 0.0:
                        continue
                    unum = pnum[p]
                    score = unum / fdenom
                    cbi = c * nb_ + pbucket[p]
                    st[cbi, SUMW] += w
                    st[cbi, NOBS] += cnt
                    st[cbi, SCORE] += w * score
                    st[cbi, C2] += w * score * score
                    st[cbi, M1] += w * score
                    st[cbi, M2] += w * score
                    if unum * vul_den >= vul_num * denom:
                        st[cbi, VULNB] += w
                    if unum * sev_den >= sev_num * denom:
                        st[cbi, SEVERE] += w
                    for j in range(d):
                        if (p >> j) & 1:
                            dep_acc[cbi, j] += w
    for t in range(n_chunks if not shared else 0):  # merge the chunks' rows, in chunk order
        r0 = lo[t] * nb_
        nr = size[t] * nb_
        _add_rows(o_stat, bstat[t], r0, nr)
        _add_rows(o_dep, bdep[t], r0, nr)
        if reweight:
            _add_rows(o_missw, bmissw[t], r0, nr)
            _add_rows(o_cadj, bcadj[t], r0, nr)
        _add_cells(o_drop, ndrop[t], lo[t], size[t])
        _add_rows(o_miss, nmiss[t], lo[t], size[t])
    return err


@nb.njit(cache=CACHE, nogil=True)
def _add_rows(dst, src, r0, n):
    """``dst[r0 + i] += src[i]`` for the first ``n`` rows of ``src`` (2-D). A plain loop in
    a function of its own: in the ``parallel=True`` kernel an array expression is a parallel
    region per call (per chunk)."""
    for i in range(n):
        for j in range(dst.shape[1]):
            dst[r0 + i, j] += src[i, j]


@nb.njit(cache=CACHE, nogil=True)
def _add_cells(dst, src, r0, n):
    """``dst[r0 + i] += src[i]`` for ``i < n`` (1-D); see :func:`_add_rows`."""
    for i in range(n):
        dst[r0 + i] += src[i]


@nb.njit(cache=CACHE, nogil=True)
def rows_with_units(bstat, ndrop):
    """Which cells of :func:`af_statistics`'s outputs hold a unit: ``ndrop[c] + sum_b
    bstat[c, b, NOBS] > 0`` (every unit is counted once, dropped or in a bucket), in one
    pass over the rows."""
    out = np.empty(ndrop.shape[0], np.bool_)
    for c in range(ndrop.shape[0]):
        n = ndrop[c]
        for b in range(bstat.shape[1]):
            n += bstat[c, b, NOBS]
        out[c] = n > 0.0
    return out


_NO_MAJOR = np.empty(0, np.int64)
_NO_MAJOR.flags.writeable = False


def _private_bytes(rows: int, ident: Identification) -> int:
    """Bytes of one chunk's private sums in :func:`_af_sums` for ``rows`` cells."""
    d = len(ident.rules)
    nb_ = len(ident.k_num) + 1
    per_cell = nb_ * (NBS + d) + 1 + d
    if ident.reweight:
        per_cell += 2 * nb_ * d
    if ident.use_patterns == PATTERNS:  # weight and count per deprivation pattern
        per_cell += 2 << d
    return 8 * rows * per_cell


def _plan(
    n, ident, cell, cell_offset, n_cells, n_chunks, cell_block, major, n_minor, blocks_sorted
):  # fmt: skip
    """:func:`_chunk_plan` with at most ``n_chunks`` chunks, fewer (:func:`cap_chunks`) when
    their private sums would take too much memory. Depends on the data and ``n_chunks``
    only, never on the threads."""
    while True:
        bounds, lo, size, shared = _chunk_plan(
            n, cell, cell_offset, n_cells, n_chunks, cell_block, major, n_minor, blocks_sorted,
            ident.use_patterns,
        )  # fmt: skip
        rows = 0 if shared else int(size.max())
        fewer = cap_chunks(n_chunks, n, _private_bytes(rows, ident))
        if fewer == n_chunks:
            return bounds, lo, size, shared
        n_chunks = fewer


def af_statistics(
    cols, ident, sweight, cell, cell_offset, n_cells, n_chunks, cell_block=0, cell_major=None,
    n_minor=0, blocks_sorted=False,
):  # fmt: skip
    """Additive AF statistics per cell and *bucket*, one pass over the units.

    A unit's bucket ``b`` is the number of cutoffs (sorted ascending) its score reaches,
    so it is poor at cutoff ``kk`` exactly when ``b > kk``. Statistics per bucket turn into
    statistics per cutoff by cumulative sums (:func:`mpi.measure`), so the cost does not grow
    with the number of cutoffs.

    Parameters
    ----------
    cols : numba.typed.List of float64[:] or of int8[:]
        One achievement (or 0/1 flag) column per indicator; NaN marks a missing value.
        All columns have one dtype: int8 (0/1 flags and small integer codes without
        missing values, read in place) gives the same statistics as their float64 values.
        Each dtype is a specialisation of its own, compiled on first use (tens of seconds)
        and then cached on disk.
    ident : Identification
        Rules, weights and cutoffs; how missing values are handled and units are summed.
    sweight : float64[n] or float64[0]
        Sampling weights (empty: every unit weighs 1). NaN drops the unit.
    cell : int64[n] or int64[0]
        Cell code plus ``cell_offset`` of each unit (empty: a single cell).
    cell_offset, n_cells : int
        Subtracted from ``cell``; the number of cells ``C``.
    n_chunks : int
        Most contiguous chunks of units (:func:`chunk_count`), each with private sums merged
        in chunk order; fewer when their private sums would take too much memory
        (:func:`~._config.cap_chunks`). The chunks depend on the data and ``n_chunks``
        only, so the statistics carry the same bits for any number of threads.
    cell_block : int
        ``> 0``: cell codes come in blocks of this many consecutive codes (e.g. the groups
        of one PSU, PSU-major). Chunk boundaries then move to the next change of block, and
        when the chunks meet disjoint ranges of cells (units sorted by block) they add
        straight into the shared output instead of private sums merged at the end.
    cell_major : int64[n] or None
        Given: the cell of unit ``i`` is ``cell_major[i] * n_minor + cell[i] - cell_offset``
        (e.g. PSU-major (PSU, group) cells without a per-unit array of them).
    n_minor : int
        Cells per value of ``cell_major``.
    blocks_sorted : bool
        The caller knows that the units' blocks of cells (``cell // cell_block``) never
        decrease (e.g. a file sorted by PSU): each chunk's range of cells is then read from
        its first and last unit instead of a pass over its units. A unit outside its
        chunk's range is an error (ERR_CELL), never a write elsewhere.

    Returns
    -------
    bstat : float64[C, K+1, NBS]
        Per cell and bucket: ``SUMW, NOBS, SCORE`` (sum ``s c``), ``C2`` (sum ``s c^2``),
        ``M1, M2`` (sum ``s sum_j w_ij gamma_ij^alpha``), ``VULNB`` (sum ``s`` with
        ``c >= vulnerable``), ``SEVERE`` (sum ``s`` with ``c >= severe``).
    bdep : float64[C, K+1, d]
        Sum of ``s g_ij`` over used units.
    bmissw : float64[C, K+1, d]
        Sum of ``s`` over used (reweighted) units with indicator ``j`` missing (shape
        ``(0, K+1, d)`` when ``reweight`` is False: there are none).
    bcadj : float64[C, K+1, d]
        Sum of ``s (w_ij - w_j) g_ij``: contribution adjustment of reweighted units (empty
        likewise without ``reweight``).
    ndrop : float64[C]
        Units dropped for missing values.
    nmiss : float64[C, d]
        Units (used or dropped) with indicator ``j`` missing.
    err : float64[chunks, 3]
        ``(code, where, value)`` of the first error met by each chunk (0 if none).
    """
    if n_chunks < 1:
        raise ValueError(f"n_chunks must be at least 1; got {n_chunks}")
    d = len(ident.rules)
    nb_ = len(ident.k_num) + 1
    n_rw = n_cells if ident.reweight else 0  # no corrections without reweighting
    # one block carved into the outputs: numpy asks for huge pages from 4 MiB on
    shapes = (
        (n_cells * nb_, NBS),
        (n_cells * nb_, d),
        (n_rw * nb_, d),
        (n_rw * nb_, d),
        (n_cells,),
        (n_cells, d),
    )
    sizes = [int(np.prod(sh)) for sh in shapes]
    block = np.empty(sum(sizes))  # zeroed by the kernel's threads
    ends = np.cumsum(sizes)
    out = tuple(
        block[e - z : e].reshape(sh) for sh, z, e in zip(shapes, sizes, ends, strict=True)
    )
    major = _NO_MAJOR if cell_major is None else cell_major
    bounds, lo, size, shared = _plan(
        cols[0].shape[0], ident, cell, cell_offset, n_cells, n_chunks, cell_block, major,
        n_minor, bool(blocks_sorted),
    )  # fmt: skip
    err = _af_sums(
        cols, ident, sweight, cell, cell_offset, n_cells, bounds, lo, size, shared, major,
        n_minor, block, out,
    )  # fmt: skip
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    return (
        o_stat.reshape((n_cells, nb_, NBS)),
        o_dep.reshape((n_cells, nb_, d)),
        o_missw.reshape((n_rw, nb_, d)),
        o_cadj.reshape((n_rw, nb_, d)),
        o_drop,
        o_miss,
        err,
    )
