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
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["Estimate", "LinearizedEngine", "ReplicateEngine", "PSU", "REP"]

PSU = "_psu"
REP = "_rep"


def _nan_div(a: Any, b: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return xr.where(b != 0, a / b, np.nan)


class LinearizedEngine:
    """Variance from PSU totals of influence values (stratified, with-replacement first stage).

    Parameters
    ----------
    design : mpi.design.EncodedDesign
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
        """sum_h c_h sum_i (a_hi - abar_h)(b_hi - bbar_h) over the leading PSU axis."""
        d = self.design
        starts, n_h = d.starts, d.n_h.astype(np.float64)
        shape = (-1,) + (1,) * (a.ndim - 1)
        s_ab = np.add.reduceat(a * b, starts, axis=0)
        s_a = np.add.reduceat(a, starts, axis=0)
        s_b = np.add.reduceat(b, starts, axis=0)
        nh = n_h.reshape(shape)
        ok = (d.n_h > 1).reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(ok, d.fpc_factor.reshape(shape) * nh / (nh - 1), 0.0)
            within = np.where(ok, s_ab - s_a * s_b / nh, 0.0)
        total = (scale * within).sum(axis=0)
        lonely = d.n_h == 1
        if lonely.any():
            policy = d.lonely_psu
            if policy == "adjust":  # lone PSU centred at the mean PSU total of the design
                ma = a.sum(axis=0) / d.n_psu
                mb = b.sum(axis=0) / d.n_psu
                idx = d.starts[lonely]
                f = d.fpc_factor[lonely].reshape(shape)
                total = total + (f * (a[idx] - ma) * (b[idx] - mb)).sum(axis=0)
            elif policy == "average":
                n_ok = int((~lonely).sum())
                total = total * (d.n_strata / n_ok) if n_ok else total * np.nan
        return total

    def cov(self, a: Estimate, b: Estimate) -> xr.DataArray:
        """Elementwise covariance of two estimates (broadcast against each other)."""
        pa, pb = xr.broadcast(a.pert, b.pert)
        dims = [PSU, *[d for d in pa.dims if d != PSU]]
        pa, pb = pa.transpose(*dims), pb.transpose(*dims)
        out = self._strata_cross(pa.values, pb.values)
        return xr.DataArray(
            out,
            dims=dims[1:],
            coords={c: pa.coords[c] for c in pa.coords if PSU not in pa.coords[c].dims},
        )

    def matrix(self, pert: np.ndarray) -> np.ndarray:
        """Full covariance of the columns of ``pert`` (PSUs x estimands)."""
        d = self.design
        out = np.zeros((pert.shape[1], pert.shape[1]))
        for h in range(d.n_strata):
            lo, n = d.starts[h], d.n_h[h]
            block = pert[lo : lo + n]
            if n > 1:
                dev = block - block.mean(axis=0)
                out += d.fpc_factor[h] * n / (n - 1) * (dev.T @ dev)
            elif d.lonely_psu == "adjust":
                dev = block - pert.sum(axis=0) / d.n_psu
                out += d.fpc_factor[h] * (dev.T @ dev)
        if d.lonely_psu == "average" and (d.n_h == 1).any():
            n_ok = int((d.n_h > 1).sum())
            out = out * (d.n_strata / n_ok) if n_ok else out * np.nan
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

    def _dev(self, e: Estimate) -> xr.DataArray:
        centre = e.value if self.mse else e.pert.mean(REP)
        return e.pert - centre

    def cov(self, a: Estimate, b: Estimate) -> xr.DataArray:
        r = xr.DataArray(self.rscales, dims=[REP])
        return self.scale * (r * self._dev(a) * self._dev(b)).sum(REP, skipna=False)

    def matrix(self, pert: np.ndarray, value: np.ndarray) -> np.ndarray:
        centre = value if self.mse else pert.mean(axis=0)
        dev = pert - centre
        return self.scale * (dev.T * self.rscales) @ dev


@dataclass
class Estimate:
    """A value with its linearised influence totals or its replicate values.

    Supports ``+ - * /``, ``**`` (constant exponent), :meth:`sum`, :meth:`sel`, :meth:`isel`
    and :meth:`dot`; the variance engine is shared by the operands.
    """

    value: xr.DataArray
    pert: xr.DataArray
    engine: Any

    # -- construction -------------------------------------------------------------------
    def _const(self, x: Any) -> Estimate:
        v = x if isinstance(x, xr.DataArray) else xr.DataArray(x)
        if self.engine.kind == "linearized":
            return Estimate(v, xr.zeros_like(v), self.engine)
        return Estimate(v, v, self.engine)

    def _lift(self, x: Any) -> Estimate:
        return x if isinstance(x, Estimate) else self._const(x)

    @staticmethod
    def apply(
        f: Callable[..., Any],
        grads: Sequence[Callable[..., Any]],
        *args: Estimate,
    ) -> Estimate:
        """``f(*args)`` with its perturbation: chain rule (``grads`` are the partial
        derivatives as functions of the values) or recomputation on every replicate."""
        engine = args[0].engine
        values = [a.value for a in args]
        value = f(*values)
        if engine.kind == "linearized":
            pert = None
            for a, g in zip(args, grads, strict=True):
                term = g(*values) * a.pert
                pert = term if pert is None else pert + term
        else:
            pert = f(*[a.pert for a in args])
        return Estimate(value, pert, engine)

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

    def __pow__(self, p: Any) -> Estimate:
        """Power with a constant (possibly array-valued) exponent."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return Estimate.apply(lambda a: a**p, [lambda a: p * a ** (p - 1)], self)

    def clip_lower(self, lo: float) -> Estimate:
        """``max(value, lo)`` (rounding guard; the derivative is passed through)."""
        return Estimate.apply(lambda a: np.maximum(a, lo), [lambda a: 1.0], self)

    # -- reductions and selection ------------------------------------------------------
    def sum(self, dim: Any) -> Estimate:
        return Estimate(self.value.sum(dim), self.pert.sum(dim), self.engine)

    def dot(self, other: xr.DataArray, dim: str) -> Estimate:
        """Linear map along ``dim`` by a constant matrix ``other``."""
        return Estimate(
            xr.dot(self.value, other, dim=dim), xr.dot(self.pert, other, dim=dim), self.engine
        )

    def sel(self, **idx: Any) -> Estimate:
        return Estimate(self.value.sel(**idx), self.pert.sel(**idx), self.engine)

    def isel(self, **idx: Any) -> Estimate:
        return Estimate(self.value.isel(**idx), self.pert.isel(**idx), self.engine)

    def squeeze(self, dim: str) -> Estimate:
        return Estimate(self.value.squeeze(dim), self.pert.squeeze(dim), self.engine)

    def rename(self, **names: str) -> Estimate:
        return Estimate(self.value.rename(names), self.pert.rename(names), self.engine)

    def drop_coords(self, names: Sequence[str]) -> Estimate:
        return Estimate(
            self.value.drop_vars(names, errors="ignore"),
            self.pert.drop_vars(names, errors="ignore"),
            self.engine,
        )

    # -- inference ----------------------------------------------------------------------
    @property
    def variance(self) -> xr.DataArray:
        return self.engine.cov(self, self)

    @property
    def se(self) -> xr.DataArray:
        """Standard error (same shape as :attr:`value`)."""
        var = self.variance
        return np.sqrt(var.where(var >= 0))

    def cov(self, other: Estimate) -> xr.DataArray:
        return self.engine.cov(self, other)
