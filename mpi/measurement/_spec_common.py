"""Keys, hints and text helpers shared by the spec modules (:mod:`mpi.measurement.spec`,
:mod:`~mpi.measurement.indicator`, :mod:`~mpi.measurement.spec_io` and
:mod:`~mpi.measurement.spec_table`)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from mpi.errors import SpecError

__all__ = [
    "SPEC_KEYS",
    "SPEC_HINTS",
    "INDICATOR_KEYS",
    "INDICATOR_HINTS",
    "TEXT_SUFFIXES",
    "TABLE_SUFFIXES",
    "typed",
    "guess_key",
    "unknown_key",
]

#: Keys of a spec document (:meth:`mpi.Spec.to_dict`) and synonyms people write for them.
SPEC_KEYS = ("name", "title", "source", "k", "vulnerable", "severe", "indicators")
SPEC_HINTS = {
    "cutoff": "k",
    "poverty_cutoff": "k",
    "dimensions": "indicators",
    "indicator": "indicators",
    "weights": "indicators",
    "vulnerability": "vulnerable",
    "severity": "severe",
}
#: Keys of an indicator mapping (the arguments of :class:`mpi.Indicator`) and synonyms.
INDICATOR_KEYS = (
    "name",
    "weight",
    "dimension",
    "variable",
    "cutoff",
    "deprived_if",
    "cardinal",
    "label",
    "description",
)
INDICATOR_HINTS = {
    "rule": "deprived_if",
    "indicator": "name",
    "threshold": "cutoff",
    "categories": "cutoff",
    "column": "variable",
    "w": "weight",
}
#: File extensions (any case) of spec documents and of spec tables.
TEXT_SUFFIXES = (".yml", ".yaml", ".json")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")


def typed(data: Any) -> str:
    """Canonical text of plain data that tells ``1``, ``1.0``, ``True`` and ``"1"`` apart."""
    return json.dumps(data, sort_keys=True, default=repr)


def guess_key(key: Any, allowed: Sequence[str], hints: Mapping[str, str]) -> str | None:
    """The allowed key meant by a misspelt ``key``: a known synonym, a close match, or None."""
    text = str(key).strip().lower()
    if text in hints:
        return hints[text]
    close = difflib.get_close_matches(text, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key(
    key: Any,
    prefix: str,
    context: str,
    allowed: Sequence[str],
    hints: Mapping[str, str] | None = None,
) -> SpecError:
    """``indicators[2].cutof: unknown key in indicator 'x'; did you mean 'cutoff'? ...``"""
    guess = guess_key(key, allowed, hints or {})
    fix = f"did you mean {guess!r}?" if guess else "remove it or correct its spelling."
    path = f"{prefix}.{key}" if prefix else str(key)
    return SpecError(f"{path}: unknown key{context}; {fix} Allowed keys: {', '.join(allowed)}")
