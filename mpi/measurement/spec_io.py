"""Reading and writing spec documents: YAML and JSON text or files, and the plain-data
mappings of :meth:`Spec.to_dict <mpi.Spec.to_dict>` (indicator by indicator, with errors that
name the key, e.g. ``indicators[2].cutof``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from mpi._common.yaml_text import dump_yaml, load_yaml
from mpi.errors import SpecError
from mpi.measurement._spec_common import (
    INDICATOR_HINTS,
    INDICATOR_KEYS,
    TABLE_SUFFIXES,
    TEXT_SUFFIXES,
    unknown_key,
)
from mpi.measurement.indicator import Indicator

__all__ = [
    "document_mapping",
    "indicator_from_mapping",
    "nested_indicator",
    "read_text",
    "load_yaml",
    "load_json",
    "dump_yaml",
    "dump_json",
    "write_text",
]


def document_mapping(data: Any) -> Mapping[str, Any]:
    """``data`` if it is a mapping; otherwise a :class:`~mpi.SpecError` that says what a spec
    document looks like."""
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


def indicator_from_mapping(item: Any, where: str) -> Indicator:
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
        if key not in INDICATOR_KEYS:
            raise unknown_key(key, where, context, INDICATOR_KEYS, INDICATOR_HINTS)
    if "name" not in item:
        raise SpecError(f"{where} has no 'name'; add e.g. name: nutrition")
    if "weight" not in item:
        raise SpecError(f"{where}{context} has no 'weight'; add e.g. weight: 1/6")
    kw = dict(item)
    try:
        return Indicator(kw.pop("name"), **kw)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None


def nested_indicator(item: Any, weight: Fraction, dim: str, where: str) -> Indicator:
    """An item of :meth:`Spec.from_dimensions` with its nested weight."""
    if isinstance(item, Indicator):
        return item.replace(weight=weight, dimension=dim)
    if isinstance(item, str):
        return indicator_from_mapping({"name": item, "weight": weight, "dimension": dim}, where)
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
        return indicator_from_mapping({**item, "weight": weight, "dimension": dim}, where)
    raise SpecError(
        f"{where}: cannot make an indicator from {type(item).__name__} {item!r}; give a "
        "name, a mapping of Indicator arguments (without weight) or an mpi.Indicator"
    )


def _as_path(source: Any) -> Path | None:
    """A path: any ``PathLike``, or a one-line string with a spec file extension (any case)."""
    if isinstance(source, os.PathLike):
        return Path(source)
    if isinstance(source, str) and "\n" not in source:
        if Path(source).suffix.lower() in TEXT_SUFFIXES + TABLE_SUFFIXES:
            return Path(source)
    return None


def read_text(source: Any, method: str, suffixes: tuple[str, ...]) -> tuple[str, str]:
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
    if suffix in TABLE_SUFFIXES:
        raise SpecError(
            f"{str(path)!r} is a table ({suffix}); read it with Spec.from_table(path, k=...)"
        )
    if suffix in TEXT_SUFFIXES and suffix not in suffixes:
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


def load_json(text: str, where: str) -> Any:
    """Plain data of JSON ``text`` (duplicate keys refused; blank text is None)."""
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


def dump_json(data: Mapping[str, Any]) -> str:
    """JSON text of a spec document (indented, Unicode kept).

    Parameters
    ----------
    data
        Plain data, as from :meth:`Spec.to_dict <mpi.Spec.to_dict>`.

    Returns
    -------
    str
    """
    return json.dumps(data, indent=2, ensure_ascii=False)


def write_text(text: str, path: str | os.PathLike[str] | None) -> str:
    """Write ``text`` to ``path`` as UTF-8 when a path is given; return ``text``.

    Parameters
    ----------
    text
        The document.
    path
        Destination, or None to write nothing.

    Returns
    -------
    str
        ``text``.
    """
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
