"""Exact rational arithmetic for identification.

Weights such as 1/6 and 1/18 cannot be added exactly in binary floating point, so a unit
whose score is exactly ``k`` may land on the wrong side of the poverty cutoff. xmpi never
compares floats at a cutoff: every weight is converted to a :class:`fractions.Fraction`, the
weights are put over their least common denominator ``L`` (18 for the global MPI) and a
unit's score is the integer ``S = sum_j w_j * L * g_j``. A cutoff ``k = p/q`` is then applied
exactly as ``S * q >= p * L``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from numbers import Real

from mpi.errors import SpecError

__all__ = ["to_fraction", "common_denominator", "fraction_text", "MAX_DENOMINATOR"]

#: Largest denominator accepted for a weight, k or band cutoff, and for the common
#: denominator of the weights. Keeps every integer product in the kernels below 2**63.
MAX_DENOMINATOR = 10**6
#: Tolerance when recognising a float as a fraction (1/3 typed as 0.3333333333333333).
TOLERANCE = 1e-9


def to_fraction(value: object, *, argument: str) -> Fraction:
    """Convert a weight or cutoff to an exact fraction.

    Accepts ``Fraction``, ``int``, ``"1/18"``-style strings and floats. A float is
    replaced by the fraction with the smallest denominator within ``1e-9`` of it; if no
    fraction with a denominator up to ``1e6`` is that close the value is rejected.

    Parameters
    ----------
    value
        The number to convert.
    argument
        Name used in error messages (for example ``"weight of 'nutrition'"``).

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    >>> to_fraction(1 / 18, argument="w")
    Fraction(1, 18)
    >>> to_fraction("1/3", argument="k")
    Fraction(1, 3)
    >>> to_fraction(0.9, argument="k")
    Fraction(9, 10)
    """
    if isinstance(value, bool):
        raise SpecError(f"{argument} must be a number, got the boolean {value!r}")
    if isinstance(value, Fraction):
        frac = value
    elif isinstance(value, int):
        frac = Fraction(value)
    elif isinstance(value, str):
        try:
            frac = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise SpecError(
                f"{argument} must be a number or a fraction such as '1/18'; got {value!r}"
            ) from None
    elif isinstance(value, Real):
        x = float(value)
        if not math.isfinite(x):
            raise SpecError(f"{argument} must be finite; got {value!r}")
        frac = _nearest_simple_fraction(x)
        if frac is None:
            raise SpecError(
                f"{argument} = {value!r} is not within {TOLERANCE:g} of a fraction with a "
                f"denominator up to {MAX_DENOMINATOR:g}; write it exactly, e.g. as the string "
                "'1/18' or as fractions.Fraction(1, 18), instead of a rounded decimal"
            )
    else:
        raise SpecError(f"{argument} must be a number, got {type(value).__name__} {value!r}")
    if frac.denominator > MAX_DENOMINATOR:
        raise SpecError(
            f"{argument} = {value!r} has denominator {frac.denominator}, above the limit "
            f"{MAX_DENOMINATOR:g} for exact identification; use a simpler fraction"
        )
    return frac


def _nearest_simple_fraction(x: float) -> Fraction | None:
    max_den = 1
    while max_den <= MAX_DENOMINATOR:
        frac = Fraction(x).limit_denominator(max_den)
        if abs(float(frac) - x) <= TOLERANCE:
            return frac
        max_den *= 10
    return None


def common_denominator(fractions: Iterable[Fraction], *, argument: str = "weights") -> int:
    """Least common denominator of ``fractions`` (error if above ``MAX_DENOMINATOR``)."""
    den = 1
    for f in fractions:
        den = den * f.denominator // math.gcd(den, f.denominator)
    if den > MAX_DENOMINATOR:
        raise SpecError(
            f"{argument} need a common denominator of {den}, above the limit "
            f"{MAX_DENOMINATOR:g} for exact integer scores; use simpler fractions"
        )
    return den


def fraction_text(frac: Fraction) -> str:
    """``Fraction(1, 18)`` -> ``'1/18'``, ``Fraction(1)`` -> ``'1'``."""
    return str(frac)
