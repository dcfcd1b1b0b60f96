"""A damaged NREL ALchemist file gives a clean refusal or a session that saves.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import json

import pytest

from alchemist.files.nrel import import_alchemist_session
from ui.import_notes_words import note_lines
from tests.nrel_support import QUEUE_FILES, tree_of


# -- any damage gives a clean refusal or a session that saves ---------------------------------------
ODD_VALUES = [None, float("nan"), float("inf"), "", "x", 0, -1, True, [], {}, [None], {"a": None}, 1e308, "[1, 2, nan]"]


def _nodes(tree, path=()):
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree[:4]):
            yield from _nodes(value, (*path, index))


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_a_damaged_file_is_refused_cleanly_or_imported_into_a_session_that_saves(relative, store):
    import random

    from alchemist.errors import LimitError, SessionFileError

    original = tree_of(relative)
    paths = [p for p in _nodes(original) if p]
    rng = random.Random(14)
    refused = 0
    for trial in range(50):
        tree = json.loads(json.dumps(original))
        for _ in range(3):
            *parent, last = rng.choice(paths)
            node = tree
            try:
                for key in parent:
                    node = node[key]
                node[last] = rng.choice(ODD_VALUES)
            except (KeyError, IndexError, TypeError):
                continue
        try:
            session, notes = import_alchemist_session(json.dumps(tree).encode())
        except (SessionFileError, LimitError):
            refused += 1
            continue
        note_lines(notes)
        again = store.load_file(store.export(session, "json"), "x.json")
        assert len(again.experiments) == len(session.experiments), trial
    assert refused < 25, "most damage leaves a session to import"
