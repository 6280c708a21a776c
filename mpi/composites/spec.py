"""The specification of a composite index: indicators, dimensions, normalisation, means.

A :class:`CompositeSpec` is plain data, written once (in Python or YAML, see
:mod:`mpi.composites.spec_io`) and checked when it is made: weights that do not sum to 1
within a level, an unknown normalisation or mean, goalposts with ``min >= max`` or a
non-positive goalpost under a log transform are errors that name the indicator and the fix.

The hierarchy has three levels, as in the OECD/JRC Handbook (2008) and the UNDP Human
Development Index: indicator → dimension → index. Each indicator has a weight within its
dimension, each dimension a weight in the index, and each level its own mean (arithmetic,
geometric or harmonic).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mpi.composites.spec_io import (
    KIND,
    document_fields,
    read_document,
    weight_text,
    write_document,
)
from mpi.errors import SpecError

__all__ = [
    "NORMALISATIONS",
    "MEANS",
    "MISSING_RULES",
    "TRANSFORMS",
    "CompositeIndicator",
    "Dimension",
    "CompositeSpec",
    "as_weight",
]

#: Normalisations of the indicators (see :func:`mpi.composites.engine.evaluate`).
NORMALISATIONS = ("goalposts", "minmax", "zscore", "rank", "frontier")
#: Means of a level of the hierarchy.
MEANS = ("arithmetic", "geometric", "harmonic")
#: Rules for a missing indicator value.
MISSING_RULES = ("drop", "reweight", "impute")
#: Transforms applied to an indicator before it is normalised.
TRANSFORMS = (None, "log")
#: Tolerance of a float weight sum (weights given as fractions are checked exactly).
WEIGHT_TOLERANCE = 1e-9

_DIRECTIONS = {1: 1, -1: -1, "+": 1, "-": -1, "positive": 1, "negative": -1}


def as_weight(value: Any, *, argument: str) -> Fraction | float:
    """A weight as a :class:`~fractions.Fraction` (ints, fractions, ``"1/3"``) or a float.

    Parameters
    ----------
    value
        The weight.
    argument
        Name used in error messages.

    Returns
    -------
    fractions.Fraction or float
        Positive and finite.
    """
    if isinstance(value, bool):
        raise SpecError(f"{argument}: must be a number; got the boolean {value!r}")
    if isinstance(value, Fraction | int):
        out: Fraction | float = Fraction(value)
    elif isinstance(value, str):
        try:
            out = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise SpecError(
                f"{argument}: {value!r} is not a number; write it like 0.25, 1/3 or 2"
            ) from None
    elif isinstance(value, float):
        out = float(value)
    else:
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise SpecError(
                f"{argument}: must be a number; got {type(value).__name__} {value!r}"
            ) from None
    if not (math.isfinite(out) and out > 0):
        raise SpecError(f"{argument}: must be positive and finite; got {value!r}")
    return out


def _check_sum(weights: Iterable[Fraction | float], where: str) -> None:
    ws = list(weights)
    if all(isinstance(w, Fraction) for w in ws):
        total: Fraction | float = sum(ws, Fraction(0))
        ok = total == 1
    else:
        total = math.fsum(float(w) for w in ws)
        ok = abs(total - 1.0) <= WEIGHT_TOLERANCE
    if not ok:
        shown = str(total) if isinstance(total, Fraction) else f"{total:.12g}"
        raise SpecError(
            f"weights of {where} sum to {shown}, not 1; make them sum to 1 (for example "
            f"divide each by {shown})"
        )


def _pair(value: Any, argument: str, *, open_ends: bool) -> tuple[float | None, float | None]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SpecError(f"{argument}: must be a pair [min, max]; got {value!r}")
    out: list[float | None] = []
    for v in value:
        if v is None and open_ends:
            out.append(None)
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise SpecError(f"{argument}: {v!r} is not a number") from None
        if not math.isfinite(f):
            raise SpecError(f"{argument}: must be finite; got {v!r}")
        out.append(f)
    lo, hi = out
    if lo is not None and hi is not None and not lo < hi:
        raise SpecError(f"{argument}: needs min < max; got [{lo}, {hi}]")
    return lo, hi


@dataclass(frozen=True)
class CompositeIndicator:
    """One indicator of a composite index.

    Parameters
    ----------
    name : str
        Column of the table holding the indicator.
    dimension : str
        Name of the dimension it belongs to.
    weight : Fraction, int, str or float
        Weight within the dimension; the weights of a dimension sum to 1.
    direction : {1, -1, "+", "-"}, default 1
        1 when a higher value is better (piped water), -1 when it is worse (infant mortality).
    transform : {None, "log"}, default None
        Applied before normalising (``log`` for skewed quantities such as income, as the HDI
        does for GNI per capita); the goalposts are transformed too.
    goalposts : (float, float), optional
        ``(min, max)`` in the indicator's units for the ``"goalposts"`` normalisation;
        ``None`` uses the smallest and largest value in the table.
    cap : (float or None, float or None), optional
        Winsorisation of the raw values before anything else (either end may be open); every
        capped value is counted in the result.
    units, label : str
        Units and a readable name, for tables and charts.
    """

    name: str
    dimension: str
    weight: Fraction | float = Fraction(1)
    direction: int = 1
    transform: str | None = None
    goalposts: tuple[float, float] | None = None
    cap: tuple[float | None, float | None] | None = None
    units: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        where = f"indicator {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"indicator name: must be a non-empty string; got {self.name!r}")
        if not isinstance(self.dimension, str) or not self.dimension:
            raise SpecError(
                f"{where}: dimension must be a non-empty string; got {self.dimension!r}"
            )
        set_ = object.__setattr__
        set_(self, "weight", as_weight(self.weight, argument=f"weight of {where}"))
        if self.direction not in _DIRECTIONS:
            raise SpecError(
                f"{where}: direction must be + (higher is better) or - (higher is worse); "
                f"got {self.direction!r}"
            )
        set_(self, "direction", _DIRECTIONS[self.direction])
        if self.transform not in TRANSFORMS:
            raise SpecError(f"{where}: transform must be null or 'log'; got {self.transform!r}")
        if self.goalposts is not None:
            lo, hi = _pair(self.goalposts, f"goalposts of {where}", open_ends=False)
            assert lo is not None and hi is not None
            if self.transform == "log" and lo <= 0:
                raise SpecError(f"goalposts of {where}: a log transform needs min > 0; got {lo}")
            set_(self, "goalposts", (lo, hi))
        if self.cap is not None:
            cap = _pair(self.cap, f"cap of {where}", open_ends=True)
            if self.transform == "log" and cap[0] is not None and cap[0] <= 0:
                raise SpecError(f"cap of {where}: a log transform needs a lower cap > 0")
            set_(self, "cap", None if cap == (None, None) else cap)


@dataclass(frozen=True)
class Dimension:
    """A dimension: a weighted mean of its indicators.

    Parameters
    ----------
    name : str
        Name of the dimension.
    weight : Fraction, int, str or float
        Weight in the index; the dimension weights sum to 1.
    mean : {"arithmetic", "geometric", "harmonic"}, default "arithmetic"
        Mean of the dimension's indicator scores.
    label : str
        A readable name.
    """

    name: str
    weight: Fraction | float = Fraction(1)
    mean: str = "arithmetic"
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"dimension name: must be a non-empty string; got {self.name!r}")
        w = as_weight(self.weight, argument=f"weight of dimension {self.name!r}")
        object.__setattr__(self, "weight", w)
        if self.mean not in MEANS:
            raise SpecError(
                f"mean of dimension {self.name!r}: must be one of {', '.join(MEANS)}; "
                f"got {self.mean!r}"
            )


def _check_mean_normalisation(normalisation: str, means: Iterable[str]) -> None:
    if normalisation == "zscore":
        bad = sorted({m for m in means if m != "arithmetic"})
        if bad:
            raise SpecError(
                f"normalisation 'zscore' gives negative scores, which a {bad[0]} mean cannot "
                "take; use the arithmetic mean, or the goalposts, minmax, rank or frontier "
                "normalisation"
            )


@dataclass(frozen=True)
class CompositeSpec:
    """A composite index: indicators grouped in dimensions, normalised and averaged.

    Parameters
    ----------
    name : str
        Short name (``"hdi"``).
    indicators : sequence of CompositeIndicator or mappings
        The indicators; mappings are passed to :class:`CompositeIndicator`.
    dimensions : sequence of Dimension or mappings, optional
        The dimensions; default: one dimension per distinct ``dimension`` of the indicators,
        equally weighted, arithmetic.
    normalisation : {"goalposts", "minmax", "zscore", "rank", "frontier"}, default "goalposts"
        How indicator values become scores (see :func:`mpi.composites.engine.evaluate`).
    mean : {"arithmetic", "geometric", "harmonic"}, default "arithmetic"
        Mean of the dimension scores (the index level).
    floor : float, optional
        In geometric and harmonic means, scores below ``floor`` are raised to it (counted);
        ``None``: a score of 0 makes the mean 0.
    scale : float, default 1
        The index is the top-level mean times ``scale`` (100 for a 0--100 index).
    missing : {"drop", "reweight", "impute"}, default "drop"
        A unit with a missing indicator is dropped (counted), or the indicator's weight is
        shared among the dimension's other indicators, or the value is imputed by the group
        mean (the ``by`` groups of :func:`mpi.composite`; counted).
    clip : bool, default True
        With goalposts, clip scores to [0, 1] (values beyond a goalpost are counted).
    title, source : str
        A readable title and the source of the method.
    references : sequence of str
        Citations.
    """

    name: str
    indicators: tuple[CompositeIndicator, ...]
    dimensions: tuple[Dimension, ...] = ()
    normalisation: str = "goalposts"
    mean: str = "arithmetic"
    floor: float | None = None
    scale: float = 1.0
    missing: str = "drop"
    clip: bool = True
    title: str = ""
    source: str = ""
    references: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"name: must be a non-empty string; got {self.name!r}")
        inds = tuple(
            i if isinstance(i, CompositeIndicator) else _from_mapping(CompositeIndicator, i, j)
            for j, i in enumerate(self.indicators)
        )
        if not inds:
            raise SpecError("indicators: a composite index needs at least one indicator")
        names = [i.name for i in inds]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SpecError(f"indicators: {dup} appear more than once; give each indicator once")
        dims = tuple(
            d if isinstance(d, Dimension) else _from_mapping(Dimension, d, j)
            for j, d in enumerate(self.dimensions)
        )
        used = list(dict.fromkeys(i.dimension for i in inds))
        if not dims:
            dims = tuple(Dimension(d, Fraction(1, len(used))) for d in used)
        dnames = [d.name for d in dims]
        dup = sorted({n for n in dnames if dnames.count(n) > 1})
        if dup:
            raise SpecError(f"dimensions: {dup} appear more than once; give each dimension once")
        unknown = [d for d in used if d not in dnames]
        if unknown:
            raise SpecError(
                f"indicators: dimension {unknown[0]!r} is not among the dimensions "
                f"{dnames}; add it to dimensions or fix the indicator's dimension"
            )
        empty = [d for d in dnames if d not in used]
        if empty:
            raise SpecError(f"dimensions: {empty} have no indicator; remove them or add some")
        _check_sum((d.weight for d in dims), "the dimensions")
        for d in dnames:
            _check_sum((i.weight for i in inds if i.dimension == d), f"dimension {d!r}")
        if self.normalisation not in NORMALISATIONS:
            raise SpecError(
                f"normalisation: must be one of {', '.join(NORMALISATIONS)}; "
                f"got {self.normalisation!r}"
            )
        if self.mean not in MEANS:
            raise SpecError(f"mean: must be one of {', '.join(MEANS)}; got {self.mean!r}")
        if self.missing not in MISSING_RULES:
            raise SpecError(
                f"missing: must be one of {', '.join(MISSING_RULES)}; got {self.missing!r}"
            )
        _check_mean_normalisation(self.normalisation, [self.mean, *(d.mean for d in dims)])
        if self.floor is not None:
            floor = float(self.floor)
            if not (0 < floor < 1):
                raise SpecError(f"floor: must be null or between 0 and 1; got {self.floor!r}")
            set_(self, "floor", floor)
        scale = float(self.scale)
        if not (math.isfinite(scale) and scale > 0):
            raise SpecError(f"scale: must be positive and finite; got {self.scale!r}")
        if not isinstance(self.clip, bool):
            raise SpecError(f"clip: must be true or false; got {self.clip!r}")
        # indicators in dimension order, so that each dimension's indicators are contiguous
        order = {d: k for k, d in enumerate(dnames)}
        inds = tuple(sorted(inds, key=lambda i: order[i.dimension]))
        set_(self, "indicators", inds)
        set_(self, "dimensions", dims)
        set_(self, "scale", scale)
        set_(self, "references", tuple(str(r) for r in self.references))

    @property
    def indicator_names(self) -> tuple[str, ...]:
        """Names (table columns) of the indicators, dimension by dimension."""
        return tuple(i.name for i in self.indicators)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """Names of the dimensions."""
        return tuple(d.name for d in self.dimensions)

    def replace(self, **changes: Any) -> CompositeSpec:
        """A copy with some fields changed (and checked again).

        Parameters
        ----------
        **changes
            Fields of :class:`CompositeSpec`, e.g. ``mean="arithmetic"``.

        Returns
        -------
        CompositeSpec
        """
        return dataclasses.replace(self, **changes)

    # YAML and plain data (mpi.composites.spec_io does the work)
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (the YAML document).

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {"kind": KIND, "name": self.name}
        if self.title:
            out["title"] = self.title
        if self.source:
            out["source"] = self.source
        if self.references:
            out["references"] = list(self.references)
        scale = int(self.scale) if float(self.scale).is_integer() else self.scale
        out.update(
            normalisation=self.normalisation,
            mean=self.mean,
            floor=self.floor,
            scale=scale,
            missing=self.missing,
            clip=self.clip,
        )
        out["dimensions"] = [
            {"name": d.name, "weight": weight_text(d.weight), "mean": d.mean}
            | ({"label": d.label} if d.label else {})
            for d in self.dimensions
        ]
        out["indicators"] = [_indicator_data(i) for i in self.indicators]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompositeSpec:
        """A spec from plain data (as :meth:`to_dict` writes it).

        Parameters
        ----------
        data : mapping
            Keys as in the YAML document.

        Returns
        -------
        CompositeSpec
        """
        return cls(**document_fields(data))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The spec as YAML text, also written to ``path`` when given.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            File to write.

        Returns
        -------
        str
        """
        return write_document(self.to_dict(), path)

    @classmethod
    def from_yaml(cls, source: str | Path) -> CompositeSpec:
        """A spec from a YAML file (a path) or YAML text.

        Parameters
        ----------
        source : str or pathlib.Path
            A ``.yml``/``.yaml`` path or the YAML text.

        Returns
        -------
        CompositeSpec
        """
        return cls.from_dict(read_document(source))


def _from_mapping(cls: type, item: Any, position: int) -> Any:
    where = f"{'indicators' if cls is CompositeIndicator else 'dimensions'}[{position}]"
    if not isinstance(item, Mapping):
        raise SpecError(
            f"{where}: give a {cls.__name__} or a mapping of its fields; got "
            f"{type(item).__name__} {item!r:.60}"
        )
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(item) - fields)
    if unknown:
        raise SpecError(
            f"{where} ({item.get('name', '')!r}): unknown key(s) {unknown}; the keys are "
            f"{', '.join(sorted(fields))}"
        )
    try:
        return cls(**item)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None


def _indicator_data(i: CompositeIndicator) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": i.name,
        "dimension": i.dimension,
        "weight": weight_text(i.weight),
        "direction": "+" if i.direction == 1 else "-",
        "transform": i.transform,
        "goalposts": list(i.goalposts) if i.goalposts is not None else None,
    }
    if i.cap is not None:
        item["cap"] = list(i.cap)
    if i.units:
        item["units"] = i.units
    if i.label:
        item["label"] = i.label
    return item
