"""One deprivation indicator (:class:`Indicator`): variable, cutoff, rule and nested weight."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np

from mpi._common.exact import fraction_text, to_fraction
from mpi.errors import SpecError
from mpi.measurement._spec_common import INDICATOR_KEYS, typed, unknown_key

__all__ = ["Indicator", "RULES"]

#: Deprivation rules: the unit is deprived when ``value <rule> cutoff``.
RULES: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=", "in")
_ORDER_RULES = ("<", "<=", ">", ">=")


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
        return isinstance(other, Indicator) and typed(self.to_dict()) == typed(other.to_dict())

    def __hash__(self) -> int:
        return hash(typed(self.to_dict()))

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
        """Copy with some fields changed (weights are re-validated).

        Parameters
        ----------
        **changes
            New values of any of the :class:`Indicator` arguments (``weight``, ``cutoff``,
            ``label`` ...).

        Returns
        -------
        Indicator
            A new indicator; this one is unchanged.
        """
        for key in changes:
            if key not in INDICATOR_KEYS:
                raise unknown_key(key, "", " for Indicator.replace", INDICATOR_KEYS)
        kw = self.to_dict()
        kw.update(changes)
        if "deprived_if" not in changes and kw.get("cutoff") is None:
            kw["deprived_if"] = "<"
        return Indicator(**kw)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form used by YAML/JSON (weights as exact fraction strings).

        Returns
        -------
        dict
            ``name, dimension, variable, weight, cutoff, deprived_if`` and, when they differ
            from the defaults, ``cardinal``, ``label`` and ``description``.
        """
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
