"""Names of TOML value types for error messages, shared by the policy and trust profile
readers (both parsed with :mod:`tomllib`, whose values are these Python types)."""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["toml_type"]


def toml_type(value: object) -> str:
    """What a :mod:`tomllib` value is, in words ("an integer", "a date-time", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date without a time"
    return "a time without a date"
