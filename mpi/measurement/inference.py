"""Design-based inference for :func:`mpi.measure` (compatibility module: re-exports only).

The pieces live in:

* :mod:`mpi.measurement.design_pass` -- :func:`run_design` (kernel passes by PSU or
  replicate), :func:`check_design_type`, :class:`RowStatistics`;
* :mod:`mpi.measurement.cell_totals` -- :class:`CellTotals`, :class:`Inference`,
  :func:`scatter_sum`;
* :mod:`mpi.measurement.estimands` -- :func:`estimates`, :data:`ESTIMANDS`,
  :data:`PROPORTIONS` (the formula table evaluated on :class:`~mpi.Estimate` totals).

Import from those modules; this one keeps the old import paths working.
"""

from __future__ import annotations

from mpi.measurement.cell_totals import CellTotals, Inference, scatter_sum
from mpi.measurement.design_pass import RowStatistics, check_design_type, run_design
from mpi.measurement.estimands import ESTIMANDS, PROPORTIONS, estimates

__all__ = [
    "CellTotals",
    "ESTIMANDS",
    "Inference",
    "PROPORTIONS",
    "RowStatistics",
    "check_design_type",
    "estimates",
    "run_design",
    "scatter_sum",
]

# the private names other modules imported before the split
_scatter_sum = scatter_sum
_check_design_type = check_design_type
