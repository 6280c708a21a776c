"""Encode an indicator's column for the kernel: values, deprivation rule and cutoff.

Categorical indicators are checked against their declared categories (unknown values are
errors with close-match suggestions; declared categories absent from the data give one
:class:`~mpi.CategoryWarning`).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.table import (
    all_missing_untyped,
    caller_level,
    is_numeric,
    object_numbers,
    readonly,
    refuse_complex,
    values_of,
)
from mpi.errors import CategoryWarning, DataError
from mpi.measurement.spec import Indicator

__all__ = ["encode_indicator"]


def encode_indicator(
    s: pd.Series, ind: Indicator, *, narrow: bool = False
) -> tuple[np.ndarray, str, float]:
    """Column -> (values, kernel rule, numeric cutoff).

    Category rules (``in``, string ``==``/``!=``) are evaluated here into a 0/1 flag with
    NaN kept for missing values; numeric rules are left to the kernel. The values are
    float64 (NaN = missing), or with ``narrow=True`` int8 when the column (or the flag)
    holds booleans or integers in ``[-128, 127]`` without a missing value (a view of the
    input where possible).

    A listed category that a Categorical does not have raises a :class:`DataError`; one
    that never occurs in a column of another dtype gives a :class:`CategoryWarning` (``in``
    rules and string ``==``/``!=``): a misspelt category lowers the deprivation count
    silently.
    """
    where = f"variable {ind.variable!r} of indicator {ind.name!r}"
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise DataError(f"{where} has dtype {dtype}; deprivation rules need numbers or categories")
    refuse_complex(s, "variable", ind.variable)
    if all_missing_untyped(s):  # no value to tell numbers from text: every value missing
        return readonly(np.full(len(s), np.nan)), "flag", 0.0
    s = object_numbers(s)
    dtype = s.dtype
    numeric = is_numeric(s) or pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        numeric = pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    if ind.cutoff is None:
        if not numeric:
            raise DataError(
                f"{where} must hold 0/1 or booleans (1 = deprived) because the indicator has "
                f"no cutoff; got dtype {dtype}. Give the indicator a cutoff and deprived_if "
                "(e.g. deprived_if='in', cutoff=[...categories...]) to derive the deprivation"
            )
        return values_of(s, narrow), "flag", 0.0
    rule = ind.deprived_if
    categorical_rule = rule == "in" or isinstance(ind.cutoff, str | bool)
    if rule in ("<", "<=", ">", ">=") and not numeric:
        raise DataError(
            f"{where} has non-numeric dtype {dtype}, but the rule {rule!r} {ind.cutoff!r} "
            "needs numbers. Convert the variable (pd.to_numeric) or use deprived_if='in' "
            "with a list of categories"
        )
    if not categorical_rule and numeric:
        return values_of(s, narrow), rule, float(ind.cutoff)
    cats = list(ind.cutoff) if rule == "in" else [ind.cutoff]
    has_str = any(isinstance(c, str) for c in cats)
    if numeric and has_str:
        raise DataError(
            f"{where} is numeric (dtype {dtype}) but the categories {cats!r} are strings; "
            "write the categories as numbers or recode the variable"
        )
    if not numeric and not has_str:
        raise DataError(
            f"{where} holds text (dtype {dtype}) but the categories {cats!r} are numbers; "
            "write the categories as they appear in the data"
        )
    member, missing = _membership(s, cats, ind, check=rule == "in" or has_str)
    dep = member if rule in ("in", "==") else ~member
    if narrow and not missing.any():
        return readonly(dep).view(np.int8), "flag", 0.0
    out = dep.astype(np.float64)
    out[missing] = np.nan
    return readonly(out), "flag", 0.0


def _membership(
    s: pd.Series, cats: list, ind: Indicator, *, check: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(member, missing)`` boolean arrays of a category rule. Listed categories that a
    Categorical lacks raise (:func:`_check_declared`); with ``check``, those that never
    occur in a column of another dtype warn (:func:`_warn_absent`)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        _check_declared(dtype.categories, cats, ind)
        codes = s.cat.codes.to_numpy()
        hit = np.append(dtype.categories.isin(cats), False)  # code -1 (missing) -> False
        return hit[codes], codes < 0
    if is_numeric(s) or pd.api.types.is_bool_dtype(dtype):
        member = s.isin(cats).to_numpy(dtype=bool)
        missing = s.isna().to_numpy(dtype=bool)
        if check:
            absent = [c for c in cats if not bool(s.eq(c).any())]
            if absent:
                _warn_absent(absent, lambda: pd.unique(s.dropna()), ind)
        return member, missing
    # text: one hash pass gives membership, missing values and the values that occur
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    hit = pd.Index(uniques).isin(cats)
    if check:
        found = set(pd.Index(uniques)[hit])
        absent = [c for c in cats if c not in found]
        if absent:
            _warn_absent(absent, lambda: uniques, ind)
    return np.append(hit, False)[codes], codes < 0


def _closest(value: Any, choices: Sequence[Any]) -> Any | None:
    """The choice closest to ``value``: equal up to case, else the best difflib match of the
    texts (only among at most 10 000 choices), else None."""
    text = str(value).casefold()
    by_text = {str(c).casefold(): c for c in choices}
    if text in by_text:
        return by_text[text]
    if len(by_text) > 10_000:
        return None
    close = difflib.get_close_matches(text, list(by_text), n=1, cutoff=0.6)
    return by_text[close[0]] if close else None


def _guesses(unknown: list, choices: Sequence[Any]) -> str:
    """``"did you mean 'primary' for 'Primary'?"`` (empty without a close match)."""
    pairs = [(u, _closest(u, choices)) for u in unknown]
    pairs = [(u, m) for u, m in pairs if m is not None]
    if not pairs:
        return ""
    if len(unknown) == 1:
        return f"did you mean {pairs[0][1]!r}?"
    return "did you mean " + ", ".join(f"{m!r} for {u!r}" for u, m in pairs) + "?"


def _sorted_values(values: Any, limit: int = 30) -> str:
    vals = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        vals = sorted(vals)
    except TypeError:
        vals = sorted(vals, key=str)
    more = f", … ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(repr(v) for v in vals[:limit]) + more


def _check_declared(categories: pd.Index, cats: list, ind: Indicator) -> None:
    """Every listed category must be a category of the Categorical: raise otherwise."""
    known = set(categories)
    unknown = [c for c in cats if c not in known]
    if not unknown:
        return
    listed = (
        _sorted_values(categories)
        if len(categories) > 30
        else ", ".join(repr(c) for c in categories)
    )
    lead = (
        f"none of the categories {cats!r} of indicator {ind.name!r} occurs"
        if len(unknown) == len(cats)
        else f"indicator {ind.name!r} lists unknown categories {unknown!r}, not"
    )
    guess = _guesses(unknown, list(categories))
    raise DataError(
        f"{lead} among the categories of variable {ind.variable!r} ({listed}); check the "
        f"spelling (categories are case-sensitive{'; ' + guess if guess else ''}), or add the "
        "category to the Categorical (series.cat.add_categories) if it is real"
    )


def _warn_absent(absent: list, values: Any, ind: Indicator) -> None:
    """Warn that listed categories never occur; ``values()`` gives the values that do."""
    present = list(values())
    noun = "category" if len(absent) == 1 else "categories"
    verb = "occurs" if len(absent) == 1 else "occur"
    guess = _guesses(absent, present)
    warnings.warn(
        CategoryWarning(
            f"indicator {ind.name!r}: the {noun} {absent!r} never {verb} in variable "
            f"{ind.variable!r}{' (' + guess + ')' if guess else ''}. Its values are "
            f"{_sorted_values(present) or 'all missing'}. A misspelt category lowers the "
            "deprivation count silently: check the categories (spelling and case); if one is "
            "simply absent from these data, ignore this warning (mpi.CategoryWarning)",
            ind.name,
            tuple(absent),
        ),
        stacklevel=caller_level(),
    )


