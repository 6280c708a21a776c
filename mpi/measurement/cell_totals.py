"""Totals of the additive statistics per PSU or replicate, and what a result's inference is.

:class:`CellTotals` holds the statistics of one design pass (per (PSU, group) row or per
(replicate, group) cell) and sums them to any grouping; :class:`Inference` turns them into
the perturbations of :class:`~mpi.Estimate` totals (PSU totals for the linearisation, or
replicate totals, Rao-Wu factors applied).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from mpi.survey.design import BootstrapDesign, Design, EncodedDesign, ReplicateDesign
from mpi.survey.estimate import LinearizedEngine, ReplicateEngine

__all__ = ["CellTotals", "Inference", "scatter_sum"]


def scatter_sum(index: np.ndarray, arr: np.ndarray, n: int) -> np.ndarray:
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
    units (or computes them when first asked: only :meth:`psu_presence` reads them, so a
    call for standard errors never scans the rows); totals by PSU are then reshapes, not
    scatters.
    """

    arrays: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]]
    coords: dict[str, Any]
    codes: Mapping[str, np.ndarray]
    n_lead: int
    lead: np.ndarray | None = None
    full_by: list[str] | None = None  # the by variables of the kernel pass (rows distinct)
    dense: bool = False
    table_shape: tuple[int, ...] = ()  # cells per PSU of a dense table, per by variable
    # rows holding units (dense rows), or a function computing them; None: every row
    present: np.ndarray | Callable[[], np.ndarray] | None = None

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
                out = scatter_sum(flat[ok], arr[ok], self.n_lead * n_cells)
            out = out.reshape((self.n_lead, n_cells, *arr.shape[1:]))
        else:
            idx = np.flatnonzero(ok)
            moved = np.moveaxis(arr[:, idx], 1, 0)  # cells first
            out = np.moveaxis(scatter_sum(cells[idx], moved, n_cells), 0, 1)
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
            return scatter_sum(self.lead, arr, self.n_lead)
        return arr.sum(axis=1)

    def rows_holding_units(self) -> np.ndarray | None:
        """Booleans per row of a dense table: the row holds units (computed on first call
        when :attr:`present` is a function); None when every row does."""
        if callable(self.present):
            self.present = self.present()
        return self.present

    def psu_presence(self, by: list[str], shape: tuple[int, ...]) -> np.ndarray:
        """``(n_psu, *shape)`` booleans: which PSUs hold units of each group."""
        assert self.lead is not None
        cells = self._cells(by, shape)
        ok = cells >= 0
        present = self.rows_holding_units()
        if present is not None:
            ok &= present
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
