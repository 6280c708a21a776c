"""Doctests of mpi.kernels and mpi.datasets, imported under their installed names.

They live outside mpi/ on disk (kernels/, datasets/), so pytest's --doctest-modules would
import them as top-level packages ``kernels`` and ``datasets``: a second copy of every numba
kernel, whose on-disk cache entries then name a module that a normal process cannot import.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mpi.datasets
import mpi.kernels


def _modules(package) -> list[str]:
    names = [package.__name__]
    names += [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    return names


MODULES = _modules(mpi.kernels) + _modules(mpi.datasets)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests failed in {name}"


def test_doctests_were_found() -> None:
    found = sum(
        len(doctest.DocTestFinder().find(importlib.import_module(n))) for n in MODULES
    )
    assert found > 5
