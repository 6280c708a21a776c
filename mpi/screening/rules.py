"""The naive screening rule: monthly canteen spending below a threshold (the USTC rule).

The University of Science and Technology of China is reported to top up, without any
application, the card of every student whose canteen spending falls below about 200 yuan a
month. :func:`canteen_rule` is that rule on the features of :func:`mpi.screening.features`,
with the "eats elsewhere" refinement: a student who eats few canteen meals probably eats
elsewhere (off campus, take-away) rather than going without, so a minimum number of meals a
month can be required as well.

:func:`feature_frame` reads the features (a ``ScreeningFeatures`` or its ``to_frame()``) for
every score of :mod:`mpi.screening`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import MissingDataWarning, ValidationError

__all__ = ["canteen_rule", "feature_frame", "feature_columns"]


def feature_frame(feat: Any, *, argument: str = "feat") -> pd.DataFrame:
    """The features as a DataFrame: one row per student (or student and month).

    Parameters
    ----------
    feat : ScreeningFeatures or pandas.DataFrame
        The result of :func:`mpi.screening.features` (its ``to_frame()`` is taken) or such a
        frame (one numeric column per feature, indexed by the student id).
    argument : str, default "feat"
        Name of the argument, for error messages.

    Returns
    -------
    pandas.DataFrame
        The frame itself (not copied: callers never modify it).

    Raises
    ------
    ValidationError
        When ``feat`` is neither, or has no rows.
    """
    if isinstance(feat, pd.DataFrame):
        frame = feat
    elif hasattr(feat, "to_frame") and not isinstance(feat, pd.Series):
        frame = feat.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(
                f"{argument}: its to_frame() gave {type(frame).__name__}, not a DataFrame; "
                "give the result of mpi.screening.features(...) or its to_frame()"
            )
    else:
        raise ValidationError(
            f"{argument}: give the result of mpi.screening.features(...) or its to_frame() "
            f"(one row per student, one column per feature); got {type(feat).__name__}"
        )
    if len(frame) == 0:
        raise ValidationError(f"{argument}: the features have no rows (no students)")
    if not frame.index.is_unique:
        raise ValidationError(
            f"{argument}: the index (student ids) has repeated values; give one row per "
            "student (or per student and month)"
        )
    return frame


def feature_columns(
    frame: pd.DataFrame, names: Sequence[str], *, argument: str = "feat"
) -> np.ndarray:
    """The columns ``names`` of ``frame`` as a float64 array ``(n, k)``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The features.
    names : sequence of str
        Feature names (columns).
    argument : str, default "feat"
        Name of the argument, for error messages.

    Returns
    -------
    numpy.ndarray
        A new array (NaN where a value is missing).

    Raises
    ------
    ValidationError
        For a name that is not a column, a column that is not numeric, or an infinite value.
    """
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValidationError(
            f"{argument}: no feature(s) {missing}; the features are "
            f"{', '.join(map(str, frame.columns))}"
        )
    out = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        col = frame[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise ValidationError(
                f"{argument}: feature {name!r} is not numeric (dtype {col.dtype}); give numbers"
            )
        out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(out).any(axis=0)
    if bad.any():
        raise ValidationError(
            f"{argument}: feature {names[int(np.flatnonzero(bad)[0])]!r} has infinite values; "
            "replace them by NaN (missing) or finite numbers"
        )
    return out


def _number(value: Any, argument: str, *, minimum: float = 0.0) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or float(value) < minimum:
        raise ValidationError(f"{argument}: must be a finite number >= {minimum:g}; got {value!r}")
    return float(value)


def canteen_rule(feat: Any, *, threshold: float = 200, min_meals: float | None = None) -> pd.Series:
    """The naive rule: flag a student whose canteen spending is below ``threshold`` a month.

    The USTC rule (an automatic subsidy when monthly canteen spending is under 200 yuan),
    with the "eats elsewhere" refinement: with ``min_meals``, a student is flagged only if
    she also eats at least ``min_meals`` canteen meals a month (a low spender with few meals
    probably eats off campus).

    Parameters
    ----------
    feat : ScreeningFeatures or pandas.DataFrame
        Features of :func:`mpi.screening.features` (or its ``to_frame()``) with the columns
        ``canteen_spending`` (yuan a month) and, with ``min_meals``, ``canteen_meals``
        (meals a month). Not modified.
    threshold : float, default 200
        Monthly canteen spending in yuan; flagged when strictly below (``<``).
    min_meals : float, optional
        Also require ``canteen_meals >= min_meals``. Default: no such condition.

    Returns
    -------
    pandas.Series
        bool, indexed like the features (student id, or student id and month), named
        ``"canteen_rule"``:

        .. math:: \\text{flag}_i = [\\,s_i < T\\,] \\wedge [\\,m_i \\ge M\\,]

        with :math:`s_i` the canteen spending, :math:`T` the threshold, :math:`m_i` the
        canteen meals and :math:`M` ``min_meals`` (the second condition only when given).
        A student with a missing spending (or, with ``min_meals``, missing meals) is not
        flagged; they are counted in ``Series.attrs["n_missing"]`` and a warning.

    Raises
    ------
    ValidationError
        For features without the columns, or a threshold or ``min_meals`` that is not a
        finite number >= 0.

    Warns
    -----
    MissingDataWarning
        When some students have a missing spending or meal count (not flagged).

    Notes
    -----
    The features' monthly rates are per 30.44 days of each student's active span (first to
    last day with a transaction), so a student who left early or arrived late is compared on
    the days she was there. The data card of ``campus_card`` averages calendar months
    September to December instead (:func:`mpi.datasets.monthly_canteen_spending`); the rule
    is the same function of either (give a frame with ``canteen_spending`` = that average).

    Examples
    --------
    >>> import pandas as pd
    >>> feat = pd.DataFrame({"canteen_spending": [150.0, 199.9, 200.0, 90.0],
    ...                      "canteen_meals": [40.0, 35.0, 50.0, 10.0]},
    ...                     index=pd.Index([1, 2, 3, 4], name="student_id"))
    >>> canteen_rule(feat).tolist()
    [True, True, False, True]
    >>> canteen_rule(feat, min_meals=30).tolist()
    [True, True, False, False]
    """
    frame = feature_frame(feat)
    t = _number(threshold, "threshold")
    names = ["canteen_spending"]
    m = None
    if min_meals is not None:
        m = _number(min_meals, "min_meals")
        names.append("canteen_meals")
    values = feature_columns(frame, names)
    spend = values[:, 0]
    known = ~np.isnan(spend)
    flag = known & (np.where(known, spend, np.inf) < t)
    if m is not None:
        meals = values[:, 1]
        known &= ~np.isnan(meals)
        flag &= np.where(np.isnan(meals), -np.inf, meals) >= m
    n_missing = int((~known).sum())
    if n_missing:
        warnings.warn(
            f"canteen_rule: {n_missing} of {len(frame)} students have a missing "
            f"{' or '.join(names)} and are not flagged (see Series.attrs['n_missing'])",
            MissingDataWarning,
            stacklevel=2,
        )
    out = pd.Series(flag, index=frame.index.copy(), name="canteen_rule", dtype=bool)
    out.attrs.update(threshold=t, min_meals=m, n_missing=n_missing)
    return out
