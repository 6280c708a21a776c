"""The Fellegi–Sunter stage of :func:`mpi.auditing.link`: features, comparisons and the splink model.

The rows that the exact identity-number join leaves unlinked are compared with the other table
by probabilistic record linkage (Fellegi & Sunter 1969) run by splink on its DuckDB backend.
For a candidate pair and each comparison ``j`` falling in level ``ℓ``, ``m_jℓ = P(level ℓ |
match)`` and ``u_jℓ = P(level ℓ | non-match)``; the pair's match weight is

.. math::

    w = \\log_2\\frac{\\lambda}{1-\\lambda} + \\sum_j \\log_2\\frac{m_{j\\ell}}{u_{j\\ell}},
    \\qquad p = \\frac{2^w}{1 + 2^w},

with ``λ`` the prior probability that two random records match (here ``min(0.01, 1 /
n_right)``: a left record has at most one true match among the right rows; fixed, not
estimated). Two records whose numbers are both valid (and different) are never compared
(:data:`DIFFERENT_PERSONS_GUARD`). ``u`` is estimated by seeded random sampling of the pairs of
the two tables (:data:`U_MAX_PAIRS`; the priors below :data:`U_MIN_PAIRS` pairs): in a
one-county registry most pairs share the region, and the region must then weigh little. ``m``
is either given (trained once, e.g. on the beneficiaries linked to themselves, and reused for
every registry: the dirty identifiers come from one error process) or estimated by EM on the
blocked pairs (with the default blocking, the pairs of the broad
:data:`~mpi.auditing.linkage_blocking.EM_TRAINING_KEYS` of a sample of left rows; one
session per rule with at least :data:`MIN_EM_PAIRS` pairs; u and
λ fixed; floored at :data:`M_FLOOR`; the m of a name or birth date that disagrees entirely at
most its prior, :data:`M_ELSE_BOUNDED`); with fewer pairs, or when EM fails or does not
converge, the documented :data:`PRIORS` (:attr:`FSModel.model`).

Features, derived from the identity number even when it is invalid (the date and region
digits usually survive a transposed or mistyped digit elsewhere, and a wrong check character):

* ``name`` — NFKC-normalised, without white space; ``name_py`` — toneless pinyin of every
  character (:func:`pypinyin.lazy_pinyin`, character by character, so that 张伟/章伟/張偉 agree);
  ``surname_py`` — the pinyin of the first character;
* ``birth_date`` — digits 7–14 (``YYYYMMDD``) as written, also when a typo made them an
  impossible date (compared digit by digit, such a date is still one edit from the true one
  and many edits from another person's: left out, a look-alike of the same name would link);
* ``birth_year``, ``birth_month`` — digits 7–10, 7–12; ``region`` — the first six digits; ``sequence`` — digits
  15–17; ``sex`` — ``M``/``F`` from the parity of digit 17 (the blocking keys of
  :mod:`mpi.auditing.linkage_blocking`).

Name features are computed once per distinct name and mapped to the rows.

References
----------
Fellegi, I. P. and Sunter, A. B. (1969). A theory for record linkage. *JASA* 64(328), 1183–1210.
Linacre, R. et al. (2022). Splink: free software for probabilistic record linkage at scale.
*International Journal of Population Data Science* 7(3).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mpi.auditing.linkage_blocking import (
    BLOCKING_KEYS,
    EM_TRAINING_KEYS,
    candidate_rows,
    duckdb_connection,
    em_sample,
    u_sample,
)
from mpi.auditing.linkage_features import FEATURE_COLUMNS, features

__all__ = [
    "DIFFERENT_PERSONS_GUARD", "FEATURE_COLUMNS", "INSTALL_HINT", "MIN_EM_PAIRS", "PRIORS",
    "FSModel", "default_blocking", "features", "fellegi_sunter", "guarded", "import_splink",
    "m_probabilities",
]  # fmt: skip

#: What to install when splink or pypinyin is missing.
INSTALL_HINT = 'pip install "xmpi[audit]"'
#: Fewest candidate pairs of a blocking rule for an EM session on it; with fewer pairs over all
#: rules, the fixed :data:`PRIORS` are used (EM on a few hundred pairs, of which a handful are
#: matches, is not to be trusted: prefer documented priors).
MIN_EM_PAIRS = 1000
#: Random pairs sampled to estimate ``u`` (at most all pairs).
U_MAX_PAIRS = 3e5
#: Fewest pairs ``len(left) * len(right)`` for estimating ``u`` by random sampling; below it
#: the :data:`PRIORS` u are used (a handful of records says nothing about chance agreement).
U_MIN_PAIRS = 10_000
#: EM: most iterations and the largest parameter change counted as converged.
EM_MAX_ITERATIONS = 100
EM_CONVERGENCE = 1e-4
#: Least m probability of a level after EM: EM on pairs that almost all agree drives the m of
#: a disagreement level to ~0 (weight -inf), so that one typo (a sex digit) would veto a match.
M_FLOOR = 0.005
#: Comparisons whose m of the last level (total disagreement) is at most its prior after EM:
#: the error process (a typo, a homophone, a dropped character) never turns a name into an
#: unrelated name nor a birth date into one more than a digit away, so such a pair must weigh
#: heavily against a match even when EM, on a sample of blocked pairs crowded with
#: look-alikes, thinks otherwise.
M_ELSE_BOUNDED = ("name", "birth_date")
#: Condition added to every blocking rule: two records whose identity numbers are both valid
#: and different (valid equal numbers are joined exactly before) are different persons and
#: never compared. A typo leaves the check character right with probability 1/11 (GB 11643's
#: mod-11 check); such a valid wrong number is not linked — accepted.
DIFFERENT_PERSONS_GUARD = "(l.id_valid = false OR r.id_valid = false)"
#: Largest prior match probability ``λ`` of two random records (``λ = min(LAMBDA_MAX,
#: 1 / n_right)``): a small right table must not make a look-alike likely.
LAMBDA_MAX = 0.01

#: Fixed m and u probabilities used when EM is not possible, per comparison, for its levels in
#: order (the null level of a missing value has none: weight 0). Chosen from the dirty-id
#: patterns of the issue: a true match keeps its name exactly in ~85 % of pairs, as a homophone
#: or variant in ~6 %; its date in 92 % (one digit off in 7 %); its region in 85 %; a random
#: pair shares a name with probability ~1/1000, a birth date ~1/20,000 (70 birth years), a
#: county ~1/1000, a prefecture ~1/100, a province ~1/20, and the sex half of the time.
PRIORS: dict[str, dict[str, tuple[float, ...]]] = {
    "name": {  # exact, same pinyin, one character left out, Jaro-Winkler >= 0.9, >= 0.8, else
        "m": (0.85, 0.06, 0.04, 0.02, 0.01, 0.02),
        "u": (0.001, 0.0005, 0.0003, 0.001, 0.004, 0.9932),
    },
    "birth_date": {  # exact, one digit mistyped or two adjacent digits swapped, else
        "m": (0.92, 0.07, 0.01),
        "u": (0.00005, 0.0005, 0.99945),
    },
    "region": {  # 6, 4, 2 leading digits, else
        "m": (0.85, 0.08, 0.05, 0.02),
        "u": (0.001, 0.01, 0.05, 0.939),
    },
    "sex": {"m": (0.97, 0.03), "u": (0.5, 0.5)},  # same, different
}


def import_splink() -> tuple[Any, Any]:
    """Import splink and pypinyin, the optional dependencies of record linkage.

    Returns
    -------
    tuple
        The ``splink`` and ``pypinyin`` modules.

    Raises
    ------
    ImportError
        When either is not installed, saying ``pip install "xmpi[audit]"``.
    """
    try:
        import pypinyin
        import splink
    except ImportError as err:
        raise ImportError(
            f"record linkage in mpi.audit needs splink (DuckDB backend) and pypinyin: "
            f"{INSTALL_HINT} ({err})"
        ) from err
    return splink, pypinyin


@dataclass
class FSModel:
    """What the Fellegi–Sunter stage did.

    Attributes
    ----------
    pairs : pandas.DataFrame
        Scored pairs at or above the threshold: ``left``, ``right`` (positions in the two
        feature tables), ``match_weight``, ``match_probability``.
    model : str
        How m was obtained: ``"em"`` (EM on the candidate pairs), ``"given"`` (trained before
        and passed in) or ``"priors"`` (the fixed :data:`PRIORS`).
    reason : str
        Why the priors were used (``""`` with EM): ``"few candidate pairs"``,
        ``"em did not converge"`` or ``"em failed: <error>"``.
    candidate_pairs : int
        Pairs generated by the blocking rules.
    parameters : pandas.DataFrame
        The m and u probabilities used: ``comparison``, ``level``, ``m``, ``u``.
    u_source : str
        ``"random sampling"`` (pairs of the two tables) or ``"priors"`` (too few pairs).
    """

    pairs: pd.DataFrame
    model: str
    reason: str
    candidate_pairs: int
    parameters: pd.DataFrame = field(default_factory=pd.DataFrame)
    u_source: str = "priors"


def _comparisons(splink: Any) -> list[Any]:
    from splink import comparison_level_library as cll
    from splink import comparison_library as cl

    def levels(col: str, custom: Sequence[tuple[str, str]]) -> list[Any]:
        return (
            [cll.NullLevel(col)]
            + [cll.CustomLevel(s, lab) for s, lab in custom]
            + [cll.ElseLevel()]
        )

    name = cl.CustomComparison(
        levels("name", [
            ("name_l = name_r", "exact"),
            ("name_py_l = name_py_r", "same pinyin"),
            ("abs(length(name_l) - length(name_r)) = 1 AND levenshtein(name_l, name_r) = 1",
             "one character left out"),
            ("jaro_winkler_similarity(name_l, name_r) >= 0.9", "Jaro-Winkler >= 0.9"),
            ("jaro_winkler_similarity(name_l, name_r) >= 0.8", "Jaro-Winkler >= 0.8"),
        ]),
        output_column_name="name",
    )  # fmt: skip
    date = cl.CustomComparison(
        levels("birth_date", [
            ("birth_date_l = birth_date_r", "exact"),
            ("damerau_levenshtein(birth_date_l, birth_date_r) <= 1", "one digit"),
        ]),
        output_column_name="birth_date",
    )  # fmt: skip
    region = cl.CustomComparison(
        levels("region", [
            ("region_l = region_r", "6 digits"),
            ("substr(region_l, 1, 4) = substr(region_r, 1, 4)", "4 digits"),
            ("substr(region_l, 1, 2) = substr(region_r, 1, 2)", "2 digits"),
        ]),
        output_column_name="region",
    )  # fmt: skip
    sex = cl.CustomComparison(levels("sex", [("sex_l = sex_r", "same")]), output_column_name="sex")
    out = [name, date, region, sex]
    for comp, key in zip(out, ("name", "birth_date", "region", "sex"), strict=True):
        comp.configure(
            m_probabilities=list(PRIORS[key]["m"]), u_probabilities=list(PRIORS[key]["u"])
        )
    return out


def default_blocking(splink: Any) -> list[Any]:
    """The default blocking rules: :data:`mpi.auditing.linkage_blocking.BLOCKING_KEYS`.

    Parameters
    ----------
    splink : module
        The splink module.

    Returns
    -------
    list
        ``splink.block_on(*columns)`` per key (region + birth date, birth date + sequence,
        region + sequence + surname pinyin, region + birth month + surname pinyin, region +
        birth year + name pinyin, sequence + name pinyin): every single-error class keeps one.
    """
    return [splink.block_on(*cols) for cols in BLOCKING_KEYS]


class _IterationCounter(logging.Handler):
    """Counts splink's EM iteration messages (to tell whether EM converged)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.iterations: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("Iteration "):
            self.iterations.append(int(msg.split()[1].rstrip(":")))


def _train_em(linker: Any, rules: Sequence[Any], counts: Sequence[int]) -> bool:
    """m by one EM session per blocking rule (u and λ fixed); whether every session converged."""
    em_logger = logging.getLogger("splink.internals.expectation_maximisation")
    handler = _IterationCounter()
    level, propagate = em_logger.level, em_logger.propagate
    em_logger.addHandler(handler)
    em_logger.setLevel(logging.INFO)
    em_logger.propagate = False
    try:
        converged = True
        for rule, count in zip(rules, counts, strict=True):
            if count < MIN_EM_PAIRS:
                continue
            handler.iterations.clear()
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, fix_probability_two_random_records_match=True
            )
            converged &= bool(handler.iterations) and max(handler.iterations) < EM_MAX_ITERATIONS
    finally:
        em_logger.removeHandler(handler)
        em_logger.setLevel(level)
        em_logger.propagate = propagate
    return converged


def _bounded(m: np.ndarray, key: str) -> np.ndarray:
    """EM's m of one comparison, floored at :data:`M_FLOOR` and, for name and birth date,
    with the m of total disagreement at most its prior (renormalised)."""
    m = np.maximum(m, M_FLOOR)
    m /= m.sum()
    if key in M_ELSE_BOUNDED:
        cap = PRIORS[key]["m"][-1]
        if m[-1] > cap:
            m[:-1] *= (1.0 - cap) / m[:-1].sum()
            m[-1] = cap
    return m


def _levels(comp: dict[str, Any]) -> list[dict[str, Any]]:
    return [lev for lev in comp["comparison_levels"] if not lev.get("is_null_level")]


def m_probabilities(parameters: pd.DataFrame) -> dict[str, tuple[float, ...]]:
    """The m probabilities of a parameter table, by comparison, levels in order.

    Parameters
    ----------
    parameters : pandas.DataFrame
        ``comparison``, ``level``, ``m`` (and ``u``): :attr:`FSModel.parameters` or
        :attr:`mpi.auditing.Links.parameters`.

    Returns
    -------
    dict
        ``{comparison: (m of each non-null level, in order)}``, the form
        :func:`fellegi_sunter` takes as ``m``.
    """
    return {
        str(key): tuple(float(x) for x in grp["m"])
        for key, grp in parameters.groupby("comparison", sort=False)
    }


def _model_json(
    linker: Any, lam: float, m: dict[str, Sequence[float]] | None, bound: bool
) -> dict[str, Any]:
    """The linker's model with λ fixed and the m probabilities given (or EM's, bounded)."""
    model = copy.deepcopy(linker.misc.save_model_to_json())
    model["probability_two_random_records_match"] = lam
    for comp in model["comparisons"]:
        key = comp["output_column_name"]
        levels = _levels(comp)
        if m is not None:
            values = np.asarray(m[key], dtype=np.float64)
        else:
            values = np.array([lev.get("m_probability", np.nan) for lev in levels], dtype=float)
            if np.isnan(values).any():
                values = np.asarray(PRIORS[key]["m"], dtype=np.float64)
            if bound:
                values = _bounded(values, key)
        if len(values) != len(levels):
            raise ValueError(
                f"m probabilities of {key!r}: {len(values)} values for {len(levels)} levels"
            )
        for lev, value in zip(levels, values, strict=True):
            lev["m_probability"] = float(value)
    return model


def _parameters(model: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for comp in model["comparisons"]:
        for lev in _levels(comp):
            rows.append(
                (comp["output_column_name"], lev.get("label_for_charts", ""),
                 lev.get("m_probability", np.nan), lev.get("u_probability", np.nan))
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["comparison", "level", "m", "u"])


def guarded(splink: Any, rules: Sequence[Any]) -> list[Any]:
    """Each blocking rule AND :data:`DIFFERENT_PERSONS_GUARD` (both numbers valid: not a pair).

    Parameters
    ----------
    splink : module
        The splink module.
    rules : sequence
        splink blocking rules (``block_on(...)``, SQL strings or dicts).

    Returns
    -------
    list
        The rules with the guard.
    """
    from splink.blocking_rule_library import And, CustomRule
    from splink.internals.blocking_rule_creator_utils import to_blocking_rule_creator

    return [And(to_blocking_rule_creator(r), CustomRule(DIFFERENT_PERSONS_GUARD)) for r in rules]


def _sampled_u(
    splink: Any,
    left: pd.DataFrame,
    u_right: pd.DataFrame,
    settings: Any,
    seed: int | None,
    memory_limit: str | None,
) -> dict[str, Any]:
    """The settings with ``u`` estimated by seeded random sampling of ``left`` x ``u_right``."""
    with duckdb_connection(memory_limit) as con:
        db = splink.DuckDBAPI(connection=con)
        tables = [
            db.register(left, dataset_display_name="left_rows"),
            db.register(u_right, dataset_display_name="right_rows"),
        ]
        linker = splink.Linker(tables, copy.deepcopy(settings), log_level=None)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_MAX_PAIRS, seed=seed, min_count_per_level=None, num_chunks=1
        )
        return copy.deepcopy(linker.misc.save_model_to_json())


def _estimate_m(
    splink: Any,
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: Any,
    rules: Sequence[Any],
    lam: float,
    memory_limit: str | None,
) -> tuple[str, str, dict[str, tuple[float, ...]] | None]:
    """m by EM on the pairs of ``rules`` (u and λ fixed): ``(model, reason, m or None)``."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules
    from splink.internals.exceptions import SplinkException

    if not len(left) or not len(right):
        return "priors", "few candidate pairs", None
    with duckdb_connection(memory_limit) as con:
        db = splink.DuckDBAPI(connection=con)
        tables = [
            db.register(left, dataset_display_name="left_rows"),
            db.register(right, dataset_display_name="right_rows"),
        ]
        counted = count_comparisons_from_blocking_rules(
            tables, blocking_rules=rules, link_type="link_only", record_sample_proportion=1.0
        )
        # pairs each rule adds to the rules before it (a lower bound of its session's pairs)
        per_rule = [int(r["marginal_comparison_count"]) for r in counted]
        if max(per_rule, default=0) < MIN_EM_PAIRS:
            return "priors", "few candidate pairs", None
        linker = splink.Linker(tables, copy.deepcopy(settings), log_level=None)
        try:
            converged = _train_em(linker, rules, per_rule)
        except (SplinkException, ArithmeticError, ValueError) as err:
            return "priors", f"em failed: {type(err).__name__}", None
        if not converged:
            return "priors", "em did not converge", None
        return "em", "", m_probabilities(_parameters(_model_json(linker, lam, None, bound=True)))


def fellegi_sunter(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    threshold: float,
    blocking: Sequence[Any] | None,
    seed: int | None,
    m: dict[str, Sequence[float]] | None = None,
    whole: pd.DataFrame | None = None,
    memory_limit: str | None = None,
) -> FSModel:
    """Score the candidate pairs of ``left`` x ``right`` (feature tables of :func:`features`).

    The candidate pairs are those of the blocking rules among the pairs in which at least one
    identity number is invalid (:data:`DIFFERENT_PERSONS_GUARD`). ``λ = min(LAMBDA_MAX,
    1/len(right))``; ``u`` by random sampling of up to :data:`U_MAX_PAIRS` pairs of ``left``
    x ``right`` (seeded) when the tables give at least :data:`U_MIN_PAIRS` pairs, else the
    :data:`PRIORS`; ``m`` as given, else by EM on the candidate pairs (with the default
    blocking: the pairs of :data:`~mpi.auditing.linkage_blocking.EM_TRAINING_KEYS` of up to
    :data:`~mpi.auditing.linkage_blocking.EM_LEFT_ROWS` left rows; at least
    :data:`MIN_EM_PAIRS` pairs of a blocking rule; u and λ fixed; m floored at
    :data:`M_FLOOR`, the m of a name or birth date that disagrees entirely at most its prior),
    else the :data:`PRIORS`.

    Parameters
    ----------
    left, right : pandas.DataFrame
        Feature tables (``unique_id`` and :data:`FEATURE_COLUMNS`), each non-empty.
    threshold : float
        Least match probability of a kept pair.
    blocking : sequence or None
        splink blocking rules (``block_on(...)`` or SQL strings on the feature columns with
        ``l.``/``r.``); None: :func:`default_blocking`.
    seed : int or None
        Seed of the random sampling for ``u``.
    m : dict, optional
        m probabilities trained before (:func:`m_probabilities` of an earlier model of the
        same error process): no EM.
    whole : pandas.DataFrame, optional
        The whole right feature table when ``right`` holds only the pre-filtered candidate
        rows (:func:`mpi.auditing.linkage_blocking.candidate_rows`): ``λ`` uses its length,
        ``u`` is sampled on it (:func:`~mpi.auditing.linkage_blocking.u_sample`) and, with the
        default blocking, EM runs on the pairs of
        :data:`~mpi.auditing.linkage_blocking.EM_TRAINING_KEYS` between it and up to
        :data:`~mpi.auditing.linkage_blocking.EM_LEFT_ROWS` left rows
        (:func:`~mpi.auditing.linkage_blocking.em_sample`). None: ``right``.
    memory_limit : str, optional
        DuckDB's memory limit (:func:`mpi.auditing.linkage_blocking.duckdb_connection`).

    Returns
    -------
    FSModel
        The kept pairs and how the parameters were obtained.
    """
    splink, _ = import_splink()
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    rules = guarded(splink, default_blocking(splink) if blocking is None else blocking)
    whole = right if whole is None else whole
    n_right = len(whole)
    lam = min(LAMBDA_MAX, 1.0 / max(n_right, 1))
    settings: Any = splink.SettingsCreator(
        link_type="link_only",
        comparisons=_comparisons(splink),
        blocking_rules_to_generate_predictions=rules,
        probability_two_random_records_match=lam,
        max_iterations=EM_MAX_ITERATIONS,
        em_convergence=EM_CONVERGENCE,
        retain_matching_columns=False,
    )
    with duckdb_connection(memory_limit) as con:
        db = splink.DuckDBAPI(connection=con)
        tables = [
            db.register(left, dataset_display_name="left_rows"),
            db.register(right, dataset_display_name="right_rows"),
        ]
        records = count_comparisons_from_blocking_rules(
            tables, blocking_rules=rules, link_type="link_only", record_sample_proportion=1.0
        )
        total = int(records[-1]["cumulative_comparison_count"])
        if total == 0 or not len(right):
            linker = splink.Linker(tables, copy.deepcopy(settings), log_level=None)
            return FSModel(
                pd.DataFrame(columns=["left", "right", "match_weight", "match_probability"]),
                "priors", "few candidate pairs", 0,
                _parameters(_model_json(linker, lam, None, bound=False)), "priors",
            )  # fmt: skip
        u_source = "priors"
        if len(left) * n_right >= U_MIN_PAIRS:
            settings = _sampled_u(splink, left, u_sample(whole, seed), settings, seed, memory_limit)
            u_source = "random sampling"
        model, reason = "priors", "few candidate pairs"
        if m is not None:
            model, reason = "given", ""
        elif blocking is None:  # EM on the broad training keys, for a sample of left rows
            em_left = em_sample(left, seed)
            em_right = whole[candidate_rows(em_left, whole, EM_TRAINING_KEYS)]
            em_rules = guarded(splink, [splink.block_on(*k) for k in EM_TRAINING_KEYS])
            model, reason, m = _estimate_m(splink, em_left, em_right, settings, em_rules, lam,
                                           memory_limit)  # fmt: skip
        else:
            model, reason, m = _estimate_m(splink, left, right, settings, rules, lam,
                                           memory_limit)  # fmt: skip
        if model == "priors":
            m = {key: PRIORS[key]["m"] for key in PRIORS}
        linker = splink.Linker(tables, copy.deepcopy(settings), log_level=None)
        json = _model_json(linker, lam, m, bound=False)
        final = splink.Linker(tables, json, log_level=None)
        scored = final.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        df = scored.as_pandas_dataframe()
    swap = df["source_dataset_l"].astype(str).eq("right_rows")
    pairs = pd.DataFrame(
        {
            "left": np.where(swap, df["unique_id_r"], df["unique_id_l"]).astype(np.int64),
            "right": np.where(swap, df["unique_id_l"], df["unique_id_r"]).astype(np.int64),
            "match_weight": df["match_weight"].astype(np.float64).to_numpy(),
            "match_probability": df["match_probability"].astype(np.float64).to_numpy(),
        }
    )
    pairs = pairs[pairs["match_probability"] >= threshold]
    pairs = pairs.sort_values(["left", "right"], kind="stable").reset_index(drop=True)
    return FSModel(pairs, model, reason, total, _parameters(json), u_source)
