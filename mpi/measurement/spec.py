"""Poverty specifications: indicators, deprivation cutoffs, nested weights and the cutoff k.

A :class:`Spec` is data, not code: it reads and writes YAML, JSON and a flat table
(CSV or Excel) so that statistics offices can keep their definitions outside Python.
Every format round-trips exactly: ``Spec.from_yaml(spec.to_yaml()) == spec``, likewise for
JSON, :meth:`Spec.to_dict` and (with the spec-level fields passed as arguments) the table.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from mpi._common.exact import common_denominator, fraction_text, to_fraction
from mpi.errors import SpecError

__all__ = ["Indicator", "Spec", "RULES"]

#: Deprivation rules: the unit is deprived when ``value <rule> cutoff``.
RULES: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=", "in")
_ORDER_RULES = ("<", "<=", ">", ">=")
#: Default band cutoffs (global MPI): vulnerable from 1/5, severe from 1/2.
DEFAULT_VULNERABLE = Fraction(1, 5)
DEFAULT_SEVERE = Fraction(1, 2)


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _plain_number(name: str, value: Any) -> int | float:
    """A numeric cutoff or category as a plain ``int`` or ``float``, without loss.

    Data are compared as float64, so a ``Fraction``/``Decimal`` cutoff that is exactly a float
    measures the same as that float; one that is not (``Fraction(1, 3)``) is refused rather
    than rounded, and integral values become ``int``.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, float):
        return value
    as_float = float(value)
    if not math.isfinite(as_float):
        return as_float
    if as_float.is_integer() and int(as_float) == value:
        return int(as_float)
    if as_float != value:
        raise SpecError(
            f"indicator {name!r}: the cutoff {value!r} is not exactly a float64, and data are "
            f"compared as float64; write the float you mean, e.g. {as_float!r}"
        )
    return as_float


def _optional_text(name: str, key: str, value: Any) -> str | None:
    """``label``/``description``: a string or ``None`` (an empty string means ``None``)."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if not isinstance(value, str):
        raise SpecError(
            f"{key} of indicator {name!r} must be a string or None; got "
            f"{type(value).__name__} {value!r}. In YAML, quote it: {key}: '{value}'"
        )
    return value


@dataclass(frozen=True, eq=False)
class Indicator:
    """One deprivation indicator.

    Parameters
    ----------
    name
        Indicator name (unique within a spec), e.g. ``"years_schooling"``.
    weight
        Nested weight ``w_j > 0``. Floats are converted to the nearest simple fraction
        (``1/18`` typed as ``0.0555…`` becomes exactly 1/18); strings such as ``"1/18"``
        and :class:`fractions.Fraction` are exact.
    dimension
        Dimension the indicator belongs to (``"health"``). Used for contributions by
        dimension and for the ``missing="reweight"`` rule. ``None`` makes the indicator its
        own dimension.
    variable
        Name of the data variable (column) holding the achievement; defaults to ``name``.
    cutoff
        Deprivation cutoff ``z_j``. ``None`` means the variable already holds the
        deprivation status (1 or ``True`` = deprived, 0 or ``False`` = not deprived).
    deprived_if
        The rule: the unit is deprived when ``value <deprived_if> cutoff``; one of ``"<"``,
        ``"<="``, ``">"``, ``">="``, ``"=="``, ``"!="``, or ``"in"`` with a list of
        categories as ``cutoff``. ``"flag"`` (or no cutoff) means the variable holds 0/1.
    cardinal
        Whether the indicator is cardinal, i.e. has a normalised gap
        ``(z - x) / z`` used by M1 and M2. By default an indicator is cardinal exactly when
        the rule is a strict ``"<"`` with a positive numeric cutoff. Non-cardinal
        indicators have gap 1 when deprived.
    label
        Display label for tables and charts (any language, e.g. ``"营养"``). An empty string
        means no label.
    description
        Free text: the official definition (empty string: none).

    Notes
    -----
    For a cardinal indicator the normalised gap is
    :math:`\\gamma_{ij} = \\min\\{1, (z_j - x_{ij}) / z_j\\}` when :math:`x_{ij} < z_j`
    (achievements below zero are capped at a gap of 1) and 0 otherwise.

    Examples
    --------
    >>> Indicator("years_schooling", weight="1/6", dimension="education",
    ...           variable="max_years_schooling", cutoff=6)
    Indicator('years_schooling', weight=1/6, dimension='education', rule='max_years_schooling < 6', cardinal)
    """

    name: str
    weight: Fraction = field(metadata={"doc": "exact weight"})
    dimension: str | None = None
    variable: str | None = None
    cutoff: Any = None
    deprived_if: str = "<"
    cardinal: bool | None = None
    label: str | None = None
    description: str | None = None

    def __init__(
        self,
        name: str,
        *,
        weight: Any,
        dimension: str | None = None,
        variable: str | None = None,
        cutoff: Any = None,
        deprived_if: str = "<",
        cardinal: bool | None = None,
        label: str | None = None,
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise SpecError(f"Indicator name must be a non-empty string; got {name!r}")
        if weight is None:
            raise SpecError(f"indicator {name!r} has no weight; give e.g. weight='1/6'")
        frac = to_fraction(weight, argument=f"weight of indicator {name!r}")
        if frac <= 0:
            raise SpecError(
                f"weight of indicator {name!r} must be positive; got {weight!r}. "
                "Drop the indicator from the spec instead of giving it weight 0"
            )
        if dimension is not None and (not isinstance(dimension, str) or not dimension):
            raise SpecError(
                f"dimension of indicator {name!r} must be a non-empty string or None; "
                f"got {dimension!r}"
            )
        if variable is None:
            variable = name
        if not isinstance(variable, str) or not variable:
            raise SpecError(f"variable of indicator {name!r} must be a string; got {variable!r}")
        if not isinstance(deprived_if, str):
            raise SpecError(
                f"deprived_if of indicator {name!r} must be one of 'flag', {', '.join(RULES)}; "
                f"got {type(deprived_if).__name__} {deprived_if!r}"
            )
        if cardinal is not None and not isinstance(cardinal, bool | np.bool_):
            raise SpecError(
                f"cardinal of indicator {name!r} must be true, false or None; got "
                f"{type(cardinal).__name__} {cardinal!r}"
            )
        label = _optional_text(name, "label", label)
        description = _optional_text(name, "description", description)
        if deprived_if == "flag":
            if cutoff is not None:
                raise SpecError(
                    f"indicator {name!r} has deprived_if='flag' (the variable holds 0/1) but "
                    f"also cutoff={cutoff!r}; drop the cutoff or choose a comparison rule"
                )
            deprived_if = "<"
        if deprived_if not in RULES:
            raise SpecError(
                f"deprived_if of indicator {name!r} must be one of {', '.join(RULES)}; "
                f"got {deprived_if!r}"
            )
        cutoff = _check_cutoff(name, cutoff, deprived_if)
        natural_cardinal = (
            cutoff is not None and deprived_if == "<" and _is_number(cutoff) and cutoff > 0
        )
        if cardinal is None:
            cardinal = natural_cardinal
        elif cardinal and not natural_cardinal:
            raise SpecError(
                f"indicator {name!r} cannot be cardinal: a normalised gap (z - x) / z needs "
                f"deprived_if='<' and a positive numeric cutoff; got deprived_if="
                f"{deprived_if!r}, cutoff={cutoff!r}. Pass cardinal=False"
            )
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "weight", frac)
        set_(self, "dimension", dimension)
        set_(self, "variable", variable)
        set_(self, "cutoff", cutoff)
        set_(self, "deprived_if", deprived_if if cutoff is not None else "flag")
        set_(self, "cardinal", bool(cardinal))
        set_(self, "label", label)
        set_(self, "description", description)

    def __eq__(self, other: object) -> bool:
        """Exact equality: ``1``, ``1.0``, ``True`` and ``"1"`` are different cutoffs."""
        return isinstance(other, Indicator) and _typed(self.to_dict()) == _typed(other.to_dict())

    def __hash__(self) -> int:
        return hash(_typed(self.to_dict()))

    # -- presentation -----------------------------------------------------------------
    @property
    def rule(self) -> str:
        """Human-readable deprivation rule, e.g. ``'max_years_schooling < 6'``."""
        if self.cutoff is None:
            return f"{self.variable} == 1"
        if self.deprived_if == "in":
            return f"{self.variable} in {list(self.cutoff)!r}"
        return f"{self.variable} {self.deprived_if} {self.cutoff!r}"

    def __repr__(self) -> str:
        dim = f", dimension={self.dimension!r}" if self.dimension else ""
        card = ", cardinal" if self.cardinal else ""
        return (
            f"Indicator({self.name!r}, weight={fraction_text(self.weight)}{dim}, "
            f"rule={self.rule!r}{card})"
        )

    def replace(self, **changes: Any) -> Indicator:
        """Copy with some fields changed (weights are re-validated)."""
        for key in changes:
            if key not in _INDICATOR_KEYS:
                raise _unknown_key(key, "", " for Indicator.replace", _INDICATOR_KEYS)
        kw = self.to_dict()
        kw.update(changes)
        if "deprived_if" not in changes and kw.get("cutoff") is None:
            kw["deprived_if"] = "<"
        return Indicator(**kw)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form used by YAML/JSON (weights as exact fraction strings)."""
        cutoff = list(self.cutoff) if self.deprived_if == "in" else self.cutoff
        if isinstance(cutoff, np.generic):
            cutoff = cutoff.item()
        out: dict[str, Any] = {
            "name": self.name,
            "dimension": self.dimension,
            "variable": self.variable,
            "weight": fraction_text(self.weight),
            "cutoff": cutoff,
            "deprived_if": self.deprived_if,
        }
        natural = (
            self.cutoff is not None
            and self.deprived_if == "<"
            and _is_number(self.cutoff)
            and self.cutoff > 0
        )
        if self.cardinal != natural:
            out["cardinal"] = self.cardinal
        if self.label is not None:
            out["label"] = self.label
        if self.description is not None:
            out["description"] = self.description
        return out


def _check_cutoff(name: str, cutoff: Any, rule: str) -> Any:
    if cutoff is None:
        return None
    if rule == "in":
        if isinstance(cutoff, str | bytes | Mapping) or not isinstance(cutoff, Iterable):
            raise SpecError(
                f"indicator {name!r} uses deprived_if='in', so cutoff must be a list of "
                f"categories; got {type(cutoff).__name__} {cutoff!r}. Write cutoff=[{cutoff!r}]"
            )
        cats = tuple(c.item() if isinstance(c, np.generic) else c for c in cutoff)
        if not cats:
            raise SpecError(f"indicator {name!r}: the list of categories for 'in' is empty")
        for c in cats:
            if not (isinstance(c, str | bool) or _is_number(c)):
                raise SpecError(
                    f"indicator {name!r}: category {c!r} must be a string, a number or a "
                    f"boolean; got {type(c).__name__}"
                )
            if _is_number(c) and not math.isfinite(float(c)):
                raise SpecError(f"indicator {name!r}: category {c!r} must be finite")
        cats = tuple(_plain_number(name, c) if _is_number(c) else c for c in cats)
        if len(set(cats)) != len(cats):
            raise SpecError(
                f"indicator {name!r}: duplicate categories in {list(cats)!r} (1, 1.0 and True "
                "are the same category); give each once"
            )
        return cats
    if isinstance(cutoff, np.generic):
        cutoff = cutoff.item()
    if rule in _ORDER_RULES:
        if not _is_number(cutoff):
            raise SpecError(
                f"indicator {name!r} uses deprived_if={rule!r}, which needs a numeric cutoff; "
                f"got {type(cutoff).__name__} {cutoff!r}. Use '==' or 'in' for categories"
            )
        if not math.isfinite(float(cutoff)):
            raise SpecError(f"indicator {name!r}: cutoff must be finite; got {cutoff!r}")
        return _plain_number(name, cutoff)
    # == and !=
    if isinstance(cutoff, Iterable) and not isinstance(cutoff, str | bytes):
        raise SpecError(
            f"indicator {name!r} uses deprived_if={rule!r}, which needs a single value; got "
            f"{cutoff!r}. Use deprived_if='in' for a list of categories"
        )
    if not (isinstance(cutoff, str | bool) or _is_number(cutoff)):
        raise SpecError(
            f"indicator {name!r}: cutoff {cutoff!r} must be a number, a string or a boolean"
        )
    if _is_number(cutoff) and not math.isfinite(float(cutoff)):
        raise SpecError(f"indicator {name!r}: cutoff must be finite; got {cutoff!r}")
    return _plain_number(name, cutoff) if _is_number(cutoff) else cutoff


class Spec:
    """A multidimensional poverty specification (the AF dual cutoff).

    Parameters
    ----------
    indicators
        The indicators with their nested weights; the weights must sum to exactly 1
        (within ``1e-9`` for floats).
    k
        Poverty cutoff ``k`` in (0, 1]: a unit is poor when its deprivation score
        ``c_i = sum_j w_j g_ij`` is at least ``k``. Exact: weights and k are held as
        fractions and compared as integers, so a score of exactly ``k`` is poor.
    name
        Short identifier, e.g. ``"global_mpi_2018"``.
    vulnerable
        Lower bound of the vulnerability band: vulnerable when ``vulnerable <= c_i < k``, so
        it must lie in ``(0, k]`` (``vulnerable = k`` leaves the band empty). Default: 1/5,
        or ``k`` when ``k < 1/5``.
    severe
        Severe poverty cutoff: severely poor when ``c_i >= severe``. The severely poor are
        poor, so it must lie in ``[k, 1]``. Default: 1/2, or ``k`` when ``k > 1/2``.
    title, source
        Long title and bibliographic source (shown in results' attributes).

    Examples
    --------
    >>> spec = Spec.from_dimensions({"health": ["nutrition", "child_mortality"],
    ...                              "education": ["schooling"]}, k="1/3")
    >>> spec.weights
    array([0.25, 0.25, 0.5 ])
    >>> spec.integer_weights
    (array([1, 1, 2]), 4)
    """

    def __init__(
        self,
        indicators: Sequence[Indicator],
        *,
        k: Any,
        name: str | None = None,
        vulnerable: Any = None,
        severe: Any = None,
        title: str | None = None,
        source: str | None = None,
    ) -> None:
        if isinstance(indicators, str | Indicator | Mapping) or not isinstance(
            indicators, Iterable
        ):
            raise SpecError(
                f"indicators must be a list of mpi.Indicator objects; got "
                f"{type(indicators).__name__} {indicators!r}"
            )
        indicators = tuple(indicators)
        if not indicators:
            raise SpecError("indicators is empty; a spec needs at least one Indicator")
        for ind in indicators:
            if not isinstance(ind, Indicator):
                raise SpecError(
                    f"indicators must be mpi.Indicator objects; got {type(ind).__name__} {ind!r}"
                )
        names = [ind.name for ind in indicators]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SpecError(f"duplicate indicator names {dup}; every indicator needs a unique name")
        total = sum(ind.weight for ind in indicators)
        if total != 1:
            raise SpecError(
                f"weights must sum to 1 across indicators; got {float(total):.12g} "
                f"(= {fraction_text(total)})"
                + (f" for spec {name!r}" if name else "")
                + ". Weights: "
                + ", ".join(f"{i.name}={fraction_text(i.weight)}" for i in indicators)
            )
        for key, text in (("name", name), ("title", title), ("source", source)):
            if text is not None and not isinstance(text, str):
                raise SpecError(
                    f"the spec's {key} must be a string or None; got {type(text).__name__} "
                    f"{text!r}. In YAML, quote it: {key}: '{text}'"
                )
        self._indicators = indicators
        self.name = name
        self.title = title
        self.source = source
        self.k = self._check_cut(k, "k")
        self.vulnerable, self.severe = self._check_bands(self.k, vulnerable, severe)
        self._den = common_denominator((i.weight for i in indicators), argument="weights")

    @staticmethod
    def _check_cut(value: Any, argument: str) -> Fraction:
        frac = to_fraction(value, argument=argument)
        if not (0 < frac <= 1):
            raise SpecError(
                f"{argument} must be in (0, 1]; got {value!r}. "
                "It is a share of the weighted indicators, e.g. k=1/3"
            )
        return frac

    @classmethod
    def _check_bands(cls, k: Fraction, vulnerable: Any, severe: Any) -> tuple[Fraction, Fraction]:
        """Exact ``(vulnerable, severe)`` with ``0 < vulnerable <= k <= severe <= 1``."""
        k_text = fraction_text(k)
        if vulnerable is None:
            vul = min(DEFAULT_VULNERABLE, k)
        else:
            vul = cls._check_cut(vulnerable, "vulnerable")
            if vul > k:
                raise SpecError(
                    f"vulnerable must be at most k: the vulnerability band is vulnerable <= "
                    f"c < k, just below the poverty cutoff; got vulnerable="
                    f"{fraction_text(vul)} with k={k_text}. Give vulnerable in (0, {k_text}] "
                    "(vulnerable = k leaves the band empty)"
                )
        if severe is None:
            sev = max(DEFAULT_SEVERE, k)
        else:
            sev = cls._check_cut(severe, "severe")
            if sev < k:
                raise SpecError(
                    f"severe must be at least k: the severely poor (c >= severe) are poor "
                    f"(c >= k); got severe={fraction_text(sev)} with k={k_text}. Give severe in "
                    f"[{k_text}, 1]"
                )
        return vul, sev

    # -- accessors ---------------------------------------------------------------------
    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    @property
    def names(self) -> list[str]:
        """Indicator names in spec order."""
        return [i.name for i in self._indicators]

    @property
    def variables(self) -> list[str]:
        """Data variables needed (in spec order, without repeats)."""
        return list(dict.fromkeys(i.variable for i in self._indicators))

    @property
    def weights(self) -> np.ndarray:
        """Weights as float64 (for display and reweighting; identification uses integers)."""
        return np.array([float(i.weight) for i in self._indicators])

    @property
    def dimensions(self) -> list[str]:
        """Dimension names in order of first appearance (an indicator without one is its own)."""
        return list(dict.fromkeys(self.dimension_of(i) for i in self._indicators))

    @staticmethod
    def dimension_of(ind: Indicator) -> str:
        return ind.dimension if ind.dimension is not None else ind.name

    @property
    def dimension_index(self) -> np.ndarray:
        """For each indicator, the position of its dimension in :attr:`dimensions`."""
        dims = self.dimensions
        return np.array([dims.index(self.dimension_of(i)) for i in self._indicators], np.int64)

    @property
    def denominator(self) -> int:
        """Least common denominator L of the weights."""
        return self._den

    @property
    def integer_weights(self) -> tuple[np.ndarray, int]:
        """Weights as integers over their least common denominator: ``(w * L, L)``."""
        L = self._den
        return np.array([int(i.weight * L) for i in self._indicators], np.int64), L

    def cutoff_fraction(self, k: Any = None) -> Fraction:
        """Validated exact k (``None`` gives :attr:`k`)."""
        return self.k if k is None else self._check_cut(k, "k")

    def __len__(self) -> int:
        return len(self._indicators)

    def __iter__(self):
        return iter(self._indicators)

    def __getitem__(self, name: str) -> Indicator:
        for ind in self._indicators:
            if ind.name == name:
                return ind
        raise KeyError(f"no indicator {name!r} in spec; indicators are {self.names}")

    def __eq__(self, other: object) -> bool:
        """Exact equality of :meth:`to_dict`, types included (``"01"``, ``1``, ``1.0`` and
        ``True`` are different categories)."""
        return isinstance(other, Spec) and _typed(self.to_dict()) == _typed(other.to_dict())

    def __hash__(self) -> int:
        return hash(_typed(self.to_dict()))

    def __repr__(self) -> str:
        dwid = max(len(d) for d in self.dimensions)
        lines = [
            f"<mpi.Spec {self.name or '(unnamed)'}: {len(self)} indicators in "
            f"{len(self.dimensions)} dimensions, k={fraction_text(self.k)}, "
            f"vulnerable={fraction_text(self.vulnerable)}, severe={fraction_text(self.severe)}>"
        ]
        wid = max(len(n) for n in self.names)
        for ind in self._indicators:
            dim = self.dimension_of(ind)
            lines.append(
                f"  {dim:<{dwid}} {ind.name:<{wid}}  w={fraction_text(ind.weight):<6} "
                f"deprived if {ind.rule}" + ("  (cardinal)" if ind.cardinal else "")
            )
        return "\n".join(lines)

    def describe(self, k: Any = None) -> str:
        """One-line description of weights and k for result metadata."""
        kk = self.cutoff_fraction(k)
        w = ", ".join(f"{i.name}={fraction_text(i.weight)}" for i in self._indicators)
        return f"k={fraction_text(kk)}; weights: {w}"

    def with_k(self, k: Any, *, vulnerable: Any = None, severe: Any = None) -> Spec:
        """Copy with another poverty cutoff (and, if given, other band cutoffs).

        The bands are kept unless given; a new ``k`` above ``severe`` or below
        ``vulnerable`` is refused (pass ``severe=``/``vulnerable=`` as well).

        Examples
        --------
        >>> spec = Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1"]}, k="1/3")
        >>> spec.with_k("3/4", severe="3/4").severe
        Fraction(3, 4)
        """
        d = self.to_dict()
        d["k"] = k
        for key, value in (("vulnerable", vulnerable), ("severe", severe)):
            if value is not None:
                d[key] = value
        return Spec.from_dict(d)

    # -- constructors ------------------------------------------------------------------
    @classmethod
    def from_dimensions(
        cls,
        dimensions: Mapping[str, Sequence[Any]],
        *,
        k: Any,
        **kwargs: Any,
    ) -> Spec:
        """Equal nested weights: each of D dimensions gets 1/D, shared equally within it.

        Items may be indicator names (then the variable already holds 0/1 deprivation),
        dicts of :class:`Indicator` arguments without ``weight``, or :class:`Indicator`
        objects whose weight is replaced by the nested weight.

        Examples
        --------
        >>> s = Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
        >>> [str(i.weight) for i in s]
        ['1/4', '1/4', '1/4', '1/4']
        """
        if not isinstance(dimensions, Mapping):
            raise SpecError(
                f"dimensions must be a mapping of dimension name to a list of indicators, e.g. "
                f"{{'health': ['nutrition', 'mortality']}}; got {type(dimensions).__name__}"
            )
        if not dimensions:
            raise SpecError("dimensions is empty; give at least one dimension with indicators")
        nd = len(dimensions)
        inds: list[Indicator] = []
        for dim, items in dimensions.items():
            where = f"dimensions[{dim!r}]"
            if isinstance(items, str | bytes | Indicator | Mapping) or not isinstance(
                items, Sequence
            ):
                raise SpecError(
                    f"{where} must be a list of indicators; got {type(items).__name__} "
                    f"{items!r}. Write {{{dim!r}: [{items!r}]}} for a single indicator"
                )
            if not items:
                raise SpecError(f"{where} is an empty list; give at least one indicator")
            w = Fraction(1, nd * len(items))
            for j, item in enumerate(items):
                inds.append(_nested_indicator(item, w, dim, f"{where}[{j}]"))
        return cls(inds, k=k, **kwargs)

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (fractions as strings) used for YAML and JSON."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "k": fraction_text(self.k),
            "vulnerable": fraction_text(self.vulnerable),
            "severe": fraction_text(self.severe),
            "indicators": [i.to_dict() for i in self._indicators],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spec:
        """Inverse of :meth:`to_dict`; also reads hand-written documents.

        Required keys: ``k`` and ``indicators``, a list of mappings each with at least
        ``name`` and ``weight`` (other keys: the arguments of :class:`Indicator`). Optional:
        ``name, title, source, vulnerable, severe``. A malformed document raises
        :class:`~mpi.SpecError` naming the key (e.g. ``indicators[0].cutof``) and the fix.

        Examples
        --------
        >>> doc = {"k": 1, "indicators": [{"name": "a", "weight": 1, "cutof": 3}]}
        >>> try:
        ...     Spec.from_dict(doc)
        ... except SpecError as err:
        ...     print(str(err)[:70])
        indicators[0].cutof: unknown key in indicator 'a'; did you mean 'cutof
        """
        data = _document_mapping(data)
        for key in data:
            if key not in _SPEC_KEYS:
                raise _unknown_key(key, "", " at the top of the spec", _SPEC_KEYS, _SPEC_HINTS)
        if "k" not in data:
            raise SpecError("the spec has no 'k' (poverty cutoff); add e.g. k: 1/3")
        if "indicators" not in data:
            raise SpecError(
                "the spec has no 'indicators'; add a list of indicators, each a mapping with "
                "at least name and weight, e.g. indicators: [{name: a, weight: 1/2}, ...]"
            )
        items = data["indicators"]
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
            raise SpecError(
                f"indicators must be a list of indicator mappings (in YAML, one '- name: ...' "
                f"item per indicator); got {type(items).__name__} {items!r}"
            )
        inds = [_indicator_from_mapping(item, f"indicators[{i}]") for i, item in enumerate(items)]
        kwargs = {key: data[key] for key in ("vulnerable", "severe") if data.get(key) is not None}
        return cls(
            inds,
            k=data["k"],
            name=data.get("name"),
            title=data.get("title"),
            source=data.get("source"),
            **kwargs,
        )

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write the spec as YAML (returned as text; also written to ``path`` if given)."""
        import yaml

        text = yaml.dump(self.to_dict(), Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_yaml(cls, source: str | Path) -> Spec:
        """Read a spec from a YAML file path or YAML text.

        A one-line string ending in ``.yml``, ``.yaml`` or ``.json`` (any case) and any
        :class:`~pathlib.Path` is a file; other strings are YAML text. Duplicate keys are
        refused.
        """
        text, where = _read_text(source, "from_yaml", _TEXT_SUFFIXES)
        return cls.from_dict(_load_yaml(text, where))

    def to_json(self, path: str | Path | None = None) -> str:
        """Write the spec as JSON (returned as text; also written to ``path`` if given)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> Spec:
        """Read a spec from a JSON file path (``.json``, any case) or JSON text."""
        text, where = _read_text(source, "from_json", (".json",))
        return cls.from_dict(_load_json(text, where))

    def to_table(self, path: str | Path | None = None):
        """The spec as a flat table, one row per indicator.

        Columns: ``dimension, indicator, variable, weight, cutoff, rule, cardinal, label,
        description``. Weights are exact fraction strings (``"1/18"``); a 0/1 variable has
        the rule ``flag`` and an empty cutoff. ``path`` ending in ``.csv`` or ``.xlsx`` (any
        case) also writes the file (Excel needs openpyxl, and refuses text with control
        characters such as a carriage return). The table holds the indicators only: pass
        ``k`` (and ``name``, ``title``, ``source``, ``vulnerable``, ``severe``) to
        :meth:`from_table`.

        **Cutoff cells** are text that keeps every type through a round trip:

        * numbers are written plainly (``6``, ``2.5``, ``1e-07``) and read back as ``int``
          (digits only) or ``float`` (with a ``.`` or an exponent);
        * booleans are ``true`` and ``false`` (any case when read);
        * a string is written plainly when it reads back as the same string (``piped``,
          ``小学``, ``C``); otherwise in double quotes with JSON escapes, e.g. ``"01"``,
          ``"1e3"``, ``"True"``, ``" a "``, ``"a|b"``, ``""``, ``"say \\"hi\\""``;
        * the categories of an ``in`` rule are joined with ``|``: ``piped|"01"|3``.

        Examples
        --------
        >>> spec = Spec([Indicator("school", weight=1, cutoff=["01", 2, "none"],
        ...                        deprived_if="in")], k=1)
        >>> spec.to_table().loc[0, "cutoff"]
        '"01"|2|none'
        """
        import pandas as pd

        rows = []
        for ind in self._indicators:
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
        table = pd.DataFrame(rows, columns=list(_TABLE_COLUMNS))
        if path is not None:
            _write_table(table, Path(path))
        return table

    @classmethod
    def from_table(cls, table: Any, *, k: Any, **kwargs: Any) -> Spec:
        """Build a spec from a table (DataFrame, or a ``.csv``/``.xlsx`` path, any case).

        Required columns: ``indicator, weight, rule``; optional: ``dimension, variable,
        cutoff, cardinal, label, description`` (other columns are refused, so that a
        misspelt ``cutof`` is not ignored). ``rule`` is ``flag`` (variable holds 0/1) or one
        of ``< <= > >= == != in``. Cutoff cells follow the conventions of :meth:`to_table`:
        ``6`` and ``2.5`` are numbers, ``true``/``false`` booleans, ``"01"`` (in double
        quotes) and ``piped`` strings, and the categories of ``in`` are separated by ``|``.
        Tables written before the quotes existed read as before, except that bare ``true``
        and ``false`` are booleans and that only plain ASCII numbers are numbers (``nan``,
        ``inf`` and ``1_000`` are strings). Cells of a DataFrame that are not strings (say
        the number ``8``) are taken as they are. Keyword arguments go to :class:`Spec`.
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
        return cls(inds, k=k, **kwargs)


# -- documents: keys, paths, parsing ------------------------------------------------------

_SPEC_KEYS = ("name", "title", "source", "k", "vulnerable", "severe", "indicators")
_SPEC_HINTS = {
    "cutoff": "k",
    "poverty_cutoff": "k",
    "dimensions": "indicators",
    "indicator": "indicators",
    "weights": "indicators",
    "vulnerability": "vulnerable",
    "severity": "severe",
}
_INDICATOR_KEYS = (
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
_INDICATOR_HINTS = {
    "rule": "deprived_if",
    "indicator": "name",
    "threshold": "cutoff",
    "categories": "cutoff",
    "column": "variable",
    "w": "weight",
}
_TABLE_COLUMNS = (
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
_TEXT_SUFFIXES = (".yml", ".yaml", ".json")
_TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")


def _typed(data: Any) -> str:
    """Canonical text of plain data that tells ``1``, ``1.0``, ``True`` and ``"1"`` apart."""
    return json.dumps(data, sort_keys=True, default=repr)


def _guess(key: Any, allowed: Sequence[str], hints: Mapping[str, str]) -> str | None:
    text = str(key).strip().lower()
    if text in hints:
        return hints[text]
    close = difflib.get_close_matches(text, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key(
    key: Any,
    prefix: str,
    context: str,
    allowed: Sequence[str],
    hints: Mapping[str, str] | None = None,
) -> SpecError:
    """``indicators[2].cutof: unknown key in indicator 'x'; did you mean 'cutoff'? ...``"""
    guess = _guess(key, allowed, hints or {})
    fix = f"did you mean {guess!r}?" if guess else "remove it or correct its spelling."
    path = f"{prefix}.{key}" if prefix else str(key)
    return SpecError(f"{path}: unknown key{context}; {fix} Allowed keys: {', '.join(allowed)}")


def _document_mapping(data: Any) -> Mapping[str, Any]:
    if data is None:
        raise SpecError(
            "the spec document is empty; it needs at least k and indicators, e.g. "
            "k: 1/3 and indicators: [{name: a, weight: 1/2}, {name: b, weight: 1/2}]"
        )
    if isinstance(data, Mapping):
        return data
    hint = ""
    if isinstance(data, str):
        hint = (
            ". If it is a file name, the file must exist and end in .yml, .yaml or .json; "
            "give a pathlib.Path to read a file with another extension"
        )
    raise SpecError(
        f"a spec document must be a mapping with keys such as k and indicators; got "
        f"{type(data).__name__} {data!r:.80}{hint}"
    )


def _indicator_from_mapping(item: Any, where: str) -> Indicator:
    """One indicator of a document, errors prefixed with its path (``indicators[2]``)."""
    if isinstance(item, Indicator):
        return item
    if isinstance(item, str):
        raise SpecError(
            f"{where} is the bare name {item!r}; each indicator is a mapping with at least "
            f"name and weight, e.g. {{name: {item}, weight: 1/3}} (Spec.from_dimensions "
            "takes bare names and gives equal nested weights)"
        )
    if not isinstance(item, Mapping):
        raise SpecError(
            f"{where} must be a mapping with at least name and weight; got "
            f"{type(item).__name__} {item!r}"
        )
    name = item.get("name")
    context = f" in indicator {name!r}" if isinstance(name, str) else ""
    for key in item:
        if key not in _INDICATOR_KEYS:
            raise _unknown_key(key, where, context, _INDICATOR_KEYS, _INDICATOR_HINTS)
    if "name" not in item:
        raise SpecError(f"{where} has no 'name'; add e.g. name: nutrition")
    if "weight" not in item:
        raise SpecError(f"{where}{context} has no 'weight'; add e.g. weight: 1/6")
    kw = dict(item)
    try:
        return Indicator(kw.pop("name"), **kw)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None


def _nested_indicator(item: Any, weight: Fraction, dim: str, where: str) -> Indicator:
    """An item of :meth:`Spec.from_dimensions` with its nested weight."""
    if isinstance(item, Indicator):
        return item.replace(weight=weight, dimension=dim)
    if isinstance(item, str):
        return _indicator_from_mapping({"name": item, "weight": weight, "dimension": dim}, where)
    if isinstance(item, Mapping):
        if "weight" in item:
            raise SpecError(
                f"{where}: indicator {item.get('name')!r} in from_dimensions must not carry a "
                "weight; weights come from the nesting. Build Spec(...) directly for unequal "
                "weights"
            )
        if item.get("dimension") not in (None, dim):
            raise SpecError(
                f"{where}: indicator {item.get('name')!r} has dimension "
                f"{item.get('dimension')!r} but is listed under {dim!r}; drop its dimension"
            )
        return _indicator_from_mapping({**item, "weight": weight, "dimension": dim}, where)
    raise SpecError(
        f"{where}: cannot make an indicator from {type(item).__name__} {item!r}; give a "
        "name, a mapping of Indicator arguments (without weight) or an mpi.Indicator"
    )


def _as_path(source: Any) -> Path | None:
    """A path: any ``PathLike``, or a one-line string with a spec file extension (any case)."""
    if isinstance(source, os.PathLike):
        return Path(source)
    if isinstance(source, str) and "\n" not in source:
        if Path(source).suffix.lower() in _TEXT_SUFFIXES + _TABLE_SUFFIXES:
            return Path(source)
    return None


def _read_text(source: Any, method: str, suffixes: tuple[str, ...]) -> tuple[str, str]:
    """``(text, where)`` from a path or text; ``where`` names the source in messages."""
    path = _as_path(source)
    if path is None:
        if isinstance(source, bytes):
            return source.decode("utf-8"), "the spec text"
        if not isinstance(source, str):
            raise SpecError(
                f"Spec.{method} takes a file path or text; got {type(source).__name__}. "
                "Use Spec.from_dict for a mapping"
            )
        return source, "the spec text"
    suffix = path.suffix.lower()
    if suffix in _TABLE_SUFFIXES:
        raise SpecError(
            f"{str(path)!r} is a table ({suffix}); read it with Spec.from_table(path, k=...)"
        )
    if suffix in _TEXT_SUFFIXES and suffix not in suffixes:
        raise SpecError(
            f"Spec.{method} reads {' or '.join(suffixes)} files; {str(path)!r} is {suffix}: "
            "read it with Spec.from_yaml"
        )
    where = f"spec file {str(path)!r}"
    if not path.exists():
        raise SpecError(f"{where} does not exist (looked in {str(path.absolute().parent)!r})")
    if not path.is_file():
        raise SpecError(f"{where} is not a file")
    try:
        return path.read_text(encoding="utf-8-sig"), where
    except UnicodeDecodeError as err:
        raise SpecError(f"{where} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise SpecError(f"cannot read {where}: {err}") from None


@cache
def _yaml_loader() -> type:
    """A safe YAML loader that refuses duplicate keys (PyYAML keeps the last silently)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        loader.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:
                raise SpecError(f"line {line}: a key must be a plain value; got {key!r}") from None
            if first is not None:
                raise SpecError(
                    f"line {line}: duplicate key {key!r} (first at line {first}); give each "
                    "key once"
                )
            seen[key] = line
        return loader.construct_mapping(node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


@cache
def _yaml_dumper() -> type:
    """A safe YAML dumper that double-quotes (and so escapes) strings with invisible
    characters: PyYAML writes a bare NEL (``\x85``) that its reader takes as a line break."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = '"' if any(_invisible(c) for c in value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


def _load_yaml(text: str, where: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        raise SpecError(f"{where} is not valid YAML: {err}") from None
    except SpecError as err:
        raise SpecError(f"{where}, {err}") from None


def _load_json(text: str, where: str) -> Any:
    if not text.strip():
        return None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise SpecError(f"{where}: duplicate key {key!r}; give each key once")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as err:
        raise SpecError(f"{where} is not valid JSON: {err}") from None


# -- tables: cells -------------------------------------------------------------------------

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EXCEL_BAD = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_JSON = json.JSONDecoder()


def _invisible(char: str) -> bool:
    """Control, format, unassigned characters and line separators (escaped in quotes)."""
    return unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")


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
    body = "".join(json.dumps(c)[1:-1] if c in '"\\' or _invisible(c) else c for c in text)
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
        and not any(_invisible(c) for c in value)
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
        if col not in _TABLE_COLUMNS:
            guess = _guess(col, _TABLE_COLUMNS, _TABLE_HINTS)
            fix = f"did you mean {guess!r}?" if guess else "remove it or correct its name."
            raise SpecError(
                f"{where}: unknown column {col!r}; {fix} Allowed columns: "
                f"{', '.join(_TABLE_COLUMNS)}"
            )
    missing = [c for c in ("indicator", "weight", "rule") if c not in columns]
    if missing:
        raise SpecError(f"{where} lacks columns {missing}; it has {columns}")


def _read_table_file(path: Path) -> Any:
    import zipfile

    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
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
