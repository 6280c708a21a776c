"""numba kernels of xmpi (installed as ``mpi.kernels``).

Pure numpy + numba: nothing here imports xarray or pandas. Each kernel emits additive
sufficient statistics so that results for chunks of units can simply be summed.

Every kernel is compiled by :func:`._config.kernel` and loops over its chunks with the
helpers of :mod:`._config` (chunk ranges, padded private sums, the merge in chunk order).
The cross-section AF kernel is :mod:`.af` (entry point) with :mod:`.af_layout`,
:mod:`.rules`, :mod:`.af_chunks` and :mod:`.af_sums`; :mod:`.reweight` (the OPHI
reweighting of one unit, shared by the AF kernel and unit-level identification) and
:mod:`.identify` (the unit-level identification loops of :func:`mpi.identify`); the panel kernels are :mod:`.panel`
(states), :mod:`.transitions`, :mod:`.chronic`, :mod:`.decompose`, :mod:`.relapse` and
:mod:`.risk`; :mod:`.screening` (campus-card features in one pass); :mod:`.buckets`, :mod:`.codes` and :mod:`.variance` serve the survey design. :func:`task_threads` limits the numba threads of one dask
task (numba threads x dask workers <= cores).
"""

from . import chronic, decompose, panel, relapse, risk, transitions
from ._config import task_thread_count, task_threads
from .af import BLOCK, RULE_CODES, Identification, af_statistics, rows_with_units
from .buckets import bucket_statistics
from .codes import dense_codes, pair_codes, psu_strata, psu_values, run_codes
from .variance import combine_terms, fold_rows, strata_variance, sum_rows, terms_variance

__all__ = [
    "panel",
    "decompose",
    "chronic",
    "relapse",
    "risk",
    "transitions",
    "af_statistics",
    "rows_with_units",
    "Identification",
    "bucket_statistics",
    "RULE_CODES",
    "BLOCK",
    "dense_codes",
    "psu_strata",
    "pair_codes",
    "psu_values",
    "run_codes",
    "strata_variance",
    "sum_rows",
    "combine_terms",
    "terms_variance",
    "fold_rows",
    "task_threads",
    "task_thread_count",
]
