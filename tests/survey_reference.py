"""Independent textbook reference for design-based variances of the AF measures (tests only).

Plain numpy, written from the survey-sampling formulas, sharing no code with
``mpi.design``, ``mpi.estimate``, ``mpi.inference`` or ``mpi.result_inference``. From the
package it reads only :class:`mpi.Spec` attributes; per-unit deprivations and gaps come from
the independent AF reference :func:`reference.deprivations`, scores are exact fractions.

Linearisation (Woodruff 1971; Wolter 2007, ch. 6; Lumley 2010, app. C)
----------------------------------------------------------------------
Every estimand of a domain ``D`` (indicator ``d_i``) is a smooth function of weighted totals.
For a ratio ``R = sum_i s_i d_i y_i / sum_i s_i d_i x_i = Y / X`` the influence of unit *i* is

    u_i = s_i d_i (y_i - R x_i) / X                      (zero outside the domain)

and for the two nonlinear estimands the delta method gives, by hand,

* intensity variance ``V = T2/P - A^2`` with ``T2 = sum s d p c^2``, ``P = sum s d p``,
  ``A = sum s d p c / P``:  ``u_i = s_i d_i p_i ((c_i - A)^2 - V) / P``;
* group contribution ``G = (CP_g / S_known) / (CP_all / S_all)``: ``u_i = s_i g_i p_i c_i
  S_all / (S_known CP_all) + G (s_i / S_all - s_i k_i / S_known - s_i p_i c_i / CP_all)`` with
  ``g_i`` the group indicator and ``k_i`` "group known" (sums over the units used).

PSU totals ``u_hj = sum_{i in PSU j of stratum h} u_i``; the with-replacement (first-stage)
variance with finite-population correction is

    V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (u_hj - ubar_h)^2,

``n_h`` counting *every* PSU of stratum *h* in the design (domain estimation: a PSU without
domain units has ``u_hj = 0``). Covariances use products of deviations. Strata with one PSU
(R ``options(survey.lonely.psu=)``): ``"remove"``/``"certainty"`` contribute 0; ``"adjust"``
contributes ``(1 - f_h) (u_h1 - U / n_psu)^2`` with ``U`` the grand total over all PSUs;
``"average"`` multiplies the sum over the other strata by ``n_strata / n_strata_with_2+``.

Replication (Wolter 2007, ch. 3-5; R ``svrepdesign``)
-----------------------------------------------------
``V = scale * sum_r rscale_r (theta_r - centre)^2`` with ``theta_r`` recomputed by
:func:`estimands` on replicate weights built here: JK1 (delete one PSU, others times
``n/(n-1)``), BRR and Fay (Hadamard matrix, 2 PSUs per stratum).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from reference import as_fraction, deprivations, effective_weights

__all__ = [
    "Units",
    "TaylorDesign",
    "estimands",
    "group_estimands",
    "taylor_vcov",
    "taylor_se",
    "replicate_variance",
    "jk1_weights",
    "hadamard",
    "brr_weights",
    "LINEAR_NAMES",
]

#: Estimands of one domain (group estimands are added by :func:`group_estimands`).
LINEAR_NAMES = (
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
)


# --------------------------------------------------------------------------------------
# Per-unit AF quantities
# --------------------------------------------------------------------------------------
@dataclass
class Units:
    """Per-unit quantities of an AF problem (``n`` units, ``d`` indicators, ``K`` cutoffs).

    ``s`` is the sampling weight with 0 for units not used (dropped for missing values);
    ``used`` marks the units that enter the estimates. ``W`` are the effective float
    indicator weights (reweighted under ``missing="reweight"``), ``obs`` 1 where the
    indicator is observed, ``g``/``gap`` deprivation and normalised gap (0 where missing).
    """

    s: np.ndarray  # (n,)
    used: np.ndarray  # (n,) bool
    g: np.ndarray  # (n, d)
    gap: np.ndarray  # (n, d)
    W: np.ndarray  # (n, d)
    obs: np.ndarray  # (n, d)
    c: np.ndarray  # (n,)
    poor: np.ndarray  # (n, K)
    vuln: np.ndarray  # (n, K)
    severe: np.ndarray  # (n, K): c >= max(severe, k)
    member: np.ndarray  # (n_dim, d) 0/1
    ks: list[Fraction]
    sq: Fraction = Fraction(1, 2)  # the severity cutoff

    @property
    def n(self) -> int:
        return len(self.s)

    @classmethod
    def from_data(
        cls,
        data: pd.DataFrame,
        spec: Any,
        ks: Sequence[Any],
        weight: str | None,
        missing: str = "drop",
    ) -> Units:
        g, gap = deprivations(data, spec)
        n, d = g.shape
        w = [as_fraction(ind.weight) for ind in spec.indicators]
        dims = [spec.dimension_of(ind) for ind in spec.indicators]
        dim_names = list(dict.fromkeys(dims))
        member = np.array([[1.0 if dims[j] == D else 0.0 for j in range(d)] for D in dim_names])
        s = np.ones(n) if weight is None else data[weight].to_numpy(dtype=float)
        observed = ~np.isnan(g)
        W, used = effective_weights(g, s, w, dims, missing)
        score = [
            sum((W[i, j] for j in range(d) if g[i, j] == 1), Fraction(0)) if used[i] else None
            for i in range(n)
        ]
        kq = [as_fraction(k) for k in ks]
        vq, sq = spec.vulnerable, spec.severe
        poor = np.array(
            [[bool(used[i] and score[i] >= k) for k in kq] for i in range(n)], dtype=float
        ).reshape(n, len(kq))
        vuln = np.array(
            [[bool(used[i] and vq <= score[i] < k) for k in kq] for i in range(n)], dtype=float
        ).reshape(n, len(kq))
        sev = np.array(
            [[bool(used[i] and score[i] >= max(sq, k)) for k in kq] for i in range(n)], dtype=float
        ).reshape(n, len(kq))
        c = np.array([float(x) if x is not None else 0.0 for x in score])
        obs = np.where(used[:, None], observed, False).astype(float)
        return cls(
            s=np.where(used, s, 0.0),
            used=used,
            g=np.where(obs > 0, g, 0.0),
            gap=np.where(obs > 0, gap, 0.0),
            W=np.array([[float(x) for x in row] for row in W]).reshape(n, d),
            obs=obs,
            c=c,
            poor=poor,
            vuln=vuln,
            severe=sev,
            member=member,
            ks=kq,
            sq=sq,
        )


# --------------------------------------------------------------------------------------
# Estimates and their influence values
# --------------------------------------------------------------------------------------
def _total(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.tensordot(s, y, axes=(0, 0))


def _div(a: Any, b: Any) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _ratio(s: np.ndarray, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``R = sum s y / sum s x`` and ``u_i = s_i (y_i - R x_i) / X`` (``s`` already carries
    the domain indicator)."""
    y, x = np.broadcast_arrays(y, x)
    Y, X = _total(s, y), _total(s, x)
    R = _div(Y, X)
    with np.errstate(invalid="ignore"):
        u = s.reshape((-1,) + (1,) * (y.ndim - 1)) * (y - R * x) * _div(1.0, X)
    return R, u


def estimands(
    U: Units, s: np.ndarray | None = None, domain: np.ndarray | None = None, *, k_dim: bool = True
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (value, u)}`` for one domain: ``value`` has the estimand's shape
    (``(K,)``, ``(K, d)``, ``(d,)`` ... ; the ``K`` axis dropped unless ``k_dim``) and
    ``u`` has shape ``(n, *value.shape)``.

    ``s`` overrides the sampling weights (replicate weights; units not used still count
    0); ``domain`` is a boolean mask (default: all units).
    """
    s = U.s if s is None else np.where(U.used, s, 0.0)
    if domain is not None:
        s = np.where(domain, s, 0.0)
    n, K = U.poor.shape
    one = np.ones((n, K))
    k_varies = any(k > U.sq for k in U.ks)  # mpi.measure's severe then has a k dim
    c, p = U.c[:, None], U.poor
    cp = c * p
    m1 = np.sum(U.W * U.g * U.gap, axis=1)[:, None]
    m2 = np.sum(U.W * U.g * U.gap**2, axis=1)[:, None]
    wg = U.W * U.g  # (n, d)
    out = {
        "H": _ratio(s, p, one),
        "A": _ratio(s, cp, p),
        "M0": _ratio(s, cp, one),
        "M1": _ratio(s, p * m1, one),
        "M2": _ratio(s, p * m2, one),
        "vulnerable": _ratio(s, U.vuln, one),
        # without a cutoff above the severity cutoff the share has no k dimension
        "severe": _ratio(s, U.severe, one) if k_varies else _ratio(s, U.severe[:, 0], np.ones(n)),
        "uncensored_headcount": _ratio(s, U.g, U.obs),
        "censored_headcount": _ratio(s, U.g[:, None, :] * p[:, :, None], U.obs[:, None, :]),
        "contribution": _ratio(s, wg[:, None, :] * p[:, :, None], cp[:, :, None]),
        "dimension_contribution": _ratio(
            s, (wg @ U.member.T)[:, None, :] * p[:, :, None], cp[:, :, None]
        ),
    }
    # intensity variance V = T2/P - A^2 (delta method by hand, see the module docstring)
    P = _total(s, p)
    A = _div(_total(s, cp), P)
    V = _div(_total(s, c**2 * p), P) - A**2
    with np.errstate(invalid="ignore"):
        u = s[:, None] * p * ((c - A) ** 2 - V) * _div(1.0, P)
    out["intensity_variance"] = (np.maximum(V, 0.0), u)
    if not k_dim:
        out = {
            nm: (v[0], u[:, 0])
            if nm != "uncensored_headcount" and (nm != "severe" or k_varies)
            else (v, u)
            for nm, (v, u) in out.items()
        }
    return out


def group_estimands(
    U: Units,
    group: np.ndarray,
    known: np.ndarray,
    s: np.ndarray | None = None,
    *,
    k_dim: bool = True,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`estimands` of the domain ``group`` plus ``population_share`` and
    ``group_contribution`` (``known``: units whose group is known; overall = all used)."""
    out = estimands(U, s, group, k_dim=k_dim)
    s = U.s if s is None else np.where(U.used, s, 0.0)
    sk = np.where(known, s, 0.0)
    out["population_share"] = _ratio(sk, group.astype(float), np.ones(U.n))
    cp = U.c[:, None] * U.poor
    sg = np.where(group, s, 0.0)
    CPg, CPall = _total(sg, cp), _total(s, cp)
    Sk, Sall = sk.sum(), s.sum()
    G = _div(CPg * Sall, Sk * CPall)
    with np.errstate(invalid="ignore"):
        u = sg[:, None] * cp * _div(Sall, Sk * CPall) + G * (
            -(sk / Sk)[:, None] - s[:, None] * cp * _div(1.0, CPall) + (s / Sall)[:, None]
        )
    out["group_contribution"] = (G, u) if k_dim else (G[0], u[:, 0])
    return out


# --------------------------------------------------------------------------------------
# Taylor (linearised) variance of a stratified first stage
# --------------------------------------------------------------------------------------
@dataclass
class TaylorDesign:
    """First-stage structure from raw per-unit labels (all rows of the data).

    ``psu=None``: each unit its own PSU; ``nest``: PSU labels unique only within strata;
    ``fpc``: per-unit population PSU count (> 1) or sampling fraction (<= 1).
    """

    strata: np.ndarray | None
    psu: np.ndarray | None
    fpc: np.ndarray | None = None
    lonely: str = "fail"
    nest: bool = False

    def structure(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(psu index of each unit, stratum index of each PSU, 1 - f of each stratum)``."""
        strata = np.zeros(n, int) if self.strata is None else np.asarray(self.strata)
        s_lab = list(dict.fromkeys(strata.tolist()))
        s_idx = np.array([s_lab.index(x) for x in strata.tolist()])
        if self.psu is None:
            keys = [(i,) for i in range(n)]
        elif self.nest:
            keys = list(zip(s_idx.tolist(), np.asarray(self.psu).tolist(), strict=True))
        else:
            keys = [(x,) for x in np.asarray(self.psu).tolist()]
        psu_lab = list(dict.fromkeys(keys))
        pos = {k: j for j, k in enumerate(psu_lab)}
        psu_idx = np.array([pos[k] for k in keys])
        psu_stratum = np.full(len(psu_lab), -1)
        for i in range(n):
            h = psu_stratum[psu_idx[i]]
            assert h in (-1, s_idx[i]), "a PSU lies in two strata"
            psu_stratum[psu_idx[i]] = s_idx[i]
        n_h = np.bincount(psu_stratum, minlength=len(s_lab))
        one_minus_f = np.ones(len(s_lab))
        if self.fpc is not None:
            fpc = np.asarray(self.fpc, dtype=float)
            for h in range(len(s_lab)):
                N = fpc[s_idx == h][0]
                f = n_h[h] / N if N > 1 else N
                one_minus_f[h] = 1.0 - f
        return psu_idx, psu_stratum, one_minus_f

    def df(self, n: int) -> int:
        """Design degrees of freedom: PSUs minus strata."""
        _, psu_stratum, _ = self.structure(n)
        return len(psu_stratum) - len(np.unique(psu_stratum))


def taylor_vcov(ua: np.ndarray, ub: np.ndarray, design: TaylorDesign) -> np.ndarray:
    """Design covariance of the columns of ``ua`` (``n x m``) with those of ``ub``
    (``n x m2``), by the textbook two-pass formula on PSU totals."""
    n = ua.shape[0]
    ua = ua.reshape(n, -1)
    ub = ub.reshape(n, -1)
    psu_idx, psu_stratum, one_minus_f = design.structure(n)
    n_psu = len(psu_stratum)
    ta = np.zeros((n_psu, ua.shape[1]))
    tb = np.zeros((n_psu, ub.shape[1]))
    np.add.at(ta, psu_idx, ua)
    np.add.at(tb, psu_idx, ub)
    grand_a, grand_b = ta.sum(axis=0) / n_psu, tb.sum(axis=0) / n_psu
    total = np.zeros((ua.shape[1], ub.shape[1]))
    n_strata = len(one_minus_f)
    n_ok = 0
    for h in range(n_strata):
        rows = np.flatnonzero(psu_stratum == h)
        nh = len(rows)
        if nh > 1:
            n_ok += 1
            da = ta[rows] - ta[rows].mean(axis=0)
            db = tb[rows] - tb[rows].mean(axis=0)
            total += one_minus_f[h] * nh / (nh - 1) * (da.T @ db)
        elif design.lonely == "adjust":
            da = ta[rows] - grand_a
            db = tb[rows] - grand_b
            total += one_minus_f[h] * (da.T @ db)
        elif design.lonely in ("remove", "certainty"):
            pass
        elif design.lonely == "average":
            pass  # rescaled below
        else:
            raise ValueError(f"lonely PSU in stratum {h} with policy {design.lonely!r}")
    if design.lonely == "average" and n_ok < n_strata:
        total = total * n_strata / n_ok if n_ok else total * np.nan
    return total


def taylor_se(u: np.ndarray, design: TaylorDesign) -> np.ndarray:
    """Standard errors with the shape of ``u[0]``."""
    shape = u.shape[1:]
    flat = u.reshape(u.shape[0], -1)
    var = np.diag(taylor_vcov(flat, flat, design))
    with np.errstate(invalid="ignore"):
        return np.sqrt(var).reshape(shape)


# --------------------------------------------------------------------------------------
# Replication
# --------------------------------------------------------------------------------------
def replicate_variance(
    thetas: np.ndarray,
    full: np.ndarray,
    scale: float,
    rscales: np.ndarray | None = None,
    mse: bool = False,
) -> np.ndarray:
    """``scale * sum_r rscales_r (theta_r - centre)^2``; ``thetas`` has replicates first."""
    thetas = np.asarray(thetas, float)
    rs = np.ones(len(thetas)) if rscales is None else np.asarray(rscales, float)
    centre = full if mse else thetas.mean(axis=0)
    dev = thetas - centre
    return scale * np.tensordot(rs, dev**2, axes=(0, 0))


def replicate_cov(
    ta: np.ndarray, fa: np.ndarray, tb: np.ndarray, fb: np.ndarray, scale: float, mse: bool = False
) -> np.ndarray:
    """Replicate covariance of two estimates (replicates first)."""
    da = ta - (fa if mse else ta.mean(axis=0))
    db = tb - (fb if mse else tb.mean(axis=0))
    return scale * np.sum(da * db, axis=0)


def jk1_weights(w: np.ndarray, psu: np.ndarray) -> np.ndarray:
    """Delete-one-PSU jackknife weights (``n_psu x n``): PSU *r* dropped, the others
    multiplied by ``n_psu / (n_psu - 1)``."""
    labels = list(dict.fromkeys(np.asarray(psu).tolist()))
    m = len(labels)
    out = np.empty((m, len(w)))
    psu = np.asarray(psu)
    for r, lab in enumerate(labels):
        out[r] = np.where(psu == lab, 0.0, w * m / (m - 1))
    return out


def hadamard(order: int) -> np.ndarray:
    """Sylvester Hadamard matrix (``order`` a power of 2)."""
    h = np.array([[1.0]])
    while h.shape[0] < order:
        h = np.block([[h, h], [h, -h]])
    assert h.shape[0] == order
    return h


def brr_weights(
    w: np.ndarray, strata: np.ndarray, psu: np.ndarray, order: int, rho: float = 0.0
) -> np.ndarray:
    """BRR (``rho=0``) or Fay (``0 < rho < 1``) weights (``order x n``) for a design with
    exactly two PSUs per stratum: in replicate *r*, stratum *h* keeps its first PSU with
    factor ``2 - rho`` when ``H[r, h+1] = +1`` (the other PSU gets ``rho``), and the reverse
    otherwise."""
    H = hadamard(order)
    s_lab = list(dict.fromkeys(np.asarray(strata).tolist()))
    assert len(s_lab) < order, "need more replicates than strata"
    out = np.empty((order, len(w)))
    strata, psu = np.asarray(strata), np.asarray(psu)
    first = {}
    for h, lab in enumerate(s_lab):
        ps = sorted(set(psu[strata == lab].tolist()))
        assert len(ps) == 2, f"stratum {lab!r} has {len(ps)} PSUs; BRR needs 2"
        first[lab] = (h, ps[0])
    for r in range(order):
        for i in range(len(w)):
            h, p0 = first[strata[i].item() if hasattr(strata[i], "item") else strata[i]]
            sign = H[r, h + 1] * (1 if psu[i] == p0 else -1)
            out[r, i] = w[i] * ((2 - rho) if sign > 0 else rho)
    return out
