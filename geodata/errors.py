"""The one error type geodata raises for bad input."""

from __future__ import annotations


class GeodataError(ValueError):
    """Bad input data; the message names the file/field/value and the problem."""
