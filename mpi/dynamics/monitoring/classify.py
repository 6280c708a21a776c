"""Identification and elimination, wave by wave, vectorised over units (methods.md §4.4).

For each monitored wave :func:`classify` (1) evaluates every identification rule
(:func:`wave_flags`), then (2) eliminates the units whose last ``stable_waves`` waves were
stable, (3) identifies the units a rule fires for that are not monitored (a new episode)
and (4) assigns the categories. :class:`Episodes` carries the per-unit state from one wave
to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpi.dynamics.monitoring.categories import (
    CONDITION_RULES,
    EDGE,
    HARDSHIP_RULES,
    NOT_MONITORED,
    REASONS,
    RISK_ELIMINATED,
    SUDDEN_HARDSHIP,
    UNOBSERVED,
    UNSTABLE_EXITED,
)
from mpi.dynamics.monitoring.inputs import MonitoringInputs
from mpi.dynamics.monitoring.rules import MonitoringRules

__all__ = ["Classification", "Episodes", "classify", "wave_flags"]


@dataclass(frozen=True, eq=False)
class Classification:
    """Categories and rule flags of every unit-wave, all ``(unit, time)``.

    Attributes
    ----------
    category
        int8 category codes (see :mod:`mpi.dynamics.monitoring.categories`).
    flags
        One boolean array per reason (:data:`REASONS`).
    monitored, identified, eliminated
        In an episode after the wave; identified (a new episode) at the wave; marked
        risk-eliminated at the wave.
    """

    category: np.ndarray
    flags: dict[str, np.ndarray]
    monitored: np.ndarray
    identified: np.ndarray
    eliminated: np.ndarray


class Episodes:
    """Per-unit monitoring state carried across waves.

    Attributes
    ----------
    monitored
        In a monitoring episode.
    eliminated
        Eliminated and not identified again.
    category
        The category of the current (or last) episode.
    run
        Stable waves in a row since identification.
    """

    def __init__(self, n: int) -> None:
        self.monitored = np.zeros(n, bool)
        self.eliminated = np.zeros(n, bool)
        self.category = np.zeros(n, np.int8)
        self.run = np.zeros(n, np.int64)

    def eliminate(
        self,
        verified: np.ndarray,
        fire: np.ndarray,
        no_labour: np.ndarray | None,
        stable_waves: int,
    ) -> np.ndarray:
        """End the episodes stable for ``stable_waves`` waves (never for ``no_labour``).

        Parameters
        ----------
        verified
            Income (and the selected indicators) observed at the wave.
        fire
            Some rule fires at the wave.
        no_labour
            Units never eliminated, or None.
        stable_waves
            Stable waves required.

        Returns
        -------
        numpy.ndarray
            The units eliminated at the wave.
        """
        stable = self.monitored & verified & ~fire
        self.run = np.where(stable, self.run + 1, 0)
        elim = self.monitored & (self.run >= stable_waves)
        if no_labour is not None:
            elim &= ~no_labour
        self.monitored &= ~elim
        self.eliminated |= elim
        return elim

    def identify(
        self, condition: np.ndarray, fire: np.ndarray, exited: np.ndarray | None
    ) -> np.ndarray:
        """Start an episode for the units not monitored that a rule fires for.

        The episode's category: ``unstable_exited`` (a condition rule, exited),
        ``edge`` (a condition rule, never exited) or ``sudden_hardship`` (hardship only).

        Returns
        -------
        numpy.ndarray
            The units identified at the wave.
        """
        new = ~self.monitored & fire
        if exited is not None:
            kind = np.where(exited, UNSTABLE_EXITED, EDGE)
        else:
            kind = np.full(len(new), EDGE)
        chosen = np.where(condition, kind, SUDDEN_HARDSHIP)
        self.category = np.where(new, chosen, self.category).astype(np.int8)
        self.monitored |= new
        self.eliminated &= ~new
        self.run = np.where(new, 0, self.run)
        return new

    def categories(self, observed: np.ndarray) -> np.ndarray:
        """The category of every unit at the wave (``unobserved`` without income).

        Returns
        -------
        numpy.ndarray
        """
        after = np.where(self.eliminated, RISK_ELIMINATED, NOT_MONITORED)
        return np.where(~observed, UNOBSERVED, np.where(self.monitored, self.category, after))


def wave_flags(
    inputs: MonitoringInputs, rules: MonitoringRules, t: int, flags: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate every rule at wave ``t`` into ``flags[reason][:, t]``.

    Parameters
    ----------
    inputs
        The panel inputs.
    rules
        The rules.
    t
        The wave index.
    flags
        ``(unit, time)`` booleans per reason, written at column ``t``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(observed, verified)``: income observed; income and the selected indicators
        observed (what elimination needs).
    """
    y, z = inputs.income[:, t], inputs.line[:, t]
    obs = ~np.isnan(y)
    prev = inputs.income[:, t - 1] if t > 0 else np.full(len(y), np.nan)
    with np.errstate(invalid="ignore"):
        below = obs & (y < z)
        near = obs & (rules.margin > 0) & (y >= z) & (y < (1.0 + rules.margin) * z)
        base = y if rules.income_base == "current" else np.where(np.isnan(prev), y, prev)
        base = np.maximum(base, 0.0)
        if inputs.expenditure is not None:
            over = inputs.expenditure[:, t] > rules.expenditure_share * base
            flags["expenditure"][:, t] = obs & over
        if inputs.loss is not None:
            flags["disaster_loss"][:, t] = obs & (inputs.loss[:, t] > rules.loss_share * base)
        if rules.income_drop is not None:
            flags["income_drop"][:, t] = obs & (y < (1.0 - rules.income_drop) * prev)
    flags["below_line"][:, t] = below
    flags["near_line"][:, t] = near
    if inputs.event is not None:
        flags["hardship_event"][:, t] = obs & inputs.event[:, t]
    verified = obs
    if inputs.deprived is not None:
        assert inputs.deprivation_observed is not None
        flags["deprived"][:, t] = obs & inputs.deprived[:, t]
        verified = obs & inputs.deprivation_observed[:, t]
    return obs, verified


def classify(inputs: MonitoringInputs, rules: MonitoringRules, need: np.ndarray) -> Classification:
    """Category and reasons of every unit-wave (waves not in ``need``: ``not_monitored``).

    Parameters
    ----------
    inputs
        The panel inputs.
    rules
        The rules.
    need
        Monitored waves (bool per wave).

    Returns
    -------
    Classification
    """
    n, T = inputs.income.shape
    flags = {r: np.zeros((n, T), bool) for r in REASONS}
    category = np.zeros((n, T), np.int8)
    monitored = np.zeros((n, T), bool)
    identified = np.zeros((n, T), bool)
    eliminated = np.zeros((n, T), bool)
    episodes = Episodes(n)
    keep_no_labour = rules.labour is not None and rules.no_labour_never_eliminated
    for t in np.flatnonzero(need):
        obs, verified = wave_flags(inputs, rules, t, flags)
        condition = np.logical_or.reduce([flags[r][:, t] for r in CONDITION_RULES])
        hardship = np.logical_or.reduce([flags[r][:, t] for r in HARDSHIP_RULES])
        fire = condition | hardship
        no_labour = inputs.no_labour[:, t] if keep_no_labour else None
        eliminated[:, t] = episodes.eliminate(verified, fire, no_labour, rules.stable_waves)
        exited = inputs.exited[:, t] if inputs.exited is not None else None
        identified[:, t] = episodes.identify(condition, fire, exited)
        monitored[:, t] = episodes.monitored
        category[:, t] = episodes.categories(obs)
    return Classification(category, flags, monitored, identified, eliminated)
