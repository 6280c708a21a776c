"""Fitting the early-warning models: the cell table (nonparametric), the logit, the naive rule.

* :func:`cell_table`: weighted transition frequencies per ``(band, history,
  time_since_exit)`` cell from the kernel's full-cell sums, with the fallback to coarser
  cells (:data:`FALLBACK_LEVELS`);
* :func:`naive_table`: the "band at exit" baseline ``P(poor next | band, exited)``;
* :class:`LogitDesign`, :func:`fit_logit` and :func:`score_logit`: the discrete-time logit
  (statsmodels GLM, binomial family, the panel weights as ``freq_weights``).

The sums ``sw`` / ``sn`` are the kernel's weighted / unweighted ``[n_full, 2]`` (unit-waves,
events) over the fitting target waves, ``n_full = B * H * E * 2`` full cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpi.dynamics.risk.features import TSE_NAMES, Covariates, Features
from mpi.kernels import risk as krisk

__all__ = [
    "FALLBACK_LEVELS",
    "cell_table",
    "naive_table",
    "cell_scores",
    "naive_scores",
    "LogitDesign",
    "LogitFit",
    "fit_logit",
    "score_logit",
]

#: Fallback hierarchy of the nonparametric model, finest first.
FALLBACK_LEVELS = (
    "band x history x time_since_exit",
    "band x ever_poor_before x time_since_exit",
    "band x time_since_exit",
    "band",
    "all",
)
#: Rows scored per block by :func:`score_logit` (bounds the design matrix in memory).
SCORE_BLOCK = 1 << 20


# ---------------------------------------------------------------------------- nonparametric
def _ever_poor_before(a: np.ndarray, H: int) -> np.ndarray:
    """Sums over history collapsed to {0, 1+} and broadcast back to the ``H`` levels."""
    g = np.stack([a[:, 0], a[:, 1:].sum(1)], 1)
    return g[:, np.minimum(np.arange(H), 1)]


def _fallback_sums(w: np.ndarray, n: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weighted and unweighted sums of each fallback level, broadcast to ``(B, H, E, 2)``."""
    H = w.shape[1]
    return [
        (w, n),
        (_ever_poor_before(w, H), _ever_poor_before(n, H)),
        (
            np.broadcast_to(w.sum(1, keepdims=True), w.shape),
            np.broadcast_to(n.sum(1, keepdims=True), n.shape),
        ),
        (
            np.broadcast_to(w.sum((1, 2), keepdims=True), w.shape),
            np.broadcast_to(n.sum((1, 2), keepdims=True), n.shape),
        ),
        (np.broadcast_to(w.sum((0, 1, 2)), w.shape), np.broadcast_to(n.sum((0, 1, 2)), n.shape)),
    ]


def cell_table(sw: np.ndarray, sn: np.ndarray, shape: tuple, min_count: int) -> dict:
    """Fallback probabilities per ``(band, history, tse)`` from the full-cell sums.

    A cell uses the first level of :data:`FALLBACK_LEVELS` whose cell has at least
    ``min_count`` fitting unit-waves and a positive weight; the last level always applies.

    Parameters
    ----------
    sw, sn
        Weighted / unweighted sums ``[n_full, 2]`` (unit-waves, events) of the fit.
    shape
        ``(B, H, E)``: bands, history levels, time-since-exit levels.
    min_count
        Fewest fitting unit-waves (unweighted) a cell needs.

    Returns
    -------
    dict
        ``raw`` (the cell's own frequency), ``prob`` (after fallback), ``level``,
        ``weight``, ``events``, ``count``, each ``(B, H, E)``.
    """
    B, H, E = shape
    w = sw.reshape(B, H, E, 2, 2).sum(3)  # drop 'exited'
    n = sn.reshape(B, H, E, 2, 2).sum(3)
    levels = _fallback_sums(w, n)
    prob = np.full((B, H, E), np.nan)
    level = np.full((B, H, E), len(levels) - 1, np.int8)
    done = np.zeros((B, H, E), bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(w[..., 0] > 0, w[..., 1] / w[..., 0], np.nan)
        for lv, (lw, ln) in enumerate(levels):
            good = ~done & (ln[..., 0] >= min_count) & (lw[..., 0] > 0)
            if lv == len(levels) - 1:
                good = ~done & (lw[..., 0] > 0)
            prob[good] = lw[..., 1][good] / lw[..., 0][good]
            level[good] = lv
            done |= good
    return {
        "raw": raw,
        "prob": prob,
        "level": level,
        "weight": w[..., 0],
        "events": w[..., 1],
        "count": n[..., 0],
    }


def naive_table(sw: np.ndarray, sn: np.ndarray, shape: tuple) -> np.ndarray:
    """The band-at-exit rule ``P(poor next | band, exited)``.

    Empty cells take the band's rate, then the overall rate.

    Parameters
    ----------
    sw, sn
        Weighted / unweighted full-cell sums ``[n_full, 2]`` of the fit.
    shape
        ``(B, H, E)``.

    Returns
    -------
    numpy.ndarray
        ``[B, 2]`` (band, exited).
    """
    B, H, E = shape
    w = sw.reshape(B, H, E, 2, 2).sum((1, 2))  # [B, exited, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(w[..., 0] > 0, w[..., 1] / w[..., 0], np.nan)
        band = w.sum(1)
        pb = np.where(band[:, 0] > 0, band[:, 1] / band[:, 0], np.nan)
        tot = w.sum((0, 1))
        pa = tot[1] / tot[0] if tot[0] > 0 else np.nan
    p = np.where(np.isnan(p), pb[:, None], p)
    return np.where(np.isnan(p), pa, p)


def cell_scores(prob: np.ndarray) -> np.ndarray:
    """The cell table's risk by full-cell code, with a last NaN slot for code -1.

    Parameters
    ----------
    prob
        ``(B, H, E)`` probabilities after fallback.

    Returns
    -------
    numpy.ndarray
        ``[n_full + 1]``: index it with the kernel's codes.
    """
    return np.append(np.repeat(prob.reshape(-1), 2), np.nan)


def naive_scores(naive: np.ndarray, shape: tuple) -> np.ndarray:
    """The naive rule's risk by full-cell code, with a last NaN slot for code -1.

    Parameters
    ----------
    naive
        ``[B, 2]`` from :func:`naive_table`.
    shape
        ``(B, H, E)``.

    Returns
    -------
    numpy.ndarray
        ``[n_full + 1]``.
    """
    _, H, E = shape
    full = np.repeat(naive[:, None, None, :], H, 1)
    full = np.repeat(full, E, 2).reshape(-1)
    return np.append(full, np.nan)  # code -1 -> NaN


# ---------------------------------------------------------------------------- logit
class LogitDesign:
    """Design matrix of the logit for unit-waves ``(i, t)``, before constant columns are dropped.

    Columns: a constant, band dummies (reference: the first band), history dummies
    (reference 0), time-since-exit dummies (reference 0), the deprivation score (with a spec)
    and the covariates.

    Parameters
    ----------
    features
        Decoder of the full-cell codes.
    code
        ``(unit, time)`` full-cell codes.
    band_names
        Band labels (the first is the reference).
    num, denom
        Weighted deprivation counts ``(unit, time)`` and their denominator (the score is
        ``num / denom``); ``num`` None without a spec.
    covariates
        The user covariates, or None.
    """

    def __init__(
        self,
        features: Features,
        code: np.ndarray,
        band_names: list[str],
        num: np.ndarray | None,
        denom: int,
        covariates: Covariates | None,
    ) -> None:
        self.features = features
        self.code = code
        self.band_names = band_names
        self.num = num
        self.denom = denom
        self.covariates = covariates

    def terms(self) -> list[str]:
        """Names of the columns of :meth:`matrix`, ``"const"`` first.

        Returns
        -------
        list of str
        """
        H = self.features.H
        hist_names = [str(h) for h in range(H - 1)] + [f"{H - 1}+"]
        return (
            ["const"]
            + [f"band[{b}]" for b in self.band_names[1:]]
            + [f"history[{h}]" for h in hist_names[1:]]
            + [f"time_since_exit[{e}]" for e in TSE_NAMES[1:]]
            + (["score"] if self.num is not None else [])
            + (self.covariates.columns() if self.covariates else [])
        )

    def matrix(self, i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design rows of the unit-waves ``(i, t)`` and their validity mask.

        Returns
        -------
        tuple of numpy.ndarray
            ``(X, ok)``: ok is false where the unit-wave is unobserved or a score or a
            covariate is missing.
        """
        code = self.code[i, t]
        band, hist, tse, _ = self.features.decode(code)
        cols = [np.ones(len(i))]
        cols += [(band == b).astype(np.float64) for b in range(1, self.features.n_bands)]
        cols += [(hist == h).astype(np.float64) for h in range(1, self.features.H)]
        cols += [(tse == e).astype(np.float64) for e in range(1, krisk.N_TSE)]
        ok = code >= 0
        if self.num is not None:
            nm = self.num[i, t].astype(np.float64)
            ok &= nm >= 0
            cols.append(nm / self.denom)
        X = np.column_stack(cols)
        if self.covariates is not None:
            Xc, okc = self.covariates.block(i, t)
            X = np.hstack([X, Xc])
            ok &= okc
        return X, ok


@dataclass(frozen=True, eq=False)
class LogitFit:
    """A fitted logit: the design, the kept columns and the coefficients.

    Attributes
    ----------
    design
        The full design (:class:`LogitDesign`).
    keep
        Indices of the columns kept (the others had no variation in the fitting rows).
    beta, bse
        Coefficients and standard errors of the kept columns (weights as frequencies).
    terms, dropped_terms
        Names of the kept and the dropped columns.
    n_fit_rows
        Fitting unit-waves.
    """

    design: LogitDesign
    keep: np.ndarray
    beta: np.ndarray
    bse: np.ndarray
    terms: list[str]
    dropped_terms: list[str]
    n_fit_rows: int

    def matrix(self, i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design rows of the kept columns for ``(i, t)`` and their validity mask.

        Returns
        -------
        tuple of numpy.ndarray
        """
        X, ok = self.design.matrix(i, t)
        return X[:, self.keep], ok


def logit_rows(
    design: LogitDesign,
    state: np.ndarray,
    weight: np.ndarray,
    fit_mask: np.ndarray,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fitting rows: observed at ``t`` and ``t + h``, target wave within the fit, a
    positive finite weight, no missing score or covariate.

    Returns
    -------
    tuple of numpy.ndarray
        ``(X, y, w)``: the design (all columns), poor at the target (0/1), the weights.
    """
    code = design.code
    tt = np.flatnonzero(fit_mask)
    obs = (code[:, tt - horizon] >= 0) & (state[:, tt] >= 0)
    obs &= np.isfinite(weight)[:, None] & (weight > 0)[:, None]
    ii, kk = np.nonzero(obs)
    X, ok = design.matrix(ii, tt[kk] - horizon)
    y = (state[ii, tt[kk]] >= 2).astype(np.float64)
    return X[ok], y[ok], weight[ii[ok]]


def fit_logit(
    design: LogitDesign,
    state: np.ndarray,
    weight: np.ndarray,
    fit_mask: np.ndarray,
    horizon: int,
) -> LogitFit:
    """Fit ``statsmodels.api.GLM(y, X, family=Binomial(), freq_weights=w)`` on the fitting rows.

    Columns without variation in the fitting rows are dropped (the constant is kept).

    Parameters
    ----------
    design
        The design.
    state
        ``(unit, time)`` states (poor = state >= 2, -1 unobserved).
    weight
        Panel weight per unit.
    fit_mask
        Target waves of the fit.
    horizon
        Waves between a scored wave and its target.

    Returns
    -------
    LogitFit
    """
    import statsmodels.api as sm

    X, y, wf = logit_rows(design, state, weight, fit_mask, horizon)
    terms_all = design.terms()
    keep = np.r_[True, X[:, 1:].std(0) > 0] if len(X) else np.ones(X.shape[1], bool)
    dropped = [t for t, kp in zip(terms_all, keep, strict=True) if not kp]
    keep_idx = np.flatnonzero(keep)
    model = sm.GLM(y, X[:, keep_idx], family=sm.families.Binomial(), freq_weights=wf)
    fit = model.fit()
    return LogitFit(
        design=design,
        keep=keep_idx,
        beta=np.asarray(fit.params, np.float64),
        bse=np.asarray(fit.bse, np.float64),
        terms=[terms_all[j] for j in keep_idx],
        dropped_terms=dropped,
        n_fit_rows=int(len(y)),
    )


def score_logit(fit: LogitFit, code: np.ndarray) -> np.ndarray:
    """The logit's risk of every observed unit-wave (NaN: unobserved or a missing input).

    Parameters
    ----------
    fit
        The fitted logit.
    code
        ``(unit, time)`` full-cell codes.

    Returns
    -------
    numpy.ndarray
        ``(unit, time)`` float64.
    """
    risk = np.full(code.shape, np.nan)
    oi, ot = np.nonzero(code >= 0)
    for a in range(0, len(oi), SCORE_BLOCK):
        Xb, okb = fit.matrix(oi[a : a + SCORE_BLOCK], ot[a : a + SCORE_BLOCK])
        eta = Xb @ fit.beta
        pr = 1.0 / (1.0 + np.exp(-eta))
        pr[~okb] = np.nan
        risk[oi[a : a + SCORE_BLOCK], ot[a : a + SCORE_BLOCK]] = pr
    return risk
