"""Stata and SPSS value labels: codes to labelled categoricals and back.

A *value label mapping* is ``{code: label}`` for one column (``{1: "Capital", 2: "Coast"}``).
Frames read by :func:`mpi.io.read` keep every mapping in ``frame.attrs["value_labels"]``
(``{column: {code: label}}``) whether the column was turned into a Categorical or kept as
numbers, so :func:`apply_value_labels` can label a ``"codes"`` frame later and
:func:`mpi.io.write` can write the same codes back.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = [
    "VALUE_LABELS",
    "VARIABLE_LABELS",
    "apply_value_labels",
    "normalise_code",
    "normalise_mapping",
    "code_text",
    "labelled_categorical",
    "categorical_codes",
]

#: ``frame.attrs`` keys of the mappings.
VALUE_LABELS = "value_labels"
VARIABLE_LABELS = "variable_labels"


def normalise_code(code: Any) -> Any:
    """A code as a plain Python value: integral numbers as ``int``, other numbers as ``float``.

    Stata stores ``1`` and SPSS ``1.0`` for the same code; both become ``1``.

    Parameters
    ----------
    code
        A code from a file's label set (number or string).

    Returns
    -------
    int, float or str
        The code.
    """
    if isinstance(code, np.generic):
        code = code.item()
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, float) and math.isfinite(code) and code.is_integer():
        return int(code)
    return code


def normalise_mapping(mapping: Mapping[Any, Any]) -> dict[Any, str]:
    """A ``{code: label}`` mapping with codes as plain values (:func:`normalise_code`).

    Parameters
    ----------
    mapping : Mapping
        Codes to labels, as a file stores them.

    Returns
    -------
    dict
        ``{code: str(label)}``.
    """
    return {normalise_code(code): str(label) for code, label in mapping.items()}


def code_text(code: Any) -> str:
    """The text of a code that has no label (``3.0`` reads ``"3"``).

    Parameters
    ----------
    code
        The code.

    Returns
    -------
    str
        The code as text.
    """
    return str(normalise_code(code))


def _code_key(code: Any) -> tuple[int, Any]:
    """Sort key putting numbers (in numeric order) before strings (in text order)."""
    if isinstance(code, int | float):
        return (0, code)
    return (1, str(code))


def labelled_categorical(values: pd.Series, mapping: Mapping[Any, str]) -> pd.Series:
    """``values`` (codes) as a Categorical of their labels, categories ordered by code.

    Every labelled code is a category, whether or not it occurs; a code without a label keeps
    its code as text (``"7"``); missing values stay missing. Two codes with the same label
    share one category.

    Parameters
    ----------
    values : pandas.Series
        The codes of one column.
    mapping : Mapping
        ``{code: label}``, codes normalised (:func:`normalise_mapping`).

    Returns
    -------
    pandas.Series
        A categorical Series with ``values``' index and name.
    """
    present = pd.unique(values.dropna().to_numpy())
    codes = {normalise_code(c) for c in present} | set(mapping)
    ordered = sorted(codes, key=_code_key)
    labels = [mapping.get(c, code_text(c)) for c in ordered]
    categories = list(dict.fromkeys(labels))
    position = {label: i for i, label in enumerate(categories)}
    category_of_code = np.array([position[label] for label in labels] + [-1], dtype=np.int64)
    numeric = all(isinstance(c, int | float) for c in ordered)
    index = pd.Index(ordered, dtype="float64" if numeric else object)
    raw = values.to_numpy(dtype="float64") if numeric and values.dtype.kind in "biuf" else (
        values.to_numpy(dtype=object)
    )
    found = index.get_indexer(raw)  # -1 for missing values, the extra last slot below
    cat = pd.Categorical.from_codes(category_of_code[found], categories=pd.Index(categories))
    return pd.Series(cat, index=values.index, name=values.name)


def categorical_codes(
    values: pd.Series, mapping: Mapping[Any, str] | None
) -> tuple[pd.Series, dict[Any, str]]:
    """A categorical column as codes and their labels, for Stata and SPSS files.

    The codes are those of ``mapping`` (the file's own codes, kept in ``attrs`` by
    :func:`mpi.io.read`) when it labels every category (a category that is a code's text,
    ``"7"``, keeps that code); otherwise the categories are numbered ``1, 2, ...`` in their
    order.

    Parameters
    ----------
    values : pandas.Series
        A categorical column.
    mapping : Mapping or None
        The column's ``{code: label}`` from ``frame.attrs["value_labels"]``, if any.

    Returns
    -------
    codes : pandas.Series
        The codes: ``float64`` with NaN where ``values`` is missing, else ``int32``.
    labels : dict
        ``{code: label}`` of the categories that are labels.
    """
    categories = [str(c) for c in values.cat.categories]
    chosen = _codes_from_mapping(categories, mapping) if mapping else None
    if chosen is None:
        chosen = {label: i + 1 for i, label in enumerate(categories)}
        labels = {code: label for label, code in chosen.items()}
    else:
        known = normalise_mapping(mapping or {})
        labels = {code: label for label, code in chosen.items() if known.get(code) == label}
    lookup = np.array([chosen[c] for c in categories] + [np.nan], dtype="float64")
    out = lookup[values.cat.codes.to_numpy()]  # code -1 (missing) picks the NaN slot
    if not np.isnan(out).any() and all(isinstance(c, int) for c in chosen.values()):
        if np.abs(out).max(initial=0) < 2**31:
            return pd.Series(out.astype("int32"), index=values.index, name=values.name), labels
    return pd.Series(out, index=values.index, name=values.name), labels


def _codes_from_mapping(categories: list[str], mapping: Mapping[Any, str]) -> dict | None:
    """``{category: code}`` from a file's mapping, or None if a category has no code."""
    first: dict[str, Any] = {}
    for code, label in sorted(normalise_mapping(mapping).items(), key=lambda kv: _code_key(kv[0])):
        first.setdefault(label, code)
    out = {}
    for c in categories:
        if c in first:
            out[c] = first[c]
            continue
        try:
            number = float(c)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        out[c] = normalise_code(number)
    if not all(isinstance(v, int | float) for v in out.values()):
        return None
    return out if len(set(out.values())) == len(out) else None


def _column_list(columns: Any, frame: pd.DataFrame) -> list[Hashable]:
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        columns = [columns]
    columns = list(dict.fromkeys(columns))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"columns={missing!r} not in the frame; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    return columns


def apply_value_labels(frame: pd.DataFrame, columns: Any = None) -> pd.DataFrame:
    """Turn coded columns of a frame into labelled Categoricals, using ``frame.attrs``.

    A frame read with ``mpi.io.read(path, value_labels="codes")`` keeps Stata/SPSS codes as
    numbers and their labels in ``frame.attrs["value_labels"]`` (``{column: {code:
    label}}``). This labels only the columns named, e.g. the grouping columns of a report,
    while the poverty indicators stay numeric. The categories are the labels in the order of
    their codes; a code without a label keeps its code as text; every labelled code is a
    category even when absent from the data.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame whose ``attrs["value_labels"]`` holds the mappings (as :func:`mpi.io.read`
        leaves them). Not modified.
    columns : str, list of str or None
        The columns to label. None labels every column that has a mapping. A column without
        a mapping, or already categorical, is returned unchanged (so the same call serves
        files without value labels, such as CSV); a name that is not a column of ``frame``
        is an error.

    Returns
    -------
    pandas.DataFrame
        A new frame (the input is not changed) with the named columns as Categoricals and
        the same ``attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.io import apply_value_labels
    >>> frame = pd.DataFrame({"region": [2, 1, 2], "deprived": [0, 1, 1]})
    >>> frame.attrs["value_labels"] = {"region": {1: "North", 2: "South"}}
    >>> apply_value_labels(frame, ["region"])["region"].tolist()
    ['South', 'North', 'South']
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            f"frame must be a pandas DataFrame (as read by mpi.io.read); got "
            f"{type(frame).__name__}"
        )
    mappings = frame.attrs.get(VALUE_LABELS) or {}
    if not isinstance(mappings, Mapping):
        raise ValidationError(
            f"frame.attrs['value_labels'] must map column -> {{code: label}}; got "
            f"{type(mappings).__name__}: read the file with mpi.io.read to get the mappings"
        )
    names = [c for c in frame.columns if c in mappings] if columns is None else (
        _column_list(columns, frame)
    )
    out = frame.copy(deep=False)
    for name in names:
        mapping = mappings.get(name)
        if mapping is None or isinstance(frame[name].dtype, pd.CategoricalDtype):
            continue
        if not isinstance(mapping, Mapping):
            raise ValidationError(
                f"frame.attrs['value_labels'][{name!r}] must be a {{code: label}} mapping; "
                f"got {type(mapping).__name__}"
            )
        out[name] = labelled_categorical(frame[name], normalise_mapping(mapping))
    return out
