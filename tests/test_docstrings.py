"""numpydoc validation of the public API: every public function, class, method and property
has a docstring; functions and methods document every parameter (and no parameter they do
not have) and have a Returns section.

The public API is what ``import mpi`` exposes (``mpi.__all__``), the charts of ``mpi.plot``,
the presets and the dataset functions, with the public methods and properties of every public
class (inherited ones from the package's own bases included).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

numpydoc_validate = pytest.importorskip(
    "numpydoc.validate", reason="numpydoc is a test dependency (pip install -e '.[test]')"
)

import mpi  # noqa: E402
import mpi.datasets  # noqa: E402

#: numpydoc checks that apply to every public object.
ALWAYS = {"GL08"}  # no docstring
#: Checks for functions and methods: parameters documented, none unknown, Returns section.
CALLABLE = {"PR01", "PR02", "RT01"}
MODULES = (mpi, mpi.plot, mpi.presets, mpi.datasets)


def _public(module) -> Iterator[object]:
    for name in module.__all__:
        if name.startswith("_") or name in ("datasets", "plot", "presets", "hypothesis"):
            continue
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            yield obj


def _path(obj: object) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _targets() -> list[tuple[str, bool]]:
    """(import path, is a function or method) of every public object."""
    out: dict[str, bool] = {}
    for module in MODULES:
        for obj in _public(module):
            if inspect.isfunction(obj):
                out[_path(obj)] = True
                continue
            out[_path(obj)] = False
            for klass in obj.__mro__:
                if not klass.__module__.startswith("mpi"):
                    continue
                for name, member in vars(klass).items():
                    if name.startswith("_"):
                        continue
                    where = f"{_path(obj)}.{name}"
                    if isinstance(member, property):
                        out.setdefault(where, False)
                    elif inspect.isfunction(member) or isinstance(member, classmethod | staticmethod):
                        out.setdefault(where, True)
    return sorted(out.items())


TARGETS = _targets()


def _resolve(path: str) -> object:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = __import__(".".join(parts[:i]), fromlist=["_"])
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(path)


def _errors(path: str, is_callable: bool) -> list[str]:
    owner, _, name = path.rpartition(".")
    try:  # inherited members validate on the class that defines them
        cls = _resolve(owner)
        if inspect.isclass(cls):
            for klass in cls.__mro__:
                if name in vars(klass):
                    path = f"{_path(klass)}.{name}"
                    break
    except (ImportError, AttributeError):
        pass
    codes = ALWAYS | (CALLABLE if is_callable else set())
    result = numpydoc_validate.validate(path)
    return [f"{code}: {msg}" for code, msg in result["errors"] if code in codes]


def test_the_public_api_is_found() -> None:
    paths = [p for p, _ in TARGETS]
    assert "mpi.measurement.measure.measure" in paths
    assert any(p.endswith("MeasureResult.to_frame") for p in paths)
    assert len(paths) > 150


@pytest.mark.parametrize(("path", "is_callable"), TARGETS, ids=[p for p, _ in TARGETS])
def test_public_docstring(path: str, is_callable: bool) -> None:
    errors = _errors(path, is_callable)
    assert errors == [], f"{path}: " + "; ".join(errors)
