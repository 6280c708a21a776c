"""YAML text of spec documents: a safe loader that refuses duplicate keys and a dumper that
keeps keys in order and escapes invisible characters. Shared by the AF specs
(:mod:`mpi.measurement.spec_io`) and the composite-index specs (:mod:`mpi.composites.spec_io`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any

from mpi.errors import SpecError

__all__ = ["load_yaml", "dump_yaml", "invisible"]


def invisible(char: str) -> bool:
    """Control, format, unassigned characters and line separators (escaped in quotes).

    Parameters
    ----------
    char
        One character.

    Returns
    -------
    bool
    """
    return unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")


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
        style = '"' if any(invisible(c) for c in value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


def load_yaml(text: str, where: str) -> Any:
    """Plain data of YAML ``text`` (safe loader, duplicate keys refused); errors name ``where``."""
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        raise SpecError(f"{where} is not valid YAML: {err}") from None
    except SpecError as err:
        raise SpecError(f"{where}, {err}") from None


def dump_yaml(data: Mapping[str, Any]) -> str:
    """YAML text of a spec document (keys in order, Unicode kept, invisible characters escaped).

    Parameters
    ----------
    data
        Plain data, as from :meth:`Spec.to_dict <mpi.Spec.to_dict>`.

    Returns
    -------
    str
    """
    import yaml

    return yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True)
