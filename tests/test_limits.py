"""Operational limits: defaults, operator overrides from secrets and the environment, refusals."""

from __future__ import annotations

import pytest

from alchemist import limits
from alchemist.limits import Limits, LimitsConfigError


def test_defaults_are_valid_and_in_force_by_default() -> None:
    assert limits.current() == Limits()
    assert Limits().exact_gp_points == 2_000


def test_environment_overrides_secrets() -> None:
    found = Limits.from_settings(
        {"exact_gp_points": 3000, "max_children": "3"},
        {"ALCHEMIST_LIMIT_EXACT_GP_POINTS": "4_000", "PATH": "/bin"},
    )
    assert found.exact_gp_points == 4000 and found.max_children == 3
    assert isinstance(found.fit_seconds, float) and isinstance(found.exact_gp_points, int)


@pytest.mark.parametrize(
    "secrets, environ, word",
    [
        ({"exact_gp_points": 0}, {}, "exact_gp_points"),
        ({"exact_gp_points": 2000.5}, {}, "whole number"),
        ({"fit_seconds": float("inf")}, {}, "fit_seconds"),
        ({"max_children": True}, {}, "max_children"),
        ({"no_such_limit": 3}, {}, "Unknown limit"),
        ({}, {"ALCHEMIST_LIMIT_MAX_CHILDREN": "lots"}, "must be a number"),
        ({}, {"ALCHEMIST_LIMIT_NOPE": "3"}, "Unknown limit"),
        ({}, {"ALCHEMIST_LIMIT_CACHE_BYTES": "-1"}, "cache_bytes"),
    ],
)
def test_bad_settings_are_refused_with_the_limit_named(secrets: dict, environ: dict, word: str) -> None:
    with pytest.raises(LimitsConfigError, match=word):
        Limits.from_settings(secrets, environ)


def test_configure_puts_limits_in_force_for_the_process() -> None:
    before = limits.current()
    try:
        limits.configure(Limits(exact_gp_points=500))
        assert limits.current().exact_gp_points == 500
    finally:
        limits.configure(before)
    with pytest.raises(TypeError):
        limits.configure({"exact_gp_points": 500})  # type: ignore[arg-type]


def test_no_admitted_table_outgrows_what_a_session_file_may_hold() -> None:
    # The writer never writes what the reader refuses: the largest table an operator may allow
    # must leave room, within the decoder's node bound, for the rest of the session.
    from alchemist.files.bounds import MAX_NODES

    with pytest.raises(LimitsConfigError):
        Limits(max_table_cells=MAX_NODES)
    assert Limits(max_table_cells=4_000_000).max_table_cells < MAX_NODES
