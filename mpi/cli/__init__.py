"""The ``mpi`` command line: from a survey or registry file to a report.

``mpi measure``, ``mpi change`` and ``mpi panel`` read a data file (.csv, .tsv, .parquet,
.dta, .sav, .xlsx, or a .zarr/.nc panel) and a spec (a preset or a YAML file), run the
estimators and write a report folder (report.html, report.xlsx, tables/*.csv,
charts/*.png); ``mpi spec`` writes and checks specs; ``mpi datasets`` lists, describes and
exports the bundled data; ``mpi audit`` cross-matches a table of benefit payments with
registries (deaths, businesses, vehicles ...) and writes the ranked leads and a report.
``mpi --help`` and ``mpi COMMAND --help`` show the options with examples. Errors the user
can fix are one line on stderr and exit code 2 (``--debug`` shows the traceback).

The same runs from Python with ``python -m mpi`` or :func:`main` (a :mod:`click` group).
A subcommand's module is imported only when it runs (:data:`mpi.cli.app.COMMANDS`).
"""

from mpi.cli.app import main

__all__ = ["main"]
