"""Identification and targeting: who is poor, unit by unit (:func:`mpi.identify`), and how
good a list of beneficiaries is against a poverty status (:func:`mpi.targeting`).

Named ``identification`` so that the package does not shadow the function ``mpi.targeting``
(as :mod:`mpi.measurement` sits beside ``mpi.measure``).
"""

from mpi.identification.curves import TargetingCurveResult, targeting_curve
from mpi.identification.evaluate import evaluate_targeting
from mpi.identification.evaluate_change import TargetingChangeResult
from mpi.identification.evaluate_result import TargetingResult
from mpi.identification.identify import identify
from mpi.identification.identify_result import IdentificationResult
from mpi.identification.review import ReviewLists, review_lists

__all__ = [
    "identify", "IdentificationResult", "evaluate_targeting", "TargetingResult", "review_lists",
    "ReviewLists", "targeting_curve", "TargetingCurveResult", "TargetingChangeResult",
]  # fmt: skip
