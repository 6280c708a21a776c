"""The package's error classes, with stand-ins when ``datasets/`` is imported on its own."""

try:
    from ..errors import DataError, ValidationError
except ImportError:  # pragma: no cover - only when the datasets package is used on its own

    class ValidationError(ValueError):  # type: ignore[no-redef]
        """Bad input."""

    class DataError(ValidationError):  # type: ignore[no-redef]
        """Data that cannot be processed."""


__all__ = ["DataError", "ValidationError"]
