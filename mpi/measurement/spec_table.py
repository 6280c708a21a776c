"""Specs as flat tables (CSV, Excel or a DataFrame): one row per indicator.

Cutoff cells are text that keeps every type through a round trip (see
:meth:`Spec.to_table <mpi.Spec.to_table>`); tables written before the quoting conventions
read as before.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mpi._common.exact import fraction_text
from mpi._common.yaml_text import invisible
from mpi.errors import SpecError
from mpi.measurement._spec_common import TABLE_SUFFIXES, guess_key
from mpi.measurement.indicator import RULES, Indicator

__all__ = ["TABLE_COLUMNS", "indicators_table", "indicators_from_table"]

TABLE_COLUMNS = (
    "dimension",
    "indicator",
    "variable",
    "weight",
    "cutoff",
    "rule",
    "cardinal",
    "label",
    "description",
)
_TABLE_HINTS = {"name": "indicator", "deprived_if": "rule", "threshold": "cutoff"}

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EXCEL_BAD = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_JSON = json.JSONDecoder()


def _parse_bare(text: str) -> Any:
    """An unquoted, stripped, non-empty cell item: ``int``, ``float``, ``bool`` or ``str``."""
    if _INT_TEXT.fullmatch(text):
        return int(text)
    if _FLOAT_TEXT.fullmatch(text):
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _quote(text: str) -> str:
    """``text`` in double quotes with JSON escapes (invisible characters as ``\\uXXXX``)."""
    body = "".join(json.dumps(c)[1:-1] if c in '"\\' or invisible(c) else c for c in text)
    return f'"{body}"'


def _format_item(value: Any, in_list: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    plain = (
        value != ""
        and value == value.strip()
        and not value.startswith('"')
        and not (in_list and "|" in value)
        and not any(invisible(c) for c in value)
        and isinstance(_parse_bare(value), str)
    )
    return value if plain else _quote(value)


def _cutoff_cell(ind: Indicator) -> str:
    if ind.cutoff is None:
        return ""
    if ind.deprived_if == "in":
        return "|".join(_format_item(c, in_list=True) for c in ind.cutoff)
    return _format_item(ind.cutoff, in_list=False)


def _cell_items(text: str, split: bool, where: str) -> list[Any]:
    """Parse a cutoff cell: ``|``-separated items if ``split``, each bare or quoted."""
    items: list[Any] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos < n and text[pos] == '"':
            try:
                value, pos = _JSON.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise SpecError(
                    f"{where}: the quoted value at character {pos + 1} of the cutoff {text!r} "
                    f'is not closed or has a bad escape ({err.msg}); write inner quotes as \\"'
                ) from None
            while pos < n and text[pos].isspace():
                pos += 1
            if pos < n and not (split and text[pos] == "|"):
                raise SpecError(
                    f"{where}: unexpected {text[pos:]!r} after a quoted value in the cutoff "
                    f"{text!r}" + ("; separate categories with |" if split else "")
                )
        else:
            end = text.find("|", pos) if split else -1
            end = n if end == -1 else end
            bare = text[pos:end].strip()
            if not bare:
                raise SpecError(
                    f"{where}: empty category in the cutoff {text!r}; drop the extra | or "
                    'write "" for an empty string'
                )
            value, pos = _parse_bare(bare), end
        items.append(value)
        if pos >= n:
            return items
        pos += 1  # the "|"


def _is_na(value: Any) -> bool:
    import pandas as pd

    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _text_cell(value: Any) -> str | None:
    """A text cell: empty or missing is ``None``; anything else is kept (not stripped)."""
    if isinstance(value, np.generic):
        value = value.item()
    if _is_na(value) or (isinstance(value, str) and value == ""):
        return None
    return value if isinstance(value, str) else str(value)


def _cutoff_from_cell(raw: Any, rule: str, where: str) -> Any:
    if isinstance(raw, np.generic):
        raw = raw.item()
    blank = _is_na(raw) or (isinstance(raw, str) and not raw.strip())
    if rule == "flag":
        if not blank:
            raise SpecError(
                f"{where}: the rule is flag (the variable holds 0/1) but the cutoff cell holds "
                f"{raw!r}; empty the cutoff cell or choose a comparison rule"
            )
        return None
    if blank:
        raise SpecError(
            f"{where}: the cutoff cell is empty but the rule {rule!r} needs a cutoff; use "
            "rule 'flag' for a variable that holds 0/1"
        )
    if isinstance(raw, str):
        items = _cell_items(raw, rule == "in", where)
        return items if rule == "in" else items[0]
    if rule == "in" and not isinstance(raw, list | tuple):
        return [raw]
    return raw


def _cardinal_cell(value: Any) -> bool | None:
    if isinstance(value, np.generic):
        value = value.item()
    if _is_na(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    return _parse_bool(value)


def _table_indicator(row: Mapping[str, Any], where: str) -> Indicator:
    name = _text_cell(row.get("indicator"))
    if name is None:
        raise SpecError(f"{where}: the indicator cell is empty; every row needs a name")
    where = f"{where}, indicator {name!r}"
    raw_rule = row.get("rule")
    rule = "" if _is_na(raw_rule) else str(raw_rule).strip()
    rule = rule.lower() if rule.lower() in ("flag", "in") else rule
    if rule != "flag" and rule not in RULES:
        raise SpecError(f"{where}: rule must be flag or one of {' '.join(RULES)}; got {raw_rule!r}")
    cutoff = _cutoff_from_cell(row.get("cutoff"), rule, where)
    weight = row.get("weight")
    try:
        return Indicator(
            name,
            weight=weight.item() if isinstance(weight, np.generic) else weight,
            cutoff=cutoff,
            deprived_if="<" if rule == "flag" else rule,
            cardinal=_cardinal_cell(row.get("cardinal")),
            **{key: _text_cell(row.get(key)) for key in ("dimension", "variable", "label")},
            description=_text_cell(row.get("description")),
        )
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None


def _check_table_columns(table: Any, where: str) -> None:
    columns = list(table.columns)
    dup = sorted({str(c) for c in columns if columns.count(c) > 1})
    if dup:
        raise SpecError(f"{where} has repeated columns {dup}; keep one of each")
    for col in columns:
        if col not in TABLE_COLUMNS:
            guess = guess_key(col, TABLE_COLUMNS, _TABLE_HINTS)
            fix = f"did you mean {guess!r}?" if guess else "remove it or correct its name."
            raise SpecError(
                f"{where}: unknown column {col!r}; {fix} Allowed columns: "
                f"{', '.join(TABLE_COLUMNS)}"
            )
    missing = [c for c in ("indicator", "weight", "rule") if c not in columns]
    if missing:
        raise SpecError(f"{where} lacks columns {missing}; it has {columns}")


def _read_table_file(path: Path) -> Any:
    import zipfile

    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise SpecError(
            f"table path must end in .csv or .xlsx (any case); got {str(path)!r}. Read YAML "
            "or JSON with Spec.from_yaml or Spec.from_json"
        )
    if not path.is_file():
        raise SpecError(
            f"spec table {str(path)!r} does not exist (looked in {str(path.absolute().parent)!r})"
        )
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise SpecError(f"cannot read the spec table {str(path)!r}: {err}") from None


def _write_table(table: Any, path: Path) -> None:
    import csv

    import pandas as pd

    suffix = path.suffix.lower()
    cells = [(col, row, v) for col in table.columns for row, v in enumerate(table[col])]
    if suffix == ".csv":
        # a lone carriage return is only kept inside quotes
        cr = any(isinstance(v, str) and "\r" in v for _, _, v in cells)
        table.to_csv(path, index=False, quoting=csv.QUOTE_ALL if cr else csv.QUOTE_MINIMAL)
    elif suffix == ".xlsx":
        for col, row, v in cells:
            bad = _EXCEL_BAD.search(v) if isinstance(v, str) else None
            if bad:
                raise SpecError(
                    f"the {col} of indicator {table['indicator'][row]!r} holds the control "
                    f"character {bad.group()!r}, which an Excel file cannot keep; remove it or "
                    "write a .csv"
                )
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            table.to_excel(writer, index=False, sheet_name="spec")
            sheet = writer.sheets["spec"]
            for row in sheet.iter_rows(min_row=2):
                for cell in row:  # '==' would otherwise be stored as a formula
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
    else:
        raise SpecError(f"path must end in .csv or .xlsx (any case); got {str(path)!r}")


def _parse_bool(text: Any) -> bool:
    s = str(text).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise SpecError(f"cardinal must be true or false; got {text!r}")


def indicators_table(
    indicators: Sequence[Indicator], path: str | os.PathLike[str] | None = None
) -> Any:
    """The indicators as a flat table, one row per indicator (see :meth:`mpi.Spec.to_table`).

    Parameters
    ----------
    indicators
        The spec's indicators, in order.
    path
        A ``.csv`` or ``.xlsx`` file (any case) to write as well, or None.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`.
    """
    import pandas as pd

    rows = []
    for ind in indicators:
        rows.append(
            {
                "dimension": ind.dimension or "",
                "indicator": ind.name,
                "variable": ind.variable,
                "weight": fraction_text(ind.weight),
                "cutoff": _cutoff_cell(ind),
                "rule": "flag" if ind.cutoff is None else ind.deprived_if,
                "cardinal": ind.cardinal,
                "label": ind.label or "",
                "description": ind.description or "",
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    if path is not None:
        _write_table(table, Path(path))
    return table


def indicators_from_table(table: Any) -> list[Indicator]:
    """The indicators of a spec table (see :meth:`mpi.Spec.from_table`).

    Parameters
    ----------
    table
        A DataFrame, or the path of a ``.csv`` or ``.xlsx`` file (any case).

    Returns
    -------
    list of Indicator
        One per row, in order. Errors name the row (and the file).
    """
    import pandas as pd

    where = "spec table"
    if isinstance(table, str | os.PathLike):
        path = Path(table)
        table = _read_table_file(path)
        where = f"spec table {str(path)!r}"
    if not isinstance(table, pd.DataFrame):
        raise SpecError(f"table must be a DataFrame or a file path; got {type(table).__name__}")
    _check_table_columns(table, where)
    inds = []
    for pos, row in enumerate(table.to_dict("records")):
        if where == "spec table":
            row_where = f"spec table, row {table.index[pos]!r}"
        else:
            row_where = f"{where}, row {pos + 2} (the header is row 1)"
        inds.append(_table_indicator(row, row_where))
    return inds
