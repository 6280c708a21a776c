"""numba kernels of xmpi (installed as ``mpi.kernels``).

Pure numpy + numba: nothing here imports xarray or pandas. Each kernel emits additive
sufficient statistics so that results for chunks of units can simply be summed.

Every kernel is compiled by :func:`._config.kernel` and loops over its chunks with the
helpers of :mod:`._config` (chunk ranges, padded private sums, the merge in chunk order).
The cross-section AF kernel is :mod:`.af` (entry point) with :mod:`.af_layout`,
:mod:`.rules`, :mod:`.af_chunks`, :mod:`.af_clean` and :mod:`.af_sums`; :mod:`.reweight`
(the OPHI reweighting of one unit, shared by the AF kernel and unit-level identification) and
:mod:`.identify` (the unit-level identification loops of :func:`mpi.identify`); the panel
kernels are :mod:`.panel` (states), :mod:`.transitions`, :mod:`.chronic`, :mod:`.decompose`,
:mod:`.relapse` and :mod:`.risk`; :mod:`.screening` (campus-card features in one pass);
:mod:`.buckets`, :mod:`.codes` and :mod:`.variance` serve the survey design;
:mod:`.columns` builds the kernels' list of indicator columns; :mod:`.libm` applies the C
library's ``log`` and ``exp`` to arrays (the same bits on every machine); :mod:`.prefetch`
asks for a cache line ahead of a loop. :func:`task_threads` limits
the numba threads of one dask task (numba threads x dask workers <= cores).

Nothing is imported with the package itself: ``import mpi.kernels`` does not import numba.
A kernel module (and numba) is imported when one of its names is first read
(``kernels.af_statistics``, ``kernels.panel``), so a process loads only the kernels it runs.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the submodule defining it (imported on first access).
_NAMES = {
    "task_threads": "_config",
    "task_thread_count": "_config",
    "af_statistics": "af",
    "rows_with_units": "af",
    "Identification": "af",
    "RULE_CODES": "af",
    "BLOCK": "af",
    "bucket_statistics": "buckets",
    "dense_codes": "codes",
    "psu_strata": "codes",
    "pair_codes": "codes",
    "psu_values": "codes",
    "run_codes": "codes",
    "strata_variance": "variance",
    "sum_rows": "variance",
    "combine_terms": "variance",
    "terms_variance": "variance",
    "fold_rows": "variance",
    "int_range": "columns",
    "int8_or_none": "columns",
    "log_into": "libm",
    "exp_into": "libm",
}
#: Submodules read as attributes (``kernels.panel.panel_states``).
_MODULES = (
    "af",
    "af_chunks",
    "af_clean",
    "af_layout",
    "af_sums",
    "buckets",
    "chronic",
    "codes",
    "columns",
    "decompose",
    "identify",
    "libm",
    "panel",
    "prefetch",
    "relapse",
    "reweight",
    "risk",
    "rules",
    "screening",
    "transitions",
    "variance",
)

__all__ = [*_MODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    """A kernel module or one of the re-exported names, imported on first access."""
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
