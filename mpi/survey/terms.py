"""Lazy linearised perturbations as sums of terms, laid out for the numba kernels.

An :class:`~mpi.survey.estimate.Estimate` keeps its linearised perturbation as a short tuple
of terms ``(coef, base, bdims)``, ``u = sum coef * base``, where ``base`` is an array of PSU
totals read in place. :class:`TermBatch` lays out the terms of one or more estimates for
:func:`mpi.kernels.combine_terms` (materialise ``u``) and :func:`mpi.kernels.terms_variance`
(variances stratum by stratum without forming ``u``); :func:`fold` maps an axis of a base by
a matrix in place; :func:`align` is the dimension-name broadcasting every piece relies on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mpi import kernels

__all__ = [
    "N_BASES",
    "TermBatch",
    "align",
    "combine",
    "fold",
    "drops_dim",
    "select_terms",
    "sum_terms",
    "dot_terms",
]


#: Base buffers per kernel call: a tuple of fixed length, so the kernels compile once.
N_BASES = 16


class TermBatch:
    """Lazy terms of one or more estimates in the layout of :func:`kernels.combine_terms`
    and :func:`kernels.terms_variance`: each term reads one of at most :data:`N_BASES`
    flat buffers and writes its estimate's range of columns."""

    def __init__(self, lead: str) -> None:
        self.lead = lead
        self.roots: dict[tuple, int] = {}
        self.flats: list[np.ndarray] = []
        self.which: list[int] = []
        self.rstride: list[int] = []
        self.cols: list[np.ndarray] = []
        self.coefs: list[np.ndarray] = []
        self.first: list[int] = []
        self.m = 0
        self.n_lead = 1

    def fits(self, terms: tuple) -> bool:
        """Whether the terms' buffers fit in the free slots (an upper bound)."""
        return len(self.flats) + len(terms) <= N_BASES

    def add(self, terms: tuple, dims: tuple, shape: tuple) -> slice:
        """Append an estimate's terms; returns its columns."""
        m = int(np.prod(shape))
        full = (self.lead, *dims)
        for coef, base, bdims in terms:
            aligned = align(base, (self.lead, *bdims), full)
            self.n_lead = max(self.n_lead, aligned.shape[0])
            root, off0, strides = _flat_view(aligned)
            key = (root.__array_interface__["data"][0], root.size)
            if key not in self.roots:
                flat = root.reshape(-1).view()
                flat.flags.writeable = False  # one numba type for every buffer
                self.roots[key] = len(self.flats)
                self.flats.append(flat)
            col = _offsets(aligned.shape[1:], off0, strides[1:])
            self.which.append(self.roots[key])
            self.rstride.append(strides[0])
            self.cols.append(np.broadcast_to(col, shape).reshape(-1))
            self.coefs.append(np.broadcast_to(coef, shape).reshape(-1).astype(np.float64))
            self.first.append(self.m)
        out = slice(self.m, self.m + m)
        self.m += m
        return out

    def arrays(self) -> tuple:
        """The batch as the arguments of the kernels: ``(bases, which, rstride, cols, coefs,
        first, width, m)`` (bases padded to :data:`N_BASES` buffers)."""
        width = np.array([len(c) for c in self.cols], np.int64)
        w = int(width.max()) if len(width) else 0
        cols = np.zeros((len(self.cols), w), np.int64)
        coefs = np.zeros((len(self.cols), w))
        for t, (c, k) in enumerate(zip(self.cols, self.coefs, strict=True)):
            cols[t, : len(c)] = c
            coefs[t, : len(k)] = k
        pad = self.flats[0] if self.flats else _EMPTY
        bases = tuple(self.flats) + (pad,) * (N_BASES - len(self.flats))
        return (
            bases,
            np.array(self.which, np.int64),
            np.array(self.rstride, np.int64),
            cols,
            coefs,
            np.array(self.first, np.int64),
            width,
            self.m,
        )


_EMPTY = np.zeros(1)
_EMPTY.flags.writeable = False


def _flat_view(view: np.ndarray) -> tuple[np.ndarray, int, list[int]]:
    """``view`` as (the C-contiguous float64 array it looks into, position of its first
    element there, strides in elements with 0 along length-1 axes); a copy when there is
    no such array."""
    root = view
    while isinstance(root.base, np.ndarray):
        root = root.base
    size = 8
    ok = (
        root.dtype == np.float64
        and view.dtype == np.float64
        and root.flags.c_contiguous
        and all(s % size == 0 for s in view.strides)
    )
    if ok:
        off = view.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        ok = off % size == 0 and 0 <= off < max(root.nbytes, 1)
    if not ok:
        view = np.ascontiguousarray(view, dtype=np.float64)
        root, off = view, 0
    strides = [s // size if n > 1 else 0 for s, n in zip(view.strides, view.shape, strict=True)]
    return root, off // size, strides


def combine(terms: tuple, lead: str, dims: tuple, shape: tuple) -> np.ndarray:
    """``sum_t coef_t * base_t`` as a C-contiguous array ``(n_lead, *shape)``, in one numba
    pass that reads every base in place (:func:`kernels.combine_terms`)."""
    if not terms:  # a constant: no perturbation
        return np.broadcast_to(np.zeros(1), (1, *shape))
    if len(terms) > N_BASES:  # cannot happen with MAX_TERMS < N_BASES; kept for safety
        raise ValueError(f"{len(terms)} terms exceed {N_BASES} buffers")
    batch = TermBatch(lead)
    batch.add(terms, dims, shape)
    out = kernels.combine_terms(*batch.arrays(), batch.n_lead)
    return out.reshape((batch.n_lead, *shape))


def _offsets(shape: tuple, off: int, strides: list[int]) -> np.ndarray:
    """Position in the flat root buffer of every element of a view of ``shape`` (see
    :func:`_flat_view`: first element at ``off``, ``strides`` in elements)."""
    out = np.full(shape, off, np.int64)
    for ax, (n, st) in enumerate(zip(shape, strides, strict=True)):
        if st:
            out = out + (np.arange(n, dtype=np.int64) * st).reshape(
                (n,) + (1,) * (len(shape) - ax - 1)
            )
    return out


def fold(base: np.ndarray, ax: int, mat: np.ndarray) -> np.ndarray:
    """``base`` with axis ``ax`` mapped by ``mat`` (``(n, m)``), the new axis in its place,
    reading ``base`` in place (:func:`kernels.fold_rows`; :func:`numpy.tensordot` would
    first copy a strided view such as one bucket of the kernel's sums)."""
    moved = np.moveaxis(base, ax, -1)
    root, off, strides = _flat_view(moved)
    lead = moved.shape[:-1]
    starts = _offsets(lead, off, strides[:-1])
    flat = root.reshape(-1)
    step = strides[-1]
    nz_row, nz_col = np.nonzero(mat)
    nz_val = np.ascontiguousarray(mat[nz_row, nz_col], np.float64)
    out = np.zeros((starts.size, mat.shape[1]))  # numpy: huge pages for a large output
    kernels.fold_rows(flat, starts.reshape(-1), step, nz_row, nz_col, nz_val, out)
    return np.moveaxis(out.reshape((*lead, mat.shape[1])), -1, ax)


def align(arr: np.ndarray, dims: tuple, target: tuple) -> np.ndarray:
    """View of ``arr`` (dims ``dims``) transposed/expanded to broadcast against ``target``."""
    if dims == target:
        return arr
    order = [dims.index(d) for d in target if d in dims]
    arr = np.transpose(arr, order) if order != list(range(len(order))) else arr
    shape = []
    present = [d for d in target if d in dims]
    it = iter(arr.shape)
    for d in target:
        shape.append(next(it) if d in present else 1)
    return arr.reshape(shape)


def drops_dim(i: Any) -> bool:
    """Whether an index picks one position (drops its dim): not a slice, not an array.

    Parameters
    ----------
    i
        An index along one dim.

    Returns
    -------
    bool
    """
    return not isinstance(i, slice) and np.ndim(i) == 0


def _pick(arr: np.ndarray, dims: tuple, idx: dict, lead: int) -> np.ndarray:
    """Basic selection ``idx`` (ints or slices by dim name) on ``arr`` with dims ``dims``
    after ``lead`` leading axes; length-1 (broadcast) axes keep their single value."""
    key: list = [slice(None)] * lead
    for ax, d in enumerate(dims):
        i = idx.get(d, slice(None))
        if arr.shape[lead + ax] == 1 and drops_dim(i) and d in idx:
            key.append(0)
        elif arr.shape[lead + ax] == 1:
            key.append(slice(None))
        else:
            key.append(i)
    return arr[tuple(key)]


def select_terms(terms: tuple, dims: tuple, idx: dict) -> tuple:
    """A basic selection applied to every lazy term (views: no PSU-level copy).

    Parameters
    ----------
    terms
        ``(coef, base, bdims)`` terms of an estimate with dims ``dims``.
    dims
        The estimate's dims (the coefficients' axes).
    idx
        Integers or slices by dim name.

    Returns
    -------
    tuple
        The selected terms.
    """
    return tuple(
        (
            _pick(c, dims, idx, 0),
            _pick(b, bd, idx, 1),
            tuple(x for x in bd if not (x in idx and drops_dim(idx[x]))),
        )
        for c, b, bd in terms
    )


def sum_terms(terms: tuple, dims: tuple, shape: tuple, drop: list) -> tuple | None:
    """A sum over dims applied to every lazy term.

    Possible when no coefficient varies along the summed dims: the bases are then summed, or
    scaled by the dim's length where they are constant along it.

    Parameters
    ----------
    terms
        ``(coef, base, bdims)`` terms of an estimate with dims ``dims`` and value ``shape``.
    dims, shape
        The estimate's dims and value shape.
    drop
        The dims summed.

    Returns
    -------
    tuple or None
        The summed terms; None when a coefficient varies along a summed dim.
    """
    axes = tuple(dims.index(d) for d in drop)
    out = []
    for coef, base, bdims in terms:
        if any(coef.shape[a] > 1 for a in axes):
            return None
        c = coef.reshape([n for i, n in enumerate(coef.shape) if i not in axes])
        inside = [d for d in drop if d in bdims]
        for d in drop:
            if d not in bdims:  # constant along d: the sum is len(d) times the base
                c = c * shape[dims.index(d)]
        if inside:
            base = base.sum(axis=tuple(bdims.index(d) + 1 for d in inside))
            bdims = tuple(d for d in bdims if d not in inside)
        out.append((c, base, bdims))
    return tuple(out)


def dot_terms(terms: tuple, dims: tuple, mat: np.ndarray, dim: str, new: str) -> tuple | None:
    """A linear map along ``dim`` applied to every lazy term.

    Possible when each coefficient varies along ``dim`` only: it then folds into the matrix
    (one pass over each base, nothing materialised).

    Parameters
    ----------
    terms
        ``(coef, base, bdims)`` terms of an estimate with dims ``dims``.
    dims
        The estimate's dims.
    mat
        The matrix ``(dim, new)``.
    dim, new
        The dim mapped and the dim it becomes.

    Returns
    -------
    tuple or None
        The mapped terms; None when a coefficient varies along another dim.
    """
    ax = dims.index(dim)
    out = []
    for coef, base, bdims in terms:
        if any(n > 1 for i, n in enumerate(coef.shape) if i != ax):
            return None
        cvec = np.broadcast_to(coef.reshape(-1), (mat.shape[0],))
        folded = cvec[:, None] * mat  # (dim, new)
        if dim in bdims:
            bax = bdims.index(dim) + 1
            nb = fold(base, bax, folded)
            nbdims = tuple(new if d == dim else d for d in bdims)
        else:  # the base is the same along dim: sum the folded rows
            nb = base[..., None] * folded.sum(axis=0)
            nbdims = (*bdims, new)
        out.append((np.ones((1,) * len(dims)), nb, nbdims))
    return tuple(out)
