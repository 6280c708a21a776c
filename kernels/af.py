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

The kernel is spread over small modules: :mod:`.af_layout` (field indices, error codes,
modes), :mod:`.rules` (deprivation rules on a block of a column), :mod:`.af_chunks` (the
chunks and the cells each meets) and :mod:`.af_sums` (the parallel pass). Their names that
the rest of mpi reads are re-exported here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .af_chunks import chunk_count, plan_chunks
from .af_layout import (
    BLOCK,
    C2,
    CHUNK,
    DIRECT,
    ERR_CELL,
    ERR_DENOMINATOR,
    ERR_FLAG_VALUE,
    ERR_NEG_WEIGHT,
    M1,
    M2,
    MAX_REWEIGHT_DENOMINATOR,
    NBS,
    NOBS,
    NPT,
    PATTERNS,
    RANGE_MIN_CELLS,
    SCORE,
    SEVERE,
    SUMW,
    UNITS,
    VULNB,
)
from .af_sums import af_sums, af_sums_lean, lean_scratch, merge_private, pattern_facts
from .columns import column_table, readonly_view
from .rules import EQ, FLAG, GE, GT, LE, LT, MISS_SHIFT, NE, RULE_CODES

# the kernel's entry points, and the names of its parts that the rest of mpi reads here
__all__ = [
    "Identification",
    "af_statistics",
    "rows_with_units",
    "chunk_count",
    "plan_chunks",
    "af_sums",
    "af_sums_lean",
    "RULE_CODES",
    "FLAG",
    "LT",
    "LE",
    "GT",
    "GE",
    "EQ",
    "NE",
    "MISS_SHIFT",
    "SUMW",
    "NOBS",
    "SCORE",
    "C2",
    "M1",
    "M2",
    "VULNB",
    "SEVERE",
    "NBS",
    "ERR_FLAG_VALUE",
    "ERR_NEG_WEIGHT",
    "ERR_DENOMINATOR",
    "ERR_CELL",
    "UNITS",
    "PATTERNS",
    "DIRECT",
    "BLOCK",
    "CHUNK",
    "RANGE_MIN_CELLS",
    "MAX_REWEIGHT_DENOMINATOR",
]


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


def rows_with_units(bstat, ndrop):
    """Which cells of :func:`af_statistics`'s outputs hold a unit: ``ndrop[c] + sum_b
    bstat[c, b, NOBS] > 0`` (every unit is counted once, dropped or in a bucket).

    Parameters
    ----------
    bstat : numpy.ndarray
        float64[C, K+1, NBS], the per-bucket statistics.
    ndrop : numpy.ndarray
        float64[C], the units dropped per cell.

    Returns
    -------
    numpy.ndarray
        bool[C].
    """
    return (np.asarray(ndrop) + np.asarray(bstat)[:, :, NOBS].sum(axis=1)) > 0.0


_NO_MAJOR = np.empty(0, np.int64)
_NO_MAJOR.flags.writeable = False


def _read_only(arr, dtype):
    """``arr`` as a C-contiguous read-only array of ``dtype`` (a view when it already is
    one): one array type per argument, so one compiled specialisation serves every caller."""
    return readonly_view(np.ascontiguousarray(arr, dtype))


def _fixed_ident(ident):
    """``ident`` with read-only C-contiguous arrays of fixed dtypes and plain Python scalars
    (the kernel's types do not depend on how the caller built it)."""
    return Identification(
        _read_only(ident.rules, np.int64),
        _read_only(ident.cutoffs, np.float64),
        _read_only(ident.cardinal, np.bool_),
        _read_only(ident.wint, np.int64),
        _read_only(ident.dim_of, np.int64),
        int(ident.n_dims),
        int(ident.denom),
        _read_only(ident.k_num, np.int64),
        _read_only(ident.k_den, np.int64),
        int(ident.vul_num),
        int(ident.vul_den),
        int(ident.sev_num),
        int(ident.sev_den),
        bool(ident.reweight),
        int(ident.use_patterns),
    )


def af_statistics(
    cols, ident, sweight, cell, cell_offset, n_cells, n_chunks, cell_block=0, cell_major=None,
    n_minor=0, blocks_sorted=False, n_units=None,
):  # fmt: skip
    """Additive AF statistics per cell and *bucket*, one pass over the units.

    A unit's bucket ``b`` is the number of cutoffs (sorted ascending) its score reaches,
    so it is poor at cutoff ``kk`` exactly when ``b > kk``. Statistics per bucket turn into
    statistics per cutoff by cumulative sums (:func:`mpi.measure`), so the cost does not grow
    with the number of cutoffs.

    Every array is passed to the kernels read-only, C-contiguous and of one dtype per
    argument, so a call compiles (once, then cached on disk) one specialisation per column
    dtype of the kernel its mode needs: :func:`.af_sums.af_sums_lean` for the pattern modes
    without reweighting, :func:`.af_sums.af_sums` otherwise.

    Parameters
    ----------
    cols : sequence of float64[:] or of int8[:]
        One achievement (or 0/1 flag) column per indicator; NaN marks a missing value.
        All columns have one dtype and length: int8 (0/1 flags and small integer codes
        without missing values, read in place) gives the same statistics as their float64
        values. The kernels read them through their addresses
        (:class:`.columns.ColumnTable`), never a copy.
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
    n_units : int, optional
        The number of units, checked against the columns' length when given.

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

    Raises
    ------
    ValueError
        When ``n_chunks`` is below 1.
    """
    if n_chunks < 1:
        raise ValueError(f"n_chunks must be at least 1; got {n_chunks}")
    # the kernels read the columns through their addresses; ``arrays`` keeps them alive
    cols, arrays = column_table(list(cols))
    n = cols.n
    if n_units is not None and int(n_units) != n:
        raise ValueError(f"n_units is {n_units} but the columns have {n} values")
    ident = _fixed_ident(ident)
    sweight = _read_only(sweight, np.float64)
    cell = _read_only(cell, np.int64)
    major = _NO_MAJOR if cell_major is None else _read_only(cell_major, np.int64)
    cell_offset, n_cells, n_minor = int(cell_offset), int(n_cells), int(n_minor)
    d = len(ident.rules)
    nb_ = len(ident.k_num) + 1
    reweight = ident.reweight
    n_rw = n_cells if reweight else 0  # no corrections without reweighting
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
    # calloc: fresh pages come zeroed and are faulted in by the threads that first write them
    block = np.zeros(sum(sizes))
    ends = np.cumsum(sizes)
    out = tuple(block[e - z : e].reshape(sh) for sh, z, e in zip(shapes, sizes, ends, strict=True))
    bounds, lo, size, shared = plan_chunks(
        n, ident, cell, cell_offset, n_cells, n_chunks, int(cell_block), major, n_minor,
        bool(blocks_sorted),
    )  # fmt: skip
    k = bounds.shape[0] - 1
    # the chunks' private rows (none when they add into the shared output)
    rows = 0 if shared else int(size.max())
    use_patterns = ident.use_patterns
    n_pat = 1 << d if use_patterns else 1
    n_tab = 1 if use_patterns == DIRECT else rows  # DIRECT keeps no pattern table
    tab_w = 1 if use_patterns == DIRECT else n_pat
    bstat = np.zeros((k, rows * nb_, NBS))
    bdep = np.zeros((k, rows * nb_, d))
    ndrop = np.zeros((k, rows))
    nmiss = np.zeros((k, rows, d))
    ptab = np.zeros((k, n_tab, tab_w, NPT))
    facts = pattern_facts(ident, n_pat)
    err = np.zeros((k, 3))
    data = (sweight, cell, cell_offset, major, n_minor)
    plan = (bounds, lo, size, bool(shared))
    lean = bool(use_patterns) and not reweight
    if lean:
        af_sums_lean(
            cols, ident, data, plan, out, (bstat, bdep, ndrop, nmiss, ptab), facts,
            lean_scratch(k), err,
        )  # fmt: skip
    else:
        # reweighting corrections exist only with reweight=True (one dummy row otherwise)
        n_rw_rows = rows * nb_ if reweight else 1
        bmissw = np.zeros((k, n_rw_rows, d))
        bcadj = np.zeros((k, n_rw_rows, d))
        wint = ident.wint
        wflt = wint / float(ident.denom)
        dim_w = np.zeros(ident.n_dims, np.int64)
        np.add.at(dim_w, ident.dim_of, wint)
        af_sums(
            cols, ident, data, plan, out, (bstat, bdep, bmissw, bcadj, ndrop, nmiss, ptab),
            facts, (wflt, dim_w), err,
        )  # fmt: skip
    del arrays  # the kernels are done with the columns' addresses
    if not shared:
        private = (bstat, bdep, bmissw if not lean else None, bcadj if not lean else None,
                   ndrop, nmiss)  # fmt: skip
        merge_private(out, private, lo, size, nb_, reweight)
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
