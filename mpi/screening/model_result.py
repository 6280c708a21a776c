"""The fitted supervised score of :func:`mpi.screening.fit_screening`: :class:`ScreeningModel`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import expit, norm_ppf, norm_sf
from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.errors import MissingDataWarning
from mpi.screening.rules import feature_columns, feature_frame

__all__ = ["ScreeningModel", "COEFFICIENT_COLUMNS"]

#: Columns of :attr:`ScreeningModel.coefficients`.
COEFFICIENT_COLUMNS = ("coef", "std_err", "z", "p_value", "lower", "upper", "mean", "sd")


class ScreeningModel(ResultBase):
    """A logit of hardship on standardised features (:func:`mpi.screening.fit_screening`).

    :meth:`to_dataset` has the dim ``term`` (``const`` and the features) with ``coef``,
    ``std_err``, ``z``, ``p_value``, ``lower`` and ``upper`` (95 % Wald interval; NaN for a
    penalised fit without standard errors) and the standardisation ``mean`` and ``sd`` (NaN
    for the constant); its attributes hold the counts and the fit statistics.

    Parameters
    ----------
    result
        The statsmodels results (kept as :attr:`fit_result`).
    features
        The feature names, in the order of the coefficients.
    mean, sd
        The features' means and standard deviations (``ddof=1``) over the students fitted.
    ids
        Ids of the students fitted.
    y
        Their 0/1 labels.
    design
        The ``(n, k + 1)`` design (constant, standardised features) that was fitted.
    penalty
        ``(penalty, alpha)`` of a penalised fit, or None.
    n_missing_features, n_missing_labels
        Students left out of the fit.
    """

    title = "Screening model (logit on standardised features)"
    call = "mpi.screening.fit_screening"
    takes_groups = False

    def __init__(
        self,
        *,
        result: Any,
        features: Sequence[str],
        mean: np.ndarray,
        sd: np.ndarray,
        ids: pd.Index,
        y: np.ndarray,
        design: np.ndarray,
        penalty: tuple[str, float] | None,
        n_missing_features: int,
        n_missing_labels: int,
    ) -> None:
        #: The statsmodels results object of the fit (``LogitResults``, ``L1BinaryResults``
        #: or the GLM's ``RegularizedResults``).
        self.fit_result = result
        self.features = tuple(features)
        self.penalty = penalty
        self._mean = np.asarray(mean, dtype=np.float64).copy()
        self._sd = np.asarray(sd, dtype=np.float64).copy()
        self._params = np.asarray(result.params, dtype=np.float64).copy()
        self._ids = ids.copy()
        k = len(self._params)
        bse = np.full(k, np.nan)
        if penalty is None or penalty[0] == "l1":
            with np.errstate(invalid="ignore", divide="ignore"):
                bse = np.asarray(result.bse, dtype=np.float64).copy()
            bse[self._params == 0] = np.nan  # dropped by the L1 penalty
        with np.errstate(invalid="ignore", divide="ignore"):
            zval = self._params / bse
        pval = 2 * norm_sf(np.abs(zval))
        q = norm_ppf(0.975)
        eta = design @ self._params
        llf = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        p0 = y.mean()
        llnull = float(len(y) * (p0 * np.log(p0) + (1 - p0) * np.log(1 - p0)))
        cond = float(np.linalg.cond(design[:, 1:])) if design.shape[1] > 1 else 1.0
        terms = ["const", *self.features]
        mean_t = np.r_[np.nan, self._mean]
        sd_t = np.r_[np.nan, self._sd]
        data = {
            "coef": self._params,
            "std_err": bse,
            "z": zval,
            "p_value": pval,
            "lower": self._params - q * bse,
            "upper": self._params + q * bse,
            "mean": mean_t,
            "sd": sd_t,
        }
        self._ds = xr.Dataset(
            {name: (("term",), np.asarray(v, dtype=np.float64)) for name, v in data.items()},
            coords={"term": terms},
            attrs={
                "method": "logit",
                "penalty": "none" if penalty is None else penalty[0],
                "alpha": 0.0 if penalty is None else penalty[1],
                "n_fitted": len(y),
                "n_hardship": int(y.sum()),
                "n_missing_features": int(n_missing_features),
                "n_missing_labels": int(n_missing_labels),
                "log_likelihood": llf,
                "pseudo_r2": 1 - llf / llnull,
                "condition_number": cond,
            },
        )

    def _data(self) -> xr.Dataset:
        return self._ds

    # -- the fit ----------------------------------------------------------------------------
    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficients on the standardised features, with their inference.

        Returns
        -------
        pandas.DataFrame
            Index ``term`` (``const``, then the features); columns ``coef``, ``std_err``,
            ``z``, ``p_value``, ``lower``, ``upper`` (95 %), and the standardisation
            ``mean`` and ``sd`` of each feature.
        """
        return self._ds[list(COEFFICIENT_COLUMNS)].to_dataframe()

    @property
    def intercept(self) -> float:
        """The constant :math:`\\beta_0` (the log-odds of a student at the mean features)."""
        return float(self._params[0])

    @property
    def condition_number(self) -> float:
        """Condition number of the standardised features fitted (collinearity above ~30)."""
        return float(self._ds.attrs["condition_number"])

    @property
    def n_fitted(self) -> int:
        """Students in the fit."""
        return int(self._ds.attrs["n_fitted"])

    @property
    def fitted_ids(self) -> pd.Index:
        """Ids of the students in the fit."""
        return self._ids.copy()

    # -- scoring ----------------------------------------------------------------------------
    def _standardised(self, feat: Any, caller: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        frame = feature_frame(feat)
        x = feature_columns(frame, self.features)
        missing = np.isnan(x).any(axis=1)
        n_missing = int(missing.sum())
        if n_missing:
            warnings.warn(
                f"ScreeningModel.{caller}: {n_missing} of {len(frame)} students have a missing "
                "feature value; their result is NaN (see attrs['n_missing'])",
                MissingDataWarning,
                stacklevel=3,
            )
        z = (x - self._mean) / self._sd
        z[missing] = np.nan
        return frame.index, z, missing

    def explain(self, feat: Any) -> pd.DataFrame:
        """Each feature's part of each student's linear predictor (the reasons).

        Parameters
        ----------
        feat : ScreeningFeatures or pandas.DataFrame
            Features with the model's columns (any students: another term, another draw).

        Returns
        -------
        pandas.DataFrame
            Indexed like the features, one column per feature:
            :math:`\\beta_j (x_{ij} - m_j)/s_j`. A row sums to the linear predictor minus
            the intercept, :math:`\\operatorname{logit}(p_i) - \\beta_0`; positive parts push
            towards hardship. A row with a missing feature is NaN (counted in
            ``attrs["n_missing"]``).
        """
        index, z, missing = self._standardised(feat, "explain")
        out = pd.DataFrame(z * self._params[1:], index=index.copy(), columns=list(self.features))
        out.attrs["n_missing"] = int(missing.sum())
        return out

    def linear_predictor(self, feat: Any) -> pd.Series:
        """The log-odds :math:`\\beta_0 + \\sum_j \\beta_j z_{ij}` of every student.

        Parameters
        ----------
        feat : ScreeningFeatures or pandas.DataFrame
            Features with the model's columns.

        Returns
        -------
        pandas.Series
            Indexed like the features, NaN for a student with a missing feature.
        """
        index, z, missing = self._standardised(feat, "linear_predictor")
        eta = self._params[0] + z @ self._params[1:]
        out = pd.Series(eta, index=index.copy(), name="linear_predictor")
        out.attrs["n_missing"] = int(missing.sum())
        return out

    def predict(self, feat: Any) -> pd.Series:
        """The probability that each student is in hardship.

        Parameters
        ----------
        feat : ScreeningFeatures or pandas.DataFrame
            Features with the model's columns (standardised with the fitted means and
            standard deviations).

        Returns
        -------
        pandas.Series
            :math:`\\operatorname{expit}(\\beta_0 + \\sum_j \\beta_j z_{ij})`, indexed like the
            features, named ``"probability"``; NaN for a student with a missing feature
            (counted in ``attrs["n_missing"]``, with a warning).
        """
        index, z, missing = self._standardised(feat, "predict")
        p = expit(self._params[0] + z @ self._params[1:])
        out = pd.Series(p, index=index.copy(), name="probability")
        out.attrs["n_missing"] = int(missing.sum())
        return out

    # -- summary ----------------------------------------------------------------------------
    def _title(self, lang: str) -> str:
        return text("screening_scores.model.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        penalty = (
            text("screening_scores.value.no_penalty", lang)
            if self.penalty is None
            else f"{self.penalty[0]} (alpha = {self.penalty[1]:g})"
        )
        return [
            (text("screening_scores.header.penalty", lang), penalty),
            (
                text("screening_scores.header.fitted", lang),
                text("screening_scores.value.fitted", lang, n=a["n_fitted"], k=a["n_hardship"]),
            ),
            (
                text("screening_scores.header.left_out", lang),
                text(
                    "screening_scores.value.left_out",
                    lang,
                    features=a["n_missing_features"],
                    labels=a["n_missing_labels"],
                ),
            ),
            (text("screening_scores.header.log_likelihood", lang), f"{a['log_likelihood']:.4f}"),
            (text("screening_scores.header.pseudo_r2", lang), f"{a['pseudo_r2']:.4f}"),
            (text("screening_scores.header.condition", lang), f"{a['condition_number']:.1f}"),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        return [(text("screening_scores.model.table", lang), label_table(self.coefficients, lang))]

    def _notes(self, lang: str) -> list[str]:
        return [text("screening_scores.model.note", lang)]

    def __repr__(self) -> str:
        a = self._ds.attrs
        return (
            f"<ScreeningModel logit on {len(self.features)} features, {a['n_fitted']:,} "
            f"students ({a['n_hardship']:,} in hardship)>"
        )
