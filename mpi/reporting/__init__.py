"""Reports and publication tables: from results to what a statistics office publishes.

* :func:`report` -- one self-contained HTML page, an Excel workbook, or a directory with
  both plus the tables as CSV and the charts as PNG, in English or Chinese;
* :func:`publication_table` -- "estimate (SE) [CI]" by group, as a statistical release;
  :func:`estimates_table` the same numbers for spreadsheets; :func:`results_frame` every
  estimate in one long frame (Stata ``mpitb``-style);
* :class:`Suppression` -- the small-cell rule (too few units, or a large coefficient of
  variation: suppressed or flagged, stated in the notes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "Suppression": "mpi.reporting.suppression:Suppression",
    "estimates_table": "mpi.reporting.tables:estimates_table",
    "publication_table": "mpi.reporting.tables:publication_table",
    "results_frame": "mpi.reporting.tables:results_frame",
    "ReportFiles": "mpi.reporting.write:ReportFiles",
    "report": "mpi.reporting.write:report",
}

__all__ = [
    "report",
    "ReportFiles",
    "Suppression",
    "publication_table",
    "estimates_table",
    "results_frame",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.reporting.suppression import Suppression
    from mpi.reporting.tables import estimates_table, publication_table, results_frame
    from mpi.reporting.write import ReportFiles, report
