"""Screening rules and scores against a known hardship status, at one flagged share.

:func:`evaluate_screening` compares several screens of the same students (0/1 rules such as
the USTC "< 200 yuan a month" rule, and continuous scores such as a signal score or a model's
probability) with a hardship truth, all at the same flagged share, through
:func:`mpi.targeting` (a rule's list) and :func:`mpi.targeting_curve` (a score's list at the
budget, and every AUC): inclusion and exclusion errors, coverage, AUC, bootstrap percentile
intervals, the subsidy budget of each list and the errors per group (the fairness check).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.table import caller_level
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.curves import targeting_curve
from mpi.identification.evaluate import evaluate_targeting
from mpi.screening.evaluate_result import GROUP_MEASURES, ScreeningEvaluation
from mpi.screening.lists import check_budget, check_pseudonymous, read_score_series

__all__ = ["evaluate_screening", "ScreeningEvaluation", "bootstrap_replicates"]

_POOR, _X, _FLAG = "__poor__", "__screen__", "__flag__"


def _is_rule(values: np.ndarray, dtype: Any) -> bool:
    if pd.api.types.is_bool_dtype(dtype):
        return True
    v = values[~np.isnan(values)]
    return bool(v.size) and bool(np.isin(v, (0.0, 1.0)).all())


def _read_truth(truth: Any) -> pd.Series:
    s = read_score_series(truth, "truth")
    v = s.to_numpy()
    bad = ~np.isnan(v) & (v != 0) & (v != 1)
    if bad.any():
        raise ValidationError(
            f"truth must be 0/1 (1 = in hardship) or bool; got {int(bad.sum())} other value(s), "
            f"e.g. {v[bad][:3].tolist()}"
        )
    return s


def _positive(value: Any, argument: str, *, allow_zero: bool) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok and math.isfinite(float(value)) and (value > 0 or (allow_zero and value == 0)):
        return float(value)
    word = "a number >= 0" if allow_zero else "a positive number"
    raise ValidationError(f"{argument} must be {word}; got {argument}={value!r}")


def _bins(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order by descending score and the start of each run of equal scores."""
    order = np.argsort(-values, kind="stable")
    ordered = values[order]
    return order, np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def bootstrap_replicates(
    values: list[np.ndarray],
    rules: list[bool],
    poor: np.ndarray,
    *,
    top: int | None,
    share: float | None,
    bootstrap: int,
    seed: int,
) -> np.ndarray:
    """Inclusion error, exclusion error and AUC of every screen in bootstrap resamples.

    Parameters
    ----------
    values
        Each screen's values, one per student (0/1 for a rule).
    rules
        Whether each screen is a rule (listed as it flags) or a score (re-cut at the budget
        within every resample).
    poor
        The hardship status (bool), one per student.
    top, share
        The budget of the scores' lists: ``top`` students, or a ``share`` of them.
    bootstrap
        Number of resamples ``B``.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        Shape ``(3, len(values), B)``: inclusion error, exclusion error, AUC; NaN where a
        resample leaves a rate undefined (nobody listed, nobody or everybody in hardship).

    Notes
    -----
    Resample ``b`` is the ``b``-th call ``rng.integers(0, n, size=n)`` of
    ``rng = numpy.random.default_rng(seed)``: ``n`` students drawn with replacement. A
    student drawn ``c`` times counts ``c`` times; the computation equals
    :func:`mpi.targeting_curve` (``top=``/``share=``) and :func:`mpi.targeting` run on the
    resampled rows, with the frequency counts as weights over the original order.
    """
    n = poor.size
    rng = np.random.default_rng(seed)
    out = np.full((3, len(values), bootstrap), np.nan)
    prepared = [_bins(v) for v in values]
    flags = [v == 1 for v in values]
    for b in range(bootstrap):
        count = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        cp = np.where(poor, count, 0.0)
        cq = count - cp
        for i, (order, starts) in enumerate(prepared):
            p_bin = np.add.reduceat(cp[order], starts)
            q_bin = np.add.reduceat(cq[order], starts)
            p_tot, q_tot = p_bin.sum(), q_bin.sum()
            if p_tot > 0 and q_tot > 0:
                below = q_tot - np.cumsum(q_bin)
                out[2, i, b] = float(p_bin @ (below + 0.5 * q_bin)) / (p_tot * q_tot)
            if rules[i]:
                lp, lq = float(cp[flags[i]].sum()), float(cq[flags[i]].sum())
            else:
                cum = np.cumsum(p_bin + q_bin)
                target = float(top) if top is not None else float(share) * cum[-1]  # type: ignore[arg-type]
                k = min(int(np.searchsorted(cum, target, side="left")), cum.size - 1)
                lp, lq = float(np.cumsum(p_bin)[k]), float(np.cumsum(q_bin)[k])
            if lp + lq > 0:
                out[0, i, b] = lq / (lp + lq)
            if p_tot > 0:
                out[1, i, b] = (p_tot - lp) / p_tot
    return out


def _group_rates(
    frame: pd.DataFrame, columns: list[str], flags: np.ndarray
) -> list[tuple[str, str, dict[str, float]]]:
    """Per group column and value: the rates of :func:`mpi.targeting` of the list ``flags``."""
    data = frame.assign(**{_FLAG: flags.astype(np.int8)})
    rows = []
    for col in columns:
        with warnings.catch_warnings():  # missing group values: warned once by the caller
            warnings.simplefilter("ignore", MissingDataWarning)
            ds = evaluate_targeting(data, _FLAG, _POOR, by=col).to_dataset()
        for j, label in enumerate(ds[col].values):
            part = ds.isel({col: j})
            ln, un = float(part["listed_nonpoor"]), float(part["unlisted_nonpoor"])
            values = {m: float(part[m]) for m in GROUP_MEASURES if m in part}
            values["false_positive_rate"] = ln / (ln + un) if ln + un > 0 else np.nan
            values["n_listed"] = float(part["listed_poor"]) + ln
            values["n_poor"] = float(part["listed_poor"]) + float(part["unlisted_poor"])
            rows.append((str(col), str(label), values))
    return rows


def evaluate_screening(
    scores: Mapping[str, pd.Series],
    truth: pd.Series,
    *,
    share: float | None = None,
    n: int | None = None,
    groups: pd.DataFrame | None = None,
    subsidy: float | None = None,
    months: float = 4,
    bootstrap: int = 200,
    seed: int = 0,
) -> ScreeningEvaluation:
    """Inclusion and exclusion errors, AUC and budget of screening rules and scores, at one
    flagged share, with bootstrap intervals and errors per group.

    Parameters
    ----------
    scores : mapping of str to pandas.Series
        The screens, by name, each indexed by student id (the ids of ``truth`` or some of
        them). A bool Series, or one whose values are all 0 and 1, is a **rule**: it is
        evaluated as it flags. Any other numeric Series is a **score** (higher = more likely
        in hardship): its list is the students with the highest scores at the common share,
        ties at the cut all listed (:func:`mpi.targeting_curve` with ``top=``/``share=``).
    truth : pandas.Series
        0/1 (or bool) hardship status, indexed by student id.
    share : float, optional
        The common flagged share of the scores' lists, in (0, 1].
    n : int, optional
        The common number of students listed (instead of ``share``). With neither, the first
        rule of ``scores`` sets it: the scores list as many students as it flags.
    groups : pandas.DataFrame, optional
        Group columns per student (e.g. ``college``, ``grade``, ``sex``), indexed by student
        id: the errors of every list per value of each column (one column at a time), through
        :func:`mpi.targeting` with ``by=``. Students missing from it, or with a missing value,
        count in no group of that column.
    subsidy : float, optional
        Yuan paid per listed student a month: adds ``budget`` = listed students x
        ``subsidy`` x ``months`` (yuan in total) per screen.
    months : float, default 4
        Months of subsidy (a term: September to December).
    bootstrap : int, default 200
        Bootstrap resamples of the students (0: no intervals).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng` for the resamples.

    Returns
    -------
    ScreeningEvaluation
        :meth:`~ScreeningEvaluation.to_dataset`: along the dim ``rule`` (the screens, in the
        order given) ``kind`` (``"rule"`` or ``"score"``), ``flagged_share``, ``n_flagged``,
        ``inclusion_error``, ``exclusion_error``, ``coverage``, ``auc``, ``cut_score`` (NaN
        for a rule), ``n_tied_extra`` and, with ``subsidy``, ``budget``;
        :meth:`~ScreeningEvaluation.ci` the bootstrap percentile intervals of the two errors
        and the AUC; :meth:`~ScreeningEvaluation.by_group` the errors per group.

    Raises
    ------
    ValidationError
        For ``scores`` that is not a non-empty mapping of Series, a non-numeric or infinite
        score, ids of a score missing from ``truth``, repeated ids, a ``truth`` that is not
        0/1, a name-like column or index (ids only), both ``share`` and ``n``, neither and no
        rule, a rule that flags nobody, a ``share``/``n`` out of range, or a bad ``subsidy``,
        ``months``, ``bootstrap`` or ``seed``.

    Warns
    -----
    MissingDataWarning
        When students are dropped for a missing status or screen value (every screen is
        evaluated on the same students), or have a missing group value.

    Notes
    -----
    With listed flags :math:`L_i`, status :math:`P_i` and :math:`T_{lp}, T_{ln}, T_{up}` the
    numbers listed and poor, listed and not poor, poor and not listed: inclusion error
    :math:`T_{ln}/(T_{lp}+T_{ln})`, exclusion error :math:`T_{up}/(T_{lp}+T_{up})`, coverage
    :math:`1 -` exclusion error (Cornia and Stewart 1993); AUC the Mann-Whitney probability
    that a student in hardship scores above one who is not, ties counting one half (Hanley
    and McNeil 1982; a rule's AUC is that of its 0/1 flags). Screens are compared at the same
    number of beneficiaries, never at their own thresholds. The numbers are those of
    :func:`mpi.targeting` (rules, groups) and :func:`mpi.targeting_curve` (scores' lists,
    AUC) run directly.

    **Intervals.** Students are resampled with replacement ``bootstrap`` times
    (:func:`bootstrap_replicates`); in each resample a rule keeps its flags and a score's
    list is re-cut at the same budget (``n`` students, or the same share), and the 2.5th and
    97.5th percentiles (numpy's linear interpolation) of the replicates bound the 95 %
    interval (Efron and Tibshirani 1993, ch. 13). The cut is re-estimated in every resample,
    so the intervals include the uncertainty of the threshold.

    References
    ----------
    Cornia, G. A. and Stewart, F. (1993). Two errors of targeting. *Journal of International
    Development* 5(5), 459-496.
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. *Radiology* 143(1), 29-36.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.screening.evaluate import evaluate_screening
    >>> ids = pd.Index(range(1, 7), name="student_id")
    >>> truth = pd.Series([1, 1, 0, 1, 0, 0], index=ids)
    >>> rule = pd.Series([True, False, True, False, False, False], index=ids)
    >>> score = pd.Series([0.9, 0.8, 0.1, 0.7, 0.3, 0.2], index=ids)
    >>> res = evaluate_screening({"rule": rule, "score": score}, truth, bootstrap=0)
    >>> res.to_dataset()["inclusion_error"].values.tolist()
    [0.5, 0.0]
    >>> res.to_dataset()["auc"].values.round(4).tolist()
    [0.5, 1.0]
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValidationError(
            "scores must be a non-empty mapping of name -> pandas Series (rules as 0/1 or bool, "
            "scores as numbers), e.g. {'naive': rule, 'signals': signal.scores}"
        )
    names = [str(k) for k in scores]
    if len(set(names)) != len(names):
        raise ValidationError(f"scores has names that coincide as text: {names}")
    t = _read_truth(truth)
    columns: dict[str, np.ndarray] = {}
    rule_flags: list[bool] = []
    for key, name in zip(scores, names, strict=True):
        arg = f"scores[{name!r}]"
        s = read_score_series(scores[key], arg)
        extra = s.index.difference(t.index)
        if len(extra):
            raise ValidationError(
                f"{arg} has {len(extra):,} id(s) without a truth value (e.g. "
                f"{extra[:5].tolist()}); index every screen by the ids of truth"
            )
        v = s.reindex(t.index).to_numpy()
        columns[name] = v
        rule_flags.append(_is_rule(v, scores[key].dtype))
    b_ok = isinstance(bootstrap, numbers.Integral) and not isinstance(bootstrap, bool)
    if not b_ok or int(bootstrap) < 0:
        raise ValidationError(f"bootstrap must be a whole number >= 0; got {bootstrap!r}")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValidationError(f"seed must be a whole number >= 0; got {seed!r}")
    if subsidy is not None:
        subsidy = _positive(subsidy, "subsidy", allow_zero=True)
    months = _positive(months, "months", allow_zero=False)
    gcols: list[str] = []
    if groups is not None:
        if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
            raise ValidationError(
                "groups must be a pandas DataFrame of group columns (e.g. college, grade, "
                f"sex) indexed by student id; got {type(groups).__name__}"
            )
        check_pseudonymous(groups, "groups")
        if not groups.index.is_unique:
            raise ValidationError("groups has repeated student ids; one row per student")
        gcols = [str(c) for c in groups.columns]
        if {_POOR, _FLAG} & set(gcols) or len(set(gcols)) != len(gcols):
            raise ValidationError(f"groups has columns that cannot be used: {gcols}")
    dropped = np.isnan(t.to_numpy())
    for v in columns.values():
        dropped |= np.isnan(v)
    n_dropped = int(dropped.sum())
    level = caller_level()
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {t.size} students dropped for a missing status or screen value; "
            "every screen is evaluated on the same students (counted in n_dropped)",
            MissingDataWarning,
            stacklevel=level,
        )
    keep = ~dropped
    units = int(keep.sum())
    if units == 0:
        raise ValidationError("no student has a status and every screen's value; nothing left")
    poor = t.to_numpy()[keep] == 1
    check_budget(n, share, units, required=False)
    source, top = ("share", None) if share is not None else ("n", n)
    if share is None and n is None:
        if not any(rule_flags):
            raise ValidationError(
                "give the common flagged share (share=0.12) or number (n=100), or include a "
                "0/1 rule in scores (its flagged share is then the common share)"
            )
        first = rule_flags.index(True)
        top = int((columns[names[first]][keep] == 1).sum())
        if top == 0:
            raise ValidationError(
                f"the rule {names[first]!r} flags no student, so it sets no share; give share= "
                "or n="
            )
        source = names[first]
    frame = pd.DataFrame({_POOR: poor.astype(np.int8)}, index=t.index[keep])
    if groups is not None:
        g = groups.reindex(frame.index)
        miss = int(g.isna().any(axis=1).sum())
        if miss:
            warnings.warn(
                f"{miss} of {units} students have no group value in some column of groups "
                f"({gcols}); they count in no group of that column",
                MissingDataWarning,
                stacklevel=level,
            )
        frame = frame.join(g)
    per: dict[str, list[float]] = {k: [] for k in (
        "flagged_share", "n_flagged", "inclusion_error", "exclusion_error", "coverage", "auc",
        "cut_score", "n_tied_extra")}  # fmt: skip
    group_rows: list[list[tuple[str, str, dict[str, float]]]] = []
    for name, is_rule in zip(names, rule_flags, strict=True):
        x = columns[name][keep]
        data = frame.assign(**{_X: x})
        curve_kw: dict[str, Any] = {} if is_rule else {"top": top, "share": share}
        curve = targeting_curve(data[[_X, _POOR]], _X, _POOR, **curve_kw).to_dataset()
        if is_rule:
            ds = evaluate_targeting(data[[_X, _POOR]], _X, _POOR).to_dataset()
            flags, cut, extra = x == 1, np.nan, 0
        else:
            ds = curve
            cut = float(curve["cut_score"])
            flags, extra = x >= cut, int(curve.attrs["n_tied_extra"])
        per["flagged_share"].append(float(ds["listed_share"]))
        per["n_flagged"].append(float(flags.sum()))
        for m in ("inclusion_error", "exclusion_error", "coverage"):
            per[m].append(float(ds[m]))
        per["auc"].append(float(curve["auc"]))
        per["cut_score"].append(cut)
        per["n_tied_extra"].append(float(extra))
        if gcols:
            group_rows.append(_group_rates(frame, gcols, flags))
    reps = None
    if bootstrap:
        reps = bootstrap_replicates(
            [columns[nm][keep] for nm in names], rule_flags, poor, top=top, share=share,
            bootstrap=int(bootstrap), seed=int(seed),
        )  # fmt: skip
    info = {
        "n_units": units,
        "n_poor": int(poor.sum()),
        "n_dropped": n_dropped,
        "share_source": source,
        "common_n": int(top) if top is not None else -1,
        "common_share": float(share) if share is not None else float(top) / units,  # type: ignore[arg-type]
        "bootstrap": int(bootstrap),
        "seed": int(seed),
        "subsidy": float("nan") if subsidy is None else subsidy,
        "months": months,
        "groups": ", ".join(gcols),
    }
    return ScreeningEvaluation.build(names, rule_flags, per, group_rows, reps, info)
