"""The AF kernel's pass over the units: per-bucket sums of every cell (numpy + numba only).

:func:`af_sums` and :func:`af_sums_lean` run the chunks of :func:`.af_chunks.plan_chunks` in
parallel; each is a thin ``prange`` loop over a serial body compiled once, without numba's
parfor passes (which on a big function cost more than the function itself):
:func:`_lean_chunk` for deprivation patterns without reweighting (the lean loop: every rule
sets one bit per value, a unit with a missing value is only counted), :func:`_full_chunk` for
everything (unit by unit, or patterns with the OPHI reweighting). The caller
(:func:`.af.af_statistics`) chooses the body, allocates the chunks' private rows and the
per-pattern facts (numpy) and merges the private rows in chunk order, so the sums depend on
the chunks, never on the threads.

Per block of :data:`~.af_layout.BLOCK` units a body evaluates the rules column by column
(:mod:`.rules`), then identifies each unit exactly (integer scores) and adds it to its cell's
bucket: straight from its deprivation pattern, to a pattern table, or unit by unit with
reweighting (see :class:`.af.Identification`). Each chunk sums into private rows or, when the
chunks meet disjoint ranges of cells, straight into the output.

In the lean body a *clean* block (weighted units, none with a missing value, every cell in the
chunk's range, every weight finite and >= 0) is summed without the per-unit checks; any other
block takes the checked loop, so sums, counts and first errors are those of the checked loop
bit for bit (``tests/kernels/test_af_clean_blocks.py``). At 1e7 units x 10 indicators x 5
groups on 2 threads (AMD EPYC Zen 3, 25 interleaved calls) the pass took 110.8 ms at best and
132 ms at the median, against 120.6 and 155 ms with the checks in every unit's loop.

The checks of a block's weights and cells are integer maximum reductions (:mod:`.af_clean`:
a weight is finite and >= 0 iff its bits are below those of +inf), and they are made while
the block before it is summed, in the same loop: as a pass of their own they were the first
reads of those columns from memory and cost 7-10 ms of the 1e7-unit pass, overlapped with
the sums almost nothing (AMD EPYC Zen 5, 15 interleaved calls
of ``mpi.measure``: 94-95 ms -> 81-83 ms at best; the design pass into 5e5 (PSU, group) rows
134-136 -> 121-122 ms).

The unit loops of a block also prefetch the next block's values (:mod:`.prefetch`, one hint
per cache line of each column): each column's slice of a block is one 4 KB page, where the
processor's stream prefetchers stop, so without the hints pass 1 of every block waited on
memory. With them ``mpi.measure`` at 1e7 units took 45-47 ms instead of 76-78 ms (Zen 5, 15
interleaved calls), 1.12x one read of the data (``X.sum()``), and the design call 94 ms
instead of 129 ms. The full body prefetches the same way (its blocks of 4096 units span
eight pages per column): at 1e7 units x 20 indicators (unit by unit, as more than 15
indicators are) ``mpi.measure`` took 213-215 ms instead of 259-260 ms.

The unit loop keeps its pattern-table step inline on purpose: moved into a helper function
(even ``inline="always"``) it cost about 2% of the kernel's time (1e6 units, same-run A/B,
both import orders; on Zen 5 one ``add_unit`` helper for the lean body's two loops and the
full body made the point pass at 1e7 units 105 ms instead of 48 ms, and the design pass 146
ms instead of 93 ms). The DIRECT mode's per-unit update is one helper for both bodies
(:func:`add_direct`, ``inline="always"``): three alternated runs of each version at 1e7
units (the design pass into 5e5 (PSU, group) rows: 165-169 ms either way) showed no cost. The OPHI reweighting is :func:`.reweight.reweighted_score`, shared with
unit-level identification so the formula is written once; called ``inline="always"`` with
the block's flag arrays and the unit's column it costs nothing measurable against the former
inline copy.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import kernel, weight_missing
from .af_chunks import cell_at
from .af_clean import weights_cells_max, weights_cells_ok
from .af_layout import (
    BLOCK,
    C2,
    DIRECT,
    ERR_CELL,
    ERR_DENOMINATOR,
    ERR_NEG_WEIGHT,
    LEAN_BLOCK,
    M1,
    M2,
    NOBS,
    PG1,
    PG2,
    PN,
    PW,
    SCORE,
    SEVERE,
    SUMW,
    VULNB,
)
from .columns import column
from .prefetch import prefetch
from .reweight import OK as RW_OK
from .reweight import TOO_BIG as RW_TOO_BIG
from .reweight import reweighted_score
from .rules import MISS_SHIFT, evaluate, evaluate_lean, note_bad_flag

__all__ = ["af_sums", "af_sums_lean", "lean_scratch", "pattern_facts", "merge_private"]


def pattern_facts(ident, n_pat):
    """Per deprivation pattern ``p`` (bit ``j`` set: deprived in indicator ``j``; ``n_pat``
    of them): the integer score numerator, the bucket (how many sorted cutoffs it reaches),
    the score as a float and whether it reaches the vulnerable and severe cutoffs, as
    0.0/1.0 (a branch on them mispredicts). numpy, exact integers; zeros unless
    ``ident.use_patterns``.

    Parameters
    ----------
    ident : Identification
        Weights and cutoffs.
    n_pat : int
        Number of patterns (``2**d``, or 1 without patterns).

    Returns
    -------
    tuple of numpy.ndarray
        ``pnum, pbucket`` (int64[n_pat]), ``pscore, pvul, psev`` (float64[n_pat]).
    """
    wint = np.asarray(ident.wint, np.int64)
    denom = int(ident.denom)
    if not ident.use_patterns:
        zi = np.zeros(n_pat, np.int64)
        zf = np.zeros(n_pat)
        return zi, zi.copy(), zf, zf.copy(), zf.copy()
    bits = (np.arange(n_pat, dtype=np.int64)[:, None] >> np.arange(wint.shape[0])) & 1
    pnum = bits @ wint  # exact: int64
    k_num = np.asarray(ident.k_num, np.int64)
    k_den = np.asarray(ident.k_den, np.int64)
    # cutoffs sorted ascending: the bucket is the number reached (the first failure ends it)
    reach = pnum[:, None] * k_den[None, :] >= k_num[None, :] * denom
    pbucket = np.cumprod(reach, axis=1).sum(axis=1).astype(np.int64)
    pscore = pnum / float(denom)
    pvul = (pnum * ident.vul_den >= ident.vul_num * denom).astype(np.float64)
    psev = (pnum * ident.sev_den >= ident.sev_num * denom).astype(np.float64)
    return pnum, pbucket, pscore, pvul, psev


def lean_scratch(k):
    """The buffers of :func:`af_sums_lean`'s ``k`` chunks, allocated here rather than in
    the kernel (each ``np.zeros`` signature in a kernel compiles numba's allocation code):
    the patterns (int32[k, BLOCK]) and the gap terms ``m1, m2`` (float64[k, 2, BLOCK]) of
    one block.

    Parameters
    ----------
    k : int
        Number of chunks.

    Returns
    -------
    tuple of numpy.ndarray
    """
    return np.zeros((k, LEAN_BLOCK), np.int32), np.zeros((k, 2, LEAN_BLOCK))


def merge_private(out, private, lo, size, nb_, reweight):
    """The chunks' private rows ``private`` (``bstat, bdep, bmissw, bcadj, ndrop, nmiss``,
    chunks first; chunk ``t`` holds cells ``lo[t] .. lo[t] + size[t] - 1``) added to the
    outputs ``out`` in chunk order (numpy, one slice per chunk and output), so the sums
    depend on the chunks, never on the threads.

    Parameters
    ----------
    out : tuple of numpy.ndarray
        ``o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss``, added to in place.
    private : tuple of numpy.ndarray
        The chunks' private rows, in the same order.
    lo, size : numpy.ndarray
        int64[chunks]: each chunk's first cell and number of cells.
    nb_ : int
        Buckets per cell.
    reweight : bool
        Whether the reweighting corrections exist.
    """
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    bstat, bdep, bmissw, bcadj, ndrop, nmiss = private
    for t in range(lo.shape[0]):
        c0, nc = int(lo[t]), int(size[t])
        r0, nr = c0 * nb_, nc * nb_
        o_stat[r0 : r0 + nr] += bstat[t, :nr]
        o_dep[r0 : r0 + nr] += bdep[t, :nr]
        if reweight:
            o_missw[r0 : r0 + nr] += bmissw[t, :nr]
            o_cadj[r0 : r0 + nr] += bcadj[t, :nr]
        o_drop[c0 : c0 + nc] += ndrop[t, :nc]
        o_miss[c0 : c0 + nc] += nmiss[t, :nc]


@kernel(inline="always")
def flush_patterns(ptab, st, dep_acc, ident, facts, n_rows, nb_):
    """A chunk's per-pattern sums ``ptab`` (cells ``0 .. n_rows - 1``, :data:`NPT` fields)
    added to its per-bucket statistics ``st`` and deprivations ``dep_acc``: every statistic
    but the gap terms is a function of the pattern (score, bucket, bands from the exact
    integer numerator ``pnum``), so identification stays exact; the units' gap terms were
    summed per pattern."""
    pnum, pbucket = facts[0], facts[1]
    denom, d = ident.denom, ident.rules.shape[0]
    vul_num, vul_den, sev_num, sev_den = ident.vul_num, ident.vul_den, ident.sev_num, ident.sev_den
    fdenom = float(denom)
    for c in range(n_rows):
        for p in range(ptab.shape[1]):
            cnt = ptab[c, p, PN]
            if cnt == 0.0:
                continue
            w = ptab[c, p, PW]
            unum = pnum[p]
            score = unum / fdenom
            cbi = c * nb_ + pbucket[p]
            st[cbi, SUMW] += w
            st[cbi, NOBS] += cnt
            st[cbi, SCORE] += w * score
            st[cbi, C2] += w * score * score
            st[cbi, M1] += w * score + ptab[c, p, PG1]
            st[cbi, M2] += w * score + ptab[c, p, PG2]
            if unum * vul_den >= vul_num * denom:
                st[cbi, VULNB] += w
            if unum * sev_den >= sev_num * denom:
                st[cbi, SEVERE] += w
            for j in range(d):
                if (p >> j) & 1:
                    dep_acc[cbi, j] += w


@kernel(inline="always")
def add_direct(st, dep_acc, c, nb_, pattern, s, m1, m2, facts, ud):
    """One fully observed unit of weight ``s`` added to row ``c`` of the DIRECT mode's
    per-bucket statistics ``st`` and deprivations ``dep_acc``: its score, bucket and bands
    are the precomputed facts of its deprivation pattern (exact identification), ``m1, m2``
    its gap terms. Unsigned indices: no negative-index tests, the updates vectorise."""
    pscore, pvul, psev = facts[2], facts[3], facts[4]
    pp = np.uint64(pattern)
    cbi = np.uint64(c * nb_ + facts[1][pp])
    sc = pscore[pp]
    st[cbi, SUMW] += s
    st[cbi, NOBS] += 1.0
    st[cbi, SCORE] += s * sc
    st[cbi, C2] += s * sc * sc
    st[cbi, M1] += s * (sc + m1)
    st[cbi, M2] += s * (sc + m2)
    st[cbi, VULNB] += s * pvul[pp]
    st[cbi, SEVERE] += s * psev[pp]
    one = np.uint64(1)
    for j in range(ud):  # branch-free: bit j of the pattern is 0 or 1
        dep_acc[cbi, j] += s * ((pp >> j) & one)


@kernel(error_model="numpy")
def _lean_chunk(cols, ident, data, plan, out, private, facts, scratch, errors, t):
    """Chunk ``t`` of :func:`af_sums_lean` (a pattern mode without reweighting).

    The chunk's units are ``bounds[t] .. bounds[t + 1] - 1`` and its cells ``lo[t] ..
    lo[t] + size[t] - 1`` (``plan = (bounds, lo, size, shared)``); it adds into its private
    rows (``private = (bstat, bdep, ndrop, nmiss, ptab)``, chunks first; ``ptab`` the
    per-pattern sums, :data:`~.af_layout.NPT` fields) or, ``shared``,
    into ``out``; ``data = (sweight, cell, cell_offset, cell_major, n_minor)``; ``facts``
    the per-pattern facts (:func:`pattern_facts`); ``errors[t]`` its first error. A unit
    with a missing value is counted (``ndrop``, ``nmiss``) and dropped.
    """
    sweight, cell, cell_offset, cell_major, n_minor = data
    bounds, lo, size, shared = plan
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    bstat, bdep, ndrop, nmiss, ptab_all = private
    start, stop = bounds[t], bounds[t + 1]
    c_first, c_end, n_rows = lo[t], lo[t] + size[t], size[t]
    c_lo = 0 if shared else lo[t]
    st = o_stat if shared else bstat[t]
    dep_acc = o_dep if shared else bdep[t]
    nd_acc = o_drop if shared else ndrop[t]
    nm_acc = o_miss if shared else nmiss[t]
    ptab, err = ptab_all[t], errors[t]
    rules, cutoffs, cardinal = ident.rules, ident.cutoffs, ident.cardinal
    wint, denom = ident.wint, ident.denom
    direct = ident.use_patterns == DIRECT
    d = rules.shape[0]
    nb_ = ident.k_num.shape[0] + 1
    has_cell = cell.shape[0] > 0
    has_w = sweight.shape[0] > 0
    fdenom = float(denom)
    has_card = False
    for j in range(d):
        has_card |= cardinal[j]
    ud = np.uint64(d)
    span = np.uint64(c_end - c_first)  # a cell code c is in range iff c - c_first < span
    off = c_lo + cell_offset  # a clean block's row: cell[i] - off (+ its major's cells)
    has_major = cell_major.shape[0] > 0
    # without major codes there are no minor codes to check (their maximum stays 0 < 1)
    u_minor = np.uint64(n_minor) if has_major else np.uint64(1)
    wbits = sweight.view(np.uint64)  # the weights' bits: see weights_cells_ok
    last = stop - 1
    ahead = False  # whether this block's weights and cells were checked with the last one
    ahead_ok = False
    # the chunk's buffers, allocated by the caller (no allocation code compiled here)
    pat, m1, m2 = scratch[0][t], scratch[1][t, 0], scratch[1][t, 1]
    for i0 in range(start, stop, LEAN_BLOCK):
        m = min(LEAN_BLOCK, stop - i0)
        for r in range(m):
            pat[r] = 0
        if has_card:
            for r in range(m):
                m1[r] = 0.0
                m2[r] = 0.0
        # pass 1, column by column: the pattern's bits (vectorisable loops)
        for j in range(d):
            col = column(cols, j)
            bad = evaluate_lean(
                col, i0, m, rules[j], cutoffs[j], pat, np.int32(1 << j),
                np.int32(1 << (MISS_SHIFT + j)), cardinal[j], wint[j] / fdenom, m1, m2,
            )  # fmt: skip
            if bad and err[0] == 0:
                note_bad_flag(err, col, i0, m, j)
        # pass 2, unit by unit: weight, missing values, the pattern's sums. A clean block
        # (weighted units, none with a missing value, every cell in the chunk's range, every
        # minor code below n_minor, every weight finite and >= 0) is summed without the
        # per-unit checks: the same sums in the same order. Its weights and cells were
        # checked while the previous block was summed (else here, in vectorisable loops)
        clean = False
        if has_cell and has_w:
            anyp = np.int32(0)
            for r in range(m):
                anyp |= pat[r]
            if ahead:
                clean = ahead_ok
            else:
                wm, cm, mm = weights_cells_max(
                    wbits, cell, cell_major, n_minor, cell_offset, c_first, i0, m
                )
                clean = weights_cells_ok(wm, cm, mm, span, u_minor)
            clean &= (anyp >> MISS_SHIFT) == 0  # missing values live in the high bits
        ahead = False
        # the next block's values are asked for while this one is summed (one prefetch per
        # cache line of each column: see .prefetch); past the chunk's end, its last unit
        nx = i0 + LEAN_BLOCK
        if clean:
            # the next block's weights and cells are checked in this loop, so that their
            # first reads from memory overlap with these sums (a pass of their own cost
            # 7-10 ms of the 1e7-unit pass)
            wm = cm = mm = np.uint64(0)
            for r in range(m):
                i = i0 + r
                c = cell[i] - off
                if has_major:
                    c += cell_major[i] * n_minor
                s = sweight[i]
                jn = min(nx + r, last)
                if (r & 7) == 0:
                    for j in range(d):
                        prefetch(column(cols, j), jn)
                wm = max(wm, wbits[jn])
                q = cell[jn] - cell_offset
                if has_major:
                    mm = max(mm, np.uint64(q))
                    q += cell_major[jn] * n_minor
                cm = max(cm, np.uint64(q - c_first))
                if direct:  # per-unit sums from the pattern's precomputed facts
                    add_direct(st, dep_acc, c, nb_, pat[r], s, m1[r], m2[r], facts, ud)
                    continue
                p = pat[r]
                ptab[c, p, PW] += s
                ptab[c, p, PN] += 1.0
                if has_card:  # gap terms; the score part is added per pattern at the end
                    ptab[c, p, PG1] += s * m1[r]
                    ptab[c, p, PG2] += s * m2[r]
            ahead = nx < stop
            ahead_ok = weights_cells_ok(wm, cm, mm, span, u_minor)
            continue
        for r in range(m):  # the checked loop
            i = i0 + r
            if (r & 7) == 0:
                jn = min(nx + r, last)
                for j in range(d):
                    prefetch(column(cols, j), jn)
                if has_w:
                    prefetch(sweight, jn)
                if has_cell:
                    prefetch(cell, jn)
            nmr = pat[r] >> MISS_SHIFT
            c = 0
            if has_cell:
                c = cell_at(cell, cell_offset, cell_major, n_minor, i)
                if c < c_first or c >= c_end:  # outside 0 .. n_cells - 1, or its chunk's
                    if err[0] == 0:
                        err[0] = ERR_CELL
                        err[1] = i
                        err[2] = cell[i]
                    c = c_lo
                c -= c_lo  # the chunk's row
            s = 1.0
            if has_w:
                s = sweight[i]
                if weight_missing(s):
                    nd_acc[c] += 1.0
                    if nmr:
                        for j in range(d):
                            nm_acc[c, j] += (nmr >> j) & 1
                    continue
                if (s < 0.0 or s == np.inf) and err[0] == 0:
                    err[0] = ERR_NEG_WEIGHT
                    err[1] = i
                    err[2] = s
            if nmr:  # a missing value: counted and dropped
                for j in range(d):
                    nm_acc[c, j] += (nmr >> j) & 1
                nd_acc[c] += 1.0
                continue
            if direct:  # per-unit sums from the pattern's precomputed facts
                add_direct(st, dep_acc, c, nb_, pat[r], s, m1[r], m2[r], facts, ud)
                continue
            p = pat[r]
            ptab[c, p, PW] += s
            ptab[c, p, PN] += 1.0
            if has_card:  # gap terms; the score part is added per pattern at the end
                ptab[c, p, PG1] += s * m1[r]
                ptab[c, p, PG2] += s * m2[r]
    if not direct:  # patterns -> statistics (exact identification)
        flush_patterns(ptab, st, dep_acc, ident, facts, n_rows, nb_)


@kernel(error_model="numpy")
def _full_chunk(cols, ident, data, plan, out, private, facts, aux, errors, t):
    """Chunk ``t`` of :func:`af_sums` (any mode): as :func:`_lean_chunk`, plus unit-by-unit
    identification and the OPHI reweighting (``private = (bstat, bdep, bmissw, bcadj, ndrop,
    nmiss, ptab)``; ``bmissw, bcadj`` the observed weight and contribution
    corrections). ``aux`` is ``(wflt, dim_w)``: the float weights and the integer weight of
    each dimension."""
    sweight, cell, cell_offset, cell_major, n_minor = data
    bounds, lo, size, shared = plan
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    bstat, bdep, bmissw, bcadj, ndrop, nmiss, ptab_all = private
    start, stop = bounds[t], bounds[t + 1]
    c_first, c_end, n_rows = lo[t], lo[t] + size[t], size[t]
    c_lo = 0 if shared else lo[t]
    st = o_stat if shared else bstat[t]
    dep_acc = o_dep if shared else bdep[t]
    nd_acc = o_drop if shared else ndrop[t]
    nm_acc = o_miss if shared else nmiss[t]
    mw_acc = o_missw if shared and ident.reweight else bmissw[t]
    ca_acc = o_cadj if shared and ident.reweight else bcadj[t]
    ptab, err = ptab_all[t], errors[t]
    rules, cutoffs, cardinal, wint, dim_of = (
        ident.rules, ident.cutoffs, ident.cardinal, ident.wint, ident.dim_of
    )  # fmt: skip
    n_dims, denom, k_num, k_den = ident.n_dims, ident.denom, ident.k_num, ident.k_den
    vul_num, vul_den, sev_num, sev_den = ident.vul_num, ident.vul_den, ident.sev_num, ident.sev_den
    reweight, use_patterns = ident.reweight, ident.use_patterns
    direct = use_patterns == DIRECT
    wflt, dim_w = aux
    d = rules.shape[0]
    K = k_num.shape[0]
    nb_ = K + 1
    has_cell = cell.shape[0] > 0
    has_w = sweight.shape[0] > 0
    fdenom = float(denom)
    has_card = False
    for j in range(d):
        has_card |= cardinal[j]
    ud = np.uint64(d)
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
    for i0 in range(start, stop, BLOCK):
        m = min(BLOCK, stop - i0)
        num[:m] = 0
        nm[:m] = 0
        pat[:m] = 0
        m1[:m] = 0.0
        m2[:m] = 0.0
        # pass 1, column by column: deprivation, integer score, gaps (vectorisable loops)
        for j in range(d):
            col = column(cols, j)
            rule = rules[j]
            z = cutoffs[j]
            wj = np.int32(wint[j])
            wf = wflt[j]
            gj = g[j]
            mj = miss[j]
            if use_patterns:
                bad = evaluate_lean(
                    col, i0, m, rule, z, pat, np.int32(1 << j), np.int32(1 << (MISS_SHIFT + j)),
                    cardinal[j], wf, m1, m2,
                )  # fmt: skip
            else:
                bad = evaluate(
                    col, i0, m, rule, z, wj, gj, mj, num, nm, cardinal[j], wf, m1, m2, gap[j],
                )  # fmt: skip
            if bad and err[0] == 0:
                note_bad_flag(err, col, i0, m, j)
        # pass 2, unit by unit: weight, missing values, exact identification; the next
        # block's values are asked for meanwhile (one prefetch per cache line: .prefetch)
        nx = i0 + BLOCK
        for r in range(m):
            i = i0 + r
            if (r & 7) == 0:
                jn = min(nx + r, stop - 1)
                for j in range(d):
                    prefetch(column(cols, j), jn)
                if has_w:
                    prefetch(sweight, jn)
                if has_cell:
                    prefetch(cell, jn)
            nmr = nm[r]
            if use_patterns:  # missing values live in the pattern's high bits
                nmr = pat[r] >> MISS_SHIFT
                if nmr:
                    for j in range(d):
                        miss[j, r] = (nmr >> j) & 1
            c = 0
            if has_cell:
                c = cell_at(cell, cell_offset, cell_major, n_minor, i)
                if c < c_first or c >= c_end:  # outside 0 .. n_cells - 1, or its chunk's
                    if err[0] == 0:
                        err[0] = ERR_CELL
                        err[1] = i
                        err[2] = cell[i]
                    c = c_lo
                c -= c_lo  # the chunk's private row
            s = 1.0
            if has_w:
                s = sweight[i]
                if weight_missing(s):
                    nd_acc[c] += 1.0
                    if nmr:
                        for j in range(d):
                            nm_acc[c, j] += miss[j, r]
                    continue
                if (s < 0.0 or s == np.inf) and err[0] == 0:
                    err[0] = ERR_NEG_WEIGHT
                    err[1] = i
                    err[2] = s
            if use_patterns and nmr == 0:  # fast path: one addition per unit
                if direct:  # per-unit sums from the pattern's precomputed facts
                    add_direct(st, dep_acc, c, nb_, pat[r], s, m1[r], m2[r], facts, ud)
                    continue
                p = pat[r]
                ptab[c, p, PW] += s
                ptab[c, p, PN] += 1.0
                if has_card:  # gap terms; the score part is added per pattern at the end
                    ptab[c, p, PG1] += s * m1[r]
                    ptab[c, p, PG2] += s * m2[r]
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
                            gg = (cutoffs[j] - column(cols, j)[i]) / cutoffs[j]
                            gap[j, r] = gg if gg < 1.0 else 1.0
                # OPHI reweighting (.reweight): a and b get the per-dimension weights
                unum, uden, status = reweighted_score(wint, dim_of, dim_w, denom, miss, g, r, a, b)
                if status != RW_OK:
                    if status == RW_TOO_BIG and err[0] == 0:
                        err[0] = ERR_DENOMINATOR
                        err[1] = i
                        err[2] = uden
                    nd_acc[c] += 1.0
                    continue
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
        flush_patterns(ptab, st, dep_acc, ident, facts, n_rows, nb_)


@kernel(parallel=True, error_model="numpy")
def af_sums(cols, ident, data, plan, out, private, facts, aux, errors):
    """:func:`.af.af_statistics`'s pass in any mode: :func:`_full_chunk` on each chunk of
    ``plan = (bounds, lo, size, shared)``, into its private rows or, ``shared``, straight
    into the zeroed outputs ``out``;
    ``errors`` (float64[chunks, 3]) gets each chunk's first error. A thin ``prange`` loop:
    the work is in the serial body, compiled without parfor passes (``t`` passed as int64:
    numba types a ``prange`` index differently before and inside the parallel region, which
    would compile the body twice)."""
    for t in nb.prange(errors.shape[0]):
        _full_chunk(cols, ident, data, plan, out, private, facts, aux, errors, np.int64(t))
    return errors


@kernel(parallel=True, error_model="numpy")
def af_sums_lean(cols, ident, data, plan, out, private, facts, scratch, errors):
    """:func:`af_sums` for the pattern modes without reweighting: :func:`_lean_chunk` per
    chunk (``private`` without the reweighting rows: ``bstat, bdep, ndrop, nmiss, ptab``; ``scratch`` each chunk's buffers, :func:`lean_scratch`)."""
    for t in nb.prange(errors.shape[0]):
        _lean_chunk(cols, ident, data, plan, out, private, facts, scratch, errors, np.int64(t))
    return errors
