"""Who is who in an audit: one key per person across programmes, one link per registry.

The payments of a person may carry their identity number cleanly in one programme and with a
typo in another. :func:`person_keys` gives every payment row a person key: rows with the same
valid (normalised) number share a key; the persons seen only with invalid numbers are linked by
record linkage (:func:`mpi.auditing.link`) to the valid-number persons of the payments and take
their key when exactly one matches; any other person keeps a key of their own.
:func:`registry_links` then links the *distinct persons* (not every payment) to a registry once
and expands the links to the payment rows. Record linkage is trained once: the m
probabilities that EM estimated on the self-linkage (the invalid numbers of the payments
against their valid-number persons) are reused for every registry, whose dirty identifiers
come from the same error process; only u (chance agreement) is sampled per registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mpi.auditing.context import LINK_COLUMNS, empty_links
from mpi.auditing.ids import parse_ids
from mpi.auditing.linkage import Links, link

__all__ = ["Persons", "person_keys", "registry_links", "RECORD_LINKAGE"]

#: ``linked_by`` of a link made by probabilistic record linkage.
RECORD_LINKAGE = "record linkage"


@dataclass
class Persons:
    """The person keys of the payments.

    Attributes
    ----------
    key
        int64 array, one person key per payment row (``0 .. n_persons - 1``, in order of first
        appearance).
    table
        One row per person (index = key): ``id_number`` (the normalised valid number, or for a
        person seen only with invalid numbers the number as first given), ``name`` (as first
        given), ``id_valid`` (bool).
    rows
        Per payment row: ``id_clean`` (normalised number or NA), ``id_valid`` (bool),
        ``problem`` (why the number is invalid, "" when valid), ``repaired`` (a 15-digit
        number normalised to 18), ``self_linked`` (bool: an invalid number linked to a
        valid-number person of the payments), ``self_weight``, ``self_probability`` (that
        link's match weight and probability; NaN for other rows).
    counts
        The counts of the self-linkage (:attr:`mpi.auditing.Links.counts`; empty when no row
        needed it).
    links
        The self-linkage itself (None when no row needed it); when its m probabilities were
        estimated by EM, :func:`registry_links` reuses them for every registry.
    """

    key: np.ndarray
    table: pd.DataFrame
    rows: pd.DataFrame
    counts: dict[str, Any]
    links: Links | None = None


def _repaired(raw: pd.Series, clean: pd.Series) -> np.ndarray:
    """True where a 15-digit number was normalised into an 18-character one."""
    digits = raw.astype("string").str.count(r"[0-9０-９]").fillna(0).to_numpy(dtype=np.int64)
    return (digits == 15) & clean.notna().to_numpy()


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``values`` as (codes, distinct values): ``distinct[codes]`` gives ``values`` back.

    Text (every non-missing value a ``str``) is factorised: a missing value has the last
    code, whose distinct value is NA. Other values (numbers, mixed types, where ``1 == 1.0``
    would merge values that parse differently) are each their own distinct value.
    """
    text = pd.api.types.is_string_dtype(values.dtype) or pd.api.types.infer_dtype(
        values, skipna=True
    ) in ("string", "empty")
    if not text:
        return np.arange(len(values), dtype=np.int64), values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = np.append(np.asarray(uniques, dtype=object), pd.NA)
    return np.where(codes < 0, len(distinct) - 1, codes).astype(np.int64), distinct


def _string_codes(distinct: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Codes of ``str(value)`` of each distinct value ("" where ``missing``): equal texts,
    equal codes."""
    texts = np.array([str(v) for v in distinct], dtype=object)
    texts[missing] = ""
    return pd.factorize(texts, sort=False)[0].astype(np.int64)


def person_keys(
    payments: pd.DataFrame, *, threshold: float, progress: bool | None = None
) -> Persons:
    """One key per person of the payments.

    The identity numbers are parsed once per distinct number and the persons found by
    integer codes (a row's identity: its valid number, else its number as given and its
    name), so memory grows by a few integers per payment row, not by strings.

    Parameters
    ----------
    payments
        Standard beneficiaries (positional index, columns ``id_number`` and ``name``).
    threshold
        Match probability a record-linkage pair needs (:func:`mpi.auditing.link`).
    progress
        Progress bar of the record linkage (see :func:`mpi.auditing.link`).

    Returns
    -------
    Persons
        Keys, the person table and the per-row identity columns.
    """
    raw = payments["id_number"].reset_index(drop=True)
    raw_code, raw_distinct = _distinct(raw)
    parsed = parse_ids(pd.Series(raw_distinct, dtype=object))
    clean_d = parsed["id_number"].to_numpy(dtype=object)
    clean_na = parsed["id_number"].isna().to_numpy()
    valid_d = parsed["valid"].to_numpy(dtype=bool)
    repaired_d = _repaired(pd.Series(raw_distinct, dtype=object), parsed["id_number"])
    valid = valid_d[raw_code]
    # identity of a row: the valid number, else (cleaned or given number, name)
    raw_na = pd.isna(raw_distinct)
    given_d = np.where(clean_na, raw_distinct, clean_d)
    name_code, name_distinct = _distinct(payments["name"].reset_index(drop=True))
    name_sc = _string_codes(name_distinct, pd.isna(name_distinct))
    n_names = int(name_sc.max()) + 1 if len(name_sc) else 1
    valid_sc = _string_codes(clean_d, clean_na)
    given_sc = _string_codes(given_d, clean_na & raw_na)
    n_valid = int(valid_sc.max()) + 1 if len(valid_sc) else 1
    ident = np.where(valid, valid_sc[raw_code],
                     n_valid + given_sc[raw_code] * n_names + name_sc[name_code])  # fmt: skip
    del name_code
    codes, uniques = pd.factorize(ident, sort=False)
    del ident
    first = np.unique(codes, return_index=True)[1]
    first_valid = valid[first]
    table = pd.DataFrame(
        {
            "id_number": np.where(first_valid, clean_d[raw_code[first]],
                                  raw.to_numpy(dtype=object)[first]),
            "name": payments["name"].to_numpy(dtype=object)[first],
            "id_valid": first_valid,
        }
    )  # fmt: skip
    target = np.arange(len(uniques), dtype=np.int64)
    weight = np.full(len(uniques), np.nan)
    prob = np.full(len(uniques), np.nan)
    counts: dict[str, Any] = {}
    links: Links | None = None
    left_ids = np.flatnonzero(~first_valid)
    right_ids = np.flatnonzero(first_valid)
    if len(left_ids) and len(right_ids):
        left = table.iloc[left_ids][["id_number", "name"]].reset_index(drop=True)
        right = table.iloc[right_ids][["id_number", "name"]].reset_index(drop=True)
        links = link(left, right, threshold=threshold, progress=progress)
        counts = dict(links.counts)
        pairs = links.pairs
        single = pairs.groupby("left_row")["right_row"].transform("size") == 1
        pairs = pairs[single.to_numpy()]
        lrow = left_ids[pairs["left_row"].to_numpy(dtype=np.int64)]
        target[lrow] = right_ids[pairs["right_row"].to_numpy(dtype=np.int64)]
        weight[lrow] = pairs["match_weight"].to_numpy(dtype=float)
        prob[lrow] = pairs["match_probability"].to_numpy(dtype=float)
    # renumber the persons in order of first appearance
    final, _ = pd.factorize(pd.Series(target[codes]), sort=False)
    key = final.astype(np.int64)
    keep = np.unique(key, return_index=True)[1]  # each person's first row
    merged = target != np.arange(len(uniques))
    person_table = table.iloc[target[codes][keep]].reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "id_clean": pd.Series(clean_d[raw_code], dtype=object),
            "id_valid": valid,
            "problem": pd.Series(parsed["problem"].to_numpy(dtype=object)[raw_code], dtype=object),
            "repaired": repaired_d[raw_code],
            "self_linked": merged[codes],
            "self_weight": weight[codes],
            "self_probability": prob[codes],
        }
    )
    return Persons(key=key, table=person_table, rows=rows, counts=counts, links=links)


def registry_links(
    persons: Persons,
    registry: pd.DataFrame,
    *,
    threshold: float,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The payment rows linked to records of ``registry``, linking each person once.

    A payment row that reached its person through record linkage of its own (invalid)
    number carries that link too: its ``linked_by`` is ``"record linkage"``, its
    ``match_probability`` the product of the two links' probabilities (both must be right)
    and its ``match_weight`` the smaller of the two weights (the weaker link; an id link has
    no weight).

    The m probabilities of the self-linkage (when estimated by EM) are reused
    (``link(..., m_from=persons.links)``): no EM per registry.

    Parameters
    ----------
    persons
        The person keys (:func:`person_keys`).
    registry
        A standard registry (``id_number``, ``name``).
    threshold
        Match probability a record-linkage pair needs.
    progress
        Progress bar of the record linkage.

    Returns
    -------
    tuple
        The links (columns of :meth:`~mpi.auditing.context.AuditContext.linked`, sorted by
        ``row``, ``registry_row``) and the counts of :func:`mpi.auditing.link` (persons as the
        left rows).
    """
    left = persons.table[["id_number", "name"]]
    right = registry[["id_number", "name"]]
    if not len(left) or not len(right):
        return empty_links(), {}
    trained = persons.links if persons.links is not None and persons.links.model == "em" else None
    links = link(left, right, threshold=threshold, progress=progress, m_from=trained)
    pairs = links.pairs
    by_person = pd.DataFrame(
        {
            "person": pairs["left_row"].to_numpy(dtype=np.int64),
            "registry_row": pairs["right_row"].to_numpy(dtype=np.int64),
            "linked_by": pairs["linked_by"].to_numpy(dtype=object),
            "match_weight": pairs["match_weight"].to_numpy(dtype=float),
            "match_probability": pairs["match_probability"].to_numpy(dtype=float),
        }
    )
    # only the payment rows of linked persons (not a frame of every row) meet the merge
    at = np.flatnonzero(np.isin(persons.key, by_person["person"].to_numpy()))
    rows = pd.DataFrame({"row": at.astype(np.int64), "person": persons.key[at]})
    out = rows.merge(by_person, on="person", how="inner").drop(columns="person")
    selfl = persons.rows["self_linked"].to_numpy(dtype=bool)[out["row"].to_numpy()]
    if selfl.any():
        r = out["row"].to_numpy()[selfl]
        w_self = persons.rows["self_weight"].to_numpy(dtype=float)[r]
        p_self = persons.rows["self_probability"].to_numpy(dtype=float)[r]
        w_reg = out["match_weight"].to_numpy(dtype=float)[selfl]
        out.loc[selfl, "match_weight"] = np.fmin(w_self, w_reg)
        out.loc[selfl, "match_probability"] = (
            out["match_probability"].to_numpy(dtype=float)[selfl] * p_self
        )
        out.loc[selfl, "linked_by"] = RECORD_LINKAGE
    out = out.sort_values(["row", "registry_row"], kind="stable").reset_index(drop=True)
    out["row"] = out["row"].astype(np.int64)
    out["registry_row"] = out["registry_row"].astype(np.int64)
    return out.loc[:, list(LINK_COLUMNS)], dict(links.counts)
