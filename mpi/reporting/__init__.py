"""Reports and publication tables: from results to what a statistics office publishes.

* :func:`report` -- one self-contained HTML page, an Excel workbook, or a directory with
  both plus the tables as CSV and the charts as PNG, in English or Chinese;
* :func:`publication_table` -- "estimate (SE) [CI]" by group, as a statistical release;
  :func:`estimates_table` the same numbers for spreadsheets; :func:`results_frame` every
  estimate in one long frame (Stata ``mpitb``-style);
* :class:`Suppression` -- the small-cell rule (too few units, or a large coefficient of
  variation: suppressed or flagged, stated in the notes).
"""

from mpi.reporting.suppression import Suppression
from mpi.reporting.tables import estimates_table, publication_table, results_frame
from mpi.reporting.write import ReportFiles, report

__all__ = [
    "report",
    "ReportFiles",
    "Suppression",
    "publication_table",
    "estimates_table",
    "results_frame",
]
