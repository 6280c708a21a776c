"""Helpers shared by every layer above the kernels: exact fractions, one safe ratio,
distributions, the input table, panel layout, CF attributes and the one result base.

Nothing here knows a poverty specification, a survey design or a panel estimator.
:func:`lazy_exports` gives a package the module ``__getattr__``/``__dir__`` (PEP 562) that
import its public names on first use, so ``import mpi`` stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


class _LazyPackage(types.ModuleType):
    """A package whose public names are imported on first use (see :func:`lazy_exports`).

    When a function has the name of the module defining it (``mpi.plot.audit`` in
    ``mpi/plot/audit.py``), importing that module makes the import system set the package
    attribute to the module; the eager ``from mpi.plot.audit import audit`` then rebound it to
    the function. This class keeps that meaning: the module is not stored under the name,
    so the name still resolves (lazily) to the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        target = self.__dict__.get("__lazy_exports__", {}).get(name, "")
        module_name, _, attribute = target.partition(":")
        if attribute and isinstance(value, types.ModuleType) and value.__name__ == module_name:
            return
        super().__setattr__(name, value)


def _has_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is an importable module (without importing it)."""
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False


def lazy_exports(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``package``'s names on first use.

    Parameters
    ----------
    package
        The importing package's ``__name__``.
    table
        Public name -> ``"module:attribute"``, or ``"module"`` for a module itself (absolute
        module names).

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)`` to assign at the package's module level. ``__getattr__``
        imports the module, keeps the value as a module attribute (later accesses cost
        nothing) and raises :class:`AttributeError` for a name not in ``table``; ``__dir__``
        lists the module's attributes and every name of ``table``. A name not in ``table``
        that names a submodule of ``package`` imports it, as the eager imports made
        every subpackage an attribute (``mpi.kernels``, ``mpi.survey``). The package's module
        becomes a :class:`_LazyPackage`, so a function named like its own module stays the
        function after that module is imported (as with an eager ``from`` import).

    Examples
    --------
    >>> import sys, types
    >>> sys.modules["lazy_demo"] = types.ModuleType("lazy_demo")
    >>> get, names = lazy_exports("lazy_demo", {"dumps": "json:dumps"})
    >>> get("dumps")({"a": 1})
    '{"a": 1}'
    >>> "dumps" in names()
    True
    >>> del sys.modules["lazy_demo"]
    """

    module = sys.modules[package]
    module.__lazy_exports__ = dict(table)  # type: ignore[attr-defined]
    if type(module) is types.ModuleType:
        module.__class__ = _LazyPackage

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None and not name.startswith("_") and _has_submodule(package, name):
            target = f"{package}.{name}"  # a subpackage or module (mpi.kernels, mpi.survey)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
