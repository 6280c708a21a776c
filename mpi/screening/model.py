"""A supervised hardship score: a logit fitted on a labelled term of card-record features.

:func:`fit_screening` fits :class:`statsmodels.discrete.discrete_model.Logit` (with a
constant) to standardised features and returns a :class:`~mpi.screening.model_result.ScreeningModel`
that predicts probabilities for another term (or another university's students) and explains
each prediction feature by feature. Probabilities, not ranks: they can be checked for
calibration and compared across terms.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.model_result import ScreeningModel
from mpi.screening.rules import feature_columns, feature_frame

__all__ = ["fit_screening", "DEFAULT_FEATURES", "DEFAULT_ALPHA", "METHODS", "PENALTIES", "SE_LIMIT"]

#: The default features of :func:`fit_screening` (11; see its Notes).
DEFAULT_FEATURES = (
    "canteen_spending",
    "canteen_meals",
    "price_median",
    "cheap_meal_share",
    "supermarket_spending",
    "supermarket_visits",
    "shower_visits",
    "breakfast_regularity",
    "rural",
    "registered_poor",
    "female",
)
#: Models of :func:`fit_screening`.
METHODS = ("logit",)
#: Penalties of ``regularisation``.
PENALTIES = ("l1", "l2")
#: Strength of a penalty given by name only (``regularisation="l2"``).
DEFAULT_ALPHA = 0.01
#: A standard error above this (standardised features) means the likelihood has no maximum.
SE_LIMIT = 1000.0


def _labels(labels: Any, frame: pd.DataFrame) -> np.ndarray:
    """The 0/1 labels aligned on the features' rows (NaN where a row has none)."""
    if isinstance(labels, str):
        if labels not in frame.columns:
            raise ValidationError(
                f"labels: {labels!r} is not a column of the features; give a Series of 0/1 "
                "indexed by student id, or the name of a column of the features"
            )
        series = frame[labels]
    elif isinstance(labels, pd.Series):
        if not labels.index.is_unique:
            raise ValidationError(
                "labels: the index (student ids) has repeated values; give one label per student"
            )
        if not labels.index.isin(frame.index).any():
            raise ValidationError(
                "labels: no student id of the labels is in the features' index; index the "
                "labels by the same student ids (e.g. truth.set_index('student_id')"
                "['hardship'])"
            )
        series = labels.reindex(frame.index)
    else:
        raise ValidationError(
            f"labels: give a Series of 0/1 (or bool) indexed by student id; got "
            f"{type(labels).__name__}"
        )
    if pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            values = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise ValidationError(
                f"labels: must be 0/1 (or bool); got values such as {series.iloc[0]!r}"
            ) from None
    bad = ~np.isnan(values) & (values != 0) & (values != 1)
    if bad.any():
        raise ValidationError(
            f"labels: must be 0/1 (or bool); got {values[bad][0]!r} (1 = in hardship)"
        )
    return values


def _names(features: Any) -> tuple[str, ...]:
    if features is None:
        return DEFAULT_FEATURES
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise ValidationError(f"features: give a list of feature names; got {features!r}")
    names = tuple(features)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValidationError(f"features: give a non-empty list of feature names; got {names!r}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValidationError(f"features: {dup} appear more than once; give each feature once")
    return names


def _penalty(regularisation: Any) -> tuple[str, float] | None:
    if regularisation is None:
        return None
    if isinstance(regularisation, str):
        penalty, alpha = regularisation, DEFAULT_ALPHA
    elif isinstance(regularisation, tuple | list) and len(regularisation) == 2:
        penalty, alpha = regularisation
    else:
        raise ValidationError(
            f"regularisation: give 'l1', 'l2' or a pair such as ('l2', 0.01); got "
            f"{regularisation!r}"
        )
    if penalty not in PENALTIES:
        raise ValidationError(f"regularisation: the penalty must be 'l1' or 'l2'; got {penalty!r}")
    ok = isinstance(alpha, int | float | np.integer | np.floating) and not isinstance(alpha, bool)
    if not ok or not (math.isfinite(float(alpha)) and float(alpha) > 0):
        raise ValidationError(
            f"regularisation: the strength alpha must be a positive number, e.g. "
            f"('{penalty}', 0.01); got {alpha!r}"
        )
    return str(penalty), float(alpha)


def _separation(names: Sequence[str], params: np.ndarray, bse: np.ndarray | None) -> None:
    j = int(np.argmax(np.abs(params[1:]))) if len(params) > 1 else 0
    raise ValidationError(
        "fit_screening: the labels are perfectly or quasi-perfectly separated by the features "
        f"(the likelihood has no maximum; the largest coefficient is {names[j]!r}, "
        f"{params[1 + j]:.3g}), so the logit's coefficients are not defined. Use fewer features "
        "(features=[...], without the one that separates), or a penalty: "
        "regularisation=('l2', 0.01) or ('l1', 0.01)"
    )


def _statsmodels() -> Any:
    """``statsmodels.api``, imported on first use (it takes most of a second: ``import mpi``
    should not pay for it)."""
    import statsmodels.api as sm

    return sm


def _fit_mle(y: np.ndarray, design: pd.DataFrame, names: Sequence[str]) -> Any:
    sm = _statsmodels()
    model = sm.Logit(y, design)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            res = model.fit(disp=0, maxiter=200)
    kinds = {type(w.message).__name__ for w in caught}
    params = np.asarray(res.params, dtype=np.float64)
    bse = np.asarray(res.bse, dtype=np.float64)
    converged = bool(res.mle_retvals.get("converged", False))
    if (
        not converged
        or "PerfectSeparationWarning" in kinds
        or not np.isfinite(bse).all()
        or (bse > SE_LIMIT).any()
    ):
        _separation(names, params, bse)
    return res


def _fit_penalised(y: np.ndarray, design: pd.DataFrame, penalty: str, alpha: float) -> Any:
    sm = _statsmodels()
    n, k = design.shape
    weights = np.full(k, alpha)
    weights[0] = 0.0  # the constant is not penalised
    with warnings.catch_warnings(record=True), np.errstate(over="ignore", divide="ignore"):
        warnings.simplefilter("always")
        if penalty == "l1":
            # statsmodels minimises -loglik + sum(a_j |b_j|): a_j = n alpha gives the mean form
            return sm.Logit(y, design).fit_regularized(
                method="l1",
                alpha=weights * n,
                disp=0,
                maxiter=1000,
                trim_mode="size",
                size_trim_tol=1e-8,
            )
        glm = sm.GLM(y, design, family=sm.families.Binomial())
        return glm.fit_regularized(method="elastic_net", alpha=weights, L1_wt=0.0, maxiter=1000)


def fit_screening(
    feat: Any,
    labels: Any,
    *,
    features: Sequence[str] | None = None,
    method: str = "logit",
    regularisation: str | tuple[str, float] | None = None,
) -> ScreeningModel:
    """Fit a logit of hardship on standardised features (a supervised screening score).

    Parameters
    ----------
    feat : ScreeningFeatures or pandas.DataFrame
        Features of :func:`mpi.screening.features` (or its ``to_frame()``) of a labelled
        term. Not modified.
    labels : pandas.Series or str
        1 (or True) for a student in hardship, 0 otherwise, indexed by student id (aligned
        on the features' index; a student of the features without a label, or with a
        missing one, is left out of the fit and counted), or the name of a 0/1 column of the
        features.
    features : sequence of str, optional
        The features of the model. Default :data:`DEFAULT_FEATURES` (see Notes).
    method : {"logit"}, default "logit"
        The model: a logistic regression (maximum likelihood, or penalised).
    regularisation : {"l1", "l2"} or (str, float), optional
        A penalty and its strength :math:`\\alpha` (``"l1"`` or ``"l2"`` alone: :math:`\\alpha` = :data:`DEFAULT_ALPHA`).
        Default: none (maximum likelihood, with standard errors and p-values).

    Returns
    -------
    ScreeningModel
        ``predict(feat)`` (probabilities), ``explain(feat)`` (the reasons),
        ``coefficients``, ``summary()``.

    Raises
    ------
    ValidationError
        For a feature that is not a numeric column, constant, or infinite; labels that are
        not 0/1 or do not match the students; labels of one class only; fewer students than
        coefficients; an unknown method or penalty; or perfect or quasi-perfect separation
        (the likelihood has no maximum: the message suggests fewer features or a penalty).

    Warns
    -----
    MissingDataWarning
        When students are left out of the fit for a missing feature value or label
        (counted in the model's ``n_missing_features`` and ``n_missing_labels``).

    Notes
    -----
    Each feature :math:`x_j` is standardised with the mean :math:`m_j` and the standard
    deviation :math:`s_j` (``ddof=1``) of the students fitted, :math:`z_j = (x_j - m_j)/s_j`
    (kept in the model and used again for prediction), and

    .. math:: \\Pr(y_i = 1) = \\operatorname{expit}\\big(\\beta_0 + \\textstyle\\sum_j
              \\beta_j z_{ij}\\big)

    is fitted by maximum likelihood (``statsmodels.api.Logit`` with a constant), or with a
    penalty minimising :math:`-\\ell(\\beta)/n + \\alpha P(\\beta)`, :math:`P = \\sum_j
    |\\beta_j|` (``l1``, ``Logit.fit_regularized``) or :math:`\\tfrac12 \\sum_j \\beta_j^2`
    (``l2``, ``GLM.fit_regularized`` with ``L1_wt=0``); the constant is not penalised. A
    penalised fit has no standard errors in the ``l2`` case (NaN); ``l1`` gives them for the
    coefficients kept. Separation: the fit is refused when Newton's method does not
    converge or a standard error exceeds :data:`SE_LIMIT` (a coefficient running off to
    infinity).

    The default features are 11 that a university has (card records and its register):
    canteen spending and meals a month, the median meal price, the share of cheap meals,
    supermarket spending and visits, showers per active day, breakfast regularity, and
    rural, registered-poor and female (women buy smaller meals, so the price signals mean
    something else for them). Of the correlated price features only the median is kept (the
    mean, the 25th percentile and the lunch price are near copies of it): on the bundled
    ``campus_card`` data the standardised design's condition number is 15.3 (18.3 on a draw
    of 6,000 students), below the usual alarm level of 30 (:attr:`ScreeningModel.condition_number` reports it).

    References
    ----------
    Seabold, S. and Perktold, J. (2010). statsmodels: econometric and statistical modeling
    with Python. *Proceedings of the 9th Python in Science Conference*.

    Albert, A. and Anderson, J. A. (1984). On the existence of maximum likelihood estimates
    in logistic regression models. *Biometrika* 71(1), 1-10.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> feat = pd.DataFrame({"x": x}, index=pd.RangeIndex(400, name="student_id"))
    >>> y = pd.Series((rng.random(400) < 1 / (1 + np.exp(2 * x))).astype(int), index=feat.index)
    >>> model = fit_screening(feat, y, features=["x"])
    >>> bool(model.coefficients.loc["x", "coef"] < 0)
    True
    """
    frame = feature_frame(feat)
    names = _names(features)
    if method not in METHODS:
        raise ValidationError(f"method: must be one of {METHODS}; got {method!r}")
    penalty = _penalty(regularisation)
    x = feature_columns(frame, names)
    y = _labels(labels, frame)
    no_label = np.isnan(y)
    no_feature = np.isnan(x).any(axis=1)
    use = ~no_label & ~no_feature
    n_missing_labels = int(no_label.sum())
    n_missing_features = int((no_feature & ~no_label).sum())
    if n_missing_labels or n_missing_features:
        warnings.warn(
            f"fit_screening: {n_missing_labels + n_missing_features} of {len(frame)} students "
            f"left out of the fit: {n_missing_features} with a missing feature value, "
            f"{n_missing_labels} without a label",
            MissingDataWarning,
            stacklevel=2,
        )
    xs, ys = x[use], y[use]
    n = len(ys)
    if n < len(names) + 2:
        raise ValidationError(
            f"fit_screening: {n} students with every feature and a label, fewer than the "
            f"{len(names) + 1} coefficients plus one; give more students or fewer features"
        )
    if ys.min() == ys.max():
        raise ValidationError(
            f"labels: every student fitted has label {int(ys[0])}; the model needs students "
            "in hardship (1) and not (0)"
        )
    mean = xs.mean(axis=0)
    sd = xs.std(axis=0, ddof=1)
    flat = np.flatnonzero(~(sd > 0))
    if flat.size:
        raise ValidationError(
            f"features: {names[int(flat[0])]!r} is constant among the students fitted "
            "(standard deviation 0); leave it out of features=[...]"
        )
    z = (xs - mean) / sd
    design = pd.DataFrame(np.column_stack([np.ones(n), z]), columns=["const", *names])
    if penalty is None:
        res = _fit_mle(ys, design, names)
    else:
        res = _fit_penalised(ys, design, *penalty)
    return ScreeningModel(
        result=res,
        features=names,
        mean=mean,
        sd=sd,
        ids=frame.index[use],
        y=ys,
        design=design.to_numpy(),
        penalty=penalty,
        n_missing_features=n_missing_features,
        n_missing_labels=n_missing_labels,
    )
