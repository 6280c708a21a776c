"""The Fellegi–Sunter stage of :func:`mpi.auditing.link`: features, comparisons and the splink model.

The rows that the exact identity-number join leaves unlinked are compared with the other table
by probabilistic record linkage (Fellegi & Sunter 1969) run by splink on its DuckDB backend.
For a candidate pair and each comparison ``j`` falling in level ``ℓ``, ``m_jℓ = P(level ℓ |
match)`` and ``u_jℓ = P(level ℓ | non-match)``; the pair's match weight is

.. math::

    w = \\log_2\\frac{\\lambda}{1-\\lambda} + \\sum_j \\log_2\\frac{m_{j\\ell}}{u_{j\\ell}},
    \\qquad p = \\frac{2^w}{1 + 2^w},

with ``λ`` the prior probability that two random records match (here ``min(0.01, 1 /
n_right)``: a left record has at most one true match among the right rows). ``u`` is estimated by random sampling
of pairs, ``m`` by expectation maximisation on the blocked pairs (one EM session per blocking
rule); with too few candidate pairs (:data:`MIN_EM_PAIRS`) or when EM fails or does not
converge, the fixed priors of :data:`PRIORS` are used instead (:attr:`FSModel.model`).

Features, derived from the identity number even when it is invalid (the date and region
digits usually survive a transposed or mistyped digit elsewhere, and a wrong check character):

* ``name`` — NFKC-normalised, without white space; ``name_py`` — toneless pinyin of every
  character (:func:`pypinyin.lazy_pinyin`, character by character, so that 张伟/章伟/張偉 agree);
  ``surname_py`` — the pinyin of the first character;
* ``birth_date`` — ``YYYY-MM-DD`` from digits 7–14 when they form a real date in 1900..today;
* ``region`` — the first six digits; ``sex`` — ``M``/``F`` from the parity of digit 17.

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

__all__ = [
    "FEATURE_COLUMNS", "INSTALL_HINT", "MIN_EM_PAIRS", "PRIORS", "FSModel", "default_blocking",
    "features", "fellegi_sunter", "import_splink",
]  # fmt: skip

#: What to install when splink or pypinyin is missing.
INSTALL_HINT = 'pip install "xmpi[audit]"'
#: Columns handed to splink (besides ``unique_id``, the positional row of the input table).
FEATURE_COLUMNS = ("name", "name_py", "surname_py", "birth_date", "region", "sex")
#: Fewest candidate pairs of a blocking rule for an EM session on it; with fewer pairs over all
#: rules, the fixed :data:`PRIORS` are used.
MIN_EM_PAIRS = 50
#: Random pairs sampled to estimate ``u`` (at most all pairs).
U_MAX_PAIRS = 2e6
#: EM: most iterations and the largest parameter change counted as converged.
EM_MAX_ITERATIONS = 100
EM_CONVERGENCE = 1e-4
#: Least m probability of a level after EM: EM on pairs that almost all agree drives the m of
#: a disagreement level to ~0 (weight -inf), so that one typo (a sex digit) would veto a match.
M_FLOOR = 0.005
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
    "name": {  # exact, same pinyin, Jaro-Winkler >= 0.9, >= 0.8, else
        "m": (0.85, 0.06, 0.04, 0.02, 0.03),
        "u": (0.001, 0.0005, 0.001, 0.004, 0.9935),
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


def _pinyin_of_names(names: pd.Series, lazy_pinyin: Any) -> tuple[pd.Series, pd.Series]:
    """Toneless pinyin of each name and of its first character (NA where the name is NA)."""
    ok = names.notna()
    uniq = pd.unique(names[ok])
    chars = sorted({c for n in uniq for c in n})
    py = {c: "".join(lazy_pinyin(c)).lower() for c in chars}
    full = {n: " ".join(py[c] for c in n) for n in uniq}
    first = {n: py[n[0]] for n in uniq}
    return names.map(full), names.map(first)


def features(
    raw_ids: pd.Series, cleaned: pd.Series, names: pd.Series, lazy_pinyin: Any
) -> pd.DataFrame:
    """The comparison columns of one table (see the module notes).

    Parameters
    ----------
    raw_ids : pandas.Series
        The identity numbers as given.
    cleaned : pandas.Series
        Their normalised 18-character form (``parse_ids(...)["id_number"]``), NA if none.
    names : pandas.Series
        The names as given.
    lazy_pinyin : callable
        :func:`pypinyin.lazy_pinyin`.

    Returns
    -------
    pandas.DataFrame
        ``unique_id`` (the position) and :data:`FEATURE_COLUMNS`, strings or None.
    """
    n = len(raw_ids)
    raw = raw_ids.astype("string").str.normalize("NFKC").str.replace(r"\s", "", regex=True)
    digits = cleaned.astype("string").fillna(raw.str.upper())
    region = digits.str.slice(0, 6)
    region = region.where(region.str.fullmatch(r"\d{6}").fillna(False).astype(bool))
    date = pd.to_datetime(digits.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    date = date.where((date.dt.year >= 1900) & (date <= pd.Timestamp.today()))
    d17 = pd.to_numeric(digits.str.slice(16, 17).astype(object), errors="coerce")
    d17 = d17.to_numpy(dtype=np.float64)
    sex = np.where(np.isnan(d17), None, np.where(d17 % 2 == 1, "M", "F"))
    name = names.astype("string").str.normalize("NFKC").str.replace(r"\s", "", regex=True)
    name = name.where(name.str.len() > 0)
    name_py, surname_py = _pinyin_of_names(name.astype(object).where(name.notna()), lazy_pinyin)
    out = pd.DataFrame(
        {
            "unique_id": np.arange(n, dtype=np.int64),
            "name": name.astype(object),
            "name_py": name_py.astype(object),
            "surname_py": surname_py.astype(object),
            "birth_date": date.dt.strftime("%Y-%m-%d").astype(object),
            "region": region.astype(object),
            "sex": sex.astype(object),
        }
    )
    return out.where(out.notna(), None).reset_index(drop=True)


@dataclass
class FSModel:
    """What the Fellegi–Sunter stage did.

    Attributes
    ----------
    pairs : pandas.DataFrame
        Scored pairs at or above the threshold: ``left``, ``right`` (positions in the two
        feature tables), ``match_weight``, ``match_probability``.
    model : str
        ``"em"`` (u by random sampling, m by EM) or ``"priors"`` (the fixed :data:`PRIORS`).
    reason : str
        Why the priors were used (``""`` with EM): ``"few candidate pairs"``,
        ``"em did not converge"`` or ``"em failed: <error>"``.
    candidate_pairs : int
        Pairs generated by the blocking rules.
    parameters : pandas.DataFrame
        The m and u probabilities used: ``comparison``, ``level``, ``m``, ``u``.
    """

    pairs: pd.DataFrame
    model: str
    reason: str
    candidate_pairs: int
    parameters: pd.DataFrame = field(default_factory=pd.DataFrame)


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
    """The default blocking rules: same birth date, or same region and surname pinyin."""
    return [splink.block_on("birth_date"), splink.block_on("region", "surname_py")]


class _IterationCounter(logging.Handler):
    """Counts splink's EM iteration messages (to tell whether EM converged)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.iterations: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("Iteration "):
            self.iterations.append(int(msg.split()[1].rstrip(":")))


def _train_em(linker: Any, rules: Sequence[Any], counts: Sequence[int], seed: int | None):
    """u by random sampling, m by one EM session per rule; whether every session converged."""
    em_logger = logging.getLogger("splink.internals.expectation_maximisation")
    handler = _IterationCounter()
    level, propagate = em_logger.level, em_logger.propagate
    em_logger.addHandler(handler)
    em_logger.setLevel(logging.INFO)
    em_logger.propagate = False
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
        converged = True
        for rule, count in zip(rules, counts, strict=True):
            if count < MIN_EM_PAIRS:
                continue
            handler.iterations.clear()
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
            converged &= bool(handler.iterations) and max(handler.iterations) < EM_MAX_ITERATIONS
    finally:
        em_logger.removeHandler(handler)
        em_logger.setLevel(level)
        em_logger.propagate = propagate
    return converged


def _floored(model: dict[str, Any]) -> dict[str, Any]:
    """The trained model with every m probability at least :data:`M_FLOOR` (renormalised)."""
    model = copy.deepcopy(model)
    for comp in model["comparisons"]:
        levels = [lev for lev in comp["comparison_levels"] if not lev.get("is_null_level")]
        m = np.array([lev.get("m_probability", np.nan) for lev in levels], dtype=np.float64)
        if np.isnan(m).any():
            continue
        m = np.maximum(m, M_FLOOR)
        m /= m.sum()
        for lev, value in zip(levels, m, strict=True):
            lev["m_probability"] = float(value)
    return model


def _parameters(linker: Any) -> pd.DataFrame:
    model = linker.misc.save_model_to_json()
    rows = []
    for comp in model["comparisons"]:
        for lev in comp["comparison_levels"]:
            if lev.get("is_null_level"):
                continue
            rows.append(
                (comp["output_column_name"], lev.get("label_for_charts", ""),
                 lev.get("m_probability", np.nan), lev.get("u_probability", np.nan))
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["comparison", "level", "m", "u"])


def fellegi_sunter(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    threshold: float,
    blocking: Sequence[Any] | None,
    seed: int | None,
) -> FSModel:
    """Score the candidate pairs of ``left`` x ``right`` (feature tables of :func:`features`).

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

    Returns
    -------
    FSModel
        The kept pairs and how the parameters were obtained.
    """
    splink, _ = import_splink()
    from splink.blocking_analysis import count_comparisons_from_blocking_rules
    from splink.internals.exceptions import SplinkException

    rules = list(default_blocking(splink) if blocking is None else blocking)
    lam = min(LAMBDA_MAX, 1.0 / max(len(right), 1))

    def new_linker() -> tuple[Any, list[Any]]:
        db = splink.DuckDBAPI()
        tables = [
            db.register(left, dataset_display_name="left_rows"),
            db.register(right, dataset_display_name="right_rows"),
        ]
        settings = splink.SettingsCreator(
            link_type="link_only",
            comparisons=_comparisons(splink),
            blocking_rules_to_generate_predictions=rules,
            probability_two_random_records_match=lam,
            max_iterations=EM_MAX_ITERATIONS,
            em_convergence=EM_CONVERGENCE,
            retain_matching_columns=False,
        )
        return splink.Linker(tables, settings, log_level=None), tables

    linker, tables = new_linker()
    records = count_comparisons_from_blocking_rules(
        tables, blocking_rules=rules, link_type="link_only", record_sample_proportion=1.0
    )
    # pairs each rule adds to the rules before it (a lower bound of the pairs of its EM session)
    per_rule = [int(r["marginal_comparison_count"]) for r in records]
    total = int(records[-1]["cumulative_comparison_count"])
    model, reason = "priors", "few candidate pairs"
    if max(per_rule, default=0) >= MIN_EM_PAIRS:
        try:
            converged = _train_em(linker, rules, per_rule, seed)
        except (SplinkException, ArithmeticError) as err:
            converged, reason = False, f"em failed: {type(err).__name__}"
        else:
            reason = "" if converged else "em did not converge"
        if converged:
            model = "em"
            linker = splink.Linker(
                tables, _floored(linker.misc.save_model_to_json()), log_level=None
            )
        else:
            linker, tables = new_linker()
    scored = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
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
    return FSModel(pairs, model, reason, total, _parameters(linker))
