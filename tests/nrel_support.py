"""Shared by the tests of the NREL ALchemist import (issue 14): the queue files ALchemist 0.4.0 wrote, and rows
found by their values.

The files ALchemist itself wrote live in shared/ beside the checkout (`shared_file` fails the test when
they are missing); variants of the older writer are made from them in tmp_path.
"""

from __future__ import annotations

import json
import math

from alchemist.files.nrel import import_alchemist_session
from tests.session_files_support import shared_file

CATALYST = "alchemist_session_queue/catalyst_campaign_alchemist040.json"
TWO_OBJECTIVES = "alchemist_session_queue/two_objective_campaign_alchemist040.json"
QUEUE_FILES = [CATALYST, TWO_OBJECTIVES]


def tree_of(relative: str) -> dict:
    return json.loads(shared_file(relative).read_bytes())


def imported(tree: dict):
    return import_alchemist_session(json.dumps(tree).encode())


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def rows_with(session, values: dict) -> list[int]:
    frame = session.experiments.frame
    return [i for i in range(len(frame)) if all(same(frame[name].iat[i], value) for name, value in values.items())]
