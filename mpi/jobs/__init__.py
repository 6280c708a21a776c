"""Jobs for the poor labour force: person–job matching from a labour database.

A poverty office that has surveyed its poor workers (skills, education, age, health, home,
wanted wage, wanted sectors, how far they will travel) and entered the employers' posts
(sector, place, wage, requirements, openings) matches people to posts and pushes the offers
to the workers' phones. This package does that last step:

=============================  ==============================================================
:func:`match`                  hard constraints, a documented suitability score, capacities;
                               the optimal assignment (maximum total suitability, scipy's
                               sparse bipartite matching) or the stable matching
                               (worker-proposing deferred acceptance)
:class:`MatchResult`           pairs with reasons, ranked offers, unmatched workers with the
                               binding constraint, training needs, coverage of households
:func:`feasible_pairs`         the (worker, post) pairs that satisfy every hard constraint
:func:`what_if`                the expected change in income deprivation and M0 if the
                               matches are taken up (:class:`JobsWhatIf`)
=============================  ==============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "match": "mpi.jobs.match:match",
    "MatchResult": "mpi.jobs.result:MatchResult",
    "feasible_pairs": "mpi.jobs.constraints:feasible_pairs",
    "STATUSES": "mpi.jobs.constraints:STATUSES",
    "DEFAULT_WEIGHTS": "mpi.jobs.score:DEFAULT_WEIGHTS",
    "what_if": "mpi.jobs.whatif:what_if",
    "JobsWhatIf": "mpi.jobs.whatif:JobsWhatIf",
}

__all__ = [
    "match", "MatchResult", "feasible_pairs", "STATUSES", "DEFAULT_WEIGHTS", "what_if",
    "JobsWhatIf",
]  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.jobs.constraints import STATUSES, feasible_pairs
    from mpi.jobs.match import match
    from mpi.jobs.result import MatchResult
    from mpi.jobs.score import DEFAULT_WEIGHTS
    from mpi.jobs.whatif import JobsWhatIf, what_if
