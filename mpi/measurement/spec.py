"""Poverty specifications: indicators, deprivation cutoffs, nested weights and the cutoff k.

A :class:`Spec` is data, not code: it reads and writes YAML, JSON and a flat table
(CSV or Excel) so that statistics offices can keep their definitions outside Python.
Every format round-trips exactly: ``Spec.from_yaml(spec.to_yaml()) == spec``, likewise for
JSON, :meth:`Spec.to_dict` and (with the spec-level fields passed as arguments) the table.

The pieces: :mod:`mpi.measurement.indicator` (one :class:`Indicator`),
:mod:`mpi.measurement.spec_io` (YAML, JSON and plain-data documents) and
:mod:`mpi.measurement.spec_table` (CSV and Excel tables); this module holds :class:`Spec` and
re-exports :class:`Indicator` and :data:`RULES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.exact import common_denominator, fraction_text, to_fraction
from mpi.errors import SpecError
from mpi.measurement._spec_common import SPEC_HINTS, SPEC_KEYS, TEXT_SUFFIXES, typed, unknown_key
from mpi.measurement.indicator import RULES, Indicator
from mpi.measurement.spec_io import (
    document_mapping,
    dump_json,
    dump_yaml,
    indicator_from_mapping,
    load_json,
    load_yaml,
    nested_indicator,
    read_text,
    write_text,
)
from mpi.measurement.spec_table import indicators_from_table, indicators_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Indicator", "Spec", "RULES", "DEFAULT_VULNERABLE", "DEFAULT_SEVERE"]

#: Default band cutoffs (global MPI): vulnerable from 1/5, severe from 1/2.
DEFAULT_VULNERABLE = Fraction(1, 5)
DEFAULT_SEVERE = Fraction(1, 2)


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
        """The indicators in spec order."""
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
        """The dimension of an indicator (its own name when it has none).

        Parameters
        ----------
        ind
            An indicator.

        Returns
        -------
        str
        """
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
        """Validated exact k.

        Parameters
        ----------
        k
            A poverty cutoff in (0, 1] (number, ``"1/3"`` or Fraction); ``None`` gives
            :attr:`k`.

        Returns
        -------
        fractions.Fraction
        """
        return self.k if k is None else self._check_cut(k, "k")

    def __len__(self) -> int:
        return len(self._indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._indicators)

    def __getitem__(self, name: str) -> Indicator:
        for ind in self._indicators:
            if ind.name == name:
                return ind
        raise KeyError(f"no indicator {name!r} in spec; indicators are {self.names}")

    def __eq__(self, other: object) -> bool:
        """Exact equality of :meth:`to_dict`, types included (``"01"``, ``1``, ``1.0`` and
        ``True`` are different categories)."""
        return isinstance(other, Spec) and typed(self.to_dict()) == typed(other.to_dict())

    def __hash__(self) -> int:
        return hash(typed(self.to_dict()))

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
        """One-line description of weights and k for result metadata.

        Parameters
        ----------
        k
            The poverty cutoff to describe (default: :attr:`k`).

        Returns
        -------
        str
            ``"k=1/3; weights: a=1/4, ..."``.
        """
        kk = self.cutoff_fraction(k)
        w = ", ".join(f"{i.name}={fraction_text(i.weight)}" for i in self._indicators)
        return f"k={fraction_text(kk)}; weights: {w}"

    def with_k(self, k: Any, *, vulnerable: Any = None, severe: Any = None) -> Spec:
        """Copy with another poverty cutoff (and, if given, other band cutoffs).

        The bands are kept unless given; a new ``k`` above ``severe`` or below
        ``vulnerable`` is refused (pass ``severe=``/``vulnerable=`` as well).

        Parameters
        ----------
        k
            The new poverty cutoff in (0, 1].
        vulnerable, severe
            New band cutoffs (default: the current ones).

        Returns
        -------
        Spec
            A new spec; this one is unchanged.

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

        Parameters
        ----------
        dimensions
            Dimension name -> list of indicators, in order.
        k
            Poverty cutoff in (0, 1].
        **kwargs
            Other arguments of :class:`Spec` (``name``, ``vulnerable``, ``severe``,
            ``title``, ``source``).

        Returns
        -------
        Spec

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
                inds.append(nested_indicator(item, w, dim, f"{where}[{j}]"))
        return cls(inds, k=k, **kwargs)

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (fractions as strings) used for YAML and JSON.

        Returns
        -------
        dict
            ``name, title, source, k, vulnerable, severe`` and ``indicators`` (a list of
            :meth:`Indicator.to_dict`).
        """
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

        Parameters
        ----------
        data
            A mapping such as :meth:`to_dict` returns.

        Returns
        -------
        Spec

        Examples
        --------
        >>> doc = {"k": 1, "indicators": [{"name": "a", "weight": 1, "cutof": 3}]}
        >>> try:
        ...     Spec.from_dict(doc)
        ... except SpecError as err:
        ...     print(str(err)[:70])
        indicators[0].cutof: unknown key in indicator 'a'; did you mean 'cutof
        """
        data = document_mapping(data)
        for key in data:
            if key not in SPEC_KEYS:
                raise unknown_key(key, "", " at the top of the spec", SPEC_KEYS, SPEC_HINTS)
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
        inds = [indicator_from_mapping(item, f"indicators[{i}]") for i, item in enumerate(items)]
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
        """Write the spec as YAML (returned as text; also written to ``path`` if given).

        Parameters
        ----------
        path
            A file to write (UTF-8), or None.

        Returns
        -------
        str
            The YAML text.
        """
        return write_text(dump_yaml(self.to_dict()), path)

    @classmethod
    def from_yaml(cls, source: str | Path) -> Spec:
        """Read a spec from a YAML file path or YAML text.

        A one-line string ending in ``.yml``, ``.yaml`` or ``.json`` (any case) and any
        :class:`~pathlib.Path` is a file; other strings are YAML text. Duplicate keys are
        refused.

        Parameters
        ----------
        source
            A file path or YAML text.

        Returns
        -------
        Spec
        """
        text, where = read_text(source, "from_yaml", TEXT_SUFFIXES)
        return cls.from_dict(load_yaml(text, where))

    def to_json(self, path: str | Path | None = None) -> str:
        """Write the spec as JSON (returned as text; also written to ``path`` if given).

        Parameters
        ----------
        path
            A file to write (UTF-8), or None.

        Returns
        -------
        str
            The JSON text.
        """
        return write_text(dump_json(self.to_dict()), path)

    @classmethod
    def from_json(cls, source: str | Path) -> Spec:
        """Read a spec from a JSON file path (``.json``, any case) or JSON text.

        Parameters
        ----------
        source
            A file path or JSON text.

        Returns
        -------
        Spec
        """
        text, where = read_text(source, "from_json", (".json",))
        return cls.from_dict(load_json(text, where))

    def to_table(self, path: str | Path | None = None) -> pd.DataFrame:
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

        Parameters
        ----------
        path
            A ``.csv`` or ``.xlsx`` file to write as well, or None.

        Returns
        -------
        pandas.DataFrame
            One row per indicator.

        Examples
        --------
        >>> spec = Spec([Indicator("school", weight=1, cutoff=["01", 2, "none"],
        ...                        deprived_if="in")], k=1)
        >>> spec.to_table().loc[0, "cutoff"]
        '"01"|2|none'
        """
        return indicators_table(self._indicators, path)

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
        the number ``8``) are taken as they are.

        Parameters
        ----------
        table
            A DataFrame, or the path of a ``.csv`` or ``.xlsx`` file.
        k
            Poverty cutoff in (0, 1] (the table holds the indicators only).
        **kwargs
            Other arguments of :class:`Spec` (``name``, ``vulnerable``, ``severe``,
            ``title``, ``source``).

        Returns
        -------
        Spec
        """
        inds = indicators_from_table(table)
        return cls(inds, k=k, **kwargs)
