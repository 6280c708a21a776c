"""Who in table A is who in table B: exact identity numbers first, record linkage for the rest.

:func:`link` parses the identity numbers of both tables (:func:`mpi.auditing.ids.parse_ids`),
joins the valid normalised numbers exactly (a hash join: tens of millions of rows in seconds)
and hands only the left rows left over -- invalid, missing or not found -- to a
Fellegi–Sunter model on name, birth date, region and sex (:mod:`mpi.auditing.linkage_model`,
splink on DuckDB). Every left row ends up linked by id, linked by record linkage, or counted as
not linked (:attr:`Links.unlinked_left`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import has_text, text
from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.auditing.ids import parse_ids
from mpi.auditing.linkage_blocking import candidate_rows
from mpi.auditing.linkage_model import (
    FSModel,
    features,
    fellegi_sunter,
    import_splink,
    m_probabilities,
)
from mpi.errors import ValidationError

__all__ = ["Links", "link", "PAIR_COLUMNS", "COUNT_KEYS"]

#: Columns of :attr:`Links.pairs`, in order.
PAIR_COLUMNS = (
    "left_row", "right_row", "linked_by", "match_weight", "match_probability", "tied",
)  # fmt: skip
#: Keys of :attr:`Links.counts`, in order.
COUNT_KEYS = (
    "left_rows", "right_rows", "linked_by_id", "linked_by_record_linkage", "not_linked",
    "invalid_ids_left", "invalid_ids_right", "ids_repaired_left", "ids_repaired_right",
    "candidate_pairs", "tied_left_rows",
)  # fmt: skip
_PROGRESS_KEY = "audit.progress.linkage"


@dataclass
class Links:
    """The links between the rows of two tables found by :func:`link`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per linked (left row, right row) pair, sorted by ``left_row`` then
        ``right_row``: ``left_row``, ``right_row`` (int64, positional row numbers of the
        inputs), ``linked_by`` (``"id"`` or ``"record linkage"``), ``match_weight`` (log2 Bayes
        factor of the Fellegi–Sunter model, NaN for id links), ``match_probability`` (1.0 for
        id links) and ``tied`` (bool: the left row's best record-linkage score is shared by
        right rows of more than one person — all of them are kept, check by hand). A left row
        linked by id may have several right rows (the same number several times).
    counts : dict
        ``left_rows``, ``right_rows``; ``linked_by_id``, ``linked_by_record_linkage``,
        ``not_linked`` (left rows; these three add up to ``left_rows``); ``invalid_ids_left``,
        ``invalid_ids_right`` (rows whose number is not a valid GB 11643 number);
        ``ids_repaired_left``, ``ids_repaired_right`` (15-digit numbers normalised to 18);
        ``candidate_pairs`` (pairs scored by record linkage); ``tied_left_rows``.
    unlinked_left : pandas.DataFrame
        The left rows not linked: ``left_row``, ``id_number`` and ``name`` (as given),
        ``id_valid`` and ``problem`` (from :func:`~mpi.auditing.ids.parse_ids`: a valid number
        not found in the right table has ``problem == ""``).
    model : str
        Where the m probabilities of record linkage came from: ``"em"`` (EM on these
        tables' candidate pairs), ``"given"`` (``m_from=``: an earlier model of the same
        error process), ``"priors"`` (the fixed
        :data:`mpi.auditing.linkage_model.PRIORS`) or ``"none"`` (no left row needed record
        linkage, or the right table is empty).
    model_reason : str
        Why the priors were used: ``"few candidate pairs"``, ``"em did not converge"`` or
        ``"em failed: <error>"``; ``""`` otherwise.
    parameters : pandas.DataFrame
        The m and u probabilities used (``comparison``, ``level``, ``m``, ``u``); empty
        when ``model == "none"``.
    u_source : str
        Where the u probabilities came from: ``"random sampling"`` (seeded sample of the
        pairs of the two tables), ``"priors"`` (fewer than
        :data:`mpi.auditing.linkage_model.U_MIN_PAIRS` pairs) or ``""`` (no record linkage).
    """

    pairs: pd.DataFrame
    counts: dict[str, int]
    unlinked_left: pd.DataFrame
    model: str = "none"
    model_reason: str = ""
    parameters: pd.DataFrame = field(default_factory=pd.DataFrame)
    u_source: str = ""

    def __repr__(self) -> str:
        c = self.counts
        return (
            f"Links(left_rows={c['left_rows']}, linked_by_id={c['linked_by_id']}, "
            f"linked_by_record_linkage={c['linked_by_record_linkage']}, "
            f"not_linked={c['not_linked']}, model={self.model!r})"
        )


def _check_frame(value: Any, argument: str, columns: dict[str, Hashable]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise ValidationError(
            f"{argument} must be a pandas DataFrame; got {type(value).__name__} — pass a table "
            f"with the columns {list(columns.values())}"
        )
    for arg, col in columns.items():
        if col not in value.columns:
            raise ValidationError(
                f"{argument} has no column {col!r} (the {arg}= argument); its columns are "
                f"{list(value.columns)[:20]} — rename the column or pass {arg}=<column name>"
            )
    return value


def _check_threshold(threshold: Any) -> float:
    ok = isinstance(threshold, (int, float, np.floating, np.integer))
    ok = ok and not isinstance(threshold, (bool, np.bool_))
    if not ok or not (0.0 < float(threshold) <= 1.0):
        raise ValidationError(
            f"threshold must be a match probability in (0, 1]; got {threshold!r} — use e.g. "
            f"threshold=0.9"
        )
    return float(threshold)


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(
            f"em_seed must be an int or None; got {seed!r} — pass em_seed=0 for repeatable links"
        )
    return int(seed)


def _check_blocking(blocking: Any) -> list[Any] | None:
    if blocking is None:
        return None
    if isinstance(blocking, (str, dict)) or not isinstance(blocking, Sequence):
        blocking = [blocking]
    if len(blocking) == 0:
        raise ValidationError(
            "blocking=[] gives record linkage no candidate pairs — pass None for the default "
            "rules or a list of splink blocking rules, e.g. [block_on('birth_date')]"
        )
    return list(blocking)


def _check_m_from(m_from: Any) -> dict[str, tuple[float, ...]] | None:
    if m_from is None:
        return None
    if not isinstance(m_from, Links):
        raise ValidationError(
            f"m_from must be the Links of an earlier link() or None; got "
            f"{type(m_from).__name__} — pass m_from=<Links whose model is 'em'>"
        )
    if m_from.model != "em":
        raise ValidationError(
            f"m_from has model={m_from.model!r}: no trained m probabilities to reuse — pass "
            f"the Links of a link() whose model is 'em', or m_from=None"
        )
    return m_probabilities(m_from.parameters)


def _check_memory_limit(limit: Any) -> str | None:
    if limit is None:
        return None
    ok = isinstance(limit, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", limit, re.I)
    if not ok:
        raise ValidationError(
            f"memory_limit must be a DuckDB memory size such as '4GB' or '500MB', or None; got "
            f"{limit!r} — pass e.g. memory_limit='4GB'"
        )
    return str(limit).strip()


def _repaired(raw: pd.Series, parsed: pd.DataFrame) -> int:
    """Rows whose given number had 15 digits and became a valid 18-character number."""
    valid = parsed["valid"].to_numpy(dtype=bool)
    if "repaired15" in parsed.columns:
        return int((parsed["repaired15"].to_numpy(dtype=bool) & valid).sum())
    s = raw.astype("string").str.normalize("NFKC").str.replace(r"\s", "", regex=True)
    fifteen = s.str.fullmatch(r"\d{15}").fillna(False).to_numpy(dtype=bool)
    return int((fifteen & valid).sum())


def _id_keys(numbers: np.ndarray) -> np.ndarray:
    """int64 key of valid 18-character numbers: ``int(first 17 digits) * 16 + check value``.

    Exact (17 digits < 10**17, times 16 plus at most 10 stays below 2**63) and about ten times
    faster to hash-join than the strings.
    """
    if len(numbers) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    key = np.zeros(len(codes), dtype=np.int64)
    for j in range(17):
        key *= 10
        key += codes[:, j] - 48
    last = codes[:, 17].astype(np.int64)
    return key * 16 + np.where(last == ord("X"), 10, last - 48)


def _id_join(lp: pd.DataFrame, rp: pd.DataFrame) -> pd.DataFrame:
    """Exact hash join of the valid normalised numbers: ``left_row``, ``right_row``."""
    lv = lp["valid"].to_numpy(dtype=bool)
    rv = rp["valid"].to_numpy(dtype=bool)
    left = pd.DataFrame(
        {
            "key": _id_keys(lp["id_number"].to_numpy(dtype=object)[lv]),
            "left_row": np.flatnonzero(lv),
        }
    )
    right = pd.DataFrame(
        {
            "key": _id_keys(rp["id_number"].to_numpy(dtype=object)[rv]),
            "right_row": np.flatnonzero(rv),
        }
    )
    joined = left.merge(right, on="key", how="inner", sort=False)
    return joined[["left_row", "right_row"]].astype(np.int64)


def _best_matches(fs: FSModel, residual: np.ndarray, right_ids: np.ndarray) -> pd.DataFrame:
    """Best right row(s) per left row of the record-linkage pairs; ties kept and flagged."""
    p = fs.pairs
    if p.empty:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    best = p.groupby("left")["match_weight"].transform("max")
    p = p[p["match_weight"] == best].copy()
    # rows of the same (valid) number are one person; rows without one count as distinct
    ident = pd.Series(right_ids[p["right"].to_numpy()], index=p.index, dtype=object)
    ident = ident.where(ident.notna(), "row:" + p["right"].astype(str))
    p["tied"] = ident.groupby(p["left"]).transform("nunique").to_numpy() > 1
    return pd.DataFrame(
        {
            "left_row": residual[p["left"].to_numpy()].astype(np.int64),
            "right_row": p["right"].to_numpy(dtype=np.int64),
            "linked_by": "record linkage",
            "match_weight": p["match_weight"].to_numpy(dtype=np.float64),
            "match_probability": p["match_probability"].to_numpy(dtype=np.float64),
            "tied": p["tied"].to_numpy(dtype=bool),
        }
    )


def link(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    id: Hashable = "id_number",  # noqa: A002 (the contract's name)
    name: Hashable = "name",
    threshold: float = 0.9,
    blocking: Sequence[Any] | Any | None = None,
    em_seed: int | None = 0,
    progress: bool | None = None,
    m_from: Links | None = None,
    memory_limit: str | None = None,
) -> Links:
    """Link the rows of ``left`` to the rows of ``right`` that are the same person.

    1. Both identity-number columns are parsed and normalised (GB 11643-1999;
       :func:`mpi.auditing.ids.parse_ids`: full-width digits, spaces, lower-case x, 15-digit
       numbers of before 1999 repaired by inserting ``19`` and the check character).
    2. Left rows with a valid number are joined exactly to the right rows with the same number
       (a pandas hash join; ``linked_by="id"``, ``match_weight`` NaN, ``match_probability`` 1).
    3. The left rows not linked so (invalid, missing or not found) are linked to the right rows
       by Fellegi–Sunter record linkage (splink, DuckDB backend, ``link_type="link_only"``) on
       name (exact; same toneless pinyin — homophones such as 张伟/章伟 and traditional
       characters; Jaro–Winkler ≥ 0.9, ≥ 0.8), birth date (digits 7–14 of the number as written, even
       when the number is invalid: exact; one digit mistyped or two swapped), region
       (6, 4, 2 leading digits) and sex (digit 17). The match weight is
       ``log2(λ/(1-λ)) + Σ_j log2(m_j/u_j)`` over the comparisons' levels, with
       ``λ = min(0.01, 1/len(right))``. ``u`` comes from seeded random sampling of the pairs
       of the two tables (the chance agreement of *these* tables: in a one-county registry
       most pairs share a region), or the priors when they give fewer than 10,000 pairs.
       ``m`` is reused from ``m_from`` when given (train once, link many registries: the
       dirty identifiers come from one error process); else estimated by EM with u and λ
       fixed — on the candidate pairs of each blocking rule given, or, with the default
       blocking, on the pairs of the broad keys "same birth date" and "same region and
       surname pinyin" of up to 1,000 left rows (seeded sample:
       :data:`mpi.auditing.linkage_blocking.EM_LEFT_ROWS`; EM needs look-alikes besides the
       matches the narrow keys give) — floored at 0.005, the m of a name or
       birth date that disagrees entirely at most its prior (such a pair weighs heavily
       against a match); with fewer than 1,000 candidate pairs per rule, or when EM fails or
       does not converge, the documented priors
       (:data:`mpi.auditing.linkage_model.PRIORS`); recorded in :attr:`Links.model`,
       :attr:`Links.model_reason` and :attr:`Links.u_source`. Pairs with
       ``match_probability >= threshold`` are kept, and of those the best right row(s) per
       left row (ties: all, flagged ``tied``); ``linked_by="record linkage"``.

    Two records whose identity numbers are both valid (and different: equal ones are joined
    in step 2) are different persons and are never compared by record linkage (every
    blocking rule gets the condition ``l.id_valid = false OR r.id_valid = false``). A typo
    keeps the check character right with probability 1/11; such a wrong but valid number is
    not linked — accepted: comparing every valid number with every other links look-alikes
    (same name and county) at high probability.

    Default blocking (candidate pairs, :data:`mpi.auditing.linkage_blocking.BLOCKING_KEYS`):
    the same region + birth date, OR birth date + sequence, OR region + sequence + surname
    pinyin, OR region + birth month + surname pinyin, OR region + birth year + name pinyin,
    OR sequence + name pinyin. A single mistyped
    digit changes one of region, date, sequence, check character and a single transposition
    one of them or one boundary between two, so each keeps at least one rule (why, rule by
    rule: :mod:`mpi.auditing.linkage_blocking`); a missing check character keeps all three
    digit groups; the pinyin survives homophones and traditional characters. Each key holds
    at least 9 identity digits and a surname, 10 and a name, or 11: a few candidates per left row at any
    size of the tables. With the default rules, only the right rows sharing a key with a left
    row reach DuckDB (a pandas semi-join); ``u`` is sampled on the whole right table (on a
    seeded subset of :data:`mpi.auditing.linkage_blocking.U_SAMPLE_ROWS` rows when larger).

    Parameters
    ----------
    left, right : pandas.DataFrame
        The two tables; each needs at least the identity-number column and the name column
        (other columns are ignored). Not modified.
    id, name : hashable, default "id_number", "name"
        The column names of the identity number and the name, in both tables.
    threshold : float, default 0.9
        Least match probability of a record-linkage pair, in (0, 1].
    blocking : splink blocking rule or list of them, optional
        Rules generating the candidate pairs instead of the default (``splink.block_on(...)``
        or SQL strings with ``l.``/``r.`` on the columns ``name``, ``name_py`` (pinyin),
        ``surname_py``, ``birth_date`` (``YYYYMMDD``), ``region``, ``sex``); each gets
        the condition that not both numbers are valid.
    em_seed : int or None, default 0
        Seed of the random sampling that estimates ``u``: the same seed gives the same links.
    progress : bool or None, default None
        A progress bar over the steps, on stderr: None when stderr is a terminal, True always,
        False never. The links are the same either way.
    m_from : Links, optional
        An earlier :func:`link` whose m probabilities were estimated by EM
        (``model == "em"``), e.g. the beneficiaries linked to themselves: its m are reused
        and no EM runs (u is still sampled on these tables).
    memory_limit : str, optional
        DuckDB's memory limit for record linkage, e.g. ``"4GB"`` (it spills to a temporary
        directory beyond it; the connection is closed after the link); None: a quarter of the
        machine's memory (:func:`mpi.auditing.linkage_blocking.default_memory_limit`).

    Returns
    -------
    Links
        ``pairs``, ``counts`` (``linked_by_id + linked_by_record_linkage + not_linked ==
        left_rows``), ``unlinked_left``, ``model``, ``model_reason``, ``parameters``.

    Raises
    ------
    mpi.errors.ValidationError
        When a table is not a DataFrame or lacks a column, an argument is out of range, or
        ``m_from`` is not the Links of an EM-trained link.
    ImportError
        When record linkage is needed and splink or pypinyin is missing
        (``pip install "xmpi[audit]"``).

    References
    ----------
    Fellegi, I. P. and Sunter, A. B. (1969). A theory for record linkage. *JASA* 64, 1183–1210.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.auditing.linkage import link
    >>> a = pd.DataFrame({"id_number": ["11010519491231002X"], "name": ["张三"]})
    >>> b = pd.DataFrame({"id_number": ["110105194912310021", "11010519491231002x"],
    ...                   "name": ["李四", "张三"]})
    >>> links = link(a, b, progress=False)
    >>> links.pairs[["left_row", "right_row", "linked_by"]].values.tolist()
    [[0, 1, 'id']]
    """
    _check_frame(left, "left", {"id": id, "name": name})
    _check_frame(right, "right", {"id": id, "name": name})
    threshold = _check_threshold(threshold)
    em_seed = _check_seed(em_seed)
    rules = _check_blocking(blocking)
    m = _check_m_from(m_from)
    memory_limit = _check_memory_limit(memory_limit)
    show = check_progress(progress)
    desc = text(_PROGRESS_KEY, "en") if has_text(_PROGRESS_KEY) else ""

    with progress_bar(total=3, desc=desc, enabled=show) as bar:
        lp = parse_ids(left[id])
        rp = parse_ids(right[id])
        bar.update(1)
        by_id = _id_join(lp, rp)
        by_id["linked_by"] = "id"
        by_id["match_weight"] = np.nan
        by_id["match_probability"] = 1.0
        by_id["tied"] = False
        bar.update(1)
        linked = np.zeros(len(left), dtype=bool)
        linked[by_id["left_row"].to_numpy()] = True
        residual = np.flatnonzero(~linked)
        fs = None
        if residual.size and len(right):
            _, pypinyin = import_splink()
            lf = features(
                left[id].iloc[residual].reset_index(drop=True),
                lp["id_number"].iloc[residual].reset_index(drop=True),
                left[name].iloc[residual].reset_index(drop=True),
                pypinyin.lazy_pinyin,
                lp["valid"].iloc[residual].reset_index(drop=True),
            )
            rf = features(
                right[id].reset_index(drop=True),
                rp["id_number"].reset_index(drop=True),
                right[name].reset_index(drop=True),
                pypinyin.lazy_pinyin,
                rp["valid"].reset_index(drop=True),
            )
            candidates = rf
            if rules is None:  # the default keys: only right rows sharing one reach DuckDB
                keep = candidate_rows(lf, rf)
                keep[0] |= not keep.any()  # one row (no pair) keeps the tables well-formed
                candidates = rf[keep].reset_index(drop=True)
            fs = fellegi_sunter(
                lf, candidates, threshold=threshold, blocking=rules, seed=em_seed, m=m,
                whole=rf, memory_limit=memory_limit,
            )  # fmt: skip
        bar.update(1)

    right_ids = rp["id_number"].where(rp["valid"]).to_numpy(dtype=object)
    by_rl = (
        _best_matches(fs, residual, right_ids)
        if fs is not None
        else pd.DataFrame(columns=list(PAIR_COLUMNS))
    )
    frames = [f for f in (by_id[list(PAIR_COLUMNS)], by_rl) if len(f)]
    pairs = pd.concat(frames, ignore_index=True) if frames else by_id[list(PAIR_COLUMNS)].iloc[:0]
    pairs = pairs.astype(
        {"left_row": np.int64, "right_row": np.int64, "linked_by": object,
         "match_weight": np.float64, "match_probability": np.float64, "tied": bool}
    )  # fmt: skip
    pairs = pairs.sort_values(["left_row", "right_row"], kind="stable").reset_index(drop=True)

    rl_rows = np.unique(by_rl["left_row"].to_numpy(dtype=np.int64))
    linked[rl_rows] = True
    not_linked = np.flatnonzero(~linked)
    unlinked = pd.DataFrame(
        {
            "left_row": not_linked.astype(np.int64),
            "id_number": left[id].iloc[not_linked].to_numpy(dtype=object),
            "name": left[name].iloc[not_linked].to_numpy(dtype=object),
            "id_valid": lp["valid"].iloc[not_linked].to_numpy(dtype=bool),
            "problem": lp["problem"].iloc[not_linked].to_numpy(dtype=object),
        }
    )
    counts = {
        "left_rows": len(left),
        "right_rows": len(right),
        "linked_by_id": int(by_id["left_row"].nunique()),
        "linked_by_record_linkage": len(rl_rows),
        "not_linked": len(not_linked),
        "invalid_ids_left": int((~lp["valid"].to_numpy(dtype=bool)).sum()),
        "invalid_ids_right": int((~rp["valid"].to_numpy(dtype=bool)).sum()),
        "ids_repaired_left": _repaired(left[id], lp),
        "ids_repaired_right": _repaired(right[id], rp),
        "candidate_pairs": 0 if fs is None else fs.candidate_pairs,
        "tied_left_rows": int(by_rl.loc[by_rl["tied"].astype(bool), "left_row"].nunique()),
    }
    if fs is None:
        return Links(pairs, counts, unlinked)
    return Links(pairs, counts, unlinked, fs.model, fs.reason, fs.parameters, fs.u_source)
