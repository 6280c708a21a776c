"""Progress bars of the generators: the package's one helper (:mod:`mpi._common.progress`),
with a silent stand-in when ``datasets/`` is imported on its own (as :mod:`._errors`)."""

from __future__ import annotations

from typing import Any

try:
    from .._common.progress import check_progress, progress
except ImportError:  # pragma: no cover - only when the datasets package is used on its own
    from tqdm import tqdm

    def check_progress(value: Any, argument: str = "progress") -> Any:  # type: ignore[misc]
        """``value`` unchecked: without the package there is no bar to configure."""
        return value

    def progress(iterable: Any = None, *, total: Any = None, **options: Any) -> Any:  # type: ignore[misc]
        """A disabled tqdm bar: items pass through, ``update`` does nothing."""
        return tqdm(iterable, total=total, disable=True)


__all__ = ["check_progress", "progress"]
