"""Numbers as the report shows them: shares as percentages, indices as decimals, counts with
thousands separators, intervals in words of the report's language."""

from __future__ import annotations

import math
from typing import Any

from mpi._common.labels import text

__all__ = ["number_text", "interval_text", "count_text", "SHARES", "INDICES"]

#: Measures shown as percentages (shares of the population or of the poor).
SHARES = frozenset({"H", "A", "vulnerable", "severe", "uncensored_headcount",
                    "censored_headcount", "contribution", "dimension_contribution",
                    "population_share", "group_contribution"})  # fmt: skip
#: Measures shown as decimals (indices): the adjusted headcount ratio and the gap measures.
INDICES = frozenset({"M0", "M1", "M2", "intensity_variance"})
#: Decimals of a percentage and of an index.
PERCENT_DIGITS = 1
INDEX_DIGITS = 3


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def number_text(value: Any, kind: str, lang: str) -> str:
    """``value`` as shown in the report.

    Parameters
    ----------
    value
        A number (NaN and None: the catalogue's "not available" mark).
    kind
        ``"percent"`` (a share: ``0.2958`` -> ``"29.6%"``), ``"points"`` (a change of a share
        in percentage points: ``-0.1072`` -> ``"-10.7"``), ``"decimal"`` (an index, 3
        decimals), ``"signed"`` (a change of an index: ``"-0.064"``), ``"se"`` (4 decimals), ``"integer"`` (``5,237``) or ``"relative"`` (a
        number already in percent: ``-34.2%``).
    lang
        The report's language.

    Returns
    -------
    str
    """
    if not _finite(value):
        return text("report.na", lang)
    v = float(value)
    if kind == "percent":
        return f"{100 * v:.{PERCENT_DIGITS}f}%"
    if kind == "points":
        return f"{100 * v:+.{PERCENT_DIGITS}f}"
    if kind == "relative":
        return f"{v:+.{PERCENT_DIGITS}f}%"
    if kind == "signed":
        return f"{v:+.{INDEX_DIGITS}f}"
    if kind == "integer":
        return f"{round(v):,}"
    if kind == "se":
        return f"{v:.4f}"
    return f"{v:.{INDEX_DIGITS}f}"


def count_text(value: Any, lang: str) -> str:
    """A count with thousands separators (``5,237``).

    Parameters
    ----------
    value
        A count.
    lang
        The report's language.

    Returns
    -------
    str
    """
    return number_text(value, "integer", lang)


def interval_text(lower: Any, upper: Any, kind: str, level: float, lang: str) -> str:
    """A confidence interval in words (``"95% CI: 27.1% to 32.1%"``).

    Parameters
    ----------
    lower, upper
        The bounds.
    kind
        Their format (see :func:`number_text`).
    level
        The confidence level (0.95).
    lang
        The report's language.

    Returns
    -------
    str
        Empty when a bound is not a number.
    """
    if not (_finite(lower) and _finite(upper)):
        return ""
    return text(
        "report.ci_range",
        lang,
        level=100 * level,
        lower=number_text(lower, kind, lang),
        upper=number_text(upper, kind, lang),
    )


def kind_of(measure: str) -> str:
    """The display kind of a measure: ``"percent"`` for shares, ``"decimal"`` otherwise.

    Parameters
    ----------
    measure
        A measure's variable name.

    Returns
    -------
    str
    """
    return "percent" if measure in SHARES else "decimal"
