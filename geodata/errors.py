"""The one error type geodata raises for bad input."""

from __future__ import annotations


class GeodataError(ValueError):
    """Bad input data; the message names the file/field/value and the problem."""


def shown(value: object) -> str:
    """A value as an error message shows it (numpy scalars as plain Python values)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)
