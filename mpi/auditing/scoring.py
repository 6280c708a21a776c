"""How good are the leads? Precision and recall of each rule against known cases.

An audit's leads (:attr:`mpi.auditing.AuditResult.leads`) are cases to verify. Once some of
them have been verified, or on data with planted anomalies (the ``labels`` of
``mpi.datasets.load("benefit_audit")``), :func:`score_leads` tells, rule by rule, which
share of the leads were real cases (precision) and which share of the real cases the rule
found (recall).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = ["score_leads", "SCORE_COLUMNS"]

#: Columns of :func:`score_leads`, in order.
SCORE_COLUMNS = ("n_leads", "true_leads", "n_labels", "found", "precision", "recall")


def _check_frame(frame: Any, argument: str, keys: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            f"{argument} must be a pandas DataFrame with the columns {list(keys)}; got "
            f"{type(frame).__name__}"
        )
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValidationError(
            f"{argument} has no column(s) {missing} (keys={list(keys)}); add them, or pass "
            f"keys= naming columns that both tables have (its columns: {list(frame.columns)})"
        )
    return frame


def _key_tuples(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series:
    """One hashable key per row (a tuple of the key columns' values; None for missing)."""
    columns = [frame[k].astype(object).where(frame[k].notna(), None) for k in keys]
    values = list(zip(*(c.to_numpy(dtype=object) for c in columns), strict=True))
    return pd.Series(values, index=frame.index, dtype=object)


def score_leads(
    leads: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    keys: Sequence[str] = ("person", "programme", "rule"),
    by: str = "rule",
) -> pd.DataFrame:
    """Precision and recall of each rule's leads against known cases (labels).

    A lead is *true* when its key (the values of ``keys``) is the key of a label; a label is
    *found* when some lead has its key. Per value of ``by`` (normally the rule):

    .. math::

        \\text{precision} = \\frac{\\text{true leads}}{\\text{leads}}, \\qquad
        \\text{recall} = \\frac{\\text{labels found}}{\\text{labels}}.

    Parameters
    ----------
    leads : pandas.DataFrame
        The leads to score, e.g. :attr:`mpi.auditing.AuditResult.leads` with a column that
        identifies the true person added (the lead's ``id_number`` is the number the lists
        show, which may differ from the number of the labels). Every row counts as one lead:
        a person whose payments were split over two identity numbers yields two leads, each
        true when the person is a labelled case.
    labels : pandas.DataFrame
        The known cases, one row per case; a key given twice counts once. Its ``by`` column
        holds the rule that should find the case.
    keys : sequence of str
        The columns, present in both tables, that identify a case; by default
        ``("person", "programme", "rule")``: a lead of :func:`mpi.audit` is one person, one
        programme and one rule.
    by : str
        The key column whose values are scored separately (default ``"rule"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by the values of ``by`` found in either table (sorted), columns
        ``n_leads``, ``true_leads``, ``n_labels``, ``found`` (int64), ``precision``
        (``true_leads / n_leads``, NaN without leads) and ``recall`` (``found / n_labels``,
        NaN without labels).

    Raises
    ------
    ValidationError
        When a table is not a DataFrame or lacks a key column, ``keys`` is empty or repeats a
        column, ``by`` is not one of the keys, or a label has a missing key value.

    Notes
    -----
    Precision is measured against the labels only: on verified data, a lead that nobody
    checked counts as false. On synthetic data with planted anomalies, a false lead is either
    a rule's error (a near miss or a legitimate look-alike flagged) or a linkage error (two
    people taken for one, a record linked to the wrong person).

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.auditing.scoring import score_leads
    >>> leads = pd.DataFrame({"person": [1, 2, 3], "programme": "dibao",
    ...                       "rule": ["paid_after_death"] * 3})
    >>> labels = pd.DataFrame({"person": [1, 4], "programme": "dibao",
    ...                        "rule": "paid_after_death"})
    >>> score_leads(leads, labels).loc["paid_after_death"].round(3).tolist()
    [3.0, 1.0, 2.0, 1.0, 0.333, 0.5]
    """
    if isinstance(keys, str) or not isinstance(keys, Sequence):
        raise ValidationError(
            f"keys must be a sequence of column names, e.g. ('person', 'programme', 'rule'); "
            f"got {keys!r}"
        )
    keys = tuple(keys)
    if not keys or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
        raise ValidationError(
            f"keys={keys!r} must name one or more distinct columns, e.g. "
            "('person', 'programme', 'rule')"
        )
    if by not in keys:
        raise ValidationError(
            f"by={by!r} must be one of keys={list(keys)}: the rule column is part of a case's key"
        )
    leads = _check_frame(leads, "leads", keys)
    labels = _check_frame(labels, "labels", keys)
    bad = labels[list(keys)].isna().any(axis=1).to_numpy()
    if bad.any():
        first = labels.index[int(np.flatnonzero(bad)[0])]
        raise ValidationError(
            f"labels has a missing key value in row {first!r} "
            f"({labels.loc[first, list(keys)].to_dict()}); every label needs all of {list(keys)}"
        )
    lead_keys = _key_tuples(leads, keys)
    label_keys = set(_key_tuples(labels, keys))
    true = lead_keys.map(lambda k: k in label_keys).to_numpy(dtype=bool)
    found_keys = set(lead_keys[true])
    pos = keys.index(by)
    lead_by = pd.Series([k[pos] for k in lead_keys], dtype=object)
    label_list = sorted(label_keys, key=repr)
    label_by = pd.Series([k[pos] for k in label_list], dtype=object)
    label_found = np.array([k in found_keys for k in label_list], dtype=bool)
    values = sorted(set(lead_by.dropna()) | set(label_by), key=lambda v: (str(type(v)), v))
    index = pd.Index(values, name=by, dtype=object)
    n_leads = lead_by.value_counts().reindex(index, fill_value=0)
    true_leads = lead_by[true].value_counts().reindex(index, fill_value=0)
    n_labels = label_by.value_counts().reindex(index, fill_value=0)
    found = label_by[label_found].value_counts().reindex(index, fill_value=0)
    out = pd.DataFrame(
        {
            "n_leads": n_leads.to_numpy(dtype=np.int64),
            "true_leads": true_leads.to_numpy(dtype=np.int64),
            "n_labels": n_labels.to_numpy(dtype=np.int64),
            "found": found.to_numpy(dtype=np.int64),
        },
        index=index,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["precision"] = np.where(
            out["n_leads"] > 0, out["true_leads"] / out["n_leads"].where(out["n_leads"] > 0), np.nan
        )
        out["recall"] = np.where(
            out["n_labels"] > 0, out["found"] / out["n_labels"].where(out["n_labels"] > 0), np.nan
        )
    return out.loc[:, list(SCORE_COLUMNS)]
