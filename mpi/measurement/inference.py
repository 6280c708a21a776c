"""Design-based inference for :func:`mpi.measure`: totals by PSU or replicate, estimands.

:func:`run_design` is called by :func:`mpi.measure` when a design is given. For a
:class:`~mpi.Design` it runs the kernel once with one cell per *(PSU, group)* pair, so the
additive statistics come out as PSU-level totals per group (domains are never formed by
subsetting the design); the point estimates are their sums. For a
:class:`~mpi.ReplicateDesign` it runs the kernel once per replicate weight.

:func:`estimates` then writes every estimand of :class:`~mpi.MeasureResult` as a function of
totals in the :class:`~mpi.Estimate` algebra, which yields linearised influence
values (delta method) or replicate estimates for all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from mpi import kernels
from mpi.errors import DataError, ValidationError
from mpi.measurement.finalize import CELL_DIM
from mpi.survey.design import (
    BootstrapDesign,
    Design,
    EncodedDesign,
    ReplicateDesign,
    encode_design,
)
from mpi.survey.estimate import REP, Estimate, LinearizedEngine, ReplicateEngine

if TYPE_CHECKING:
    from mpi.measurement.result import MeasureResult

__all__ = ["Inference", "run_design", "estimates", "ESTIMANDS", "PROPORTIONS"]

#: Variables of :meth:`MeasureResult.to_dataset` that are estimates (they get SEs).
ESTIMANDS = (
    "H",
    "A",
    "M0",
    "M1",
    "M2",
    "vulnerable",
    "severe",
    "intensity_variance",
    "uncensored_headcount",
    "censored_headcount",
    "contribution",
    "dimension_contribution",
    "population_share",
    "group_contribution",
)
#: The kernel sums into the full (PSU, group) table when it has at most this many cells per
#: (PSU, group) pair holding units (plus ``DENSE_SLACK``); sparser tables get one row per pair.
DENSE_MAX_FILL = 2
DENSE_SLACK = 1024
#: A (PSU, group) table of at most this many cells per unit is dense whatever its fill, and
#: the kernel computes each unit's cell from its PSU and group (no pass for pair codes).
INLINE_CELLS_PER_UNIT = 1
#: Estimands bounded by [0, 1], for which logit confidence intervals apply.
PROPORTIONS = frozenset(ESTIMANDS) - {"intensity_variance"}


def _scatter_sum(index: np.ndarray, arr: np.ndarray, n: int) -> np.ndarray:
    """``out[index[r]] += arr[r]`` for rows ``r`` (one bincount per trailing column)."""
    flat = arr.reshape(arr.shape[0], -1)
    out = np.empty((n, flat.shape[1]))
    for j in range(flat.shape[1]):
        out[:, j] = np.bincount(index, weights=flat[:, j], minlength=n)
    return out.reshape((n, *arr.shape[1:]))


@dataclass
class CellTotals:
    """Additive statistics per (lead, cell), where the lead is a PSU or a replicate.

    Either ``lead`` gives the PSU of every row of ``arrays`` (rows are (PSU, group) pairs,
    ``arrays[name]`` has shape ``(P, ...)``), or ``lead`` is None and ``arrays[name]`` has
    shape ``(L, C, ...)`` (replicates x cells). ``codes[b]`` is the label position of every
    row/cell in group variable ``b`` (-1: missing group).

    With ``dense`` the rows are *all* (PSU, cell) pairs, PSU-major (row ``psu * n_cells +
    cell`` over the cells ``table_shape``: the extended cells, missing slots included, or the
    known cells when no unit has a missing group) and ``present`` marks the pairs that hold
    units; totals by PSU are then reshapes, not scatters.
    """

    arrays: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]]
    coords: dict[str, Any]
    codes: dict[str, np.ndarray]
    n_lead: int
    lead: np.ndarray | None = None
    full_by: list[str] | None = None  # the by variables of the kernel pass (rows distinct)
    dense: bool = False
    table_shape: tuple[int, ...] = ()  # cells per PSU of a dense table, per by variable
    present: np.ndarray | None = None  # rows holding units (dense rows); None: every row

    def _cells(self, by: list[str], shape: tuple[int, ...]) -> np.ndarray:
        key = (tuple(by), shape)
        cache = self.__dict__.setdefault("_cell_cache", {})
        if key not in cache:
            cache[key] = self._compute_cells(by, shape)
        return cache[key]

    def _compute_cells(self, by: list[str], shape: tuple[int, ...]) -> np.ndarray:
        if not by:
            return np.zeros(self._rows(), np.int64)
        cols = [self.codes[b] for b in by]
        missing = np.zeros(len(cols[0]), bool)
        for c in cols:
            missing |= c < 0
        safe = [np.where(missing, 0, c) for c in cols]
        cells = (
            np.ravel_multi_index(safe, shape) if len(shape) else np.zeros(len(cols[0]), np.int64)
        )
        return np.where(missing, -1, cells)

    def _rows(self) -> int:
        arr = next(iter(self.arrays.values()))
        return arr.shape[0] if self.lead is not None else arr.shape[1]

    def _dense_view(self, arr: np.ndarray, by: list[str], shape: tuple[int, ...]) -> Any:
        """``(n_lead, *shape, ...)`` view of a dense array's known cells, or None when the
        cells asked for are not the kernel's (other ``by``, pruned labels)."""
        if not self.dense or by != self.full_by:
            return None
        if len(self.table_shape) != len(shape):
            return None
        if any(not n <= e <= n + 1 for e, n in zip(self.table_shape, shape, strict=True)):
            return None  # other cells than the table's (e.g. pruned labels)
        grid = arr.reshape((self.n_lead, *self.table_shape, *arr.shape[1:]))
        return grid[(slice(None), *(slice(0, n) for n in shape))]

    def by_lead(self, name: str, by: list[str], shape: tuple[int, ...]) -> np.ndarray:
        """Totals of statistic ``name`` with shape ``(n_lead, *shape, ...)`` (known groups)."""
        arr = self.arrays[name]
        if self.lead is not None and not by and self.dense:
            return self.by_lead_all(name)  # no groups asked for: everything of each PSU
        view = self._dense_view(arr, by, shape) if self.lead is not None else None
        if view is not None:
            return view
        cells = self._cells(by, shape)
        n_cells = int(np.prod(shape)) if by else 1
        ok = cells >= 0
        if self.lead is not None:
            flat = self.lead * n_cells + cells
            if by == self.full_by and not self.dense:  # rows are distinct (PSU, cell) pairs
                out = np.zeros((self.n_lead * n_cells, *arr.shape[1:]))
                out[flat[ok]] = arr[ok]
            else:
                out = _scatter_sum(flat[ok], arr[ok], self.n_lead * n_cells)
            out = out.reshape((self.n_lead, n_cells, *arr.shape[1:]))
        else:
            idx = np.flatnonzero(ok)
            moved = np.moveaxis(arr[:, idx], 1, 0)  # cells first
            out = np.moveaxis(_scatter_sum(cells[idx], moved, n_cells), 0, 1)
        return out.reshape((self.n_lead, *shape, *out.shape[2:])) if by else out[:, 0]

    def by_lead_parts(
        self, name: str, by: list[str], shape: tuple[int, ...]
    ) -> list[np.ndarray] | None:
        """:meth:`by_lead` as arrays that sum to it (views of the kernel's buckets, so the
        sum is never formed), or None when the totals are not such views."""
        split = getattr(self.arrays, "parts", None)
        if self.lead is None or not self.dense or split is None:
            return None
        parts = split(name)
        if parts is None:
            return None
        views = [self._dense_view(p, by, shape) for p in parts]
        return None if any(v is None for v in views) else views

    def by_lead_all(self, name: str) -> np.ndarray:
        """Totals over all rows (missing groups included), shape ``(n_lead, ...)``."""
        arr = self.arrays[name]
        if self.lead is not None:
            if self.dense:
                return arr.reshape((self.n_lead, -1, *arr.shape[1:])).sum(axis=1)
            return _scatter_sum(self.lead, arr, self.n_lead)
        return arr.sum(axis=1)

    def psu_presence(self, by: list[str], shape: tuple[int, ...]) -> np.ndarray:
        """``(n_psu, *shape)`` booleans: which PSUs hold units of each group."""
        assert self.lead is not None
        cells = self._cells(by, shape)
        ok = cells >= 0
        if self.present is not None:
            ok &= self.present
        out = np.zeros((self.n_lead, int(np.prod(shape))), bool)
        out[self.lead[ok], cells[ok]] = True
        return out.reshape((self.n_lead, *shape))


@dataclass
class Inference:
    """How a result's estimates vary: totals per lead, the engine and (bootstrap) factors."""

    totals: CellTotals
    engine: LinearizedEngine | ReplicateEngine
    design: Design | BootstrapDesign | ReplicateDesign
    encoded: EncodedDesign | None = None
    factors: np.ndarray | None = None  # bootstrap: replicates x PSUs

    @property
    def lead_dim(self) -> str:
        return self.engine.lead

    def _lead(self, arr: np.ndarray) -> np.ndarray:
        if self.factors is None:
            return arr
        flat = arr.reshape(arr.shape[0], -1)
        return (self.factors @ flat).reshape((self.factors.shape[0], *arr.shape[1:]))

    def pert_values(self, name: str, by: list[str], like: xr.Variable) -> np.ndarray:
        """Lead-dim totals of statistic ``name`` aligned with the result's ``like``: a numpy
        array with dims ``(lead, *like.dims)``."""
        shape = tuple(like.sizes[b] for b in by)
        return self._lead(self.totals.by_lead(name, by, shape))

    def pert_terms(self, name: str, by: list[str], like: xr.Variable) -> tuple | None:
        """Linearised perturbation terms ``(1, part, dims)`` of statistic ``name`` when its
        totals are a sum of kernel buckets (:meth:`CellTotals.by_lead_parts`); else None."""
        if self.factors is not None:
            return None
        shape = tuple(like.sizes[b] for b in by)
        parts = self.totals.by_lead_parts(name, by, shape)
        if parts is None:
            return None
        ones = np.ones((1,) * like.ndim)
        dims = tuple(like.dims)
        return tuple((ones, p, dims) for p in parts)

    def pert_all(self, name: str, like: xr.DataArray) -> xr.DataArray:
        arr = self._lead(self.totals.by_lead_all(name))
        return xr.DataArray(arr, dims=(self.lead_dim, *like.dims), coords=like.coords)

    def domain_df(self, by: list[str], like: xr.DataArray) -> xr.DataArray:
        """Degrees of freedom of each group as its own domain (PSUs - strata holding it)."""
        shape = tuple(like.sizes[b] for b in by)
        if self.encoded is None or self.totals.lead is None:
            return xr.full_like(like, self.engine.df, dtype=np.int64)
        pres = self.totals.psu_presence(by, shape).reshape(self.encoded.n_psu, -1)
        strat = self.encoded.psu_stratum
        n_strata = self.encoded.n_strata
        out = np.empty(pres.shape[1], np.int64)
        for c in range(pres.shape[1]):
            psus = pres[:, c]
            out[c] = int(psus.sum()) - int(
                np.bincount(strat[psus], minlength=n_strata).astype(bool).sum()
            )
        return xr.DataArray(out.reshape(shape), dims=like.dims, coords=like.coords)


def _check_design_type(design: Any) -> None:
    if not isinstance(design, Design | BootstrapDesign | ReplicateDesign):
        raise ValidationError(
            "design must be an mpi.Design, a Design.bootstrap(...) or an mpi.ReplicateDesign; "
            f"got {type(design).__name__}"
        )


def _rao_wu_factors(enc: EncodedDesign, b: BootstrapDesign) -> np.ndarray:
    """Rao-Wu rescaling factors (replicates x PSUs), ``n_h - 1`` PSUs drawn per stratum."""
    rng = np.random.default_rng(b.seed)
    out = np.ones((b.replicates, enc.n_psu))
    for h in range(enc.n_strata):
        lo, n = int(enc.starts[h]), int(enc.n_h[h])
        if n < 2:
            continue  # a lone PSU contributes no variance (certainty)
        draws = rng.integers(0, n, size=(b.replicates, n - 1))
        counts = np.zeros((b.replicates, n))
        np.add.at(counts, (np.arange(b.replicates)[:, None], draws), 1.0)
        lam = np.sqrt(enc.fpc_factor[h])
        out[:, lo : lo + n] = 1.0 - lam + lam * counts * n / (n - 1)
    return out


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
    _check_design_type(design)
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
    present = np.zeros(n_dense if marked and not inline else 0, bool)
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
        present = kernels.rows_with_units(raw[0], raw[4])
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
            cell_raw.append(_scatter_sum(row_cell, arr, n_cells))
    cell_stats = prep.stats(tuple(cell_raw))
    coords = {c: cell_stats.coords[c].values for c in ("k", "indicator")}
    codes = _prune_map(prep, cell_stats, _unravel_cells(prep, row_cell))
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
        present=present if dense and marked else None,
    )
    if isinstance(design, BootstrapDesign):
        factors = _rao_wu_factors(enc, design)
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
    from mpi._common.table import encode_weight

    main = prep.run(prep.sweight, np.ascontiguousarray(gcell), 0, n_cells)
    reps = []
    for name in design.replicate_weights:
        w = encode_weight(prep.table.column(name, role="replicate weight"), name)
        if np.isnan(w).any():
            raise DataError(
                f"replicate weight {name!r} has {int(np.isnan(w).sum())} missing value(s); "
                "replicate weights must be complete (use 0 for units out of a replicate)"
            )
        if prep.sweight.size:  # a unit without a full-sample weight is out of every replicate
            w = np.where(np.isnan(prep.sweight), np.nan, w)
        reps.append(prep.run(w, np.ascontiguousarray(gcell), 0, n_cells))
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


def _severe_total(result: MeasureResult, tot: Any, poor: Estimate) -> Estimate:
    """Total of the severely poor, ``c >= max(severe, k)``: the poor's total at a cutoff
    above the severity cutoff (as :func:`mpi.measurement.finalize.finalize`)."""
    above = result._above_severe
    if above is None:
        return tot("SEVERE")
    if above.ndim == 0:
        return poor
    mask = xr.DataArray(above.astype(np.float64), dims="k")
    return tot("SEVERE") * (1.0 - mask) + poor * mask


def estimates(result: MeasureResult) -> dict[str, Estimate]:
    """Every estimand of ``result`` as an :class:`Estimate` built from totals.

    The formulas are those of :func:`mpi.measurement.finalize.finalize` and of the group shares in
    :class:`~mpi.MeasureResult`, written on estimates of totals, so the perturbations are
    the exact linearisations (or replicate recomputations) of the published numbers.
    """
    inf = result._inference
    if inf is None:
        raise ValidationError(
            "this result has no survey design; pass design=mpi.Design(...) to mpi.measure "
            "for standard errors"
        )
    stats, by = result._stats, result._cell_dims  # the by variables, or a sparse table's cell
    engine = inf.engine

    coord_vars = {c: stats.variables[c] for c in stats.coords}

    def tot(name: str) -> Estimate:
        like = stats.variables[name]  # a Variable: no DataArray built per statistic
        coords = {c: v for c, v in coord_vars.items() if set(v.dims) <= set(like.dims)}
        terms = inf.pert_terms(name, by, like) if engine.kind == "linearized" else None
        pert = inf.pert_values(name, by, like) if terms is None else None
        e = Estimate(like.values, pert, engine, dims=like.dims, coords=coords, terms=terms)
        # one cutoff: drop k from the totals, not from every estimate built on them
        return e.squeeze("k") if not result.k_dim and "k" in e.dims else e

    sumw, poor, cp = tot("SUMW"), tot("POOR"), tot("CP")
    out: dict[str, Estimate] = {
        "H": poor / sumw,
        "A": cp / poor,
        "M0": cp / sumw,
        "M1": tot("M1") / sumw,
        "M2": tot("M2") / sumw,
        "vulnerable": tot("VULN") / sumw,
        "severe": _severe_total(result, tot, poor) / sumw,
    }
    a = out["A"]
    out["intensity_variance"] = (tot("C2P") / poor - a * a).clip_lower(0.0)
    obs = tot("OBS")
    out["uncensored_headcount"] = tot("DEP") / obs
    out["censored_headcount"] = tot("CDEP") / obs
    if result.missing == "reweight":
        contrib = tot("CONTRIB")
    else:  # w_j times the censored counts: a coefficient on their totals, no new array
        wint, denom = result.spec.integer_weights
        contrib = tot("CDEP") * xr.DataArray(wint / denom, dims="indicator")
    out["contribution"] = contrib / cp
    # w_j h_j (effective weights under reweighting): sums to M0 over indicators
    out["absolute_contribution"] = contrib / sumw
    spec = result.spec
    membership = xr.DataArray(
        np.array(
            [[1.0 if spec.dimension_of(i) == d else 0.0 for i in spec] for d in spec.dimensions]
        ),
        dims=("dimension", "indicator"),
        coords={"dimension": spec.dimensions, "indicator": spec.names},
    )
    out["dimension_contribution"] = contrib.dot(membership, "indicator") / cp
    if by:
        known = sumw.sum(by)
        sumw_all, cp_all = known, cp.sum(by)
        mg = result._missing_group
        if mg is not None and mg["NOBS"].values.sum() + mg["NDROP"].values.sum() > 0:
            # units with a missing group count in the totals (none: the totals are known's)
            sumw_all = Estimate(known.value + mg["SUMW"], inf.pert_all("SUMW", mg["SUMW"]), engine)
            cp_all = Estimate(cp_all.value + mg["CP"], inf.pert_all("CP", mg["CP"]), engine)
        out["population_share"] = sumw / known
        out["group_contribution"] = (cp / known) / (cp_all / sumw_all)
    if not result.k_dim:
        out = {n: e.squeeze("k") if "k" in e.dims else e for n, e in out.items()}
    return out
