"""Helpers of the command-line tests (importable as ``cli_helpers``: pytest puts this folder
on ``sys.path``)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from mpi.cli import main

#: The table formats the report's numbers are checked on.
TABLE_FORMATS = ("csv", "parquet", "dta", "sav")  # as CLI_TABLE_FORMATS of tests/conftest.py


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Run ``mpi ARGS`` in-process: stdout and stderr kept apart, stderr not a terminal (so no
    progress bar unless ``env`` sets ``XMPI_PROGRESS=1``), exceptions not caught by the runner
    (a bug fails the test loudly)."""
    runner = CliRunner(env=env)
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


class _TableParser(HTMLParser):
    """The cells (text) of one ``<table id=...>`` of a page, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_table(page: str, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id`` of an HTML page, as lists of cell texts."""
    parser = _TableParser(table_id)
    parser.feed(page)
    assert parser.rows, f"no table with id {table_id!r} in the page"
    return parser.rows


def sheet_with_header(path: Path, header: list[str]) -> list[tuple]:
    """The rows (values) under the header row equal to ``header`` in any sheet of a workbook."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            for i, row in enumerate(rows[:5]):
                if [str(v) if v is not None else "" for v in row[: len(header)]] == header:
                    return rows[i + 1 :]
    finally:
        book.close()
    raise AssertionError(f"no sheet of {path} has the header {header}")
