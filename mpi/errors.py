"""Exceptions and warnings raised by xmpi.

Every error names the argument, shows the offending value and says how to fix it.
"""

from __future__ import annotations

__all__ = ["ValidationError", "SpecError", "DataError", "MissingDataWarning", "CategoryWarning"]


class ValidationError(ValueError):
    """Bad input: the message names the argument, the value and the fix."""


class SpecError(ValidationError):
    """An invalid poverty specification (indicators, weights, cutoffs, k)."""


class DataError(ValidationError):
    """Data that cannot be measured as given (missing variables, wrong dtypes, bad weights)."""


class MissingDataWarning(UserWarning):
    """Units were dropped because of missing values (they are also counted in the result)."""


class CategoryWarning(UserWarning):
    """A category listed in a rule (``deprived_if="in"``, string ``==``/``!=``) never occurs
    in the data: a misspelling lowers the deprivation count silently, so check it, or ignore
    the warning when the category is simply absent from these data. (A category that a
    pandas Categorical does not have is an error, :class:`DataError`.)

    ``indicator`` and ``absent`` name the indicator and its absent categories (when raised by
    xmpi), so that callers measuring data in parts can warn once for the whole.
    """

    def __init__(self, message: str, indicator: str | None = None, absent: tuple = ()):
        super().__init__(message)
        self.indicator = indicator
        self.absent = tuple(absent)
