"""Option values shared by the commands."""
from __future__ import annotations


def comma_separated(values) -> list:
    """A repeatable option's values with comma-separated lists split and blanks dropped
    (``--polydisperse radius,length`` reads as ``--polydisperse radius --polydisperse length``)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
