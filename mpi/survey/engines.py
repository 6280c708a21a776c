"""Variance engines of :class:`~mpi.survey.estimate.Estimate`: Taylor linearisation from
PSU totals (:class:`LinearizedEngine`) and replicate weights (:class:`ReplicateEngine`).

An engine knows its perturbations' leading dimension (:data:`PSU` or :data:`REP`), its
degrees of freedom, and how to turn perturbations into covariances (elementwise with
``cross``, a full matrix with ``matrix``).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from mpi import kernels
from mpi.survey.terms import TermBatch

__all__ = ["PSU", "REP", "LinearizedEngine", "ReplicateEngine"]

#: Leading dim of a linearised perturbation: the PSUs' totals of the influence function.
PSU = "_psu"
#: Leading dim of a replicate perturbation: the estimate recomputed on every replicate.
REP = "_rep"


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
        """Degrees of freedom of the design (PSUs minus strata)."""
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
        batch = TermBatch(PSU)

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
                pending, batch = [], TermBatch(PSU)
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
        """Degrees of freedom of the replicate design."""
        return self._df

    def cross(self, pa: np.ndarray, pb: np.ndarray, va: Any, vb: Any) -> np.ndarray:
        """Elementwise covariance from replicate values (leading replicate axis)."""
        ca = va if self.mse else pa.mean(axis=0)
        cb = vb if self.mse else pb.mean(axis=0)
        r = self.rscales.reshape((-1,) + (1,) * (pa.ndim - 1))
        return self.scale * (r * (pa - ca) * (pb - cb)).sum(axis=0)

    def matrix(self, pert: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Full covariance of the columns of ``pert`` (replicates x estimands); ``value``
        holds the full-sample estimates (the centre when ``mse``)."""
        centre = value if self.mse else pert.mean(axis=0)
        dev = pert - centre
        return self.scale * (dev.T * self.rscales) @ dev
