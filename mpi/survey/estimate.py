"""Estimates that carry what their design-based variance needs.

An :class:`Estimate` is a value (an :class:`xarray.DataArray`) plus a *perturbation*:

* Taylor linearisation: the PSU totals of the estimate's influence function, along the
  dimension ``_psu`` (the derivative of the estimate in the direction of each PSU's totals);
* replication (bootstrap, jackknife, BRR, Fay): the estimate recomputed on every replicate,
  along the dimension ``_rep``.

Arithmetic on estimates propagates both exactly: linearisation by the chain rule (the delta
method), replication by recomputing the function on each replicate. Every derived quantity
(ratios, changes over time, Shapley parts, contrasts) is written once in this algebra and
gets a correct variance from either engine, including the covariance between groups, cutoffs
and rounds that share PSUs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels

__all__ = [
    "Estimate",
    "LinearizedEngine",
    "ReplicateEngine",
    "PSU",
    "REP",
    "stack",
    "standard_errors",
]

PSU = "_psu"
REP = "_rep"
#: Most terms a lazy linearised perturbation keeps before it is materialised.
MAX_TERMS = 6


def _nan_div(a: Any, b: Any) -> Any:
    """a / b with NaN where b == 0 (numpy arrays or scalars)."""
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(np.asarray(a, dtype=np.float64), b)
    return np.where(b == 0, np.nan, out)


class LinearizedEngine:
    """Variance from PSU totals of influence values (stratified, with-replacement first stage).

    Parameters
    ----------
    design : mpi.survey.design.EncodedDesign
        PSUs sorted by stratum, PSUs per stratum, fpc factors, lonely-PSU policy.
    """

    kind = "linearized"
    lead = PSU

    def __init__(self, design: Any) -> None:
        self.design = design

    @property
    def df(self) -> int:
        return self.design.df

    def _strata_cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """sum_h c_h sum_i (a_hi - abar_h)(b_hi - bbar_h) over the leading PSU axis.

        Two passes (deviations from the stratum means, then their products), so that a
        variance that is exactly zero comes out as zero, not as rounding noise.
        """
        d = self.design
        starts, n_h = d.starts, d.n_h.astype(np.float64)
        shape = (-1,) + (1,) * (a.ndim - 1)
        nh = n_h.reshape(shape)
        if b is a:  # a variance: fused two-pass numba sums
            scale_h = np.where(d.n_h > 1, d.fpc_factor * n_h / np.maximum(n_h - 1, 1), 0.0)
            scale_h = scale_h * d.stratum_weight
            flat = np.ascontiguousarray(a.reshape(a.shape[0], -1))
            total = kernels.strata_variance(flat, starts, d.n_h, scale_h)
            return self._lonely(a, b, total.reshape(a.shape[1:]), shape)
        dev_a = a - np.repeat(np.add.reduceat(a, starts, axis=0) / nh, d.n_h, axis=0)
        dev_b = b - np.repeat(np.add.reduceat(b, starts, axis=0) / nh, d.n_h, axis=0)
        s_ab = np.add.reduceat(dev_a * dev_b, starts, axis=0)
        ok = (d.n_h > 1).reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(ok, d.fpc_factor.reshape(shape) * nh / (nh - 1), 0.0)
            scale = scale * d.stratum_weight.reshape(shape)
            within = np.where(ok, s_ab, 0.0)
        total = (scale * within).sum(axis=0)
        return self._lonely(a, b, total, shape)

    def _lonely(self, a: np.ndarray, b: np.ndarray, total: np.ndarray, shape: tuple) -> np.ndarray:
        """Add the lonely-PSU policy's terms and the revisited clusters' covariance."""
        d = self.design
        lonely = d.n_h == 1
        if lonely.any():
            policy = d.lonely_psu
            if policy == "adjust":  # lone PSU centred at the mean PSU total of the design
                ma = a.sum(axis=0) / d.n_psu
                mb = b.sum(axis=0) / d.n_psu
                idx = d.starts[lonely]
                f = d.fpc_factor[lonely].reshape(shape)
                total = total + (f * (a[idx] - ma) * (b[idx] - mb)).sum(axis=0)
        if len(d.overlap_a):
            total = total + self._overlap_cross(a, b)
        return total

    def _overlap_cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Covariance between rounds from revisited clusters (pairs of PSU numbers),
        both orders: C(a_r, b_s) + C(a_s, b_r) summed over groups (stratum, r, s)."""
        d = self.design
        starts, m = d.overlap_starts, d.overlap_m
        shape = (-1,) + (1,) * (a.ndim - 1)
        mm = m.astype(np.float64).reshape(shape)

        def dev(x: np.ndarray) -> np.ndarray:
            mean = np.add.reduceat(x, starts, axis=0) / mm
            return x - np.repeat(mean, m, axis=0)

        ar, as_ = dev(a[d.overlap_a]), dev(a[d.overlap_b])
        br, bs = dev(b[d.overlap_a]), dev(b[d.overlap_b])
        cross = np.add.reduceat(ar * bs + as_ * br, starts, axis=0)
        ok = (m > 1).reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(ok, d.overlap_f.reshape(shape) * mm / (mm - 1), 0.0)
        return (scale * np.where(ok, cross, 0.0)).sum(axis=0)

    def cross(self, pa: np.ndarray, pb: np.ndarray, va: Any = None, vb: Any = None) -> np.ndarray:
        """Elementwise covariance from influence totals (leading PSU axis)."""
        return self._strata_cross(pa, pb)

    def fused(self) -> bool:
        """Whether variances can be read stratum by stratum from lazy terms (not with lone
        PSUs centred at the grand mean, nor with clusters revisited by pooled rounds)."""
        d = self.design
        return not (len(d.overlap_a) or (d.lonely_psu == "adjust" and (d.n_h == 1).any()))

    def variance_terms(self, terms: tuple, dims: tuple, shape: tuple) -> np.ndarray | None:
        """Variance of a lazy perturbation (:class:`Estimate` terms) stratum by stratum,
        without forming it; None when the design needs the general path (:meth:`fused`)."""
        out = self.variances([(terms, dims, shape)])
        return None if out is None else out[0]

    def variances(self, items: list[tuple]) -> list[np.ndarray] | None:
        """:meth:`variance_terms` of several estimates ``(terms, dims, shape)``, batched
        into as few kernel calls as the buffer slots allow."""
        if not self.fused():
            return None
        d = self.design
        n_h = d.n_h.astype(np.float64)
        scale = np.where(d.n_h > 1, d.fpc_factor * n_h / np.maximum(n_h - 1, 1), 0.0)
        scale = scale * d.stratum_weight
        out: list[Any] = [None] * len(items)
        pending: list[tuple[int, slice, tuple]] = []
        batch = _TermBatch(PSU)

        def flush() -> bool:
            if not pending:
                return True
            if batch.n_lead != d.n_psu:
                return False
            var = kernels.terms_variance(
                *batch.arrays(), d.starts, d.n_h, scale, numba.get_num_threads()
            )
            for i, cols, shape in pending:
                out[i] = var[cols].reshape(shape)
            return True

        for i, (terms, dims, shape) in enumerate(items):
            if not terms:
                out[i] = np.zeros(shape)
                continue
            if not batch.fits(terms):
                if not flush():
                    return None
                pending, batch = [], _TermBatch(PSU)
            pending.append((i, batch.add(terms, dims, shape), shape))
        return out if flush() else None

    def matrix(self, pert: np.ndarray) -> np.ndarray:
        """Full covariance of the columns of ``pert`` (PSUs x estimands)."""
        d = self.design
        out = np.zeros((pert.shape[1], pert.shape[1]))
        for h in range(d.n_strata):
            lo, n = d.starts[h], d.n_h[h]
            block = pert[lo : lo + n]
            if n > 1:
                dev = block - block.mean(axis=0)
                out += d.stratum_weight[h] * d.fpc_factor[h] * n / (n - 1) * (dev.T @ dev)
            elif d.lonely_psu == "adjust":
                dev = block - pert.sum(axis=0) / d.n_psu
                out += d.fpc_factor[h] * (dev.T @ dev)
        if np.isnan(d.stratum_weight).any():  # "average" with no stratum of 2+ PSUs
            return out * np.nan
        for g, lo in enumerate(d.overlap_starts):  # revisited clusters of pooled rounds
            m = int(d.overlap_m[g])
            if m < 2:
                continue
            ra = pert[d.overlap_a[lo : lo + m]]
            rb = pert[d.overlap_b[lo : lo + m]]
            ra = ra - ra.mean(axis=0)
            rb = rb - rb.mean(axis=0)
            out += d.overlap_f[g] * m / (m - 1) * (ra.T @ rb + rb.T @ ra)
        return out


class ReplicateEngine:
    """Variance from replicate estimates: ``scale * sum_r rscales_r (theta_r - centre)^2``.

    ``centre`` is the replicates' mean, or the full-sample estimate when ``mse``.
    """

    kind = "replicate"
    lead = REP

    def __init__(self, scale: float, rscales: np.ndarray, mse: bool, df: int, label: str) -> None:
        self.scale = float(scale)
        self.rscales = np.asarray(rscales, dtype=np.float64)
        self.mse = bool(mse)
        self._df = int(df)
        self.label = label

    @property
    def df(self) -> int:
        return self._df

    def cross(self, pa: np.ndarray, pb: np.ndarray, va: Any, vb: Any) -> np.ndarray:
        """Elementwise covariance from replicate values (leading replicate axis)."""
        ca = va if self.mse else pa.mean(axis=0)
        cb = vb if self.mse else pb.mean(axis=0)
        r = self.rscales.reshape((-1,) + (1,) * (pa.ndim - 1))
        return self.scale * (r * (pa - ca) * (pb - cb)).sum(axis=0)

    def matrix(self, pert: np.ndarray, value: np.ndarray) -> np.ndarray:
        centre = value if self.mse else pert.mean(axis=0)
        dev = pert - centre
        return self.scale * (dev.T * self.rscales) @ dev


#: Base buffers per kernel call: a tuple of fixed length, so the kernels compile once.
N_BASES = 16


class _TermBatch:
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
            aligned = _align(base, (self.lead, *bdims), full)
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


def _combine(terms: tuple, lead: str, dims: tuple, shape: tuple) -> np.ndarray:
    """``sum_t coef_t * base_t`` as a C-contiguous array ``(n_lead, *shape)``, in one numba
    pass that reads every base in place (:func:`kernels.combine_terms`)."""
    if not terms:  # a constant: no perturbation
        return np.broadcast_to(np.zeros(1), (1, *shape))
    if len(terms) > N_BASES:  # cannot happen with MAX_TERMS < N_BASES; kept for safety
        raise ValueError(f"{len(terms)} terms exceed {N_BASES} buffers")
    batch = _TermBatch(lead)
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


def _fold(base: np.ndarray, ax: int, mat: np.ndarray) -> np.ndarray:
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


def _root(var: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.where(var >= 0, var, np.nan))


def standard_errors(estimates: Sequence[Estimate]) -> list[np.ndarray]:
    """:meth:`Estimate.se_values` of many estimates; the lazy linearised ones share kernel
    passes (:meth:`LinearizedEngine.variances`)."""
    out: list[Any] = [None] * len(estimates)
    lazy = [
        i
        for i, e in enumerate(estimates)
        if e.engine.kind == "linearized" and e._pm is None and e._terms
    ]
    if lazy:
        engine = estimates[lazy[0]].engine
        same = [i for i in lazy if estimates[i].engine is engine]
        got = engine.variances(
            [(estimates[i]._terms, estimates[i].dims, estimates[i]._v.shape) for i in same]
        )
        if got is not None:
            for i, var in zip(same, got, strict=True):
                out[i] = _root(var)
    return [o if o is not None else e.se_values() for o, e in zip(out, estimates, strict=True)]


def _scalar(i: Any) -> bool:
    """Whether an index picks one position (drops its dim): not a slice, not an array."""
    return not isinstance(i, slice) and np.ndim(i) == 0


def _pick(arr: np.ndarray, dims: tuple, idx: dict, lead: int) -> np.ndarray:
    """Basic selection ``idx`` (ints or slices by dim name) on ``arr`` with dims ``dims``
    after ``lead`` leading axes; length-1 (broadcast) axes keep their single value."""
    key: list = [slice(None)] * lead
    for ax, d in enumerate(dims):
        i = idx.get(d, slice(None))
        if arr.shape[lead + ax] == 1 and _scalar(i) and d in idx:
            key.append(0)
        elif arr.shape[lead + ax] == 1:
            key.append(slice(None))
        else:
            key.append(i)
    return arr[tuple(key)]


def _align(arr: np.ndarray, dims: tuple, target: tuple) -> np.ndarray:
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


class Estimate:
    """A value with its linearised influence totals or its replicate values.

    The value is held as a numpy array with named dims (exposed as the
    :class:`xarray.DataArray` :attr:`value`); the perturbation as a numpy array with dims
    ``(lead, *dims)`` (``lead`` = ``_psu`` or ``_rep``), exposed as :attr:`pert`. Arithmetic
    broadcasts by dimension name, as xarray does, but on plain arrays (PSU-level arrays are
    large and the operations many). Supports ``+ - * /``, ``**`` (constant exponent),
    :meth:`sum`, :meth:`sel`, :meth:`isel` and :meth:`dot`.

    For :math:`\\theta = f(\\hat T_1, \\dots, \\hat T_m)` the linearised perturbation is
    :math:`u_{hi} = \\sum_r \\partial f/\\partial T_r \\, T_{r,hi}` (the delta method on PSU
    totals), and its variance is the stratified sum of squared deviations of
    :math:`u_{hi}` (:class:`LinearizedEngine`).

    Linearised perturbations are *lazy*: a short tuple of terms ``(coef, base, bdims)``,
    ``u = sum coef * base``, where ``coef`` has the value's shape and ``base`` is an array of
    PSU totals. Arithmetic multiplies coefficients (value-sized work), ``isel``/``sel`` with
    integers or slices select within the terms, ``dot`` folds the matrix into the bases when
    the coefficients allow, and :meth:`variance_values` reads the bases stratum by stratum
    (:func:`mpi.kernels.terms_variance`) without forming ``u``. Anything else materialises
    ``u`` once (:attr:`pert`).

    References
    ----------
    Wolter, K. M. (2007). *Introduction to Variance Estimation*, 2nd ed. Springer, ch. 6
    (Taylor series methods).
    """

    __slots__ = ("_v", "_vd", "_c", "engine", "_pm", "_terms")

    def __init__(
        self,
        value: Any,
        pert: Any,
        engine: Any,
        *,
        dims: tuple = (),
        coords: dict | None = None,
        terms: tuple | None = None,
    ) -> None:
        if isinstance(value, xr.DataArray):
            dims = tuple(value.dims)
            coords = dict(value.coords.variables)
            value = value.values
        self._v = np.asarray(value, dtype=np.float64)
        self._vd = tuple(dims)
        self._c = dict(coords or {})
        self.engine = engine
        # Linearised perturbations are kept *lazy*: a short sum of terms ``coef * base``
        # (``coef`` value-shaped, ``base`` a PSU-level array with dims ``(lead, *bdims)``),
        # so the chain rule works on value-sized arrays and a variance is computed from the
        # terms in one fused pass (:meth:`LinearizedEngine.variance_terms`). ``_p``
        # materialises the sum when an operation needs the PSU-level array itself.
        self._terms = terms
        self._pm: np.ndarray | None = None
        if terms is None:
            if isinstance(pert, xr.DataArray):
                pert = _align(pert.values, tuple(pert.dims), (engine.lead, *self._vd))
            pert = np.asarray(pert)
            self._pm = np.broadcast_to(pert, (pert.shape[0], *self._v.shape))

    @property
    def _p(self) -> np.ndarray:
        """The perturbation as an array ``(lead, *value.shape)`` (materialised once)."""
        if self._pm is None:
            assert self._terms is not None
            self._pm = _combine(self._terms, self.engine.lead, self._vd, self._v.shape)
        return self._pm

    def _lin_terms(self) -> tuple:
        """The linearised perturbation as terms ``(coef, base, bdims)`` (coef aligned to
        :attr:`dims`)."""
        if self._terms is not None:
            return self._terms
        ones = np.ones((1,) * len(self._vd))
        return ((ones, self._pm, self._vd),)

    # -- views -------------------------------------------------------------------------
    @property
    def value(self) -> xr.DataArray:
        """The estimate, with its coordinates."""
        coords = {n: v for n, v in self._c.items() if set(v.dims) <= set(self._vd)}
        return xr.DataArray(self._v, dims=self._vd, coords=coords)

    @property
    def pert(self) -> xr.DataArray:
        """Influence PSU totals (dim ``_psu``) or replicate values (dim ``_rep``)."""
        return xr.DataArray(self._p, dims=(self.engine.lead, *self._vd))

    @property
    def dims(self) -> tuple:
        return self._vd

    @property
    def _dims(self) -> tuple:
        return (self.engine.lead, *self._vd)

    # -- construction -------------------------------------------------------------------
    def _const(self, x: Any) -> Estimate:
        if isinstance(x, xr.DataArray):
            v, dims, coords = x.values, tuple(x.dims), dict(x.coords.variables)
        else:
            v, dims, coords = np.asarray(x, dtype=np.float64), (), {}
        if self.engine.kind == "linearized":  # a constant has no perturbation terms
            return Estimate(v, None, self.engine, dims=dims, coords=coords, terms=())
        lead = self._p.shape[0]
        p = np.broadcast_to(np.asarray(v, dtype=np.float64), (lead, *np.shape(v)))
        return Estimate(v, p, self.engine, dims=dims, coords=coords)

    def _lift(self, x: Any) -> Estimate:
        return x if isinstance(x, Estimate) else self._const(x)

    @staticmethod
    def apply(
        f: Callable[..., Any],
        grads: Sequence[Callable[..., Any]],
        *args: Estimate,
    ) -> Estimate:
        """``f(*args)`` with its perturbation: chain rule (``grads`` are the partial
        derivatives as functions of the values) or recomputation on every replicate.

        ``f`` and ``grads`` receive numpy arrays aligned by dimension name (broadcastable).
        """
        engine = args[0].engine
        target: list = []
        coords: dict = {}
        for a in args:
            target += [d for d in a._vd if d not in target]
            for n, v in a._c.items():
                coords.setdefault(n, v)
        tdims = tuple(target)
        full = (engine.lead, *tdims)
        values = [_align(a._v, a._vd, tdims) for a in args]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = np.asarray(f(*values), dtype=np.float64)
            shape = np.broadcast_shapes(*[v.shape for v in values], value.shape)
            value = np.broadcast_to(value, shape)
            if engine.kind == "linearized":  # chain rule on the terms' coefficients
                terms: dict = {}
                for a, g in zip(args, grads, strict=True):
                    gv = np.asarray(g(*values), dtype=np.float64)
                    for coef, base, bdims in a._lin_terms():
                        c = _align(coef, a._vd, tdims) * gv
                        key = (id(base), bdims)
                        if key in terms:
                            terms[key][0] = terms[key][0] + c
                        else:
                            terms[key] = [c, base, bdims]
                nd = len(tdims)
                lin = tuple(
                    (np.reshape(c, (1,) * (nd - np.ndim(c)) + np.shape(c)), b, bd)
                    for c, b, bd in terms.values()
                )
                out = Estimate(value, None, engine, dims=tdims, coords=coords, terms=lin)
                if len(lin) > MAX_TERMS:  # keep the sums short: materialise into one base
                    out = Estimate(value, out._p, engine, dims=tdims, coords=coords)
                return out
            pert = f(*[_align(a._p, a._dims, full) for a in args])
        pert = np.asarray(pert, dtype=np.float64)
        pert = np.broadcast_to(pert, (pert.shape[0], *shape))
        return Estimate(value, pert, engine, dims=tdims, coords=coords)

    # -- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Any) -> Estimate:
        o = self._lift(other)
        return Estimate.apply(lambda a, b: a + b, [lambda a, b: 1.0, lambda a, b: 1.0], self, o)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Estimate:
        o = self._lift(other)
        return Estimate.apply(lambda a, b: a - b, [lambda a, b: 1.0, lambda a, b: -1.0], self, o)

    def __rsub__(self, other: Any) -> Estimate:
        return self._lift(other) - self

    def __neg__(self) -> Estimate:
        return Estimate.apply(lambda a: -a, [lambda a: -1.0], self)

    def __mul__(self, other: Any) -> Estimate:
        o = self._lift(other)
        return Estimate.apply(lambda a, b: a * b, [lambda a, b: b, lambda a, b: a], self, o)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Estimate:
        """Ratio, NaN where the denominator is 0 (e.g. intensity when nobody is poor)."""
        o = self._lift(other)
        return Estimate.apply(
            _nan_div,
            [lambda a, b: _nan_div(1.0, b), lambda a, b: -_nan_div(a, b * b)],
            self,
            o,
        )

    def __rtruediv__(self, other: Any) -> Estimate:
        return self._lift(other) / self

    def __pow__(self, p: float) -> Estimate:
        """Power with a constant exponent."""
        return Estimate.apply(lambda a: a**p, [lambda a: p * a ** (p - 1)], self)

    def clip_lower(self, lo: float) -> Estimate:
        """``max(value, lo)`` (rounding guard; the derivative is passed through)."""
        return Estimate.apply(lambda a: np.maximum(a, lo), [lambda a: 1.0], self)

    def fillna(self, fill: float = 0.0) -> Estimate:
        """Replace NaN values (and their perturbations) by a constant."""
        bad = np.isnan(self._v)
        if self.engine.kind == "linearized":
            p = np.where(bad, 0.0, self._p)
        else:
            p = np.where(np.isnan(self._p), fill, self._p)
        return Estimate(np.where(bad, fill, self._v), p, self.engine, dims=self._vd, coords=self._c)

    # -- reductions and selection ------------------------------------------------------
    def _keep_coords(self, dims: tuple) -> dict:
        return {n: v for n, v in self._c.items() if set(v.dims) <= set(dims)}

    def sum(self, dim: Any) -> Estimate:
        drop = [dim] if isinstance(dim, str) else list(dim)
        axes = tuple(self._vd.index(d) for d in drop)
        dims = tuple(d for d in self._vd if d not in drop)
        value = self._v.sum(axis=axes)
        coords = self._keep_coords(dims)
        terms = self._sum_terms(axes, drop) if self._terms is not None else None
        if terms is not None:
            return Estimate(value, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = self._p.sum(axis=tuple(a + 1 for a in axes))
        return Estimate(value, p, self.engine, dims=dims, coords=coords)

    def _sum_terms(self, axes: tuple, drop: list) -> tuple | None:
        """The sum applied to every lazy term, when no coefficient varies along the summed
        dims (the bases are then summed, or scaled by the dim's length where they are
        constant along it); None otherwise."""
        out = []
        for coef, base, bdims in self._terms or ():
            if any(coef.shape[a] > 1 for a in axes):
                return None
            c = coef.reshape([n for i, n in enumerate(coef.shape) if i not in axes])
            inside = [d for d in drop if d in bdims]
            for d in drop:
                if d not in bdims:  # constant along d: the sum is len(d) times the base
                    c = c * self._v.shape[self._vd.index(d)]
            if inside:
                base = base.sum(axis=tuple(bdims.index(d) + 1 for d in inside))
                bdims = tuple(d for d in bdims if d not in inside)
            out.append((c, base, bdims))
        return tuple(out)

    def dot(self, other: xr.DataArray, dim: str) -> Estimate:
        """Linear map along ``dim`` by a constant matrix ``other``."""
        new = [d for d in other.dims if d != dim]
        mat = other.transpose(dim, *new).values  # (dim, new...)
        ax = self._vd.index(dim)
        v = (
            np.moveaxis(np.tensordot(self._v, mat, axes=([ax], [0])), -1, ax)
            if len(new) == 1
            else None
        )
        assert v is not None, "dot supports a matrix with one new dimension"
        dims = tuple(new[0] if d == dim else d for d in self._vd)
        coords = self._keep_coords(tuple(d for d in self._vd if d != dim))
        coords.update(
            {
                n: v
                for n, v in other.coords.variables.items()
                if n not in coords and set(v.dims) <= set(dims)
            }
        )
        terms = self._dot_terms(mat, dim, new[0]) if self._terms is not None else None
        if terms is not None:
            return Estimate(v, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = np.moveaxis(np.tensordot(self._p, mat, axes=([ax + 1], [0])), -1, ax + 1)
        return Estimate(v, p, self.engine, dims=dims, coords=coords)

    def _dot_terms(self, mat: np.ndarray, dim: str, new: str) -> tuple | None:
        """The map applied to every lazy term, when each coefficient varies along ``dim``
        only (it then folds into the matrix: one pass over each base, no materialising);
        None otherwise."""
        ax = self._vd.index(dim)
        out = []
        for coef, base, bdims in self._terms or ():
            if any(n > 1 for i, n in enumerate(coef.shape) if i != ax):
                return None
            cvec = np.broadcast_to(coef.reshape(-1), (mat.shape[0],))
            folded = cvec[:, None] * mat  # (dim, new)
            if dim in bdims:
                bax = bdims.index(dim) + 1
                nb = _fold(base, bax, folded)
                nbdims = tuple(new if d == dim else d for d in bdims)
            else:  # the base is the same along dim: sum the folded rows
                nb = base[..., None] * folded.sum(axis=0)
                nbdims = (*bdims, new)
            out.append((np.ones((1,) * len(self._vd)), nb, nbdims))
        return tuple(out)

    def isel(self, **idx: Any) -> Estimate:
        key = tuple(idx.get(d, slice(None)) for d in self._vd)
        dims = tuple(d for d in self._vd if not (d in idx and _scalar(idx[d])))
        coords = {}
        for n, var in self._c.items():
            sub = {d: i for d, i in idx.items() if d in var.dims}
            coords[n] = var.isel(sub) if sub else var
        v = self._v[key]
        if self._terms is not None and all(
            np.ndim(i) == 0 or isinstance(i, slice) for i in idx.values()
        ):  # lazy: select in each term's coefficient and base (views, no PSU-level copy)
            terms = tuple(
                (
                    _pick(c, self._vd, idx, 0),
                    _pick(b, bd, idx, 1),
                    tuple(x for x in bd if not (x in idx and _scalar(idx[x]))),
                )
                for c, b, bd in self._terms
            )
            return Estimate(v, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = self._p[(slice(None), *key)]
        return Estimate(v, p, self.engine, dims=dims, coords=coords)

    def sel(self, **labels: Any) -> Estimate:
        pos = {}
        for d, lab in labels.items():
            if d not in self._vd:
                raise KeyError(f"{d!r} is not a dimension of the estimate; dims are {self._vd}")
            index = (
                self._c[d].to_index()
                if d in self._c
                else pd.RangeIndex(self._v.shape[self._vd.index(d)])
            )
            if np.ndim(lab) == 0:
                loc = index.get_loc(lab)
                if not isinstance(loc, int | np.integer):
                    raise KeyError(f"{lab!r} does not pick one value of {d!r}")
                pos[d] = int(loc)
            else:
                ix = np.asarray(index.get_indexer(list(lab)))
                if (ix < 0).any():
                    raise KeyError(f"some of {lab!r} are not values of {d!r}")
                pos[d] = ix
        return self.isel(**pos)

    def squeeze(self, dim: str) -> Estimate:
        return self.isel(**{dim: 0})

    def _with(self, coords: dict) -> Estimate:
        return Estimate(
            self._v, self._pm, self.engine, dims=self._vd, coords=coords, terms=self._terms
        )

    def assign_coords(self, **coords: tuple[str, Any]) -> Estimate:
        """Add non-index coordinates, given as ``name=(dim, values)``."""
        new = dict(self._c)
        for n, (d, vals) in coords.items():
            new[n] = xr.Variable(d, np.asarray(vals))
        return self._with(new)

    def drop_coords(self, names: Sequence[str]) -> Estimate:
        return self._with({n: v for n, v in self._c.items() if n not in names})

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Values flattened (E,) and perturbations (lead, E)."""
        return self._v.reshape(-1), self._p.reshape(self._p.shape[0], -1)

    # -- inference ----------------------------------------------------------------------
    def cov(self, other: Estimate) -> xr.DataArray:
        """Elementwise covariance with ``other`` (broadcast against each other)."""
        dims = tuple(dict.fromkeys([*self._vd, *other._vd]))
        full = (self.engine.lead, *dims)
        va = _align(self._v, self._vd, dims)
        vb = _align(other._v, other._vd, dims)
        va, vb = np.broadcast_arrays(va, vb)
        pa = _align(self._p, self._dims, full)
        if other is self:  # a variance
            if pa.shape[1:] != va.shape or 0 in pa.strides:
                pa = np.ascontiguousarray(np.broadcast_to(pa, (pa.shape[0], *va.shape)))
            out = self.engine.cross(pa, pa, va, va)
        else:
            pb = _align(other._p, other._dims, full)
            pa, pb = np.broadcast_arrays(pa, pb)
            out = self.engine.cross(pa, pb, va, vb)
        coords = {**other._c, **self._c}
        coords = {n: v for n, v in coords.items() if set(v.dims) <= set(dims)}
        return xr.DataArray(out, dims=dims, coords=coords)

    def variance_values(self) -> np.ndarray:
        """The variance as a numpy array shaped like the value (no coordinates)."""
        var = None
        if self._pm is None and self._terms:  # straight from the terms, nothing materialised
            var = self.engine.variance_terms(self._terms, self._vd, self._v.shape)
        if var is None:
            pa = self._p
            if pa.shape[1:] != self._v.shape or 0 in pa.strides:
                pa = np.ascontiguousarray(np.broadcast_to(pa, (pa.shape[0], *self._v.shape)))
            var = np.asarray(self.engine.cross(pa, pa, self._v, self._v))
        return var

    def se_values(self) -> np.ndarray:
        """The standard error as a numpy array (NaN where the variance is negative)."""
        return _root(self.variance_values())

    @property
    def variance(self) -> xr.DataArray:
        return self.value.copy(data=self.variance_values())

    @property
    def se(self) -> xr.DataArray:
        """Standard error (same shape as :attr:`value`)."""
        return self.value.copy(data=self.se_values())

    def __repr__(self) -> str:
        return f"<mpi.Estimate dims={self._vd} ({self.engine.kind})>"


def stack(parts: list[Estimate], dim: pd.Index) -> Estimate:
    """Concatenate estimates with the same dims along a new first dimension ``dim``."""
    dims0 = parts[0].dims
    vals = [_align(p._v, p._vd, dims0) for p in parts]
    perts = [_align(p._p, p._dims, (p.engine.lead, *dims0)) for p in parts]
    v = np.stack([np.broadcast_to(x, parts[0]._v.shape) for x in vals])
    p = np.stack([np.broadcast_to(x, parts[0]._p.shape) for x in perts], axis=1)
    coords = {n: c for n, c in parts[0]._c.items() if dim.name not in c.dims}
    coords[dim.name] = xr.IndexVariable(dim.name, dim)
    return Estimate(v, p, parts[0].engine, dims=(dim.name, *dims0), coords=coords)
