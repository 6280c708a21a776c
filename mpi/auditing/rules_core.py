"""The :class:`Rule` of a benefit-list audit and the frame of hits every rule returns.

A rule is data (a name, the registries it needs, its parameters, the policy it enforces) plus
a ``check`` function ``check(context, rule) -> hits``. The hits frame has one row per
offending payment, with the columns of :data:`HIT_COLUMNS`; :func:`make_hits` builds it with
the right dtypes, so a user's rule is a few lines of pandas::

    def big_payment(context, rule):
        pay = context.payments
        rows = np.flatnonzero(pay["amount"].to_numpy() > rule.params["limit"])
        return make_hits(rows, [f"payment row {r}: ¥{pay.amount[r]:,.0f}" for r in rows],
                         linked_by="id", match_probability=1.0,
                         amount_at_risk=pay["amount"].to_numpy()[rows])

    mpi.auditing.Rule(name="big_payment", needs=(), check=big_payment, params={"limit": 5000.0},
                   source="local rule", description="single payments above ¥5,000")

The helpers below the class (:func:`best_per_row`, :func:`money`, :func:`day`, ...) are
shared by the default rules of :mod:`mpi.auditing.rules_registry` and
:mod:`mpi.auditing.rules_payments`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

if TYPE_CHECKING:
    from mpi.auditing.context import AuditContext

__all__ = [
    "Rule", "HIT_COLUMNS", "make_hits", "empty_hits", "best_per_row", "person_link",
    "period_key", "period_text", "money", "day", "days", "pull", "payment_texts",
    "record_texts", "number_param", "choice_param", "programmes_param",
]  # fmt: skip

#: Columns of the frame a rule's ``check`` returns, in order: ``row`` (int64, the offending
#: payment's position in ``context.payments``), ``evidence`` (str), ``registry_row`` (Int64,
#: NA when no registry record is involved), ``linked_by`` (str), ``match_weight`` and
#: ``match_probability`` (float64, NaN when not known) and ``amount_at_risk`` (float64).
HIT_COLUMNS = (
    "row", "evidence", "registry_row", "linked_by", "match_weight", "match_probability",
    "amount_at_risk",
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """One audit rule: what it checks, with which parameters, on whose authority.

    Parameters
    ----------
    name : str
        The rule's name (the ``rule`` column of the leads), e.g. ``"paid_after_death"``.
    needs : tuple of str
        The registry kinds the rule reads (``("death",)``); empty for rules on the payments
        alone. :func:`mpi.audit` does not run a rule whose registries were not given.
    check : callable
        ``check(context, rule) -> pandas.DataFrame``: given the
        :class:`~mpi.auditing.context.AuditContext` and this rule (for :attr:`params`), the hits,
        one row per offending payment, with the columns of :data:`HIT_COLUMNS` (build it
        with :func:`make_hits`).
    params : mapping
        The rule's parameters with their values (read-only; change them with
        :meth:`with_params`).
    source : str
        The policy the rule enforces, cited (document, issuing body, year).
    description : str
        One sentence: what a hit means.

    Raises
    ------
    ValidationError
        When a field has the wrong type (the message names the field).
    """

    name: str
    needs: tuple[str, ...]
    check: Callable[[AuditContext, Rule], pd.DataFrame]
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(
                f"Rule name={self.name!r} must be a non-empty string, e.g. 'paid_after_death'"
            )
        needs = (self.needs,) if isinstance(self.needs, str) else self.needs
        try:
            needs = tuple(needs)
        except TypeError:
            raise ValidationError(
                f"Rule {self.name!r}: needs={self.needs!r} must be a tuple of registry kinds, "
                "e.g. ('death',), or () for a rule on the payments alone"
            ) from None
        if not all(isinstance(k, str) for k in needs):
            raise ValidationError(
                f"Rule {self.name!r}: needs={self.needs!r} must hold registry kinds (strings)"
            )
        if not callable(self.check):
            raise ValidationError(
                f"Rule {self.name!r}: check={self.check!r} is not callable; pass a function "
                "check(context, rule) -> DataFrame of hits"
            )
        if not isinstance(self.params, Mapping):
            raise ValidationError(
                f"Rule {self.name!r}: params={self.params!r} must be a mapping, e.g. "
                "{'threshold': 100000.0}"
            )
        for fname in ("source", "description"):
            if not isinstance(getattr(self, fname), str):
                raise ValidationError(
                    f"Rule {self.name!r}: {fname}={getattr(self, fname)!r} must be a string"
                )
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def with_params(self, **params: Any) -> Rule:
        """A copy of the rule with some parameters changed.

        Parameters
        ----------
        **params
            New values of existing parameters, e.g. ``threshold=500_000``.

        Returns
        -------
        Rule
            The copy; this rule is unchanged.

        Raises
        ------
        ValidationError
            When a name is not a parameter of the rule (a typo would otherwise be ignored).
        """
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValidationError(
                f"with_params: {unknown} not parameters of rule {self.name!r}; its parameters "
                f"are {sorted(self.params)}"
            )
        return replace(self, params={**self.params, **params})

    def run(self, context: AuditContext) -> pd.DataFrame:
        """Run :attr:`check` on ``context`` and check what it returns.

        Parameters
        ----------
        context : AuditContext
            The standardised tables and links of the audit.

        Returns
        -------
        pandas.DataFrame
            The hits, columns :data:`HIT_COLUMNS` in order with their dtypes, sorted by
            ``row`` then ``registry_row``, on a fresh ``RangeIndex``.

        Raises
        ------
        ValidationError
            When ``check`` does not return a DataFrame with the columns of
            :data:`HIT_COLUMNS`, or a ``row`` that is not a payment position.
        """
        out = self.check(context, self)
        if not isinstance(out, pd.DataFrame):
            raise ValidationError(
                f"rule {self.name!r}: check returned {type(out).__name__}, not a DataFrame; "
                "build the hits with mpi.auditing.rules.make_hits"
            )
        missing = [c for c in HIT_COLUMNS if c not in out.columns]
        if missing:
            raise ValidationError(
                f"rule {self.name!r}: the hits lack columns {missing}; a check must return "
                f"the columns {list(HIT_COLUMNS)} (use mpi.auditing.rules.make_hits)"
            )
        hits = make_hits(
            out["row"].to_numpy(), out["evidence"].tolist(),
            registry_row=out["registry_row"], linked_by=out["linked_by"].tolist(),
            match_weight=out["match_weight"].to_numpy(dtype=float),
            match_probability=out["match_probability"].to_numpy(dtype=float),
            amount_at_risk=out["amount_at_risk"].to_numpy(dtype=float),
        )  # fmt: skip
        n = len(context.payments)
        bad = hits["row"][(hits["row"] < 0) | (hits["row"] >= n)]
        if len(bad):
            raise ValidationError(
                f"rule {self.name!r}: hit row {int(bad.iloc[0])} is not a position of the "
                f"{n} payments; row must be a position in context.payments"
            )
        return hits


def make_hits(
    row: Iterable[int],
    evidence: Iterable[str],
    *,
    registry_row: Any = None,
    linked_by: Any = "id",
    match_weight: Any = np.nan,
    match_probability: Any = np.nan,
    amount_at_risk: Any = 0.0,
) -> pd.DataFrame:
    """The hits frame of a rule, with the columns and dtypes of :data:`HIT_COLUMNS`.

    Parameters
    ----------
    row : sequence of int
        Positions of the offending payments in ``context.payments``.
    evidence : sequence of str
        One readable text per hit naming the matched record and its values.
    registry_row : sequence of int or None, optional
        Position of the matched registry record per hit (None/NA when none).
    linked_by : str or sequence of str, optional
        How the person was matched (``"id"``, ``"record linkage"``, ...).
    match_weight, match_probability : float or sequence of float, optional
        Of the link behind the hit (NaN when not known).
    amount_at_risk : float or sequence of float, optional
        The money the hit puts in doubt.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``row`` then ``registry_row``, on a fresh ``RangeIndex``.
    """
    rows = np.asarray(list(row) if not isinstance(row, np.ndarray) else row, dtype=np.int64)
    n = len(rows)
    ev = [str(e) for e in evidence]
    if len(ev) != n:
        raise ValidationError(
            f"make_hits: {len(ev)} evidence texts for {n} rows; give one text per hit row"
        )

    def _col(value: Any, dtype: Any) -> Any:
        if value is None or np.ndim(value) == 0:
            return pd.Series([value] * n, dtype=dtype) if value is not None else None
        return pd.Series(np.asarray(value) if dtype != "Int64" else list(value), dtype=dtype)

    reg = _col(registry_row, "Int64")
    out = pd.DataFrame(
        {
            "row": rows,
            "evidence": pd.Series(ev, dtype=object),
            "registry_row": reg if reg is not None else pd.array([pd.NA] * n, dtype="Int64"),
            "linked_by": _col(linked_by, object),
            "match_weight": _col(match_weight, np.float64),
            "match_probability": _col(match_probability, np.float64),
            "amount_at_risk": _col(amount_at_risk, np.float64),
        }
    )
    for c in out.columns:
        if len(out[c]) != n:  # pragma: no cover - pandas raises first on length mismatch
            raise ValidationError(f"make_hits: {c} has a length other than {n}")
    return out.sort_values(["row", "registry_row"], kind="stable").reset_index(drop=True)


def empty_hits() -> pd.DataFrame:
    """A hits frame with no rows (the columns and dtypes of :data:`HIT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
    """
    return make_hits(np.array([], dtype=np.int64), [])


def best_per_row(
    links: pd.DataFrame, *, then: str | None = None, ascending: bool = True
) -> pd.DataFrame:
    """One link per payment row: the most probable, then the heaviest, then by ``then``.

    Parameters
    ----------
    links : pandas.DataFrame
        Links with ``row``, ``registry_row``, ``match_weight``, ``match_probability``.
    then : str, optional
        A further column to break ties (e.g. the registry value), before ``registry_row``.
    ascending : bool
        Order of ``then``.

    Returns
    -------
    pandas.DataFrame
        A subset of ``links`` (its index reset), one row per ``row``.
    """
    keys = ["row", "_p", "_w"] + ([then] if then else []) + ["registry_row"]
    order = [True, False, False] + ([ascending] if then else []) + [True]
    tmp = links.assign(
        _p=links["match_probability"].fillna(-1.0), _w=links["match_weight"].fillna(np.inf)
    )
    tmp = tmp.sort_values(keys, ascending=order, kind="stable")
    return tmp.drop_duplicates("row").drop(columns=["_p", "_w"]).reset_index(drop=True)


def person_link(payments: pd.DataFrame) -> pd.DataFrame:
    """How the rows of each person were put together, per payment row.

    ``linked_by`` is ``"id"`` (``match_probability`` 1, ``match_weight`` NaN) when every row of
    the person carries the same normalised identity number, else ``"record linkage"`` (an
    invalid number was joined to the person by record linkage, see
    :class:`~mpi.auditing.context.AuditContext` ``person``). For those, when the payments have
    the optional columns ``self_probability`` and ``self_weight`` (the self-link of each
    invalid-number row), the person's weakest link (lowest probability, lowest weight) is
    given; otherwise both are NaN.

    Parameters
    ----------
    payments : pandas.DataFrame
        ``context.payments`` (``person``, ``id_clean``; optional ``self_probability``,
        ``self_weight``).

    Returns
    -------
    pandas.DataFrame
        Columns ``linked_by``, ``match_weight``, ``match_probability``, indexed like
        ``payments``.
    """
    ids = payments["id_clean"].astype(object).where(payments["id_clean"].notna(), "")
    person = payments["person"]
    same = ids.groupby(person).transform("nunique").to_numpy() == 1
    same &= ids.to_numpy() != ""
    weight = np.full(len(payments), np.nan)
    prob = np.full(len(payments), np.nan)
    for col, out in (("self_weight", weight), ("self_probability", prob)):
        if col in payments.columns:
            low = pd.to_numeric(payments[col], errors="coerce").groupby(person).transform("min")
            out[:] = low.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "linked_by": np.where(same, "id", "record linkage").astype(object),
            "match_weight": np.where(same, np.nan, weight),
            "match_probability": np.where(same, 1.0, prob),
        },
        index=payments.index,
    )


def period_key(dates: pd.Series, period: str) -> pd.Series:
    """The calendar period of each date as an integer: ``202103`` (month) or ``2021`` (year).

    Integers group fast on millions of rows; :func:`period_text` writes them for evidence.
    The two kinds never collide (six digits against four), so one column may hold both.

    Parameters
    ----------
    dates : pandas.Series
        datetime64 values.
    period : {"month", "year"}
        The period.

    Returns
    -------
    pandas.Series
        int64, indexed like ``dates``.
    """
    year = dates.dt.year.astype(np.int64)
    return year * 100 + dates.dt.month.astype(np.int64) if period == "month" else year


def period_text(code: int) -> str:
    """A :func:`period_key` as evidence shows it: ``"2021-03"`` or ``"2021"``.

    Parameters
    ----------
    code : int
        The period key.

    Returns
    -------
    str
    """
    code = int(code)
    return f"{code // 100}-{code % 100:02d}" if code >= 10_000 else str(code)


def money(value: float) -> str:
    """An amount as the evidence shows it: ``¥300``, ``¥1,250.50``.

    Parameters
    ----------
    value : float
        Yuan.

    Returns
    -------
    str
    """
    v = float(value)
    return f"¥{v:,.0f}" if v == round(v) else f"¥{v:,.2f}"


def day(value: Any) -> str:
    """A date as the evidence shows it (ISO, ``2021-03-02``; ``unknown date`` when NaT).

    Parameters
    ----------
    value : datetime-like
        The date.

    Returns
    -------
    str
    """
    return "unknown date" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def days(values: Any) -> np.ndarray:
    """:func:`day` of many dates at once.

    Parameters
    ----------
    values : array-like of datetime64
        The dates.

    Returns
    -------
    numpy.ndarray
        object array of str.
    """
    dates = pd.Series(np.asarray(values, dtype="datetime64[ns]"))
    return dates.dt.strftime("%Y-%m-%d").fillna("unknown date").to_numpy(dtype=object)


def pull(table: pd.DataFrame, column: str, rows: Any) -> np.ndarray:
    """``table[column]`` at positions ``rows``, as an object array (for evidence texts).

    Parameters
    ----------
    table : pandas.DataFrame
        Payments or a registry (positional index).
    column : str
        The column.
    rows : array-like of int
        Positions.

    Returns
    -------
    numpy.ndarray
    """
    return table[column].to_numpy(dtype=object)[np.asarray(rows, dtype=np.int64)]


def payment_texts(pay: pd.DataFrame, rows: Any) -> list[str]:
    """``payment row 5 (张三): dibao paid 2021-05-01, ¥300`` for each of ``rows``.

    Parameters
    ----------
    pay : pandas.DataFrame
        ``context.payments``.
    rows : array-like of int
        Positions of the payments.

    Returns
    -------
    list of str
    """
    rows = np.asarray(rows, dtype=np.int64)
    paid = days(pay["paid_on"].to_numpy(dtype="datetime64[ns]")[rows])
    amount = pay["amount"].to_numpy(dtype=float)[rows]
    return [
        f"payment row {r} ({n}): {p} paid {d}, {money(a)}"
        for r, n, p, d, a in zip(
            rows, pull(pay, "name", rows), pull(pay, "programme", rows), paid, amount, strict=True
        )
    ]


def record_texts(reg: pd.DataFrame, kind: str, rows: Any) -> list[str]:
    """``death registry record 12 (张三, 420103...)`` for each of ``rows`` of a registry.

    Parameters
    ----------
    reg : pandas.DataFrame
        The registry (positional index, ``id_number`` and ``name``).
    kind : str
        Its kind.
    rows : array-like of int
        Positions of the records.

    Returns
    -------
    list of str
    """
    rows = np.asarray(rows, dtype=np.int64)
    return [
        f"{kind} registry record {r} ({n}, {i})"
        for r, n, i in zip(rows, pull(reg, "name", rows), pull(reg, "id_number", rows), strict=True)
    ]


def number_param(rule: Rule, key: str, *, minimum: float = 0.0) -> float:
    """Parameter ``key`` of ``rule`` as a float >= ``minimum``, else a ValidationError.

    Parameters
    ----------
    rule : Rule
        The rule.
    key : str
        The parameter.
    minimum : float
        The smallest allowed value.

    Returns
    -------
    float
    """
    value = rule.params.get(key)
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < minimum:
        raise ValidationError(
            f"rule {rule.name!r}: parameter {key}={value!r} must be a number >= {minimum:g}; "
            f"set it with rule.with_params({key}=...)"
        )
    return float(value)


def choice_param(rule: Rule, key: str, choices: tuple[Any, ...]) -> Any:
    """Parameter ``key`` of ``rule`` if it is one of ``choices``, else a ValidationError.

    Parameters
    ----------
    rule : Rule
        The rule.
    key : str
        The parameter.
    choices : tuple
        The allowed values.

    Returns
    -------
    object
    """
    value = rule.params.get(key)
    if value not in choices:
        raise ValidationError(
            f"rule {rule.name!r}: parameter {key}={value!r} must be one of {choices}; set it "
            f"with rule.with_params({key}=...)"
        )
    return value


def programmes_param(rule: Rule, key: str = "programmes") -> tuple[str, ...] | None:
    """Parameter ``key`` of ``rule``: None (every programme) or programme names.

    Parameters
    ----------
    rule : Rule
        The rule.
    key : str
        The parameter.

    Returns
    -------
    tuple of str or None
    """
    value = rule.params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    try:
        names = tuple(value)
    except TypeError:
        names = (0,)
    if not all(isinstance(p, str) for p in names):
        raise ValidationError(
            f"rule {rule.name!r}: parameter {key}={value!r} must be None (every programme) or "
            "programme names, e.g. ('dibao', 'tekun')"
        )
    return names
