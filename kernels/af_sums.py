"""The AF kernel's pass over the units: per-bucket sums of every cell (numpy + numba only).

:func:`af_sums` runs the chunks of :func:`.af_chunks.plan_chunks` in parallel. Per block of
:data:`~.af_layout.BLOCK` units it evaluates the rules column by column (:mod:`.rules`), then
identifies each unit exactly (integer scores) and adds it to its cell's bucket: straight from
its deprivation pattern, to a pattern table, or unit by unit with reweighting (see
:class:`.af.Identification`). Each chunk sums into private rows (merged in chunk order at the
end) or, when the chunks meet disjoint ranges of cells, straight into the output.

The unit loop keeps its pattern-table step inline on purpose: moved into a helper function
(even ``inline="always"``) it cost about 2% of the kernel's time (1e6 units, same-run A/B,
both import orders). The OPHI reweighting is :func:`.reweight.reweighted_score`, shared with
unit-level identification so the formula is written once; called ``inline="always"`` with
the block's flag arrays and the unit's column it costs nothing measurable against the former
inline copy (1e6 units, 1% of the values missing, ``missing="reweight"``, same-run A/B on a
quiet machine: -0.2% / +1.0% best-of-25, 1 / 2 threads; within 1% without missing values),
while passing it per-unit column views ``miss[:, r]`` without inlining cost 2.6-3.6%.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import kernel, share_range, weight_missing
from .af_chunks import cell_at
from .af_layout import (
    BLOCK,
    C2,
    DIRECT,
    ERR_CELL,
    ERR_DENOMINATOR,
    ERR_NEG_WEIGHT,
    M1,
    M2,
    NBS,
    NOBS,
    SCORE,
    SEVERE,
    SUMW,
    VULNB,
)
from .reweight import OK as RW_OK
from .reweight import TOO_BIG as RW_TOO_BIG
from .reweight import reweighted_score
from .rules import MISS_SHIFT, evaluate, evaluate_lean, note_bad_flag

__all__ = ["af_sums"]


@kernel
def _pattern_facts(ident, n_pat):
    """Per deprivation pattern ``p`` (bit ``j`` set: deprived in indicator ``j``; ``n_pat``
    of them), filled when ``ident.use_patterns``: the integer score numerator, the bucket
    (how many sorted cutoffs it reaches), the score as a float and whether it reaches the
    vulnerable and severe cutoffs, as 0.0/1.0 (a branch on them mispredicts)."""
    wint, denom, k_num, k_den = ident.wint, ident.denom, ident.k_num, ident.k_den
    vul_num, vul_den, sev_num, sev_den = ident.vul_num, ident.vul_den, ident.sev_num, ident.sev_den
    d = wint.shape[0]
    K = k_num.shape[0]
    fdenom = float(denom)
    pnum = np.zeros(n_pat, np.int64)
    pbucket = np.zeros(n_pat, np.int64)
    pscore = np.zeros(n_pat)
    pvul = np.zeros(n_pat)
    psev = np.zeros(n_pat)
    if ident.use_patterns:
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
    return pnum, pbucket, pscore, pvul, psev


@kernel
def _add_rows(dst, src, r0, n):
    """``dst[r0 + i] += src[i]`` for the first ``n`` rows of ``src`` (2-D). A plain loop in
    a function of its own: in the ``parallel=True`` kernel an array expression is a parallel
    region per call (per chunk)."""
    for i in range(n):
        for j in range(dst.shape[1]):
            dst[r0 + i, j] += src[i, j]


@kernel
def _add_cells(dst, src, r0, n):
    """``dst[r0 + i] += src[i]`` for ``i < n`` (1-D); see :func:`_add_rows`."""
    for i in range(n):
        dst[r0 + i] += src[i]


@kernel
def _merge_private(out, private, lo, size, nb_, reweight):
    """The chunks' private rows ``private`` (``bstat, bdep, bmissw, bcadj, ndrop, nmiss``,
    chunks first; chunk ``t`` holds cells ``lo[t] .. lo[t] + size[t] - 1``) added to the
    outputs ``out`` in chunk order, so the sums depend on the chunks, never on the threads."""
    o_stat, o_dep, o_missw, o_cadj, o_drop, o_miss = out
    bstat, bdep, bmissw, bcadj, ndrop, nmiss = private
    for t in range(lo.shape[0]):
        r0 = lo[t] * nb_
        nr = size[t] * nb_
        _add_rows(o_stat, bstat[t], r0, nr)
        _add_rows(o_dep, bdep[t], r0, nr)
        if reweight:
            _add_rows(o_missw, bmissw[t], r0, nr)
            _add_rows(o_cadj, bcadj[t], r0, nr)
        _add_cells(o_drop, ndrop[t], lo[t], size[t])
        _add_rows(o_miss, nmiss[t], lo[t], size[t])


@kernel(parallel=True, error_model="numpy")
def af_sums(
    cols, ident, sweight, cell, cell_offset, n_cells, bounds, lo, size, shared, cell_major,
    n_minor, block, out,
):  # fmt: skip
    """:func:`.af.af_statistics` into the output arrays ``out``, views of the flat ``block``
    (allocated by the caller, uninitialised), over the chunks of :func:`.af_chunks.chunk_plan`;
    returns ``err``. The threads zero the block first, a share each: ``np.zeros`` of a large
    array reuses freed heap memory and clears it on one thread, or faults fresh pages in on
    first write. Each chunk sums into private rows (or, ``shared``, straight into its own
    cells of the output); the private rows are added to the output in chunk order, so the
    result depends on the chunks, never on the threads that ran them."""
    n_chunks = bounds.shape[0] - 1
    for t in nb.prange(n_chunks):
        z0, z1 = share_range(block.shape[0], n_chunks, t)
        block[z0:z1] = 0.0
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
    pnum, pbucket, pscore, pvul, psev = _pattern_facts(ident, n_pat)
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
                    bad = evaluate_lean(
                        col, i0, m, rule, z, pat, np.int32(1 << j), np.int32(1 << (MISS_SHIFT + j)),
                        cardinal[j], wf, m1, m2,
                    )  # fmt: skip
                else:
                    bad = evaluate(
                        col, i0, m, rule, z, wj, gj, mj, num, nm, cardinal[j], wf, m1, m2, gap[j],
                    )  # fmt: skip
                if bad and err[t, 0] == 0:
                    note_bad_flag(err[t], col, i0, m, j)
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
                    c = cell_at(cell, cell_offset, cell_major, n_minor, i)
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
                    if weight_missing(s):
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
                    # OPHI reweighting (.reweight): a and b get the per-dimension weights
                    unum, uden, status = reweighted_score(
                        wint, dim_of, dim_w, denom, miss, g, r, a, b
                    )
                    if status != RW_OK:
                        if status == RW_TOO_BIG and err[t, 0] == 0:
                            err[t, 0] = ERR_DENOMINATOR
                            err[t, 1] = i
                            err[t, 2] = uden
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
    if not shared:
        _merge_private(out, (bstat, bdep, bmissw, bcadj, ndrop, nmiss), lo, size, nb_, reweight)
    return err
