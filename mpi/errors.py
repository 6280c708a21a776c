"""Exceptions and warnings raised by xmpi.

Every error names the argument, shows the offending value and says how to fix it.
"""

from __future__ import annotations

__all__ = ["ValidationError", "SpecError", "DataError", "MissingDataWarning"]


class ValidationError(ValueError):
    """Bad input: the message names the argument, the value and the fix."""


class SpecError(ValidationError):
    """An invalid poverty specification (indicators, weights, cutoffs, k)."""


class DataError(ValidationError):
    """Data that cannot be measured as given (missing variables, wrong dtypes, bad weights)."""


class MissingDataWarning(UserWarning):
    """Units were dropped because of missing values (they are also counted in the result)."""
