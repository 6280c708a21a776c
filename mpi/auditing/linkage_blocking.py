"""Blocking that scales for :func:`mpi.auditing.link`: keys a single typo leaves intact.

A GB 11643 number is ``RRRRRR YYYYMMDD SSS C``: region (6 digits), birth date (8), sequence
(3, its last digit the sex) and check character. The default blocking rules
(:data:`BLOCKING_KEYS`) pair two records that agree exactly on one of

1. region + birth date — survives any error in the sequence or the check character
   (a mistyped or transposed sequence digit, a transposition across the sequence/check
   boundary, a missing or wrong check character, a lower-case ``x``);
2. birth date + sequence — survives any error in the region (and the check character);
3. region + sequence + surname pinyin — survives any error inside the birth date (a
   mistyped digit, two digits swapped, an impossible date); homophones and traditional
   characters keep the surname's pinyin;
4. region + birth year and month + surname pinyin — survives a transposition across the
   date/sequence boundary (digits 14–15), which breaks 1–3 (and a name variant with it);
5. region + birth year + full-name pinyin — a second error in the date or sequence;
6. sequence + full-name pinyin — survives a transposition across the region/date boundary
   (digits 6–7), which breaks 1, 2, 4 and 5.

A single mistyped digit touches one of the four parts and a single transposition of adjacent
characters one part or one boundary between two, so every single-error class keeps at least
one rule, and so does a missing check character (17 digits: all three digit groups intact).
A number that is wrong throughout is found only when its name pinyin and region or sequence
happen to survive (rules 5, 6). Each key combines at least 9 identity digits with a
surname, 10 with a name, or 11: the candidates of a record are the persons of the same county
born on the same day, or with the same sequence and surname, or born in the same month with
the same surname, or of the same name and county and year — a few per record at any size of
the tables (a county's persons spread over ~25,000 birthdays, ~840 birth months, 1,000
sequences), where "same birth date, or same county and surname"
grew with the county's population (hundreds per record at 500,000 records).

The right table is pre-filtered (:func:`candidate_rows`) to the rows that share a key with a
left row (with at least one of the two numbers invalid): only those reach DuckDB, and
:func:`duckdb_connection` runs it with a memory limit and a temporary directory and closes
it after each link.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BLOCKING_KEYS", "EM_LEFT_ROWS", "EM_TRAINING_KEYS", "MEMORY_SHARE", "U_SAMPLE_ROWS", "candidate_rows",
    "default_memory_limit", "duckdb_connection", "em_sample", "u_sample",
]  # fmt: skip

#: The default blocking rules: each is "the same value of every one of these feature columns"
#: (see the module notes for why every single-error class keeps one of them).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("region", "birth_date"),
    ("birth_date", "sequence"),
    ("region", "sequence", "surname_py"),
    ("region", "birth_month", "surname_py"),
    ("region", "birth_year", "name_py"),
    ("sequence", "name_py"),
)
#: Blocking rules of the EM sessions that estimate m with the default keys, applied to the
#: same pre-filtered tables: the same birth date, or the same region and surname pinyin. Over
#: the candidate rows these pairs hold the matches and their look-alikes (neighbours with the
#: same birthday or surname), which EM needs to tell them apart; each session estimates the
#: comparisons not in its rule (name, region, sex; name, birth date, sex).
EM_TRAINING_KEYS: tuple[tuple[str, ...], ...] = (("birth_date",), ("region", "surname_py"))
#: Most left rows whose EM-training pairs estimate m (a seeded sample of them when more): EM
#: needs a representative sample of matches and look-alikes, not every pair, and the pairs
#: of the broad training keys grow with the size of the right table.
EM_LEFT_ROWS = 1000
#: Share of the machine's memory DuckDB may use by default (it spills to its temporary
#: directory beyond it).
MEMORY_SHARE = 0.25
#: Most right rows whose pairs with the left rows are sampled to estimate ``u``: a seeded
#: random subset of the right table when it is larger (splink samples at most
#: ``U_MAX_PAIRS`` pairs anyway).
U_SAMPLE_ROWS = 200_000
_SEP = "\x1f"


def _key(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One string key per row: the columns joined, NA when any of them is missing."""
    parts = [frame[c].astype("string") for c in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + _SEP + part
    return key


def candidate_rows(
    left: pd.DataFrame, right: pd.DataFrame, keys: Sequence[Sequence[str]] = BLOCKING_KEYS
) -> np.ndarray:
    """Which right rows can be in a candidate pair of the blocking ``keys`` (a semi-join).

    A right row is kept when, for some key, a left row has the same (non-missing) value and
    at least one of the two identity numbers is invalid (two valid different numbers are
    never compared).

    Parameters
    ----------
    left, right : pandas.DataFrame
        Feature tables (:func:`mpi.auditing.linkage_model.features`), with ``id_valid``.
    keys : sequence of sequences of str, default :data:`BLOCKING_KEYS`
        The feature columns of each blocking rule.

    Returns
    -------
    numpy.ndarray
        A boolean mask over the rows of ``right``.
    """
    keep = np.zeros(len(right), dtype=bool)
    if not len(left) or not len(right):
        return keep
    lvalid = left["id_valid"].to_numpy(dtype=bool)
    rinvalid = ~right["id_valid"].to_numpy(dtype=bool)
    for cols in keys:
        lk = _key(left, cols)
        rk = _key(right, cols)
        every = pd.unique(lk.dropna().to_numpy(dtype=object))
        invalid = pd.unique(lk[~lvalid].dropna().to_numpy(dtype=object))
        hit = rk.isin(invalid).fillna(False).to_numpy(dtype=bool)
        if rinvalid.any():
            hit = hit | (rinvalid & rk.isin(every).fillna(False).to_numpy(dtype=bool))
        keep |= hit & rk.notna().to_numpy(dtype=bool)
    return keep


def u_sample(right: pd.DataFrame, seed: int | None) -> pd.DataFrame:
    """The right rows whose pairs are sampled for ``u``: all, or :data:`U_SAMPLE_ROWS` of them.

    Parameters
    ----------
    right : pandas.DataFrame
        The whole right feature table.
    seed : int or None
        Seed of the subset (the same seed, the same subset).

    Returns
    -------
    pandas.DataFrame
        ``right`` itself, or a seeded random subset of :data:`U_SAMPLE_ROWS` rows in order.
    """
    if len(right) <= U_SAMPLE_ROWS:
        return right
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(right), U_SAMPLE_ROWS, replace=False))
    return right.iloc[rows].reset_index(drop=True)


def em_sample(left: pd.DataFrame, seed: int | None) -> pd.DataFrame:
    """The left rows whose pairs train EM: all, or :data:`EM_LEFT_ROWS` of them (seeded).

    Parameters
    ----------
    left : pandas.DataFrame
        The left feature table.
    seed : int or None
        Seed of the subset.

    Returns
    -------
    pandas.DataFrame
        ``left`` itself, or a seeded random subset of :data:`EM_LEFT_ROWS` rows in order.
    """
    if len(left) <= EM_LEFT_ROWS:
        return left
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(left), EM_LEFT_ROWS, replace=False))
    return left.iloc[rows].reset_index(drop=True)


def default_memory_limit() -> str:
    """:data:`MEMORY_SHARE` of the machine's physical memory, as a DuckDB setting (``"5859MB"``).

    Returns
    -------
    str
        Megabytes, at least 256.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 * 2**30
    return f"{max(256, int(total * MEMORY_SHARE / 2**20))}MB"


@contextlib.contextmanager
def duckdb_connection(memory_limit: str | None = None) -> Iterator[Any]:
    """An in-memory DuckDB connection with a memory limit and a temporary directory; closed after.

    Parameters
    ----------
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (e.g. ``"4GB"``); None: :func:`default_memory_limit`.
        Beyond it DuckDB spills to a temporary directory removed afterwards.

    Yields
    ------
    duckdb.DuckDBPyConnection
        The connection.
    """
    import duckdb

    limit = default_memory_limit() if memory_limit is None else memory_limit
    with tempfile.TemporaryDirectory(prefix="mpi-linkage-") as tmp:
        con = duckdb.connect(":memory:", config={"memory_limit": limit, "temp_directory": tmp})
        try:
            yield con
        finally:
            con.close()
