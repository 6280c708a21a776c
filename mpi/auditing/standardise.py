"""Standard column names, types and checks for the tables of :func:`mpi.audit`.

The beneficiary table and each registry are copied into the standard form that the rules read
(:class:`~mpi.auditing.context.AuditContext`): standard column names (each overridable through
``columns=`` / ``registry_columns=``), dates as ``datetime64[ns]``, amounts as ``float64``,
positional row numbers. Bad input stops with a :class:`~mpi.errors.ValidationError` that names
the argument, the value and the fix; rows that cannot be checked (no identifier, no date, no
amount, no programme) are kept aside and counted by reason, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpi.auditing.context import REGISTRY_COLUMNS
from mpi.errors import ValidationError

__all__ = [
    "BENEFICIARY_REQUIRED",
    "BENEFICIARY_OPTIONAL",
    "NOT_CHECKABLE",
    "REGISTRY_DATES",
    "REGISTRY_AMOUNTS",
    "standard_beneficiaries",
    "standard_registry",
    "check_columns_argument",
    "checkable",
    "duplicate_counts",
]

#: Columns every beneficiary table needs (standard names).
BENEFICIARY_REQUIRED = ("id_number", "name", "programme", "amount", "paid_on")
#: Columns a beneficiary table may have (NA when absent).
BENEFICIARY_OPTIONAL = ("household_id", "village", "account")
#: Why a payment row cannot be checked, in the order tested (a row counts under the first).
NOT_CHECKABLE = ("no_identifier", "no_programme", "no_date", "no_amount")
#: Date columns of the registry kinds.
REGISTRY_DATES = {"died_on"}
#: Numeric columns of the registry kinds (non-negative).
REGISTRY_AMOUNTS = {"registered_capital", "vehicle_value", "floor_area", "annual_income"}

_DATE_FIX = "give dates as YYYY-MM-DD text or a datetime64 column, and leave unknown dates empty"


def check_columns_argument(
    mapping: Any, argument: str, allowed: tuple[str, ...] | None
) -> dict[str, str]:
    """``mapping`` (standard name -> the table's column) checked, as a dict.

    Parameters
    ----------
    mapping
        None or a mapping from standard column names to the table's own column names.
    argument
        The argument's name, for messages (``"columns"``, ``"registry_columns['death']"``).
    allowed
        The standard names that may be renamed (None: any name).

    Returns
    -------
    dict
        The mapping (empty for None).

    Raises
    ------
    ValidationError
        When ``mapping`` is not a mapping of strings or names an unknown standard column.
    """
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise ValidationError(
            f"{argument} must be a mapping from standard column names to your column names, "
            f"e.g. {{'id_number': 'sfzh'}}; got {type(mapping).__name__} {mapping!r}"
        )
    out = {}
    for key, value in mapping.items():
        if allowed is not None and key not in allowed:
            raise ValidationError(
                f"{argument} has the key {key!r}, which is not a standard column; the keys are "
                f"standard names ({', '.join(allowed)}) and the values your column names"
            )
        out[str(key)] = value
    return out


def _column(
    table: pd.DataFrame, standard: str, rename: dict[str, Any], where: str, argument: str
) -> pd.Series:
    """Column ``standard`` of ``table`` (or its renamed column), as a positional Series."""
    name = rename.get(standard, standard)
    if name not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:20]))
        raise ValidationError(
            f"{where} has no column {name!r} (standard column {standard!r}); its columns are "
            f"[{shown}]. Rename the column or pass {argument}={{{standard!r}: '<your column>'}}"
        )
    col = table[name]
    if isinstance(col, pd.DataFrame):
        raise ValidationError(f"{where} has more than one column named {name!r}; keep one")
    return col.reset_index(drop=True)


def _shown(value: Any) -> Any:
    """A value as a message shows it (numpy scalars as Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


def _all_text(values: pd.Series) -> bool:
    """Whether every non-missing value of ``values`` is a ``str``."""
    return pd.api.types.is_string_dtype(values.dtype) or pd.api.types.infer_dtype(
        values, skipna=True
    ) in ("string", "empty")


def _blank(values: pd.Series) -> np.ndarray:
    """True where a value is missing or blank text (vectorised: text compared stripped)."""
    miss = values.isna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return miss
    stripped = values.astype("string").str.strip()
    return miss | (stripped == "").fillna(False).to_numpy(dtype=bool)


def _dates(values: pd.Series, where: str, standard: str, name: Any) -> pd.Series:
    """``values`` as datetime64[ns]; unparseable non-empty values are an error."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.Series(values.to_numpy(), dtype="datetime64[ns]")
        return out.dt.tz_localize(None) if getattr(out.dt, "tz", None) else out
    blank = _blank(values)
    raw = values.astype(object).where(~blank, None)
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy() & ~blank
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{where}: column {name!r} ({standard}) has {int(bad.sum())} value(s) that are not "
            f"dates, e.g. {_shown(values.iloc[pos])!r} in row {pos}; {_DATE_FIX}"
        )
    return pd.Series(parsed.to_numpy(), dtype="datetime64[ns]")


def _amounts(values: pd.Series, where: str, standard: str, name: Any) -> pd.Series:
    """``values`` as float64; text that is not a number or a negative number is an error."""
    blank = _blank(values)
    raw = values.astype(object).where(~blank, None)
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = num.isna().to_numpy() & ~blank
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{where}: column {name!r} ({standard}) has {int(bad.sum())} value(s) that are not "
            f"numbers, e.g. {_shown(values.iloc[pos])!r} in row {pos}; give plain numbers (yuan, m²)"
        )
    neg = (num < 0).to_numpy()
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise ValidationError(
            f"{where}: column {name!r} ({standard}) has {int(neg.sum())} negative value(s), e.g. "
            f"{_shown(values.iloc[pos])!r} in row {pos}; amounts must be >= 0 — record refunds and "
            "reversals as a separate table, not as negative payments"
        )
    return pd.Series(num.to_numpy(), dtype="float64")


def _text(values: pd.Series) -> pd.Series:
    """``values`` as object with NA for blanks; text stripped (other values kept as given).

    Text is cleaned once per distinct value and mapped back by integer codes, so the rows
    share one Python ``str`` per distinct value (8 bytes a row, not a string each).
    """
    if not _all_text(values):
        blank = _blank(values)
        out = values.astype(object).to_numpy().copy()
        out[blank] = pd.NA
        return pd.Series(out, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    stripped = distinct.astype("string").str.strip().astype(object).to_numpy().copy()
    stripped[_blank(distinct)] = pd.NA
    # code -1 (a missing value) takes the NA appended last
    return pd.Series(np.append(stripped, pd.NA)[codes], dtype=object)


def standard_beneficiaries(table: Any, columns: Any) -> pd.DataFrame:
    """The beneficiary table in standard form (not yet linked).

    Parameters
    ----------
    table
        The payments: a DataFrame with (at least) the columns of
        :data:`BENEFICIARY_REQUIRED`, under their standard names or renamed by ``columns``.
    columns
        None or ``{standard name: your column}``.

    Returns
    -------
    pandas.DataFrame
        Positional ``RangeIndex``; columns ``id_number``, ``name``, ``household_id``,
        ``village``, ``account`` (object, NA for blanks), ``programme`` (object str),
        ``amount`` (float64), ``paid_on`` (datetime64[ns]), then the table's other columns
        as they are (e.g. ``household_size``, read by some rules). ``table`` is not
        modified.

    Raises
    ------
    ValidationError
        Missing column, dates that cannot be parsed, amounts that are not numbers or negative.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(
            f"beneficiaries must be a pandas DataFrame of payments; got {type(table).__name__}"
        )
    rename = check_columns_argument(columns, "columns", BENEFICIARY_REQUIRED + BENEFICIARY_OPTIONAL)
    where = "beneficiaries"
    out: dict[str, pd.Series] = {}
    for std in BENEFICIARY_REQUIRED:
        col = _column(table, std, rename, where, "columns")
        name = rename.get(std, std)
        if std == "paid_on":
            out[std] = _dates(col, where, std, name)
        elif std == "amount":
            out[std] = _amounts(col, where, std, name)
        else:
            out[std] = _text(col)
    for std in BENEFICIARY_OPTIONAL:
        name = rename.get(std, std)
        if name in table.columns:
            out[std] = _text(_column(table, std, rename, where, "columns"))
        elif std in rename:
            _column(table, std, rename, where, "columns")
        else:
            out[std] = pd.Series(pd.NA, index=range(len(table)), dtype=object)
    prog = out["programme"]
    if not _all_text(prog):
        names = prog.astype("string").astype(object).to_numpy()
        out["programme"] = pd.Series(np.where(prog.isna(), pd.NA, names), dtype=object)
    order = ["id_number", "name", "programme", "amount", "paid_on", *BENEFICIARY_OPTIONAL]
    reserved = {*order, "id_clean", "id_valid", "person"}
    std = pd.DataFrame({c: out[c] for c in order}, copy=False)
    return _with_extra(std, table, rename, reserved)


def _with_extra(
    std: pd.DataFrame, table: pd.DataFrame, rename: dict[str, Any], reserved: set[str]
) -> pd.DataFrame:
    """``std`` followed by the other columns of ``table`` (copied, positional index): the
    columns that are not a source of a standard column nor carry a reserved name."""
    used = {rename.get(c, c) for c in std.columns}
    extra = [c for c in table.columns if c not in used and c not in reserved]
    if not extra:
        return std
    # table[extra] is a new frame (a lazy copy under copy-on-write): the input stays as given
    more = table[extra].reset_index(drop=True)
    return pd.concat([std, more], axis=1)


def checkable(payments: pd.DataFrame) -> pd.Series:
    """Why each payment row cannot be checked: "" when it can, else a :data:`NOT_CHECKABLE` reason.

    Parameters
    ----------
    payments
        Standard beneficiaries (:func:`standard_beneficiaries`).

    Returns
    -------
    pandas.Series
        Object strings, same index: ``"no_identifier"`` (neither id number nor name),
        ``"no_programme"``, ``"no_date"`` (``paid_on`` empty), ``"no_amount"`` or ``""``.
    """
    reason = np.full(len(payments), "", dtype=object)
    tests = {
        "no_identifier": payments["id_number"].isna() & payments["name"].isna(),
        "no_programme": payments["programme"].isna(),
        "no_date": payments["paid_on"].isna(),
        "no_amount": payments["amount"].isna(),
    }
    for key in reversed(NOT_CHECKABLE):
        reason[tests[key].to_numpy(dtype=bool)] = key
    return pd.Series(reason, index=payments.index, dtype=object)


def standard_registry(kind: str, table: Any, rename: Any) -> pd.DataFrame:
    """One registry in standard form.

    Parameters
    ----------
    kind
        The registry kind: one of :data:`~mpi.auditing.context.REGISTRY_COLUMNS` or another
        beneficiary-like list (standard columns ``id_number`` and ``name``; ``programme``,
        ``amount``, ``paid_on``, ``household_id``, ``village``, ``account`` kept when present).
    table
        The registry (a DataFrame).
    rename
        None or ``{standard name: your column}``.

    Returns
    -------
    pandas.DataFrame
        Positional ``RangeIndex``, standard columns (dates datetime64[ns], numbers float64),
        then the table's other columns as they are (e.g. a tax ``year``); ``table`` is not
        modified.

    Raises
    ------
    ValidationError
        Not a DataFrame, missing column, unparseable dates, bad or negative numbers.
    """
    where = f"registries[{kind!r}]"
    argument = f"registry_columns[{kind!r}]"
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(f"{where} must be a pandas DataFrame; got {type(table).__name__}")
    other = kind not in REGISTRY_COLUMNS
    required = ("id_number", "name") if other else REGISTRY_COLUMNS[kind]
    optional = BENEFICIARY_REQUIRED[2:] + BENEFICIARY_OPTIONAL if other else ()
    mapping = check_columns_argument(rename, argument, required + optional)
    out: dict[str, pd.Series] = {}
    for std in required + optional:
        name = mapping.get(std, std)
        if std in optional and name not in table.columns and std not in mapping:
            continue
        col = _column(table, std, mapping, where, argument)
        if std in REGISTRY_DATES or std == "paid_on":
            out[std] = _dates(col, where, std, name)
        elif std in REGISTRY_AMOUNTS or std == "amount":
            out[std] = _amounts(col, where, std, name)
        else:
            out[std] = _text(col)
    std = pd.DataFrame(out, index=pd.RangeIndex(len(table)), copy=False)
    return _with_extra(std, table, mapping, set(required + optional))


def duplicate_counts(table: pd.DataFrame, id_clean: pd.Series) -> dict[str, int]:
    """Duplicated records of a standard registry.

    Parameters
    ----------
    table
        A standard registry.
    id_clean
        Its normalised valid id numbers (NA where invalid), same index.

    Returns
    -------
    dict
        ``n_records``: rows; ``duplicate_records``: rows identical to an earlier row in every
        standard column; ``repeated_ids``: rows whose valid id number appeared in an earlier
        row (for one-record-per-person registries such as ``death`` and ``staff`` these are
        conflicting records). Duplicates are kept (a lead counts each payment once, whatever
        the number of matching records) and reported.
    """
    valid = id_clean.dropna()
    return {
        "n_records": len(table),
        "duplicate_records": int(table.astype(object).duplicated().sum()) if len(table) else 0,
        "repeated_ids": int(valid.duplicated().sum()),
    }
