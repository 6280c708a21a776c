"""Suggested lists of students at a budget, with the reasons of each and a privacy stance.

:func:`suggested_list` ranks students by a screening score (higher = more likely in
hardship: the transparent signal score, a model's probability, a negated canteen spending),
lists the highest at a budget (a number or a share of the students; ties at the cut all
listed), gives every listed student its strongest reasons (the largest positive entries of a
reasons table: the signal score's contributions or a model's ``explain()``) and summarises the
list by group with small cells suppressed. The list carries pseudonymous ids only: tables with
a name-like column are refused.

The helpers :func:`check_pseudonymous`, :func:`read_score_series` and :func:`budget_cut` are
shared with :mod:`mpi.screening.evaluate`.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.table import caller_level
from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.lists_result import SuggestedList

__all__ = [
    "suggested_list",
    "SuggestedList",
    "NAME_LIKE",
    "check_pseudonymous",
    "read_score_series",
    "check_budget",
    "budget_cut",
]

#: Column or index names refused as name-like (compared in lower case, spaces as ``_``).
NAME_LIKE = frozenset({
    "name", "names", "student_name", "full_name", "first_name", "last_name", "surname",
    "given_name", "family_name", "姓名", "名字", "学生姓名",
})  # fmt: skip
#: Names of the result's own variables and dims, which a group column may not take.
RESERVED = frozenset({
    "student", "reason", "cell", "rank", "score", "reason_name", "reason_value", "cell_count",
    "cell_suppressed",
})  # fmt: skip


def _name_like(name: Any) -> bool:
    return isinstance(name, str) and name.strip().lower().replace(" ", "_") in NAME_LIKE


def check_pseudonymous(obj: Any, argument: str) -> None:
    """Refuse a Series or DataFrame whose columns or index levels carry a name-like label.

    Parameters
    ----------
    obj
        A pandas Series or DataFrame (other objects pass).
    argument
        The argument that gave it, for the message.

    Raises
    ------
    ValidationError
        When a column or an index level is named like a person's name (:data:`NAME_LIKE`:
        ``name``, ``姓名``, ``student_name`` ...).
    """
    labels: list[Any] = []
    if isinstance(obj, pd.DataFrame):
        labels += list(obj.columns)
    if isinstance(obj, pd.Series | pd.DataFrame):
        labels += list(obj.index.names)
    bad = [str(c) for c in labels if _name_like(c)]
    if bad:
        raise ValidationError(
            f"{argument} carries a name-like column or index {bad}: screening lists keep "
            "pseudonymous student ids only (a number or code that names nobody), never "
            f"names. Drop the column (e.g. {argument}.drop(columns={bad!r})) and index by the "
            "pseudonymous id; staff match ids to names inside the aid office"
        )


def read_score_series(scores: Any, argument: str) -> pd.Series:
    """A score as a float Series indexed by unique student ids (missing values kept as NaN).

    Parameters
    ----------
    scores
        A pandas Series of numbers or booleans, indexed by student id.
    argument
        The argument that gave it, for messages.

    Returns
    -------
    pandas.Series
        float64, the same index (a copy).

    Raises
    ------
    ValidationError
        For an object that is not a Series, a non-numeric dtype, infinite values, repeated
        ids or a name-like index.
    """
    if not isinstance(scores, pd.Series):
        raise ValidationError(
            f"{argument} must be a pandas Series of scores indexed by student id (higher = "
            f"more likely in hardship); got {type(scores).__name__}"
        )
    check_pseudonymous(scores, argument)
    dtype = scores.dtype
    if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        raise ValidationError(
            f"{argument} must be numeric (higher = more likely in hardship); got dtype {dtype}. "
            f"Convert it first, e.g. {argument}.astype(float)"
        )
    values = pd.array(scores).to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValidationError(
            f"{argument} has {int(np.isinf(values).sum())} infinite value(s); scores must be "
            "finite (replace them, or set them missing to leave those students out)"
        )
    if not scores.index.is_unique:
        dup = scores.index[scores.index.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"{argument} has repeated student ids (e.g. {dup}); give one score per student"
        )
    return pd.Series(values, index=scores.index.copy(), name=scores.name)


def check_budget(n: Any, share: Any, units: int, *, required: bool = True) -> None:
    """Check a budget given as a number of students ``n`` or a ``share`` of them.

    Parameters
    ----------
    n, share
        The budget: at most one of them (exactly one when ``required``).
    units
        The number of students ranked.
    required
        Whether one of them must be given.

    Raises
    ------
    ValidationError
        For both, neither (when required), ``n`` not a whole number from 1 to ``units``, or
        ``share`` outside (0, 1].
    """
    if n is not None and share is not None:
        raise ValidationError(f"give n= or share=, not both; got n={n!r}, share={share!r}")
    if required and n is None and share is None:
        raise ValidationError(
            "give the budget: n= (a number of students, e.g. n=100) or share= (a share of "
            "the students, e.g. share=0.1)"
        )
    if n is not None:
        ok = isinstance(n, numbers.Integral) and not isinstance(n, bool)
        if not ok or not 1 <= int(n) <= units:
            raise ValidationError(
                f"n must be a whole number of students from 1 to {units:,} (the students with a "
                f"score); got n={n!r}"
            )
    if share is not None:
        ok = isinstance(share, numbers.Real) and not isinstance(share, bool)
        if not ok or not math.isfinite(float(share)) or not 0 < float(share) <= 1:
            raise ValidationError(
                f"share must be a number in (0, 1], the share of the students listed (e.g. "
                f"0.1); got share={share!r}"
            )


def budget_cut(values: np.ndarray, n: int | None, share: float | None) -> tuple[float, int]:
    """The cut score of the list of the highest ``values`` at a budget, and the budget.

    Parameters
    ----------
    values
        Finite scores, one per student.
    n, share
        The budget (one of them), checked by :func:`check_budget`.

    Returns
    -------
    tuple
        ``(cut, wanted)``: every student scoring at least ``cut`` is listed (ties at the cut
        all listed); ``wanted`` is the budget in students, ``n`` or the smallest number of
        students whose share reaches ``share`` (the rule of :func:`mpi.targeting_curve` with
        equal weights: the same list).
    """
    ordered = np.sort(values)[::-1]
    if n is not None:
        wanted = int(n)
    else:
        cum = np.arange(1, ordered.size + 1, dtype=np.float64)
        need = float(share) * cum[-1]  # type: ignore[arg-type]
        wanted = min(int(np.searchsorted(cum, need, side="left")) + 1, ordered.size)
    return float(ordered[wanted - 1]), wanted


def _read_frame(frame: Any, argument: str, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            f"{argument} must be a pandas DataFrame indexed by student id ({what}); got "
            f"{type(frame).__name__}"
        )
    check_pseudonymous(frame, argument)
    if frame.shape[1] == 0:
        raise ValidationError(f"{argument} has no column ({what})")
    if not frame.index.is_unique:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise ValidationError(f"{argument} has repeated student ids (e.g. {dup}); one row each")
    return frame


def _rows_for(frame: pd.DataFrame, ids: pd.Index, argument: str) -> pd.DataFrame:
    missing = ids.difference(frame.index)
    if len(missing):
        raise ValidationError(
            f"{argument} has no row for {len(missing):,} listed student(s) (e.g. "
            f"{missing[:5].tolist()}); give a row for every student with a score"
        )
    return frame.loc[ids]


def _read_labels(labels: Any) -> dict[str, dict[str, str]]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise ValidationError(
            "labels must be a mapping from feature name to a readable label (a str, or "
            f"{{'en': ..., 'zh': ...}}); got {type(labels).__name__}"
        )
    out: dict[str, dict[str, str]] = {}
    for key, value in labels.items():
        if isinstance(value, str):
            out[str(key)] = {"en": value, "zh": value}
        elif isinstance(value, Mapping) and {"en", "zh"} <= set(value):
            out[str(key)] = {"en": str(value["en"]), "zh": str(value["zh"])}
        else:
            raise ValidationError(
                f"labels[{key!r}] must be a str or a mapping with 'en' and 'zh'; got {value!r}"
            )
    return out


def _top_reasons(rows: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The names and values of the ``k`` largest positive entries of each row."""
    bad = [str(c) for c in rows.columns if not pd.api.types.is_numeric_dtype(rows[c].dtype)]
    if bad:
        raise ValidationError(
            f"reasons must hold numbers (each feature's contribution to the score); columns "
            f"{bad} are not numeric"
        )
    x = rows.to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(x) & (x > 0)
    x = np.where(keep, x, -np.inf)
    order = np.argsort(-x, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(x, order, axis=1)
    names = np.asarray([str(c) for c in rows.columns], dtype=object)[order]
    names = np.where(np.isfinite(top), names, "")
    values = np.where(np.isfinite(top), top, np.nan)
    if top.shape[1] < k:  # fewer features than reasons asked for
        pad = k - top.shape[1]
        names = np.pad(names, ((0, 0), (0, pad)), constant_values="")
        values = np.pad(values, ((0, 0), (0, pad)), constant_values=np.nan)
    return names.astype(object), values


def _group_cells(
    frame: pd.DataFrame, min_cell: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Cells of listed students (cross-classification of the columns), their counts, which are
    suppressed (primary: below ``min_cell``; secondary: one more when exactly one is hidden)
    and the number of listed students with a missing group value."""
    cols = list(frame.columns)
    clash = [c for c in cols if str(c) in RESERVED]
    if clash:
        raise ValidationError(
            f"groups has column(s) {clash} named like the result's own variables; rename them"
        )
    missing = frame.isna().any(axis=1)
    counts = frame[~missing].groupby(cols, observed=True, sort=True).size()
    cells = counts.index.to_frame(index=False)
    n = counts.to_numpy(dtype=np.int64)
    hide = n < min_cell
    if hide.sum() == 1 and n.size > 1:  # the one hidden cell = total - the others: hide another
        shown = np.flatnonzero(~hide)
        hide[shown[np.argmin(n[shown])]] = True
    return cells, n, hide, int(missing.sum())


def suggested_list(
    scores: pd.Series,
    *,
    n: int | None = None,
    share: float | None = None,
    reasons: pd.DataFrame | None = None,
    top_reasons: int = 3,
    labels: Mapping[str, Any] | None = None,
    groups: pd.DataFrame | None = None,
    min_cell: int = 10,
) -> SuggestedList:
    """The students with the highest screening scores at a budget, with their reasons.

    Parameters
    ----------
    scores : pandas.Series
        One score per student, indexed by the pseudonymous student id; higher = more likely
        in hardship (the signal score, a model's probability, ``-canteen_spending``; a 0/1
        rule works too but ties everyone flagged). Missing scores are left out (counted);
        infinite scores and repeated ids are refused.
    n : int, optional
        List the ``n`` highest scores (students tied with the last one are listed too).
    share : float, optional
        List the highest scores until their share of the students scored reaches ``share``
        (in (0, 1]; the smallest number of students ``m`` with ``m >= share * N``, as
        :func:`mpi.targeting_curve` cuts with equal weights). Give ``n`` or ``share``.
    reasons : pandas.DataFrame, optional
        One row per student (indexed by the same ids), one numeric column per feature: each
        feature's contribution to the score (:func:`mpi.screening.signal_score`'s
        ``contributions``, a model's ``explain()``). Each listed student gets the names of
        its ``top_reasons`` largest positive entries (fewer when fewer are positive).
    top_reasons : int, default 3
        Reasons per student.
    labels : mapping, optional
        Feature name -> readable label, a ``str`` or ``{"en": ..., "zh": ...}``; shown in the
        summary and the chart (default: the feature name).
    groups : pandas.DataFrame, optional
        Group columns per student (e.g. ``college``, ``grade``), indexed by the same ids: the
        listed students are counted per cell of their cross-classification, and cells with
        fewer than ``min_cell`` students are suppressed (shown as ``"<10"``). When exactly
        one cell would be hidden, the smallest shown cell is hidden too (it could otherwise
        be recovered as the number listed minus the other cells).
    min_cell : int, default 10
        Smallest published group count.

    Returns
    -------
    SuggestedList
        :meth:`~SuggestedList.to_frame`: one row per listed student (index: the id), columns
        ``rank`` (1 = highest score; tied scores share the smallest rank), ``score`` and
        ``reason_1`` ... ``reason_k``; the group counts in :meth:`~SuggestedList.group_counts`.

    Raises
    ------
    ValidationError
        For a budget that is missing, doubled or out of range; a ``scores``, ``reasons`` or
        ``groups`` with a name-like column or index (``name``, ``姓名``, ``student_name``:
        lists carry pseudonymous ids only); non-numeric or infinite scores; repeated ids; a
        listed student without a ``reasons`` or ``groups`` row; non-numeric reasons; bad
        ``labels``, ``top_reasons`` or ``min_cell``.

    Warns
    -----
    MissingDataWarning
        When students without a score are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.screening.lists import suggested_list
    >>> s = pd.Series([0.9, 0.8, 0.8, 0.3], index=pd.Index([11, 12, 13, 14], name="student_id"))
    >>> res = suggested_list(s, n=2)
    >>> res.to_frame().index.tolist()  # the two students tied at 0.8 are both listed
    [11, 12, 13]
    >>> res.to_frame()["rank"].tolist()
    [1, 2, 2]
    """
    s = read_score_series(scores, "scores")
    ok = ~np.isnan(s.to_numpy())
    n_missing = int((~ok).sum())
    if n_missing:
        warnings.warn(
            f"{n_missing} of {s.size} students have no score and are left out of the list "
            "(counted in the result's n_missing)",
            MissingDataWarning,
            stacklevel=caller_level(),
        )
    s = s[ok]
    if s.size == 0:
        raise ValidationError("scores has no student with a score; nothing to list")
    check_budget(n, share, int(s.size))
    ok_k = isinstance(top_reasons, numbers.Integral) and not isinstance(top_reasons, bool)
    if not ok_k or int(top_reasons) < 1:
        raise ValidationError(f"top_reasons must be a whole number >= 1; got {top_reasons!r}")
    ok_m = isinstance(min_cell, numbers.Integral) and not isinstance(min_cell, bool)
    if not ok_m or int(min_cell) < 1:
        raise ValidationError(
            f"min_cell must be a whole number of students >= 1 (e.g. 10); got {min_cell!r}"
        )
    label_map = _read_labels(labels)
    if reasons is not None:
        reasons = _read_frame(reasons, "reasons", "one numeric column per feature")
    if groups is not None:
        groups = _read_frame(groups, "groups", "group columns such as college and grade")
    values = s.to_numpy()
    cut, wanted = budget_cut(values, n, share)
    order = np.argsort(-values, kind="stable")
    order = order[values[order] >= cut]
    ids = s.index[order]
    listed = values[order]
    ranks = np.searchsorted(-listed, -listed, side="left") + 1
    parts: dict[str, Any] = {
        "ids": ids,
        "rank": ranks.astype(np.int64),
        "score": listed,
        "reason_name": None,
        "reason_value": None,
        "cells": None,
    }
    if reasons is not None:
        rows = _rows_for(reasons, ids, "reasons")
        parts["reason_name"], parts["reason_value"] = _top_reasons(rows, int(top_reasons))
    n_missing_group = 0
    if groups is not None:
        cells, counts, hide, n_missing_group = _group_cells(
            _rows_for(groups, ids, "groups"), int(min_cell)
        )
        parts["cells"] = (cells, counts, hide)
    info = {
        "score_name": "" if s.name is None else str(s.name),
        "id_name": "student_id" if s.index.name is None else str(s.index.name),
        "budget": f"n={int(n)}" if n is not None else f"share={float(share)!r}",  # type: ignore[arg-type]
        "n_budget": int(n) if n is not None else -1,
        "share": float(share) if share is not None else float("nan"),
        "n_units": int(s.size),
        "n_missing": n_missing,
        "n_wanted": wanted,
        "n_listed": int(ids.size),
        "n_tied_extra": int(ids.size) - wanted,
        "cut_score": cut,
        "top_reasons": int(top_reasons) if reasons is not None else 0,
        "min_cell": int(min_cell),
        "groups": ", ".join(map(str, groups.columns)) if groups is not None else "",
        "n_missing_group": n_missing_group,
    }
    return SuggestedList.build(parts, info, label_map)
