"""Composite-index specs as plain data and YAML (``kind: composite``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from mpi._common.yaml_text import dump_yaml, load_yaml
from mpi.errors import SpecError

__all__ = ["KIND", "TOP_KEYS", "weight_text", "document_fields", "read_document", "write_document"]

#: Value of the ``kind`` key that marks a composite-index document.
KIND = "composite"
TOP_KEYS = (
    "kind", "name", "title", "source", "references", "normalisation", "mean", "floor",
    "scale", "missing", "clip", "dimensions", "indicators",
)  # fmt: skip


def weight_text(w: Fraction | float) -> Any:
    """A weight for the YAML document: fractions as text (``"1/3"``) so they stay exact.

    Parameters
    ----------
    w : Fraction or float
        The weight.

    Returns
    -------
    int, str or float
    """
    if isinstance(w, Fraction):
        return int(w) if w.denominator == 1 else f"{w.numerator}/{w.denominator}"
    return w


def document_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of :class:`~mpi.composites.spec.CompositeSpec` from a document's plain data.

    Parameters
    ----------
    data : mapping
        The YAML document's data; ``kind`` must be ``"composite"`` when given.

    Returns
    -------
    dict
        Keyword arguments of ``CompositeSpec`` (indicators and dimensions as tuples of
        mappings).

    Raises
    ------
    mpi.errors.SpecError
        For an unknown key, a ``kind`` other than ``composite`` or an invalid field.
    """
    if not isinstance(data, Mapping):
        raise SpecError(
            "a composite spec document must be a mapping with name, dimensions and "
            f"indicators; got {type(data).__name__}"
        )
    kind = data.get("kind", KIND)
    if kind != KIND:
        raise SpecError(
            f"kind: {kind!r} is not a composite-index spec (kind: composite); read an AF "
            "poverty spec with mpi.Spec.from_yaml"
        )
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise SpecError(f"unknown key(s) {unknown}; the keys are {', '.join(TOP_KEYS)}")
    for key in ("name", "indicators"):
        if key not in data:
            raise SpecError(f"{key}: missing; a composite spec needs name and indicators")
    fields = {k: v for k, v in data.items() if k != "kind"}
    for key in ("indicators", "dimensions"):
        if key in fields:
            items = fields[key]
            if not isinstance(items, list | tuple):
                raise SpecError(f"{key}: must be a list of mappings; got {type(items).__name__}")
            fields[key] = tuple(_listed(items, key))
    if "references" in fields:
        refs = fields["references"]
        fields["references"] = (refs,) if isinstance(refs, str) else tuple(refs or ())
    if fields.get("floor") is not None:
        fields["floor"] = float(fields["floor"])
    return fields


def _listed(items: list[Any] | tuple[Any, ...], key: str) -> list[Any]:
    out = []
    for j, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise SpecError(f"{key}[{j}]: must be a mapping of fields; got {item!r:.60}")
        out.append(dict(item))
    return out


def read_document(source: str | os.PathLike[str]) -> Any:
    """The plain data of a YAML spec file or text.

    Parameters
    ----------
    source : str or os.PathLike
        A path (``os.PathLike``, or a one-line string ending in ``.yml``/``.yaml``) or the
        YAML text itself.

    Returns
    -------
    object
        The document's data (checked by :func:`document_fields`).
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and Path(source).suffix.lower() in (".yml", ".yaml")
    ):
        path = Path(source)
        where = f"spec file {str(path)!r}"
        if not path.is_file():
            raise SpecError(f"{where} does not exist or is not a file")
        text = path.read_text(encoding="utf-8-sig")
    elif isinstance(source, str):
        text, where = source, "the spec text"
    else:
        raise SpecError(
            f"source: give a YAML path or text; got {type(source).__name__}. Use "
            "CompositeSpec.from_dict for a mapping"
        )
    return load_yaml(text, where)


def write_document(data: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> str:
    """YAML text of a spec document, also written to ``path`` when given.

    Parameters
    ----------
    data : mapping
        The document (as ``CompositeSpec.to_dict`` gives it).
    path : str or os.PathLike, optional
        File to write (UTF-8).

    Returns
    -------
    str
    """
    text = dump_yaml(data)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
