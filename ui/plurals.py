"""Counts with their nouns, for every sentence the app shows ("1 experiment", "3 experiments").

One rule for the whole app: the count with a thousands separator, the noun singular for exactly
one. Irregular nouns give their plural ("entry", "entries")."""

from __future__ import annotations


def noun_for(count: int, noun: str, nouns: str | None = None) -> str:
    """The noun as it goes with `count`: `noun` for one, else `nouns` (default: noun + "s")."""
    return noun if count == 1 else nouns or noun + "s"


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """"1 experiment", "2,000 experiments": plain text."""
    return f"{count:,} {noun_for(count, noun, nouns)}"


def bold_counted(count: int, noun: str, nouns: str | None = None) -> str:
    """"**3** experiments": the count in bold Markdown, for the session header and lists."""
    return f"**{count:,}** {noun_for(count, noun, nouns)}"
