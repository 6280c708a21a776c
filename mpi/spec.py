"""Poverty specifications: indicators, deprivation cutoffs, nested weights and the cutoff k.

A :class:`Spec` is data, not code: it reads and writes YAML, JSON and a flat table
(CSV or Excel) so that statistics offices can keep their definitions outside Python.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SpecError
from .exact import common_denominator, fraction_text, to_fraction

__all__ = ["Indicator", "Spec", "RULES"]

#: Deprivation rules: the unit is deprived when ``value <rule> cutoff``.
RULES: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=", "in")
_ORDER_RULES = ("<", "<=", ">", ">=")


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


@dataclass(frozen=True)
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
        Display label for tables and charts (any language, e.g. ``"营养"``).
    description
        Free text: the official definition.

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
        if isinstance(cutoff, str | bytes) or not isinstance(cutoff, Iterable):
            raise SpecError(
                f"indicator {name!r} uses deprived_if='in', so cutoff must be a list of "
                f"categories; got {cutoff!r}. Write cutoff=[{cutoff!r}]"
            )
        cats = tuple(c.item() if isinstance(c, np.generic) else c for c in cutoff)
        if not cats:
            raise SpecError(f"indicator {name!r}: the list of categories for 'in' is empty")
        if len(set(cats)) != len(cats):
            raise SpecError(f"indicator {name!r}: duplicate categories in {list(cats)!r}")
        for c in cats:
            if not (isinstance(c, str | bool) or _is_number(c)):
                raise SpecError(
                    f"indicator {name!r}: category {c!r} must be a string or a number"
                )
            if _is_number(c) and not math.isfinite(float(c)):
                raise SpecError(f"indicator {name!r}: category {c!r} must be finite")
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
        return cutoff
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
    return cutoff


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
        Lower bound of the vulnerability band: vulnerable when ``vulnerable <= c_i < k``.
    severe
        Severe poverty cutoff: severely poor when ``c_i >= severe``.
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
        vulnerable: Any = "1/5",
        severe: Any = "1/2",
        title: str | None = None,
        source: str | None = None,
    ) -> None:
        indicators = tuple(indicators)
        if not indicators:
            raise SpecError("indicators is empty; a spec needs at least one Indicator")
        for ind in indicators:
            if not isinstance(ind, Indicator):
                raise SpecError(
                    f"indicators must be mpi.Indicator objects; got {type(ind).__name__} "
                    f"{ind!r}"
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
        self._indicators = indicators
        self.name = name
        self.title = title
        self.source = source
        self.k = self._check_cut(k, "k")
        self.vulnerable = self._check_cut(vulnerable, "vulnerable")
        self.severe = self._check_cut(severe, "severe")
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
        return isinstance(other, Spec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True, default=str))

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

    def with_k(self, k: Any) -> Spec:
        """Copy with another poverty cutoff."""
        d = self.to_dict()
        d["k"] = k
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
        if not dimensions:
            raise SpecError("dimensions is empty; give at least one dimension with indicators")
        nd = len(dimensions)
        inds: list[Indicator] = []
        for dim, items in dimensions.items():
            if isinstance(items, str | Indicator | Mapping) or not len(items):
                raise SpecError(
                    f"dimension {dim!r} must map to a non-empty list of indicators; got {items!r}"
                )
            w = Fraction(1, nd * len(items))
            for item in items:
                if isinstance(item, Indicator):
                    inds.append(item.replace(weight=w, dimension=dim))
                elif isinstance(item, str):
                    inds.append(Indicator(item, weight=w, dimension=dim))
                elif isinstance(item, Mapping):
                    kw = dict(item)
                    if "weight" in kw:
                        raise SpecError(
                            f"indicator {kw.get('name')!r} in from_dimensions must not carry a "
                            "weight; weights come from the nesting. Build Spec(...) directly "
                            "for unequal weights"
                        )
                    kw["dimension"] = dim
                    inds.append(Indicator(kw.pop("name"), weight=w, **kw))
                else:
                    raise SpecError(f"cannot make an indicator from {item!r} in dimension {dim!r}")
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
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping):
            raise SpecError(f"a spec must be a mapping; got {type(data).__name__}")
        unknown = set(data) - {
            "name", "title", "source", "k", "vulnerable", "severe", "indicators"
        }
        if unknown:
            raise SpecError(f"unknown spec fields {sorted(unknown)}")
        if "k" not in data:
            raise SpecError("the spec has no 'k' (poverty cutoff); add e.g. k: 1/3")
        if "indicators" not in data:
            raise SpecError("the spec has no 'indicators' list")
        inds = []
        for item in data["indicators"]:
            kw = dict(item)
            if "name" not in kw or "weight" not in kw:
                raise SpecError(f"each indicator needs a name and a weight; got {item!r}")
            inds.append(Indicator(kw.pop("name"), **kw))
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

        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_yaml(cls, source: str | Path) -> Spec:
        """Read a spec from a YAML file path or YAML text."""
        import yaml

        return cls.from_dict(yaml.safe_load(_read_text(source, (".yml", ".yaml"))))

    def to_json(self, path: str | Path | None = None) -> str:
        """Write the spec as JSON (returned as text; also written to ``path`` if given)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> Spec:
        """Read a spec from a JSON file path or JSON text."""
        return cls.from_dict(json.loads(_read_text(source, (".json",))))

    def to_table(self, path: str | Path | None = None):
        """The spec as a flat table, one row per indicator.

        Columns: ``dimension, indicator, variable, weight, cutoff, rule, cardinal, label,
        description``. Weights are exact fraction strings (``"1/18"``); the categories of an
        ``in`` rule are joined with ``|``. ``path`` ending in ``.csv`` or ``.xlsx`` also
        writes the file (Excel needs openpyxl). k is not a column: pass it to
        :meth:`from_table`.
        """
        import pandas as pd

        rows = []
        for ind in self._indicators:
            if ind.cutoff is None:
                cutoff, rule = "", "flag"
            elif ind.deprived_if == "in":
                cutoff, rule = "|".join(str(c) for c in ind.cutoff), "in"
            else:
                cutoff, rule = ind.cutoff, ind.deprived_if
            rows.append(
                {
                    "dimension": ind.dimension or "",
                    "indicator": ind.name,
                    "variable": ind.variable,
                    "weight": fraction_text(ind.weight),
                    "cutoff": cutoff,
                    "rule": rule,
                    "cardinal": ind.cardinal,
                    "label": ind.label or "",
                    "description": ind.description or "",
                }
            )
        table = pd.DataFrame(rows)
        if path is not None:
            p = Path(path)
            if p.suffix == ".csv":
                table.to_csv(p, index=False)
            elif p.suffix == ".xlsx":
                with pd.ExcelWriter(p, engine="openpyxl") as writer:
                    table.to_excel(writer, index=False, sheet_name="spec")
                    sheet = writer.sheets["spec"]
                    for row in sheet.iter_rows(min_row=2):
                        for cell in row:  # '==' would otherwise be stored as a formula
                            if isinstance(cell.value, str) and cell.value.startswith("="):
                                cell.data_type = "s"
            else:
                raise SpecError(f"path must end in .csv or .xlsx; got {str(path)!r}")
        return table

    @classmethod
    def from_table(cls, table: Any, *, k: Any, **kwargs: Any) -> Spec:
        """Build a spec from a table (DataFrame, or a ``.csv``/``.xlsx`` path).

        Required columns: ``indicator, weight, rule``; optional: ``dimension, variable,
        cutoff, cardinal, label, description``. ``rule`` is ``flag`` (variable holds 0/1) or
        one of ``< <= > >= == != in``; for ``in`` the cutoff lists categories separated by
        ``|``. Numeric-looking cutoffs are read as numbers.
        """
        import pandas as pd

        if isinstance(table, str | Path):
            p = Path(table)
            if p.suffix == ".csv":
                table = pd.read_csv(p, dtype=str, keep_default_na=False)
            elif p.suffix in (".xlsx", ".xls"):
                table = pd.read_excel(p, dtype=str, keep_default_na=False)
            else:
                raise SpecError(f"table path must end in .csv or .xlsx; got {str(p)!r}")
        if not isinstance(table, pd.DataFrame):
            raise SpecError(f"table must be a DataFrame or a file path; got {type(table).__name__}")
        missing = {"indicator", "weight", "rule"} - set(table.columns)
        if missing:
            raise SpecError(
                f"the spec table lacks columns {sorted(missing)}; it has {list(table.columns)}"
            )
        inds = []
        for row in table.to_dict("records"):
            rule = str(row["rule"]).strip()
            raw = row.get("cutoff", "")
            raw = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else raw
            if rule == "flag":
                cutoff, deprived_if = None, "<"
            elif rule == "in":
                cutoff = [_parse_scalar(c) for c in str(raw).split("|")]
                deprived_if = "in"
            else:
                cutoff, deprived_if = _parse_scalar(raw), rule
            card = row.get("cardinal", "")
            cardinal = None if str(card).strip() in ("", "nan") else _parse_bool(card)
            text = {
                key: (str(row.get(key)) if row.get(key) not in (None, "") else None)
                for key in ("dimension", "variable", "label", "description")
            }
            for key, val in text.items():
                if val is not None and val.lower() == "nan":
                    text[key] = None
            inds.append(
                Indicator(
                    str(row["indicator"]),
                    weight=str(row["weight"]),
                    cutoff=cutoff,
                    deprived_if=deprived_if,
                    cardinal=cardinal,
                    **text,
                )
            )
        return cls(inds, k=k, **kwargs)


def _read_text(source: str | Path, suffixes: tuple[str, ...]) -> str:
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith(suffixes)
    ):
        p = Path(source)
        if not p.exists():
            raise SpecError(f"spec file {str(p)!r} does not exist")
        return p.read_text(encoding="utf-8")
    return str(source)


def _parse_scalar(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    s = text.strip()
    if s == "":
        raise SpecError("a cutoff cell is empty but the rule needs a cutoff; use rule 'flag'")
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def _parse_bool(text: Any) -> bool:
    s = str(text).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise SpecError(f"cardinal must be true or false; got {text!r}")
