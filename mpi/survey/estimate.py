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

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.ratio import ratio
from mpi.survey.engines import PSU, REP, LinearizedEngine, ReplicateEngine
from mpi.survey.terms import align, combine, dot_terms, drops_dim, select_terms, sum_terms

__all__ = [
    "Estimate",
    "LinearizedEngine",
    "ReplicateEngine",
    "PSU",
    "REP",
    "stack",
    "standard_errors",
]

#: Most terms a lazy linearised perturbation keeps before it is materialised.
MAX_TERMS = 6


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
                pert = align(pert.values, tuple(pert.dims), (engine.lead, *self._vd))
            pert = np.asarray(pert)
            self._pm = np.broadcast_to(pert, (pert.shape[0], *self._v.shape))

    @property
    def _p(self) -> np.ndarray:
        """The perturbation as an array ``(lead, *value.shape)`` (materialised once)."""
        if self._pm is None:
            assert self._terms is not None
            self._pm = combine(self._terms, self.engine.lead, self._vd, self._v.shape)
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
        """Names of the value's dimensions."""
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
        """``f(*args)`` with its perturbation: chain rule or recomputation on every replicate.

        Parameters
        ----------
        f
            The function, on numpy arrays aligned by dimension name (broadcastable).
        grads
            Its partial derivatives, one per argument, as functions of the same arrays
            (used by linearisation).
        *args
            The estimates, all with the same engine.

        Returns
        -------
        Estimate
            ``f`` of the values, dims in order of appearance.
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
        values = [align(a._v, a._vd, tdims) for a in args]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = np.asarray(f(*values), dtype=np.float64)
            shape = np.broadcast_shapes(*[v.shape for v in values], value.shape)
            value = np.broadcast_to(value, shape)
            if engine.kind == "linearized":  # chain rule on the terms' coefficients
                terms: dict = {}
                for a, g in zip(args, grads, strict=True):
                    gv = np.asarray(g(*values), dtype=np.float64)
                    for coef, base, bdims in a._lin_terms():
                        c = align(coef, a._vd, tdims) * gv
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
            pert = f(*[align(a._p, a._dims, full) for a in args])
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
            ratio,
            [lambda a, b: ratio(1.0, b), lambda a, b: -ratio(a, b * b)],
            self,
            o,
        )

    def __rtruediv__(self, other: Any) -> Estimate:
        return self._lift(other) / self

    def __pow__(self, p: float) -> Estimate:
        """Power with a constant exponent."""
        return Estimate.apply(lambda a: a**p, [lambda a: p * a ** (p - 1)], self)

    def clip_lower(self, lo: float) -> Estimate:
        """``max(value, lo)`` (rounding guard; the derivative is passed through).

        Parameters
        ----------
        lo
            The lower bound.

        Returns
        -------
        Estimate
        """
        return Estimate.apply(lambda a: np.maximum(a, lo), [lambda a: 1.0], self)

    def fillna(self, fill: float = 0.0) -> Estimate:
        """Replace NaN values (and their perturbations) by a constant.

        Parameters
        ----------
        fill
            The value of NaN entries (their linearised perturbation is 0).

        Returns
        -------
        Estimate
        """
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
        """Sum over one or several dims.

        Parameters
        ----------
        dim
            A dim name or a list of them.

        Returns
        -------
        Estimate
            Without the summed dims.
        """
        drop = [dim] if isinstance(dim, str) else list(dim)
        axes = tuple(self._vd.index(d) for d in drop)
        dims = tuple(d for d in self._vd if d not in drop)
        value = self._v.sum(axis=axes)
        coords = self._keep_coords(dims)
        lazy = self._terms
        terms = sum_terms(lazy, self._vd, self._v.shape, drop) if lazy is not None else None
        if terms is not None:
            return Estimate(value, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = self._p.sum(axis=tuple(a + 1 for a in axes))
        return Estimate(value, p, self.engine, dims=dims, coords=coords)

    def dot(self, other: xr.DataArray, dim: str) -> Estimate:
        """Linear map along ``dim`` by a constant matrix.

        Parameters
        ----------
        other
            The matrix: dims ``dim`` and one new dim.
        dim
            The dim mapped.

        Returns
        -------
        Estimate
            The new dim in place of ``dim``.
        """
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
        lazy = self._terms
        terms = dot_terms(lazy, self._vd, mat, dim, new[0]) if lazy is not None else None
        if terms is not None:
            return Estimate(v, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = np.moveaxis(np.tensordot(self._p, mat, axes=([ax + 1], [0])), -1, ax + 1)
        return Estimate(v, p, self.engine, dims=dims, coords=coords)

    def isel(self, **idx: Any) -> Estimate:
        """Select by position, as :meth:`xarray.DataArray.isel`.

        Parameters
        ----------
        **idx
            Integers (the dim is dropped), slices or integer arrays, by dim name.

        Returns
        -------
        Estimate
        """
        key = tuple(idx.get(d, slice(None)) for d in self._vd)
        dims = tuple(d for d in self._vd if not (d in idx and drops_dim(idx[d])))
        coords = {}
        for n, var in self._c.items():
            sub = {d: i for d, i in idx.items() if d in var.dims}
            coords[n] = var.isel(sub) if sub else var
        v = self._v[key]
        if self._terms is not None and all(
            np.ndim(i) == 0 or isinstance(i, slice) for i in idx.values()
        ):  # lazy: select in each term's coefficient and base (views, no PSU-level copy)
            terms = select_terms(self._terms, self._vd, idx)
            return Estimate(v, None, self.engine, dims=dims, coords=coords, terms=terms)
        p = self._p[(slice(None), *key)]
        return Estimate(v, p, self.engine, dims=dims, coords=coords)

    def sel(self, **labels: Any) -> Estimate:
        """Select by label, as :meth:`xarray.DataArray.sel`.

        Parameters
        ----------
        **labels
            One label (the dim is dropped) or a list of labels, by dim name.

        Returns
        -------
        Estimate
        """
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
        """Drop a dim by taking its first position.

        Parameters
        ----------
        dim
            The dim (usually of length 1).

        Returns
        -------
        Estimate
        """
        return self.isel(**{dim: 0})

    def _with(self, coords: dict) -> Estimate:
        return Estimate(
            self._v, self._pm, self.engine, dims=self._vd, coords=coords, terms=self._terms
        )

    def assign_coords(self, **coords: tuple[str, Any]) -> Estimate:
        """Add non-index coordinates.

        Parameters
        ----------
        **coords
            ``name=(dim, values)``.

        Returns
        -------
        Estimate
        """
        new = dict(self._c)
        for n, (d, vals) in coords.items():
            new[n] = xr.Variable(d, np.asarray(vals))
        return self._with(new)

    def drop_coords(self, names: Sequence[str]) -> Estimate:
        """Drop coordinates.

        Parameters
        ----------
        names
            The coordinates' names.

        Returns
        -------
        Estimate
        """
        return self._with({n: v for n, v in self._c.items() if n not in names})

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Values and perturbations as flat arrays.

        Returns
        -------
        tuple of numpy.ndarray
            The values ``(E,)`` and the perturbations ``(lead, E)``.
        """
        return self._v.reshape(-1), self._p.reshape(self._p.shape[0], -1)

    # -- inference ----------------------------------------------------------------------
    def cov(self, other: Estimate) -> xr.DataArray:
        """Elementwise covariance with another estimate.

        Parameters
        ----------
        other
            An estimate of the same engine (the two are broadcast against each other).

        Returns
        -------
        xarray.DataArray
        """
        dims = tuple(dict.fromkeys([*self._vd, *other._vd]))
        full = (self.engine.lead, *dims)
        va = align(self._v, self._vd, dims)
        vb = align(other._v, other._vd, dims)
        va, vb = np.broadcast_arrays(va, vb)
        pa = align(self._p, self._dims, full)
        if other is self:  # a variance
            if pa.shape[1:] != va.shape or 0 in pa.strides:
                pa = np.ascontiguousarray(np.broadcast_to(pa, (pa.shape[0], *va.shape)))
            out = self.engine.cross(pa, pa, va, va)
        else:
            pb = align(other._p, other._dims, full)
            pa, pb = np.broadcast_arrays(pa, pb)
            out = self.engine.cross(pa, pb, va, vb)
        coords = {**other._c, **self._c}
        coords = {n: v for n, v in coords.items() if set(v.dims) <= set(dims)}
        return xr.DataArray(out, dims=dims, coords=coords)

    def variance_values(self) -> np.ndarray:
        """The variance as a numpy array.

        Returns
        -------
        numpy.ndarray
            Shaped like the value (no coordinates).
        """
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
        """The standard error as a numpy array.

        Returns
        -------
        numpy.ndarray
            Shaped like the value; NaN where the variance is negative.
        """
        return _root(self.variance_values())

    @property
    def variance(self) -> xr.DataArray:
        """Variance (same shape as :attr:`value`)."""
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
    vals = [align(p._v, p._vd, dims0) for p in parts]
    perts = [align(p._p, p._dims, (p.engine.lead, *dims0)) for p in parts]
    v = np.stack([np.broadcast_to(x, parts[0]._v.shape) for x in vals])
    p = np.stack([np.broadcast_to(x, parts[0]._p.shape) for x in perts], axis=1)
    coords = {n: c for n, c in parts[0]._c.items() if dim.name not in c.dims}
    coords[dim.name] = xr.IndexVariable(dim.name, dim)
    return Estimate(v, p, parts[0].engine, dims=(dim.name, *dims0), coords=coords)
