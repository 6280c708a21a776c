"""The comparison columns of record linkage (:func:`mpi.auditing.link`), per table.

Derived from the identity number even when it is invalid (a transposed or mistyped digit
usually leaves the other digit groups intact) and from the name, once per distinct name:
see :mod:`mpi.auditing.linkage_model` for what each column means and
:mod:`mpi.auditing.linkage_blocking` for the blocking keys built on them.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEATURE_COLUMNS", "features"]

#: Columns handed to splink (besides ``unique_id``, the positional row of the input table).
FEATURE_COLUMNS = (
    "name", "name_py", "surname_py", "birth_date", "birth_year", "birth_month", "region",
    "sequence", "sex", "id_valid",
)  # fmt: skip


#: Most distinct names whose features are remembered between calls of :func:`features` (per
#: pinyin function; the memory is emptied when full).
NAME_CACHE_SIZE = 2_000_000
_NAME_CACHE: weakref.WeakKeyDictionary[Any, dict[Any, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _pinyin_of_names(names: pd.Series, lazy_pinyin: Any) -> tuple[pd.Series, pd.Series]:
    """Toneless pinyin of each name and of its first character (NA where the name is NA)."""
    ok = names.notna()
    uniq = pd.unique(names[ok])
    chars = sorted({c for n in uniq for c in n})
    py = {c: "".join(lazy_pinyin(c)).lower() for c in chars}
    full = {n: " ".join(py[c] for c in n) for n in uniq}
    first = {n: py[n[0]] for n in uniq}
    return names.map(full), names.map(first)


def _name_features(uniq: np.ndarray, lazy_pinyin: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``name``, ``name_py``, ``surname_py`` of each distinct raw name (None where blank).

    Remembered per pinyin function (:data:`NAME_CACHE_SIZE` names at most): the persons of
    an audit are linked to every registry, and their names are worked out once.
    """
    try:
        cache = _NAME_CACHE.setdefault(lazy_pinyin, {})
    except TypeError:  # not weak-referenceable: no memory between calls
        cache = {}
    todo = [x for x in uniq if x not in cache]
    if todo and len(cache) + len(todo) > NAME_CACHE_SIZE:  # full: start afresh
        cache.clear()
        todo = list(uniq)
    if todo:
        u = pd.Series(todo, dtype=object).astype("string").str.normalize("NFKC")
        u = u.str.replace(r"\s", "", regex=True)
        u = u.where(u.str.len() > 0).astype(object)
        u = u.where(u.notna(), None)
        py, first = _pinyin_of_names(u, lazy_pinyin)
        for key, a, b, c in zip(todo, u, py, first, strict=True):
            cache[key] = tuple(None if pd.isna(v) else v for v in (a, b, c))
    rows = [cache[x] for x in uniq]
    out = np.empty((3, len(uniq)), dtype=object)
    for j, row in enumerate(rows):
        out[:, j] = row
    return out[0], out[1], out[2]


def features(
    raw_ids: pd.Series,
    cleaned: pd.Series,
    names: pd.Series,
    lazy_pinyin: Any,
    valid: pd.Series | None = None,
) -> pd.DataFrame:
    """The comparison columns of one table (see :mod:`mpi.auditing.linkage_model`).

    Parameters
    ----------
    raw_ids : pandas.Series
        The identity numbers as given.
    cleaned : pandas.Series
        Their normalised 18-character form (``parse_ids(...)["id_number"]``), NA if none.
    names : pandas.Series
        The names as given.
    lazy_pinyin : callable
        :func:`pypinyin.lazy_pinyin`.
    valid : pandas.Series, optional
        Whether each number is valid (``parse_ids(...)["valid"]``); None: all invalid (every
        pair of the blocking rules is compared).

    Returns
    -------
    pandas.DataFrame
        ``unique_id`` (the position) and :data:`FEATURE_COLUMNS`, strings or None.
    """
    n = len(raw_ids)
    digits = pd.Series(cleaned.to_numpy(dtype=object), dtype=object).astype("string")
    gap = digits.isna().to_numpy(dtype=bool)
    if gap.any():  # no normalised number: the characters as written, cleaned up
        raw = pd.Series(raw_ids.to_numpy(dtype=object)[gap], dtype=object).astype("string")
        raw = raw.str.normalize("NFKC").str.replace(r"\s", "", regex=True).str.upper()
        digits[gap] = raw.to_numpy()
    region = digits.str.slice(0, 6)
    region = region.where(region.str.fullmatch(r"\d{6}").fillna(False).astype(bool))
    # the eight date digits as written, even when they are not a real date (a typo in them):
    # "19541082" is one transposition from "19541028" and must disagree with "19830626"
    date = digits.str.slice(6, 14)
    date = date.where(date.str.fullmatch(r"\d{8}").fillna(False).astype(bool))
    d17 = pd.to_numeric(digits.str.slice(16, 17).astype(object), errors="coerce")
    d17 = d17.to_numpy(dtype=np.float64)
    sex = np.where(np.isnan(d17), None, np.where(d17 % 2 == 1, "M", "F"))
    seq = digits.str.slice(14, 17)
    seq = seq.where(seq.str.fullmatch(r"\d{3}").fillna(False).astype(bool))
    # name features once per distinct name (remembered between calls), mapped to the rows
    codes, uniq = pd.factorize(pd.Series(names.to_numpy(dtype=object), dtype=object))
    per_name = _name_features(np.asarray(uniq, dtype=object), lazy_pinyin)
    missing = codes < 0
    take = np.where(missing, 0, codes)

    def mapped(values: np.ndarray) -> pd.Series:
        if not len(values):
            return pd.Series([None] * n, dtype=object)
        arr = values[take]
        arr[missing] = None
        return pd.Series(arr, dtype=object)

    name, name_py, surname_py = (mapped(v) for v in per_name)
    out = pd.DataFrame(
        {
            "unique_id": np.arange(n, dtype=np.int64),
            "name": np.asarray(name.astype(object), dtype=object),
            "name_py": np.asarray(name_py.astype(object), dtype=object),
            "surname_py": np.asarray(surname_py.astype(object), dtype=object),
            "birth_date": date.astype(object).to_numpy(dtype=object),
            "birth_year": date.str.slice(0, 4).astype(object).to_numpy(dtype=object),
            "birth_month": date.str.slice(0, 6).astype(object).to_numpy(dtype=object),
            "region": region.astype(object).to_numpy(dtype=object),
            "sequence": seq.astype(object).to_numpy(dtype=object),
            "sex": np.asarray(sex.astype(object), dtype=object),
        }
    )
    out = out.where(out.notna(), None).reset_index(drop=True)
    flag = np.zeros(n, dtype=bool) if valid is None else valid.to_numpy(dtype=bool)
    out["id_valid"] = flag
    return out
