"""Hidden need from transaction data: features from campus-card records, screening rules and
scores, suggested lists with reasons, and their evaluation against a known hardship status.

The USTC rule (an automatic subsidy when monthly canteen spending is below 200 yuan) and the
UESTC "smart aid" system (four categories of signals mined from card records) are the models:

=============================  ==============================================================
:func:`features`               per-student (or student-month) features in four categories,
                               one numba pass over the transactions
:func:`canteen_rule`           the naive rule, with the "eats elsewhere" refinement
:func:`signal_score`           a transparent multi-signal score (a composite-index spec)
:func:`fit_screening`          a supervised logit on a labelled term, with explanations
:func:`suggested_list`         a list at a budget, with each student's reasons; ids only
:func:`evaluate_screening`     every rule at the same flagged share: errors, AUC, bootstrap
                               CIs, budget, errors by group
=============================  ==============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "evaluate_screening": "mpi.screening.evaluate:evaluate_screening",
    "ScreeningEvaluation": "mpi.screening.evaluate_result:ScreeningEvaluation",
    "features": "mpi.screening.features:features",
    "FEATURES": "mpi.screening.features_catalogue:FEATURES",
    "Feature": "mpi.screening.features_catalogue:Feature",
    "ScreeningFeatures": "mpi.screening.features_result:ScreeningFeatures",
    "suggested_list": "mpi.screening.lists:suggested_list",
    "SuggestedList": "mpi.screening.lists_result:SuggestedList",
    "fit_screening": "mpi.screening.model:fit_screening",
    "ScreeningModel": "mpi.screening.model_result:ScreeningModel",
    "canteen_rule": "mpi.screening.rules:canteen_rule",
    "SignalScore": "mpi.screening.signals:SignalScore",
    "default_signals": "mpi.screening.signals:default_signals",
    "signal_score": "mpi.screening.signals:signal_score",
}

__all__ = [
    "features", "FEATURES", "Feature", "ScreeningFeatures", "canteen_rule", "signal_score",
    "default_signals", "SignalScore", "fit_screening", "ScreeningModel", "suggested_list",
    "SuggestedList", "evaluate_screening", "ScreeningEvaluation",
]  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.screening.evaluate import evaluate_screening
    from mpi.screening.evaluate_result import ScreeningEvaluation
    from mpi.screening.features import features
    from mpi.screening.features_catalogue import FEATURES, Feature
    from mpi.screening.features_result import ScreeningFeatures
    from mpi.screening.lists import suggested_list
    from mpi.screening.lists_result import SuggestedList
    from mpi.screening.model import fit_screening
    from mpi.screening.model_result import ScreeningModel
    from mpi.screening.rules import canteen_rule
    from mpi.screening.signals import SignalScore, default_signals, signal_score
