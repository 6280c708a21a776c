"""The result of :func:`mpi.relapse_risk`: :class:`RiskResult`."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import label_table
from mpi.dynamics.result import DynamicsResult
from mpi.dynamics.risk.evaluation import default_evaluation, evaluate
from mpi.dynamics.risk.features import check_int
from mpi.dynamics.risk.model import RiskModel
from mpi.dynamics.states import PanelStates
from mpi.errors import DataError, ValidationError

__all__ = ["RiskResult"]


class RiskResult(DynamicsResult):
    """Early-warning risk of being poor at the next wave(s), per unit and wave.

    :meth:`to_dataset` holds ``risk`` (unit, time), the features (``current_band``,
    ``poor_history``, ``waves_since_exit``), the fitted cell table or the logit
    coefficients, the naive baseline table and the out-of-time evaluation. :meth:`evaluate`
    recomputes the evaluation on chosen waves; :meth:`watch_list` ranks the units at a wave.

    :meth:`to_frame` gives the evaluation (``auc``, ``brier`` by ``model``) and the model
    (``probability`` by cell, or the logit's ``coef`` by ``term``). The logit has
    model-based inference: :attr:`se` and :meth:`ci` of ``coef`` (standard errors of
    statsmodels' GLM with the weights as frequencies, not design-based).

    Parameters
    ----------
    ds
        The finished Dataset (made by :func:`mpi.relapse_risk`).
    states
        The panel states with a spec (None with ``status=`` and no spec).
    model
        The fitted model and the panel arrays it scores.
    """

    kind = "Early warning: risk of being poor at the next wave"
    call = "mpi.relapse_risk"
    takes_groups = False  # the model has covariates, not groups
    headline = ("auc", "brier")

    def __init__(self, ds: xr.Dataset, states: PanelStates | None, model: RiskModel) -> None:
        super().__init__(ds, states)
        self._model = model

    @property
    def method(self) -> str:
        """``"nonparametric"`` or ``"logit"``."""
        return str(self._data().attrs["method"])

    @cached_property
    def default_evaluation(self) -> xr.Dataset | None:
        """The evaluation on every held-out transition (None without a held-out period)."""
        return default_evaluation(self._model)

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
        return evaluate(self._model, wave)

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
        m = self._model
        t = self._watch_wave(wave)
        if top is not None:
            top = check_int("top", top, 1)
        idx = self._ranked_units(t, top, include_poor)
        band, hist, tse, ex = m.features.decode(m.code[idx, t])
        out = pd.DataFrame(
            {
                "unit": m.units[idx],
                "risk": m.risk[idx, t],
                "band": np.asarray(m.band_names)[band],
                "history": hist,
                "time_since_exit": tse,
                "exited": ex.astype(bool),
            }
        )
        self._add_deprivations(out, idx, t)
        if m.logit is not None:
            out["drivers"] = _drivers(m, idx, t)
        out.insert(1, "time", m.times[t])
        return out.reset_index(drop=True)

    # -- steps of watch_list -----------------------------------------------------------
    def _watch_wave(self, wave: Any) -> int:
        """Index of the watch-list wave (default: the latest with a finite risk)."""
        m = self._model
        if wave is None:
            have = np.flatnonzero(np.isfinite(m.risk).any(0))
            if not len(have):
                raise DataError("watch_list: no unit-wave has a risk")
            return int(have[-1])
        hit = np.flatnonzero(m.years == float(wave))
        if not len(hit):
            raise ValidationError(
                f"wave={wave!r} is not a wave of the panel; choose among "
                f"{[float(y) for y in m.years]}"
            )
        return int(hit[0])

    def _ranked_units(self, t: int, top: int | None, include_poor: bool) -> np.ndarray:
        """Units with a risk at wave ``t`` by decreasing risk (ties: unit order), ``top`` first."""
        r = self._model.risk[:, t]
        keep = np.isfinite(r)
        if not include_poor:
            keep &= self._model.state[:, t] < 2
        idx = np.flatnonzero(keep)
        idx = idx[np.argsort(-r[idx], kind="stable")]
        return idx if top is None else idx[:top]

    def _add_deprivations(self, out: pd.DataFrame, idx: np.ndarray, t: int) -> None:
        """Columns ``score`` and ``deprived`` (with a spec; else ``deprived`` empty)."""
        ps = self.states
        if ps is None:
            out["deprived"] = ""
            return
        num = ps.num[idx, t].astype(np.float64)
        out["score"] = np.where(num >= 0, num / ps.denom, np.nan)
        names = [ind.name for ind in ps.spec]
        pat = ps.pattern[idx, t].astype(np.int64)
        out["deprived"] = [", ".join(n for j, n in enumerate(names) if (b >> j) & 1) for b in pat]

    # -- ResultBase hooks -----------------------------------------------------------------
    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._data()
        parts = []
        if "auc" in ds:
            parts.append(("evaluation", ds[["auc", "brier"]].to_dataframe()))
        if self.method == "logit":
            parts.append(("logit", ds[["coef", "std_err"]].to_dataframe()))
        else:
            cells = ds["probability"].to_dataframe().unstack("time_since_exit")["probability"]
            parts.append(("cell_probability", cells))
        parts.append(("naive_rule", ds["naive_probability"].to_pandas()))
        return [
            (text(f"result.table.{key}", lang), label_table(table, lang, cells=True))
            for key, table in parts
        ]

    def _standard_errors(self) -> xr.Dataset | None:
        """Logit: the coefficients' standard errors (weights as frequencies); else None."""
        ds = self._data()
        if "std_err" not in ds:
            return None
        se = xr.Dataset({"coef": ds["std_err"]})
        se["coef"].attrs = {"long_name": "standard error of coef", "units": "1"}
        return se

    def _no_inference_message(self) -> str:
        return (
            f"this RiskResult ({self.method}) has no standard errors; only the logit has them "
            "(of its coefficients): mpi.relapse_risk(..., method='logit')"
        )

    def _frame_variables(self) -> list[str]:
        """The evaluation (when there is one) and the model: cell probabilities or ``coef``."""
        ds = self._data()
        model = ["coef"] if "coef" in ds else ["probability"]
        return [v for v in ("auc", "brier") if v in ds] + model

    def _repr_values(self) -> str:
        ds = self._data()
        if "auc" not in ds:
            return f"method={self.method}"
        a = ds["auc"].values
        return f"method={self.method} auc={a[0]:.4f} naive_auc={a[1]:.4f}"


def _drivers(model: RiskModel, idx: np.ndarray, t: int) -> list[str]:
    """Per unit, the three logit terms with the largest positive contributions ``beta_j x_j``."""
    fit = model.logit
    assert fit is not None
    X, _ = fit.matrix(idx, np.full(len(idx), t))
    contrib = X[:, 1:] * fit.beta[1:]
    terms = fit.terms[1:]
    drivers = []
    for row in contrib:
        order = np.argsort(-row, kind="stable")[:3]
        drivers.append(", ".join(f"{terms[j]} (+{row[j]:.3f})" for j in order if row[j] > 0))
    return drivers
