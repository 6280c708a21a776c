"""Identification and targeting: who is poor, unit by unit (:func:`mpi.identify`), and how
good a list of beneficiaries is against a poverty status (:func:`mpi.targeting`).

Named ``identification`` so that the package does not shadow the function ``mpi.targeting``
(as :mod:`mpi.measurement` sits beside ``mpi.measure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "TargetingCurveResult": "mpi.identification.curves:TargetingCurveResult",
    "targeting_curve": "mpi.identification.curves:targeting_curve",
    "evaluate_targeting": "mpi.identification.evaluate:evaluate_targeting",
    "TargetingChangeResult": "mpi.identification.evaluate_change:TargetingChangeResult",
    "TargetingResult": "mpi.identification.evaluate_result:TargetingResult",
    "identify": "mpi.identification.identify:identify",
    "IdentificationResult": "mpi.identification.identify_result:IdentificationResult",
    "ReviewLists": "mpi.identification.review:ReviewLists",
    "review_lists": "mpi.identification.review:review_lists",
}

__all__ = [
    "identify", "IdentificationResult", "evaluate_targeting", "TargetingResult", "review_lists",
    "ReviewLists", "targeting_curve", "TargetingCurveResult", "TargetingChangeResult",
]  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.identification.curves import TargetingCurveResult, targeting_curve
    from mpi.identification.evaluate import evaluate_targeting
    from mpi.identification.evaluate_change import TargetingChangeResult
    from mpi.identification.evaluate_result import TargetingResult
    from mpi.identification.identify import identify
    from mpi.identification.identify_result import IdentificationResult
    from mpi.identification.review import ReviewLists, review_lists
