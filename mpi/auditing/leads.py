"""From the hits of the rules to ranked leads: one row per (person, programme, rule).

A rule's ``check`` returns hits, one per (payment row, matched record). :func:`check_hits`
puts a rule's hits in standard form (a user's rule may leave out the optional columns);
:func:`aggregate` groups them by person, programme and rule, counting each payment once
(its largest amount at risk over the records it matched), and ranks the leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import text
from mpi.errors import ValidationError

__all__ = ["HIT_COLUMNS", "LEAD_COLUMNS", "EVIDENCE_SHOWN", "check_hits", "aggregate"]

#: Columns of a rule's hits.
HIT_COLUMNS = ("row", "evidence", "registry_row", "linked_by", "match_weight",
               "match_probability", "amount_at_risk")  # fmt: skip
#: Columns of :attr:`mpi.auditing.AuditResult.leads`, in order.
LEAD_COLUMNS = (
    "id_number", "name", "programme", "rule", "evidence", "match_weight",
    "match_probability", "linked_by", "amount_at_risk", "n_payments", "village",
    "household_id", "rank",
)  # fmt: skip
#: Evidence texts shown in a lead before "(and n more)".
EVIDENCE_SHOWN = 3


def check_hits(hits: Any, rule: str, payments: pd.DataFrame) -> pd.DataFrame:
    """A rule's hits in standard form.

    Parameters
    ----------
    hits
        What the rule's ``check`` returned: a DataFrame with at least ``row`` (positions in
        ``payments``) and ``evidence``. Missing optional columns are filled: ``registry_row``
        NA, ``linked_by`` NA, ``match_weight`` NaN, ``match_probability`` 1.0 and
        ``amount_at_risk`` the payment's amount.
    rule
        The rule's name, for messages.
    payments
        The standard payments the rule checked.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HIT_COLUMNS` plus ``rule``; ``row`` int64.

    Raises
    ------
    ValidationError
        When the hits are not a DataFrame, lack ``row`` or ``evidence``, or name rows that
        are not payments.
    """
    if not isinstance(hits, pd.DataFrame):
        raise ValidationError(
            f"rule {rule!r}: check must return a pandas DataFrame of hits; got "
            f"{type(hits).__name__}"
        )
    missing = [c for c in ("row", "evidence") if c not in hits.columns]
    if missing:
        raise ValidationError(
            f"rule {rule!r}: its hits have no column(s) {missing}; a check returns one row "
            f"per hit with columns {list(HIT_COLUMNS)}"
        )
    rows = pd.to_numeric(hits["row"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(rows) | (rows < 0) | (rows >= len(payments)) | (rows % 1 != 0)
    if bad.any():
        raise ValidationError(
            f"rule {rule!r}: hit row {hits['row'].tolist()[int(np.flatnonzero(bad)[0])]!r} is not a "
            f"position of context.payments (0 .. {len(payments) - 1})"
        )
    n = len(hits)
    row = rows.astype(np.int64)

    def col(name: str, default: Any, dtype: Any) -> np.ndarray:
        if name in hits.columns:
            return hits[name].to_numpy(dtype=dtype)
        return np.full(n, default, dtype=dtype)

    amount = payments["amount"].to_numpy(dtype=float)[row]
    risk = (
        pd.to_numeric(hits["amount_at_risk"], errors="coerce").to_numpy(dtype=float)
        if "amount_at_risk" in hits.columns
        else amount
    )
    prob = (
        pd.to_numeric(hits["match_probability"], errors="coerce").to_numpy(dtype=float)
        if "match_probability" in hits.columns
        else np.ones(n)
    )
    return pd.DataFrame(
        {
            "row": row,
            "evidence": hits["evidence"].astype(object).to_numpy(),
            "registry_row": pd.array(
                hits["registry_row"] if "registry_row" in hits.columns else [pd.NA] * n,
                dtype="Int64",
            ),
            "linked_by": col("linked_by", pd.NA, object),
            "match_weight": col("match_weight", np.nan, float),
            "match_probability": np.where(np.isnan(prob), 1.0, prob),
            "amount_at_risk": risk,
            "rule": np.full(n, rule, dtype=object),
        }
    )


def _join(values: Sequence[Any]) -> Any:
    """One value when all agree, else the distinct values joined with ", "."""
    seen = list(dict.fromkeys(v for v in values if not pd.isna(v)))
    if not seen:
        return pd.NA
    return seen[0] if len(seen) == 1 else ", ".join(map(str, seen))


def _evidence(values: Sequence[Any], lang: str = "en") -> str:
    """The distinct evidence texts, the first :data:`EVIDENCE_SHOWN` of them and a count."""
    seen = list(dict.fromkeys(str(v) for v in values if not pd.isna(v)))
    shown = "; ".join(seen[:EVIDENCE_SHOWN])
    extra = len(seen) - EVIDENCE_SHOWN
    return shown + (text("audit.result.evidence_more", lang, n=extra) if extra > 0 else "")


def _best_linked_by(group: pd.DataFrame) -> Any:
    """``linked_by`` of the hit with the highest match probability (first on ties)."""
    values = group["linked_by"].to_numpy(dtype=object)
    prob = group["match_probability"].to_numpy(dtype=float)
    return values[int(np.argmax(prob))] if len(values) else pd.NA


def aggregate(hits: pd.DataFrame, payments: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Leads from hits: one row per (person, programme, rule), ranked.

    Parameters
    ----------
    hits
        Standard hits of all rules (:func:`check_hits`, concatenated).
    payments
        The standard payments (columns ``person``, ``programme``, ``amount``, ``village``,
        ``household_id``, ``name``).
    persons
        One row per person key: ``id_number`` (its normalised valid number, or as given).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LEAD_COLUMNS`. ``amount_at_risk`` sums over the lead's distinct payment
        rows the largest amount at risk of each row's hits (a payment matching two records
        counts once); ``n_payments`` counts those rows; ``match_weight`` and
        ``match_probability`` are the largest over the hits, ``linked_by`` that of the most
        probable hit; ``evidence`` the distinct texts (the first three and a count of the
        rest); ``village`` and ``household_id`` the payments' values (distinct values joined).
        ``rank`` 1 is the lead with the largest ``amount_at_risk x match_probability``, ties
        broken by the larger ``match_weight`` (an exact id link, weight NaN, first), then by
        rule, programme, id number and name.
    """
    if not len(hits):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in LEAD_COLUMNS}).astype(
            {
                "match_weight": float,
                "match_probability": float,
                "amount_at_risk": float,
                "n_payments": np.int64,
                "rank": np.int64,
            }  # fmt: skip
        )
    h = hits.copy()
    h["person"] = payments["person"].to_numpy()[h["row"].to_numpy()]
    h["programme"] = payments["programme"].to_numpy(dtype=object)[h["row"].to_numpy()]
    keys = ["person", "programme", "rule"]
    per_row = h.groupby([*keys, "row"], sort=False)["amount_at_risk"].max().reset_index()
    totals = per_row.groupby(keys, sort=False).agg(
        amount_at_risk=("amount_at_risk", lambda s: float(np.nansum(s.to_numpy(dtype=float)))),
        n_payments=("row", "size"),
    )
    h = h.sort_values([*keys, "row"], kind="stable")
    groups = h.groupby(keys, sort=False)
    leads = pd.DataFrame(
        {
            "evidence": groups["evidence"].agg(lambda s: _evidence(list(s))),
            "match_weight": groups["match_weight"].max(),
            "match_probability": groups["match_probability"].max(),
            "linked_by": groups[["linked_by", "match_probability"]].apply(_best_linked_by),
            "rows": groups["row"].agg(lambda s: list(dict.fromkeys(s))),
        }
    ).join(totals)
    leads = leads.reset_index()
    person = leads["person"].to_numpy(dtype=np.int64)
    leads["id_number"] = persons["id_number"].to_numpy(dtype=object)[person]
    village = payments["village"].to_numpy(dtype=object)
    household = payments["household_id"].to_numpy(dtype=object)
    names = payments["name"].to_numpy(dtype=object)
    leads["name"] = [_join(names[r]) for r in leads["rows"]]
    leads["village"] = [_join(village[r]) for r in leads["rows"]]
    leads["household_id"] = [_join(household[r]) for r in leads["rows"]]
    score = leads["amount_at_risk"].to_numpy(dtype=float) * leads["match_probability"].to_numpy(
        dtype=float
    )
    weight = leads["match_weight"].to_numpy(dtype=float)
    order = pd.DataFrame(
        {
            "score": -np.nan_to_num(score, nan=0.0),
            "weight": -np.where(np.isnan(weight), np.inf, weight),
            "rule": leads["rule"].astype(str),
            "programme": leads["programme"].astype(str),
            "id": leads["id_number"].astype(str),
            "name": leads["name"].astype(str),
        }
    )
    idx = order.sort_values(list(order.columns), kind="stable").index
    out = leads.loc[idx].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1, dtype=np.int64)
    out["n_payments"] = out["n_payments"].astype(np.int64)
    return out.loc[:, list(LEAD_COLUMNS)]
