"""Early warning of (re-)entry into poverty: :func:`relapse_risk` (methods.md §3.4–§3.5, §4.4).

For each unit and wave :math:`t` the model estimates

.. math::

    r_{it} = P(P_{i,t+h} = 1 \\mid x_{it}),

the probability of being poor :math:`h` waves later (``horizon``) given features built
from the unit's past and present only (:mod:`mpi.kernels.risk`): the current band, the
poverty history (earlier poor waves, capped), the time since the last exit and, for the
logit, the deprivation score and user covariates.

* ``method="nonparametric"``: weighted transition frequencies per cell
  ``(band, history, time_since_exit)`` counted by one numba pass (additive sums per target
  wave and cell), with a fallback to coarser cells when a cell has fewer than
  ``min_count`` fitting unit-waves.
* ``method="logit"``: a discrete-time logit on the pooled unit-waves of the fitting period
  (:class:`statsmodels.api.GLM`, binomial family, the panel weights as ``freq_weights``).

Out of time: the model is fitted on the transitions whose *target* wave is at most
``fit_until`` and evaluated on the later ones (AUC, Brier score, calibration), against the
naive "band at exit" rule.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.panel_layout import check_panel, parallel_chunks, status_states, unit_weights
from mpi.dynamics.result import DynamicsResult, panel_attrs
from mpi.dynamics.states import BAND_NAMES, PanelStates, panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import risk as krisk
from mpi.measurement.spec import Spec

__all__ = ["relapse_risk", "RiskResult", "auc_score", "brier_score", "calibration_table"]

METHODS = ("nonparametric", "logit")
TSE_NAMES = ("never_or_poor", "1", "2", "3+")
FALLBACK_LEVELS = (
    "band x history x time_since_exit",
    "band x ever_poor_before x time_since_exit",
    "band x time_since_exit",
    "band",
    "all",
)
N_BINS = 10

REFERENCES = (
    "Stevens, A. H. (1999). Climbing out of poverty, falling back in: measuring the "
    "persistence of poverty over multiple spells. Journal of Human Resources 34(3): 557-588.",
    "Chaudhuri, S., Jalan, J. and Suryahadi, A. (2002). Assessing household vulnerability to "
    "poverty from cross-sectional data. Columbia University DP 0102-52.",
    "Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver "
    "operating characteristic (ROC) curve. Radiology 143: 29-36.",
    "Brier, G. W. (1950). Verification of forecasts expressed in terms of probability. "
    "Monthly Weather Review 78(1): 1-3.",
)


# ---------------------------------------------------------------------------- metrics
def _rows(y: Any, p: Any, weight: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(p, np.float64).ravel()
    y = np.asarray(y, bool).ravel()
    w = np.ones(len(p)) if weight is None else np.asarray(weight, np.float64).ravel()
    if not (len(y) == len(p) == len(w)):
        raise ValidationError(
            f"y, scores and weights must have one value per row; got lengths {len(y)}, "
            f"{len(p)}, {len(w)}"
        )
    return y, p, w


def _tie_groups(
    value: np.ndarray, wp: np.ndarray, wn: np.ndarray, cnt: np.ndarray, sw_p: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Sort (already grouped or row-level) scores and merge equal ones: the distinct
    scores ascending with their summed positive weight, negative weight, count and
    weighted score sum."""
    order = np.argsort(value)
    v = value[order]
    if not len(v):
        return v, v, v, v.astype(np.int64), v
    start = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    red = [np.add.reduceat(x[order], start) for x in (wp, wn, cnt, sw_p)]
    return v[start], *red


def _auc_groups(wp: np.ndarray, wn: np.ndarray) -> float:
    """AUC from the tie groups (ascending score): sum_g Wp_g (Wn below g + Wn_g / 2)."""
    W1, W0 = wp.sum(), wn.sum()
    if not (W1 > 0 and W0 > 0):
        return float("nan")
    below = np.cumsum(wn) - wn
    return float((wp * (below + 0.5 * wn)).sum() / (W1 * W0))


def _calibration_groups(
    v: np.ndarray, wp: np.ndarray, wn: np.ndarray, cnt: np.ndarray, swp: np.ndarray, bins: int
) -> pd.DataFrame:
    """Calibration table from the tie groups (ascending score)."""
    gw = wp + wn
    W = gw.sum()
    mid = (np.cumsum(gw) - 0.5 * gw) / W if W > 0 else np.zeros(len(gw))
    b = np.minimum((mid * bins).astype(np.int64), bins - 1)  # non-decreasing
    n = np.bincount(b, cnt, minlength=bins).astype(np.int64)
    sw = np.bincount(b, gw, minlength=bins)
    has = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(has, np.bincount(b, swp, minlength=bins) / sw, np.nan)
        obs = np.where(has, np.bincount(b, wp, minlength=bins) / sw, np.nan)
    first = np.searchsorted(b, np.arange(bins), side="left")
    last = np.searchsorted(b, np.arange(bins), side="right") - 1
    top = max(len(v) - 1, 0)
    pmin = np.where(has, v[np.minimum(first, top)] if len(v) else 0.0, np.nan)
    pmax = np.where(has, v[np.clip(last, 0, top)] if len(v) else 0.0, np.nan)
    return pd.DataFrame(
        {
            "count": n,
            "weight": sw,
            "predicted": pred,
            "observed": obs,
            "p_min": pmin,
            "p_max": pmax,
        },
        index=pd.RangeIndex(bins, name="bin"),
    )


def _row_groups(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    wp = np.where(y, w, 0.0)
    return _tie_groups(p, wp, w - wp, np.ones(len(p), np.int64), w * p)


def _code_groups(
    y: np.ndarray, code: np.ndarray, w: np.ndarray, table: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Tie groups of a score that is a function of a small integer code (``table[code]``):
    bincounts per code, then the codes merged by score (no sort of the rows)."""
    m = len(table)
    wp = np.bincount(code, np.where(y, w, 0.0), minlength=m)
    ww = np.bincount(code, w, minlength=m)
    cnt = np.bincount(code, minlength=m)
    used = cnt > 0
    v = table[used]
    return _tie_groups(v, wp[used], ww[used] - wp[used], cnt[used], ww[used] * v)


def auc_score(y: Any, score: Any, weight: Any = None) -> float:
    """Weighted area under the ROC curve, exact via ranks (ties count one half).

    .. math::

        AUC = \\frac{\\sum_{i: y_i=1} \\sum_{j: y_j=0} w_i w_j
              \\left(1[s_i > s_j] + \\tfrac12 1[s_i = s_j]\\right)}{W_1 W_0}

    computed in :math:`O(n \\log n)`: sort by score, and for each group of tied scores add
    its positive weight times (negative weight below the group + half the group's negative
    weight). NaN when one class has no weight; 0.5 for a constant score.
    """
    y, p, w = _rows(y, score, weight)
    _, wp, wn, _, _ = _row_groups(y, p, w)
    return _auc_groups(wp, wn)


def brier_score(y: Any, p: Any, weight: Any = None) -> float:
    """Weighted Brier score :math:`\\sum_i w_i (p_i - y_i)^2 / \\sum_i w_i`."""
    y, p, w = _rows(y, p, weight)
    return float((w * (p - y) ** 2).sum() / w.sum()) if w.sum() > 0 else float("nan")


def calibration_table(y: Any, p: Any, weight: Any = None, bins: int = N_BINS) -> pd.DataFrame:
    """Calibration by weighted deciles (``bins``) of the predicted risk.

    Unit-waves are sorted by predicted risk; a group of tied predictions goes whole to the
    bin ``min(floor(bins * m), bins - 1)``, with ``m`` the weighted share of the unit-waves
    ranked below the middle of the group. Columns: ``count`` (unweighted), ``weight``,
    ``predicted`` (weighted mean risk), ``observed`` (weighted share poor at the target
    wave), ``p_min``, ``p_max``. Bins without unit-waves have count 0 and NaN means.
    """
    y, p, w = _rows(y, p, weight)
    return _calibration_groups(*_row_groups(y, p, w), bins)


# ---------------------------------------------------------------------------- features
class _Features:
    """Decoded per unit-wave features from the kernel's full-cell codes."""

    def __init__(self, code: np.ndarray, n_bands: int, max_history: int) -> None:
        self.code = code
        self.n_bands = n_bands
        self.H = max_history + 1
        c = np.arange(krisk.full_cells(n_bands, max_history))
        ex, c = c % 2, c // 2
        tse, c = c % krisk.N_TSE, c // krisk.N_TSE
        hist, band = c % self.H, c // self.H
        # lookup tables by full-cell code; the extra last slot answers code -1 (unobserved)
        self._tables = [np.append(a, -1).astype(np.int8) for a in (band, hist, tse, ex)]

    def decode(self, code: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(band, history, tse, exited)`` int8 arrays (-1 where the code is -1)."""
        return tuple(tab[code] for tab in self._tables)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValidationError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- covariates
class _Covariates:
    """User covariates over ``(unit,)`` or ``(unit, time)``: numeric ones as float, the
    others (strings, categories, booleans) one-hot with the first level as reference."""

    def __init__(self, panel: xr.Dataset, names: Sequence[Hashable], layout: Any) -> None:
        self.items: list[tuple[str, str, np.ndarray, list]] = []  # (name, kind, values, levels)
        seen = set()
        for name in names:
            if name in seen:
                raise ValidationError(f"covariates names {name!r} twice: {list(names)!r}")
            seen.add(name)
            if name not in panel.variables:
                raise DataError(
                    f"covariate {name!r} is not in the panel; available: "
                    f"{sorted(map(str, panel.data_vars))[:12]} ..."
                )
            var = panel[name]
            ud, td = layout.unit_dim, layout.time_dim
            if var.dims == (ud,):
                vals = var.values[:, None]
            elif set(var.dims) == {ud, td}:
                vals = var.transpose(ud, td).values
            else:
                raise DataError(
                    f"covariate {name!r} has dims {var.dims}; covariates vary over ({ud!r},) "
                    f"or ({ud!r}, {td!r})"
                )
            if vals.dtype.kind in "iuf":
                self.items.append((str(name), "num", vals.astype(np.float64), []))
            else:
                ser = pd.Series(vals.reshape(-1))
                if isinstance(var.dtype, pd.CategoricalDtype):
                    cat = pd.Categorical(ser)
                else:
                    cat = pd.Categorical(ser.astype(object).where(ser.notna(), None))
                levels = list(cat.categories)
                if len(levels) < 2:
                    raise DataError(
                        f"categorical covariate {name!r} has {len(levels)} level(s); it "
                        "needs at least two"
                    )
                codes = np.asarray(cat.codes, np.int64).reshape(vals.shape)
                self.items.append((str(name), "cat", codes, levels))

    def columns(self) -> list[str]:
        out = []
        for name, kind, _, levels in self.items:
            if kind == "num":
                out.append(name)
            else:
                out += [f"{name}[{lev}]" for lev in levels[1:]]
        return out

    def block(self, i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design columns and a validity mask (no missing value) for rows ``(i, t)``."""
        cols, ok = [], np.ones(len(i), bool)
        for _, kind, vals, levels in self.items:
            v = vals[i, t if vals.shape[1] > 1 else 0]
            if kind == "num":
                ok &= np.isfinite(v)
                cols.append(v)
            else:
                ok &= v >= 0
                for lev in range(1, len(levels)):
                    cols.append((v == lev).astype(np.float64))
        X = np.column_stack(cols) if cols else np.empty((len(i), 0))
        return X, ok


# ---------------------------------------------------------------------------- result
class RiskResult(DynamicsResult):
    """Early-warning risk of being poor at the next wave(s), per unit and wave.

    :meth:`to_dataset` holds ``risk`` (unit, time), the features (``current_band``,
    ``poor_history``, ``waves_since_exit``), the fitted cell table or the logit coefficients, the naive
    baseline table and the out-of-time evaluation. :meth:`evaluate` recomputes the
    evaluation on chosen waves; :meth:`watch_list` ranks the units at a wave.
    """

    kind = "Early warning: risk of being poor at the next wave"
    headline = ("auc", "brier")

    def __init__(self, ds: xr.Dataset, states: PanelStates | None, ctx: dict) -> None:
        super().__init__(ds, states)
        self._ctx = ctx

    @property
    def method(self) -> str:
        return str(self._ds.attrs["method"])

    def _eval_rows(self, wave: Any) -> tuple[np.ndarray, ...]:
        c = self._ctx
        years, h, state = c["years"], c["horizon"], c["state"]
        T = len(years)
        targets = [tt for tt in range(h, T) if not c["fit_mask"][tt]]
        if wave is not None:
            waves = np.atleast_1d(np.asarray(wave, np.float64))
            unknown = [x for x in waves if x not in years[: T - h]]
            if unknown:
                raise ValidationError(
                    f"wave={wave!r}: {unknown} is not a scored wave with a target "
                    f"{h} wave(s) later; choose among {[float(y) for y in years[: T - h]]}"
                )
            targets = [tt for tt in range(h, T) if years[tt - h] in waves]
            fitted = [years[tt - h] for tt in targets if c["fit_mask"][tt]]
            if fitted:
                raise ValidationError(
                    f"wave={wave!r}: the transitions from {fitted} were used to fit the model "
                    f"(fit_until={c['fit_until']!r}); evaluate only later waves"
                )
        if not targets:
            raise ValidationError(
                "no held-out transitions to evaluate: every target wave is <= fit_until="
                f"{c['fit_until']!r}; refit with an earlier fit_until (e.g. the "
                "second-to-last wave)"
            )
        tt = np.asarray(targets)
        src = tt - h
        risk = c["risk"][:, src]
        ok = (c["code"][:, src] >= 0) & (state[:, tt] >= 0) & np.isfinite(risk)
        ok &= np.isfinite(c["weight"])[:, None]
        ii, kk = np.nonzero(ok)
        y = state[ii, tt[kk]] >= 2
        p = risk[ii, kk]
        code = c["code"][ii, src[kk]]
        return y, p, code, c["weight"][ii], src

    def evaluate(self, wave: Any = None) -> xr.Dataset:
        """Out-of-time evaluation of the model and of the naive band-at-exit rule.

        Parameters
        ----------
        wave : year or list of years, optional
            Scored (source) waves to evaluate, each with its target ``horizon`` waves later;
            default every held-out transition (target wave > ``fit_until``).

        Returns
        -------
        xarray.Dataset
            ``auc`` and ``brier`` along ``model`` (``"model"``, ``"naive"``); calibration
            by decile ``calibration_count``, ``calibration_weight``,
            ``calibration_predicted``, ``calibration_observed`` (``model``, ``bin``);
            ``n_eval`` (unit-waves) and ``eval_weight``. Both models are evaluated on the
            same unit-waves (observed at both waves, with a weight and a model prediction).
        """
        y, p, code, w, src = self._eval_rows(wave)
        c = self._ctx
        return _evaluation(
            y, p, code, c.get("model_full"), c["naive_full"], w, [float(c["years"][s]) for s in src]
        )

    def watch_list(
        self, wave: Any = None, top: int | None = 100, *, include_poor: bool = False
    ) -> pd.DataFrame:
        """Units ranked by risk at a wave (default: the latest wave with a risk).

        Parameters
        ----------
        wave : year, optional
            The wave; default the latest one with at least one finite risk.
        top : int or None
            Rows to return (None: all).
        include_poor : bool
            Keep units already poor at the wave (default: only the nonpoor, the ones an
            early warning can act on).

        Returns
        -------
        pandas.DataFrame
            ``unit``, ``risk``, ``band``, ``history`` (earlier poor waves, capped),
            ``time_since_exit`` (waves; ``0`` never exited or poor now; the last category
            means "or more"), ``exited``, ``score`` (deprivation score if a spec was given),
            ``deprived`` (the indicators deprived at the wave, comma-separated) and, for the
            logit, ``drivers``: the three design terms with the largest positive
            contributions :math:`\\beta_j x_{ij}` (with their values).
        """
        c = self._ctx
        years = c["years"]
        risk = c["risk"]
        if wave is None:
            have = np.flatnonzero(np.isfinite(risk).any(0))
            if not len(have):
                raise DataError("watch_list: no unit-wave has a risk")
            t = int(have[-1])
        else:
            hit = np.flatnonzero(years == float(wave))
            if not len(hit):
                raise ValidationError(
                    f"wave={wave!r} is not a wave of the panel; choose among "
                    f"{[float(y) for y in years]}"
                )
            t = int(hit[0])
        if top is not None:
            top = _check_int("top", top, 1)
        r = risk[:, t]
        keep = np.isfinite(r)
        if not include_poor:
            keep &= c["state"][:, t] < 2
        idx = np.flatnonzero(keep)
        idx = idx[np.argsort(-r[idx], kind="stable")]
        if top is not None:
            idx = idx[:top]
        feats = c["features"]
        band, hist, tse, ex = feats.decode(c["code"][idx, t])
        bnames = np.asarray(c["band_names"])
        out = pd.DataFrame(
            {
                "unit": c["units"][idx],
                "risk": r[idx],
                "band": bnames[band],
                "history": hist,
                "time_since_exit": tse,
                "exited": ex.astype(bool),
            }
        )
        ps = self._states
        if ps is not None:
            num = ps.num[idx, t].astype(np.float64)
            out["score"] = np.where(num >= 0, num / ps.denom, np.nan)
            names = [ind.name for ind in ps.spec]
            pat = ps.pattern[idx, t].astype(np.int64)
            out["deprived"] = [
                ", ".join(n for j, n in enumerate(names) if (b >> j) & 1) for b in pat
            ]
        else:
            out["deprived"] = ""
        if self.method == "logit":
            X, _ = c["design"](idx, np.full(len(idx), t))
            beta = c["beta"]
            contrib = X[:, 1:] * beta[1:]
            terms = c["terms"][1:]
            drivers = []
            for row in contrib:
                order = np.argsort(-row, kind="stable")[:3]
                drivers.append(
                    ", ".join(f"{terms[j]} (+{row[j]:.3f})" for j in order if row[j] > 0)
                )
            out["drivers"] = drivers
        out.insert(1, "time", c["times"][t])
        return out.reset_index(drop=True)

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        out = []
        if "auc" in ds:
            out.append(("Out-of-time evaluation", ds[["auc", "brier"]].to_dataframe()))
        if self.method == "logit":
            out.append(("Logit coefficients", ds[["coef", "std_err"]].to_dataframe()))
        else:
            out.append(
                (
                    "P(poor next | band, history, time since exit) after fallback",
                    ds["probability"].to_dataframe().unstack("time_since_exit")["probability"],
                )
            )
        out.append(("Naive rule P(poor next | band, exited)", ds["naive_probability"].to_pandas()))
        return out

    def _repr_values(self) -> str:
        ds = self._ds
        if "auc" not in ds:
            return f"method={self.method}"
        a = ds["auc"].values
        return f"method={self.method} auc={a[0]:.4f} naive_auc={a[1]:.4f}"

    @cached_property
    def default_evaluation(self) -> xr.Dataset | None:
        try:
            return self.evaluate()
        except ValidationError:
            return None


def _evaluation(
    y: np.ndarray,
    p: np.ndarray,
    code: np.ndarray,
    model_table: np.ndarray | None,
    naive_table: np.ndarray,
    w: np.ndarray,
    waves: list,
) -> xr.Dataset:
    """Metrics of the model and the naive rule; scores that are a function of the cell
    code (the nonparametric model, the naive rule) are grouped by code, not sorted."""
    models = ["model", "naive"]
    groups = [
        _row_groups(y, p, w) if model_table is None else _code_groups(y, code, w, model_table),
        _code_groups(y, code, w, naive_table),
    ]
    auc = [_auc_groups(g[1], g[2]) for g in groups]
    naive = naive_table[code]
    brier = [brier_score(y, q, w) for q in (p, naive)]
    cal = [_calibration_groups(*g, N_BINS) for g in groups]
    cols = ("count", "weight", "predicted", "observed")
    ds = xr.Dataset(
        {
            "auc": ("model", np.asarray(auc)),
            "brier": ("model", np.asarray(brier)),
            **{
                f"calibration_{col}": (("model", "bin"), np.stack([c[col].to_numpy() for c in cal]))
                for col in cols
            },
            "n_eval": ((), len(y)),
            "eval_weight": ((), float(w.sum())),
            "eval_events": ((), float(w[y].sum())),
        },
        coords={"model": models, "bin": np.arange(N_BINS)},
    )
    meta = {
        "auc": "weighted area under the ROC curve (ties count 1/2)",
        "brier": "weighted Brier score sum w (p - y)^2 / sum w",
        "calibration_count": "unit-waves per decile of predicted risk (unweighted)",
        "calibration_weight": "sum of weights per decile of predicted risk",
        "calibration_predicted": "weighted mean predicted risk per decile",
        "calibration_observed": "weighted share poor at the target wave per decile",
        "n_eval": "held-out unit-waves evaluated (unweighted)",
        "eval_weight": "sum of weights of the held-out unit-waves",
        "eval_events": "sum of weights of the held-out unit-waves poor at the target wave",
    }
    for name, text in meta.items():
        ds[name].attrs.update({"long_name": text, "units": "1"})
    ds.attrs["evaluated_waves"] = ", ".join(f"{x:g}" for x in sorted(set(waves)))
    return ds


# ---------------------------------------------------------------------------- fitting
def _cell_table(sw: np.ndarray, sn: np.ndarray, shape: tuple, min_count: int) -> dict:
    """Fallback probabilities per ``(band, history, tse)`` from the full-cell sums.

    ``sw``, ``sn``: weighted / unweighted sums ``[n_full, 2]`` (den, events) of the fit.
    """
    B, H, E = shape
    w = sw.reshape(B, H, E, 2, 2).sum(3)  # drop 'exited'
    n = sn.reshape(B, H, E, 2, 2).sum(3)

    def lev1(a: np.ndarray) -> np.ndarray:  # history -> {0, 1+}
        g = np.stack([a[:, 0], a[:, 1:].sum(1)], 1)
        return g[:, np.minimum(np.arange(H), 1)]

    levels = [
        (w, n),
        (lev1(w), lev1(n)),
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


def _naive_table(sw: np.ndarray, sn: np.ndarray, shape: tuple) -> np.ndarray:
    """The band-at-exit rule ``P(poor next | band, exited)`` [B, 2] (empty cells: the band's
    rate, then the overall rate)."""
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


def relapse_risk(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    status: Hashable | None = None,
    method: str = "nonparametric",
    covariates: Sequence[Hashable] | None = None,
    fit_until: float | None = None,
    horizon: int = 1,
    min_count: int = 30,
    max_history: int = 2,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> RiskResult:
    """Early warning: the probability of being poor ``horizon`` waves later, per unit-wave.

    .. math::

        r_{it} = P(P_{i,t+h} = 1 \\mid \\text{band}_{it}, \\text{history}_{it},
        \\text{tse}_{it}[, c_{it}, z_{it}])

    Features (from the unit's past and present only, so scoring wave :math:`t` uses no data
    after :math:`t`):

    * ``band``: nonpoor / vulnerable / poor / severe (the spec's cutoffs), or nonpoor /
      poor with ``status=``;
    * ``history``: earlier observed poor waves, capped at ``max_history`` (0, 1, ``2+``);
    * ``time_since_exit`` (tse): 0 when poor now or never observed exiting; otherwise
      :math:`\\min(t - u + 1, 3)` for the last exit at wave :math:`u` (the first nonpoor
      wave after a poor one, bridging gaps): 1 at the exit wave, whose next wave is the
      first at risk of re-entry (``e = 1`` of methods.md §3.4), 2, ``3+``;
    * logit only: the deprivation score :math:`c_{it}` (with a spec) and ``covariates``.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        Dims ``(unit, time)``, numeric years as ``time``. A PanelStates only without
        ``status``.
    spec : mpi.Spec, optional
        Required without ``status``; with ``status`` it adds the score and the deprived
        indicators (then a unit-wave needs both the status and all indicators).
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Fixed panel weight over ``unit``; units with a NaN weight are left out of the fit
        and the evaluation (counted in ``n_no_weight``) but still scored.
    status : str, optional
        A (unit, time) 0/1 variable (1 = poor, NaN = unobserved) used as poverty status
        instead of the AF rule (income line, registry flag, ...).
    method : {"nonparametric", "logit"}
        See Notes.
    covariates : list of str, optional
        Logit only: variables over ``(unit,)`` or ``(unit, time)`` (the value at the
        scored wave). Numeric ones enter linearly; strings, categoricals and booleans as
        dummies (first level as reference). A unit-wave with a missing covariate is not
        fitted and gets a NaN risk.
    fit_until : year, optional
        Fit on the transitions whose *target* wave is at most ``fit_until``; the later
        ones are held out for :meth:`RiskResult.evaluate`. Default: fit on every transition
        (no evaluation).
    horizon : int
        Waves ahead (default 1: the next wave).
    min_count : int
        Nonparametric: fewest fitting unit-waves (unweighted) a cell needs before falling
        back to a coarser one.
    max_history : int
        Cap of the count of earlier poor waves.

    Returns
    -------
    RiskResult
        ``to_dataset()``: ``risk`` (unit, time; float64, NaN where unobserved: 8 bytes per
        unit-wave, i.e. 64 MB at 1e6 units x 8 waves), the features ``current_band``,
        ``poor_history``, ``waves_since_exit`` (int8 codes, -1 unobserved); nonparametric: ``probability`` (after
        fallback), ``cell_probability`` (raw), ``fallback_level``, ``cell_weight``,
        ``cell_events``, ``cell_count`` over (band, history, time_since_exit); logit:
        ``coef``, ``std_err`` over ``term``; ``naive_probability`` (band, exited); with a
        held-out period, the evaluation of :meth:`RiskResult.evaluate` (``auc``,
        ``brier``, ``calibration_*``).

    Notes
    -----
    **Nonparametric.** One kernel pass (:func:`mpi.kernels.risk.risk_counts`) sums, per
    target wave and full cell, the weights :math:`\\sum s_i` of the unit-waves and of those
    poor at the target. The fit sums the target waves :math:`\\le` ``fit_until``:
    :math:`\\hat r(c) = \\sum_{(i,t) \\in c} s_i P_{i,t+h} / \\sum_{(i,t) \\in c} s_i`.
    Fallback hierarchy (a cell uses the first level whose cell has at least ``min_count``
    fitting unit-waves and a positive weight; the last level always applies):

    0. band x history x time_since_exit;
    1. band x ever poor before (history 0 / 1+) x time_since_exit;
    2. band x time_since_exit;
    3. band;
    4. all unit-waves.

    **Logit.** ``statsmodels.api.GLM(y, X, family=Binomial(), freq_weights=s)`` on the
    pooled fitting unit-waves. ``X``: a constant, band dummies (reference nonpoor),
    history dummies (reference 0), time-since-exit dummies (reference 0), the score
    :math:`c_{it}` (with a spec), the covariates. Columns without variation in the fitting
    rows are dropped (attr ``dropped_terms``). Standard errors treat the weights as
    frequencies (not design-based).

    **Naive rule (baseline): "band at exit".** :math:`P(P_{i,t+h}=1 \\mid \\text{band}_{it},
    X_{it})` with :math:`X_{it} = 1` when the unit was observed exiting poverty at or
    before :math:`t` — the weighted frequency over the same fitting unit-waves, an empty
    cell falling back to the band and then to all unit-waves. For a unit that exited and is
    still nonpoor, its band now is its band since the exit unless it moved; what the rule
    lacks is the poverty history and the time since exit.

    **Evaluation.** AUC (exact, weighted, ties 1/2), Brier score and a calibration table by
    weighted deciles of predicted risk on the held-out unit-waves observed at both waves.

    References
    ----------
    Stevens (1999); Chaudhuri, Jalan & Suryahadi (2002); methods.md §3.4-§3.5, §4.4.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")  # doctest: +SKIP
    >>> res = mpi.relapse_risk(panel, mpi.presets.china_2b3g(), weight="weight",
    ...                        fit_until=2021)  # doctest: +SKIP
    >>> res.evaluate()["auc"]  # doctest: +SKIP
    >>> res.watch_list(top=20)  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ValidationError(
            f"method must be 'nonparametric' (cell frequencies) or 'logit'; got {method!r}"
        )
    horizon = _check_int("horizon", horizon, 1)
    min_count = _check_int("min_count", min_count, 1)
    max_history = _check_int("max_history", max_history, 1)
    if max_history > 100:  # feature codes are int16; more past poor waves than this is moot
        raise ValidationError(
            f"max_history={max_history} is too large; past poor waves are capped at it, so "
            "use at most the number of waves (e.g. max_history=2 or 3)"
        )
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or [])
    if covariates and method != "logit":
        raise ValidationError(
            f"covariates={covariates!r} need method='logit'; the nonparametric model uses "
            "only band, history and time since exit"
        )
    if fit_until is not None and (
        isinstance(fit_until, bool) or not isinstance(fit_until, int | float | np.number)
    ):
        raise ValidationError(f"fit_until must be a year (number); got {fit_until!r}")
    n_waves = (
        panel.layout.n_waves
        if isinstance(panel, PanelStates)
        else panel.sizes.get(time)
        if isinstance(panel, xr.Dataset)
        else None
    )
    if n_waves is not None and n_waves < horizon + 1:
        raise DataError(
            f"horizon={horizon} needs at least {horizon + 1} waves (a wave and its target "
            f"{horizon} wave(s) later); the panel has {n_waves}. Use horizon <= "
            f"{max(n_waves - 1, 1)}"
        )
    ps: PanelStates | None = None
    if status is None:
        ps = panel_states(
            panel, spec, k=k, weight=weight, unit=unit, time=time, min_waves=horizon + 1
        )
        layout, state, sw_unit = ps.layout, ps.state, ps.weight
        n_bands, band_names = 4, list(BAND_NAMES)
    else:
        if isinstance(panel, PanelStates):
            raise ValidationError(
                "status= needs the panel Dataset (the status variable is read from it); "
                "pass the xarray.Dataset instead of PanelStates"
            )
        if k is not None and spec is None:
            raise ValidationError(
                f"k={k!r} is a cutoff of the spec's AF rule, but status={status!r} gives the "
                "poverty status and no spec was given; leave out k (or pass spec= too)"
            )
        layout = check_panel(panel, unit=unit, time=time, min_waves=horizon + 1)
        state = status_states(panel, status, layout)
        if spec is not None:
            ps = panel_states(
                panel, spec, k=k, weight=weight, unit=unit, time=time, min_waves=horizon + 1
            )
            state = np.where(ps.state < 0, np.int8(-1), state)
            sw_unit = ps.weight
        else:
            sw_unit = unit_weights(panel, weight, layout)
        n_bands, band_names = 2, ["nonpoor", "poor"]
    if covariates and isinstance(panel, PanelStates):
        raise ValidationError("covariates need the panel Dataset, not PanelStates")
    state = np.ascontiguousarray(state)
    n, T = state.shape
    years = layout.years
    n_chunks = parallel_chunks(n)
    code, sum_w, sum_n, units = krisk.risk_counts(
        state, sw_unit, n_bands, max_history, horizon, n_chunks
    )
    fit_mask = np.zeros(T, bool)
    fit_mask[horizon:] = True if fit_until is None else years[horizon:] <= float(fit_until)
    if not fit_mask.any():
        raise ValidationError(
            f"fit_until={fit_until!r} leaves no transition to fit: the first target wave is "
            f"{years[horizon]:g}; choose fit_until >= {years[horizon]:g}"
        )
    fw, fn = sum_w[fit_mask].sum(0), sum_n[fit_mask].sum(0)
    if fn[:, 0].sum() == 0:
        raise DataError(
            "relapse_risk: no unit-wave with a weight is observed at both a wave and its "
            f"target {horizon} wave(s) later within fit_until={fit_until!r} (units without "
            f"weight: {int(units[krisk.NO_WEIGHT])})"
        )
    H = max_history + 1
    shape = (n_bands, H, krisk.N_TSE)
    feats = _Features(code, n_bands, max_history)
    naive_full = np.repeat(_naive_table(fw, fn, shape)[:, None, None, :], H, 1)
    naive_full = np.repeat(naive_full, krisk.N_TSE, 2).reshape(-1)
    naive_full = np.append(naive_full, np.nan)  # code -1 -> NaN
    hist_names = [str(h) for h in range(max_history)] + [f"{max_history}+"]
    cell_coords = {"band": band_names, "history": hist_names, "time_since_exit": list(TSE_NAMES)}
    cdims = ("band", "history", "time_since_exit")
    data: dict[str, Any] = {}
    ctx: dict[str, Any] = {}
    if method == "nonparametric":
        tab = _cell_table(fw, fn, shape, min_count)
        full = np.append(np.repeat(tab["prob"].reshape(-1), 2), np.nan)
        risk = full[code]  # code -1 -> the NaN slot
        ctx["model_full"] = full
        data.update(
            probability=(cdims, tab["prob"]),
            cell_probability=(cdims, tab["raw"]),
            fallback_level=(cdims, tab["level"]),
            cell_weight=(cdims, tab["weight"]),
            cell_events=(cdims, tab["events"]),
            cell_count=(cdims, tab["count"]),
        )
    else:
        import statsmodels.api as sm

        cov = _Covariates(panel, covariates, layout) if covariates else None
        num = ps.num if ps is not None else None
        denom = ps.denom if ps is not None else 1
        base_terms = (
            [f"band[{b}]" for b in band_names[1:]]
            + [f"history[{h}]" for h in hist_names[1:]]
            + [f"time_since_exit[{e}]" for e in TSE_NAMES[1:]]
            + (["score"] if num is not None else [])
            + (cov.columns() if cov else [])
        )

        def raw_design(i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            band, hist, tse, _ = feats.decode(code[i, t])
            cols = [np.ones(len(i))]
            cols += [(band == b).astype(np.float64) for b in range(1, n_bands)]
            cols += [(hist == h).astype(np.float64) for h in range(1, H)]
            cols += [(tse == e).astype(np.float64) for e in range(1, krisk.N_TSE)]
            ok = code[i, t] >= 0
            if num is not None:
                nm = num[i, t].astype(np.float64)
                ok &= nm >= 0
                cols.append(nm / denom)
            X = np.column_stack(cols)
            if cov is not None:
                Xc, okc = cov.block(i, t)
                X = np.hstack([X, Xc])
                ok &= okc
            return X, ok

        # fitting rows: observed at t and t + h, target wave within the fit, finite weight
        tt = np.flatnonzero(fit_mask)
        obs = (code[:, tt - horizon] >= 0) & (state[:, tt] >= 0)
        obs &= np.isfinite(sw_unit)[:, None] & (sw_unit > 0)[:, None]
        ii, kk = np.nonzero(obs)
        X, ok = raw_design(ii, tt[kk] - horizon)
        y = (state[ii, tt[kk]] >= 2).astype(np.float64)
        X, y, wf = X[ok], y[ok], sw_unit[ii[ok]]
        terms_all = ["const", *base_terms]
        keep = np.r_[True, X[:, 1:].std(0) > 0] if len(X) else np.ones(X.shape[1], bool)
        dropped = [t for t, kp in zip(terms_all, keep, strict=True) if not kp]
        keep_idx = np.flatnonzero(keep)
        terms = [terms_all[j] for j in keep_idx]
        model = sm.GLM(y, X[:, keep_idx], family=sm.families.Binomial(), freq_weights=wf)
        fit = model.fit()
        beta = np.asarray(fit.params, np.float64)
        bse = np.asarray(fit.bse, np.float64)

        def design(i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            Xr, okr = raw_design(i, t)
            return Xr[:, keep_idx], okr

        risk = np.full((n, T), np.nan)
        oi, ot = np.nonzero(code >= 0)
        step = 1 << 20
        for a in range(0, len(oi), step):
            Xb, okb = design(oi[a : a + step], ot[a : a + step])
            eta = Xb @ beta
            pr = 1.0 / (1.0 + np.exp(-eta))
            pr[~okb] = np.nan
            risk[oi[a : a + step], ot[a : a + step]] = pr
        data.update(coef=("term", beta), std_err=("term", bse))
        cell_coords["term"] = terms
        ctx.update(design=design, beta=beta, terms=terms)
        ctx["dropped_terms"] = dropped
        ctx["n_fit_rows"] = int(len(y))
    naive_tab = _naive_table(fw, fn, shape)
    data["naive_probability"] = (("band", "exited"), naive_tab)
    data["fit_count"] = ((), int(fn[:, 0].sum()))
    data["fit_weight"] = ((), float(fw[:, 0].sum()))
    data["fit_events"] = ((), float(fw[:, 1].sum()))
    band_a, hist_a, tse_a, _ = feats.decode(code)
    feat_vars = {"current_band": band_a, "poor_history": hist_a, "waves_since_exit": tse_a}
    udim, tdim = layout.unit_dim, layout.time_dim
    ds = xr.Dataset(
        {
            "risk": ((udim, tdim), risk),
            **{name: ((udim, tdim), arr) for name, arr in feat_vars.items()},
            **data,
        },
        coords={
            udim: layout.units,
            tdim: layout.times,
            **cell_coords,
            "exited": [False, True],
        },
    )
    ctx.update(
        years=years,
        times=layout.times,
        units=layout.units,
        horizon=horizon,
        state=state,
        code=code,
        risk=risk,
        weight=sw_unit,
        fit_mask=fit_mask,
        fit_until=fit_until,
        features=feats,
        naive_full=naive_full,
        band_names=band_names,
    )
    meta = {
        "risk": f"P(poor {horizon} wave(s) later | features at this wave) ({method})",
        "current_band": f"band code at the wave ({', '.join(band_names)}; -1 unobserved)",
        "poor_history": f"earlier observed poor waves, capped at {max_history} (-1 unobserved)",
        "waves_since_exit": "waves since the last exit: 0 never/poor now, 1, 2, 3 = 3+ (-1 "
        "unobserved)",
        "probability": "P(poor next | cell) after the fallback to coarser cells",
        "cell_probability": "raw weighted frequency P(poor next | cell) (NaN: empty cell)",
        "fallback_level": "level of the fallback hierarchy used (0 = the cell itself; "
        + "; ".join(f"{i} = {x}" for i, x in enumerate(FALLBACK_LEVELS))
        + ")",
        "cell_weight": "sum of weights of the fitting unit-waves in the cell",
        "cell_events": "sum of weights of the fitting unit-waves poor at the target wave",
        "cell_count": "fitting unit-waves in the cell (unweighted)",
        "coef": "logit coefficient (statsmodels GLM, binomial, freq_weights = panel weight)",
        "std_err": "standard error of the coefficient (weights as frequencies)",
        "naive_probability": "naive band-at-exit rule P(poor next | band, ever exited)",
        "fit_count": "fitting unit-waves (unweighted)",
        "fit_weight": "sum of weights of the fitting unit-waves",
        "fit_events": "sum of weights of the fitting unit-waves poor at the target wave",
    }
    for name, var in ds.data_vars.items():
        var.attrs.update({"long_name": meta.get(str(name), str(name)), "units": "1"})
    n_used = int(units[krisk.USED])
    extra = dict(
        method=method,
        horizon=horizon,
        fit_until="all" if fit_until is None else float(fit_until),
        min_count=min_count,
        max_history=max_history,
        status=str(status) if status is not None else "none (AF rule)",
        balance="observed",
        n_used=n_used,
        n_dropped=int(n - n_used),
        n_no_weight=int(units[krisk.NO_WEIGHT]),
        fitted_target_waves=", ".join(f"{y:g}" for y in years[fit_mask]),
        baseline="naive band-at-exit rule: P(poor next | band, ever exited)",
    )
    if method == "logit":
        extra["dropped_terms"] = ", ".join(ctx["dropped_terms"]) or "none"
        extra["covariates"] = ", ".join(map(str, covariates)) or "none"
    title = "Early warning: risk of being poor at a later wave"
    if ps is not None:
        attrs = panel_attrs(ps, title=title, references=REFERENCES, **extra)
    else:
        attrs = {
            "title": title,
            "references": "\n".join(REFERENCES),
            "spec": "none (status)",
            "k": "none",
            "weight": weight or "none",
            "by": "none",
            "unit_dim": str(udim),
            "time_dim": str(tdim),
            "n_units": n,
            "n_waves": T,
            "waves": ", ".join(f"{y:g}" for y in years),
            **extra,
        }
    ds.attrs = attrs
    result = RiskResult(ds, ps, ctx)
    ev = result.default_evaluation
    if ev is not None:
        for name, var in ev.data_vars.items():
            result._ds[name] = var
        result._ds = result._ds.assign_coords(model=ev["model"], bin=ev["bin"])
        result._ds.attrs["evaluated_waves"] = ev.attrs["evaluated_waves"]
    return result
