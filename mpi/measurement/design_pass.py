"""Design-based kernel passes for :func:`mpi.measure`: statistics per PSU or replicate.

:func:`run_design` is called by :func:`mpi.measure` when a design is given. For a
:class:`~mpi.Design` it runs the kernel once with one cell per *(PSU, group)* pair, so the
additive statistics come out as PSU-level totals per group (domains are never formed by
subsetting the design); the point estimates are their sums. For a
:class:`~mpi.ReplicateDesign` it runs the kernel once per replicate weight. The result's
:class:`~mpi.measurement.cell_totals.Inference` then gives the estimands' perturbations
(:func:`mpi.measurement.estimands.estimates`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from mpi import kernels
from mpi._common.table import encode_weight
from mpi.errors import DataError, ValidationError
from mpi.measurement.cell_totals import CellTotals, Inference, scatter_sum
from mpi.measurement.finalize import CELL_DIM
from mpi.survey.bootstrap import rao_wu_factors
from mpi.survey.design import (
    BootstrapDesign,
    Design,
    EncodedDesign,
    ReplicateDesign,
    encode_design,
)
from mpi.survey.estimate import REP, LinearizedEngine, ReplicateEngine

__all__ = [
    "run_design",
    "check_design_type",
    "RowStatistics",
    "design_inference",
    "replicate_weight",
    "replicate_weight_error",
    "replicate_sample",
    "replicate_inference",
]

#: The kernel sums into the full (PSU, group) table when it has at most this many cells per
#: (PSU, group) pair holding units (plus ``DENSE_SLACK``); sparser tables get one row per pair.
DENSE_MAX_FILL = 2
DENSE_SLACK = 1024
#: A (PSU, group) table of at most this many cells per unit is dense whatever its fill, and
#: the kernel computes each unit's cell from its PSU and group (no pass for pair codes).
INLINE_CELLS_PER_UNIT = 1


def check_design_type(design: Any) -> None:
    """Raise :class:`~mpi.errors.ValidationError` unless ``design`` is a design object."""
    if not isinstance(design, Design | BootstrapDesign | ReplicateDesign):
        raise ValidationError(
            "design must be an mpi.Design, a Design.bootstrap(...) or an mpi.ReplicateDesign; "
            f"got {type(design).__name__}"
        )


def _unravel_cells(prep: Any, cells: np.ndarray) -> dict[str, np.ndarray]:
    """Label position of each group cell per ``by`` variable (-1: missing group); for a
    sparse table also the position among its known cells (``CELL_DIM``, -1: a missing
    slot)."""
    g = prep.groups
    if g is None:
        return {}
    out = {}
    if g.sparse:
        parts = tuple(g.cells[cells, b] for b in range(len(g.names)))
        out[CELL_DIM] = np.where(cells < g.n_known, cells, -1).astype(np.int64)
    else:
        parts = np.unravel_index(cells, g.ext_shape)
    for name, pos, n in zip(g.names, parts, g.shape, strict=True):
        out[name] = np.where(pos == n, -1, pos).astype(np.int64)  # the missing slot
    return out


def _prune_map(
    prep: Any, stats_cells: xr.Dataset, codes: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Re-map codes of a pruned integer group to the kept labels."""
    g = prep.groups
    if g is None or not g.prune:
        return codes
    n = len(g.labels[0])
    units = stats_cells["NOBS"].values + stats_cells["NDROP"].values  # one by variable
    keep = units[:n] > 0
    new = np.cumsum(keep) - 1
    name = g.names[0]
    c = codes[name]
    codes[name] = np.where(c >= 0, new[np.maximum(c, 0)], -1)
    return codes


class _RowCodes(Mapping):
    """The label position of every kernel row per ``by`` variable (:func:`_unravel_cells`,
    pruned labels re-mapped by :func:`_prune_map`), computed when first read."""

    def __init__(self, prep: Any, cell_stats: xr.Dataset, row_cell: np.ndarray) -> None:
        self._args: tuple | None = (prep, cell_stats, row_cell)
        self._codes: dict[str, np.ndarray] = {}

    def _all(self) -> dict[str, np.ndarray]:
        if self._args is not None:
            prep, cell_stats, row_cell = self._args
            self._codes = _prune_map(prep, cell_stats, _unravel_cells(prep, row_cell))
            self._args = None  # computed once; the inputs are no longer held
        return self._codes

    def __getitem__(self, name: str) -> np.ndarray:
        return self._all()[name]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class RowStatistics(Mapping):
    """Additive statistics per kernel row, computed from the per-bucket sums when first read.

    With one cutoff and no reweighting the statistics of the poor are views of the kernel's
    top bucket and ``OBS`` a broadcast of ``SUMW``, so the PSU-level totals cost no copies;
    otherwise all are computed at once (:func:`mpi.kernels.bucket_statistics`).
    """

    def __init__(self, prep: Any, raw: tuple) -> None:
        self._prep = prep
        self._raw = raw
        self._cache: dict[str, np.ndarray] = {}

    def __iter__(self):
        return iter(_ROW_NAMES)

    def __len__(self) -> int:
        return len(_ROW_NAMES)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _one_cutoff(self) -> bool:
        bstat, _, bmissw = self._raw[:3]
        return bstat.shape[1] == 2 and bmissw.shape[0] == 0

    def parts(self, name: str) -> list[np.ndarray] | None:
        """The two buckets' arrays whose sum is statistic ``name`` (one cutoff, no
        reweighting; statistics of everyone), or None."""
        if name not in _BUCKET_SUMS or name in self._cache or not self._one_cutoff():
            return None
        bstat, bdep = self._raw[:2]
        if name == "DEP":
            return [bdep[:, 0, :], bdep[:, 1, :]]
        field = getattr(kernels.af, name)  # SUMW, NOBS, SEVERE, SCORE: fields of the buckets
        return [bstat[:, 0, field], bstat[:, 1, field]]

    def _compute(self, name: str) -> np.ndarray:
        bstat, bdep, bmissw, _, ndrop, nmiss = self._raw
        af = kernels.af
        if not self._one_cutoff():  # several cutoffs or reweighting
            stats = self._prep.stats(self._raw)
            self._cache.update({n: stats[n].values for n in stats.data_vars})
            return self._cache[name]
        if name in _TOP:  # poor at the one cutoff = the top bucket (k axis of length 1)
            return bstat[:, 1:, getattr(af, _TOP[name])]
        if name == "VULN":  # vulnerable units are not poor: the bottom bucket
            return bstat[:, :1, af.VULNB]
        if name == "CDEP":
            return bdep[:, 1:, :]
        if name == "CONTRIB":
            return bdep[:, 1:, :] * self._prep.wflt
        if name in _BUCKET_SUMS:
            a, b = self.parts(name) or ()
            return a + b
        if name == "OBS":
            return np.broadcast_to(self["SUMW"][:, None], nmiss.shape)
        if name == "NDROP":
            return ndrop
        if name == "NMISS":
            return nmiss
        raise KeyError(name)


#: Statistics of the poor: with one cutoff, fields of the kernel's top bucket.
_TOP = {"POOR": "SUMW", "CP": "SCORE", "C2P": "C2", "M1": "M1", "M2": "M2"}

#: Statistics of everyone: with one cutoff, the sum of the kernel's two buckets.
_BUCKET_SUMS = frozenset({"SUMW", "NOBS", "SEVERE", "SCORE", "DEP"})

_ROW_NAMES = (
    "SUMW", "NOBS", "NDROP", "SEVERE", "SCORE", "OBS", "DEP", "NMISS",
    "POOR", "CP", "C2P", "VULN", "M1", "M2", "CDEP", "CONTRIB",
)  # fmt: skip
_ROW_DIMS = {
    **dict.fromkeys(("SUMW", "NOBS", "NDROP", "SEVERE", "SCORE"), ()),
    **dict.fromkeys(("OBS", "DEP", "NMISS"), ("indicator",)),
    **dict.fromkeys(("POOR", "CP", "C2P", "VULN", "M1", "M2"), ("k",)),
    **dict.fromkeys(("CDEP", "CONTRIB"), ("k", "indicator")),
}


def run_design(prep: Any, design: Any) -> tuple[xr.Dataset, Inference]:
    """Kernel pass(es) for a design; returns the statistics along ``cell`` and the inference."""
    check_design_type(design)
    g = prep.groups
    n_cells = g.n_cells if g is not None else 1
    if isinstance(design, ReplicateDesign):
        gcell = (
            np.asarray(g.codes, np.int64) - g.offset
            if g is not None
            else np.zeros(prep.table.n, np.int64)
        )
        return _run_replicates(prep, design, gcell, n_cells)
    base = design.design if isinstance(design, BootstrapDesign) else design
    enc = encode_design(prep.table, base)
    n_psu = enc.n_psu
    # pairs numbered PSU-major: in files sorted by PSU a unit's pair code grows with its
    # row, so the kernel's chunks meet disjoint ranges of pairs
    n_dense = n_cells * n_psu
    marked = n_cells > 1 and n_dense <= 50_000_000
    # a (PSU, cell) table no larger than one row per unit is dense whatever its fill: the
    # kernel then computes each unit's row itself (no array of pair codes)
    inline = marked and n_dense <= INLINE_CELLS_PER_UNIT * prep.table.n
    present: np.ndarray | Callable[[], np.ndarray] = np.zeros(
        n_dense if marked and not inline else 0, bool
    )
    key: np.ndarray | None = None
    if n_cells == 1:  # no groups: a unit's row is its PSU
        key, n_pairs = enc.psu, n_psu
    elif not inline:
        key, n_pairs = kernels.pair_codes(enc.psu, g.codes, g.offset, n_cells, present)
    # no groups: the pairs are the PSUs (all present); a mostly full (PSU, cell) table: the
    # kernel sums straight into it (row = key)
    dense = n_cells == 1 or inline or (marked and n_dense <= DENSE_MAX_FILL * n_pairs + DENSE_SLACK)
    # one group variable without missing values: its missing slot (the last cell) holds no
    # unit, so the kernel's table leaves it out
    trim = inline and len(g.names) == 1 and not g.has_missing
    per_psu = n_cells - 1 if trim else n_cells  # cells per PSU in the dense table
    if dense:
        n_rows = n_psu * per_psu
        row_psu = np.repeat(np.arange(n_psu), per_psu)
        row_cell = np.tile(np.arange(per_psu), n_psu)
    else:
        assert key is not None
        if marked:
            pair_keys = np.flatnonzero(present)
            row_code = (np.cumsum(present) - 1)[key]
        else:
            pair_keys, row_code = np.unique(key, return_inverse=True)
        n_rows = len(pair_keys)
        row_psu, row_cell = pair_keys // n_cells, pair_keys % n_cells
    # rows come in blocks per PSU (per_psu of them when dense; one code per pair otherwise)
    block = per_psu if dense else 1
    # dense rows of a file sorted by PSU: a unit's block of rows (its PSU) never decreases
    in_order = dense and enc.psu_in_order
    if inline:  # row = psu * per_psu + group cell, computed in the kernel
        raw = prep.run_raw(
            prep.sweight, g.codes, g.offset, n_rows, block, enc.psu, per_psu, in_order
        )
        # which rows hold units: only domain degrees of freedom ask, so computed then
        present = partial(kernels.rows_with_units, raw[0], raw[4])
    else:
        assert key is not None
        raw = prep.run_raw(
            prep.sweight,
            np.ascontiguousarray(key if dense else row_code, np.int64),
            0,
            n_rows,
            block,
            blocks_sorted=in_order,
        )
    return design_inference(
        prep, design, enc, raw, row_psu, row_cell,
        dense=dense, per_psu=per_psu, trim=trim, present=present if dense and marked else None,
    )  # fmt: skip


def design_inference(
    prep: Any,
    design: Design | BootstrapDesign,
    enc: EncodedDesign,
    raw: tuple,
    row_psu: np.ndarray,
    row_cell: np.ndarray,
    *,
    dense: bool = False,
    per_psu: int = 0,
    trim: bool = False,
    present: np.ndarray | Callable[[], np.ndarray] | None = None,
) -> tuple[xr.Dataset, Inference]:
    """Statistics per group cell and the inference of a design's kernel pass.

    Parameters
    ----------
    prep
        The :class:`~mpi.measurement.prepare.Prepared` inputs (groups, cutoffs).
    design
        A :class:`~mpi.Design` or ``Design.bootstrap(...)``.
    enc
        The encoded first stage (PSU numbers, strata).
    raw
        The kernel's per-bucket sums per row (:meth:`Prepared.run_raw`).
    row_psu, row_cell
        The PSU and the group cell of every row.
    dense, per_psu, trim, present
        Dense rows: every (PSU, cell) pair, PSU-major, ``per_psu`` cells per PSU (the
        missing slot left out with ``trim``), ``present`` marking the pairs holding units;
        (or a function computing them); otherwise one row per (PSU, cell) pair that holds
        units.

    Returns
    -------
    tuple
        The statistics along ``cell`` (additive over the PSUs) and the
        :class:`~mpi.measurement.cell_totals.Inference`.
    """
    g = prep.groups
    n_cells = g.n_cells if g is not None else 1
    n_psu = enc.n_psu
    arrays: Any = RowStatistics(prep, raw)
    dims = dict(_ROW_DIMS)
    # statistics per group cell from the kernel's sums over that cell's rows
    cell_raw = []
    # without reweighting a unit with a missing value is dropped, so no drops = no missing
    # values: the missing-value counts (raw[5]) are all zero and need no summing
    complete = raw[2].shape[0] == 0 and not raw[4].any()
    for i, arr in enumerate(raw):
        if arr.shape[0] == 0:  # no reweighting corrections
            cell_raw.append(arr)
        elif i == 5 and complete:
            cell_raw.append(np.zeros((n_cells, *arr.shape[1:])))
        elif dense:  # PSU-major rows: sum over the PSU axis (the missing slot empty if trimmed)
            flat = arr.reshape(n_psu, -1)
            cells = np.zeros((n_cells, *arr.shape[1:]))
            cells[:per_psu] = kernels.sum_rows(flat).reshape((per_psu, *arr.shape[1:]))
            cell_raw.append(cells)
        else:
            cell_raw.append(scatter_sum(row_cell, arr, n_cells))
    cell_stats = prep.stats(tuple(cell_raw))
    coords = {c: cell_stats.coords[c].values for c in ("k", "indicator")}
    # the rows' group codes: only sums over other groupings than the kernel's (or pruned
    # labels) and domain degrees of freedom read them, so computed then
    codes = _RowCodes(prep, cell_stats, row_cell)
    totals = CellTotals(
        arrays,
        dims,
        coords,
        codes,
        n_psu,
        lead=row_psu,
        # a sparse table's known cells are not a block of the kernel's: totals by scatter
        full_by=list(prep.by_names) if g is None or not g.sparse else None,
        dense=dense,
        table_shape=(per_psu,) if trim else tuple(g.ext_shape) if g is not None else (),
        present=present,
    )
    if isinstance(design, BootstrapDesign):
        factors = rao_wu_factors(
            enc.n_h,
            enc.starts,
            enc.fpc_factor,
            design.replicates,
            design.seed,
            n_psu=enc.n_psu,
            progress=design.progress,
        )
        scale = 1.0 / (design.replicates - 1)  # as R svrepdesign(type="bootstrap")
        engine: Any = ReplicateEngine(
            scale,
            np.ones(design.replicates),
            design.mse,
            enc.df,
            f"Rao-Wu bootstrap, {design.replicates} replicates (seed {design.seed})",
        )
        return cell_stats, Inference(totals, engine, design, enc, factors)
    return cell_stats, Inference(totals, LinearizedEngine(enc), design, enc)


def _run_replicates(prep: Any, design: ReplicateDesign, gcell: np.ndarray, n_cells: int):
    main = prep.run(prep.sweight, np.ascontiguousarray(gcell), 0, n_cells)
    reps = []
    for name in design.replicate_weights:
        w = replicate_weight(prep, name)
        if np.isnan(w).any():
            raise replicate_weight_error(name, int(np.isnan(w).sum()))
        w = replicate_sample(prep, w)
        reps.append(prep.run(w, np.ascontiguousarray(gcell), 0, n_cells))
    return replicate_inference(prep, design, main, reps, n_cells)


def replicate_weight(prep: Any, name: str) -> np.ndarray:
    """Replicate weight ``name`` of the units, encoded as a sampling weight.

    Parameters
    ----------
    prep
        The :class:`~mpi.measurement.prepare.Prepared` inputs (their table is read).
    name
        The replicate-weight variable.

    Returns
    -------
    numpy.ndarray
        float64 weights, NaN where missing.
    """
    return encode_weight(prep.table.column(name, role="replicate weight"), name)


def replicate_weight_error(name: str, n_missing: int) -> DataError:
    """The error for a replicate weight with missing values.

    Parameters
    ----------
    name
        The replicate-weight variable.
    n_missing
        Its number of missing values.

    Returns
    -------
    DataError
        The error to raise.
    """
    return DataError(
        f"replicate weight {name!r} has {n_missing} missing value(s); "
        "replicate weights must be complete (use 0 for units out of a replicate)"
    )


def replicate_sample(prep: Any, w: np.ndarray) -> np.ndarray:
    """A replicate's weights with the units without a full-sample weight left out.

    Parameters
    ----------
    prep
        The :class:`~mpi.measurement.prepare.Prepared` inputs (their sampling weights).
    w
        The replicate weights (:func:`replicate_weight`).

    Returns
    -------
    numpy.ndarray
        ``w``, NaN where the full-sample weight is missing.
    """
    if prep.sweight.size:  # a unit without a full-sample weight is out of every replicate
        return np.where(np.isnan(prep.sweight), np.nan, w)
    return w


def replicate_inference(
    prep: Any, design: ReplicateDesign, main: xr.Dataset, reps: list[xr.Dataset], n_cells: int
) -> tuple[xr.Dataset, Inference]:
    """The inference of a replicate design from the statistics along ``cell``.

    Parameters
    ----------
    prep
        The :class:`~mpi.measurement.prepare.Prepared` inputs.
    design
        The replicate design.
    main
        Statistics with the full-sample weight.
    reps
        Statistics with each replicate weight, in the design's order.
    n_cells
        Number of group cells.

    Returns
    -------
    tuple
        ``main`` and the :class:`~mpi.measurement.cell_totals.Inference`.
    """
    rep = xr.concat(reps, dim=REP)
    arrays = {n: rep[n].transpose(REP, "cell", ...).values for n in rep.data_vars}
    dims = {n: tuple(d for d in rep[n].dims if d not in (REP, "cell")) for n in rep.data_vars}
    coords = {c: rep.coords[c].values for c in ("k", "indicator")}
    codes = _prune_map(prep, main, _unravel_cells(prep, np.arange(n_cells)))
    totals = CellTotals(arrays, dims, coords, codes, len(reps), lead=None)
    scale, rscales = design.multipliers()
    engine = ReplicateEngine(
        scale, rscales, design.mse, len(reps) - 1, f"{design.type} replicate weights ({len(reps)})"
    )
    return main, Inference(totals, engine, design)
