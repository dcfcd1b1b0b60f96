"""Sessions leaving and entering the store: a trained model exported and imported, bad, damaged and crafted files.

Real files in tmp_path, real sessions, no mocks.
"""

from __future__ import annotations

import copy
import logging
import os
import random
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from alchemist.errors import SessionFileError
from alchemist.examples import catalyst_example
from alchemist.files.container import encode_session_file
from alchemist.files.kinds import inspect_session_file
from alchemist.persistence import SessionStore, envelope_for, session_from_envelope
from alchemist.plain import timestamp_from_state, utc_now
from alchemist.session import Session, is_session_id
from tests.session_store_support import DAY, files_in, full_session, read_envelope
from tests.store.store_support import stored_files


@pytest.fixture(scope="module")
def trained_catalyst() -> Session:
    session = catalyst_example()
    session.train()
    return session


# -- the trained model -------------------------------------------------------------------------------
def test_trained_model_predicts_identically_after_export_and_import(tmp_path, trained_catalyst):
    store = SessionStore(tmp_path / "cache", ttl=DAY)
    original = trained_catalyst
    store.save(original)
    data = store.export_session(original.id)
    assert isinstance(data, bytes)

    new_id = store.import_session(data)
    assert new_id != original.id and is_session_id(new_id)
    imported = store.get(new_id)
    assert imported.model_status().state == "trained"

    X, _, _ = original.training_data()
    rng = np.random.default_rng(0)
    unseen = pd.DataFrame(
        {
            "Temperature": rng.uniform(350, 450, 50),
            "Catalyst": rng.choice(["High SAR", "Low SAR"], 50),
            "Metal Loading": rng.uniform(0, 5, 50),
            "Zinc Fraction": rng.uniform(0, 1, 50),
        }
    )
    for points in (X, unseen):
        mean_before, std_before = original.model.predict(points)
        mean_after, std_after = imported.model.predict(points)
        assert np.array_equal(mean_before, mean_after), "mean changed"
        assert np.array_equal(std_before, std_after), "standard deviation changed"
    np.testing.assert_array_equal(original.model.theta, imported.model.theta)


def test_import_gives_a_new_id_and_leaves_the_original(store):
    original = full_session()
    store.save(original)
    data = store.export_session(original.id)
    first, second = store.import_session(data), store.import_session(data)
    assert len({original.id, first, second}) == 3
    assert stored_files(store) == sorted(f"{i}/checkpoint" for i in (original.id, first, second))
    assert store.get(original.id).name == original.name
    copy = store.get(first)
    assert copy.id == first
    assert copy.variables == original.variables
    pd.testing.assert_frame_equal(copy.experiments.frame, original.experiments.frame)


def test_an_old_download_whose_cache_time_has_passed_still_imports(store):
    original = full_session()
    old = envelope_for(original, utc_now() - timedelta(days=400), DAY)
    new_id = store.import_session(encode_session_file(old, store.keys))
    assert store.get(new_id) is not None
    expires = timestamp_from_state(read_envelope(store, new_id)["expires_at"])
    assert expires > utc_now() + DAY - timedelta(minutes=1)


def test_export_of_unknown_or_bad_id(store):
    with pytest.raises(SessionFileError, match="no longer exists"):
        store.export_session(Session.new().id)
    with pytest.raises(SessionFileError):
        store.export_session("../../etc/passwd")


def test_import_of_bad_files_writes_nothing(store, tmp_path):
    marker = tmp_path / "pwned"
    hostile = b"\x80\x02cos\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little") + f"touch {marker}".encode() + b"\x85R."
    valid = store.export(full_session())
    for data in (b"", valid[: len(valid) // 2], os.urandom(500), hostile, b"\x80\x05" + b"N" * (51 * 1024 * 1024)):
        with pytest.raises(SessionFileError):
            store.import_session(data)
    assert not marker.exists()
    assert files_in(store.sessions_dir) == []


def test_corrupted_files_give_our_error_or_a_session(store, trained_catalyst):
    # Damaged bytes anywhere in a real file (with a model) before its signature, signed again as if
    # by us: the signature passes, so every case reaches the decoder and the session's own checks.
    valid = store.export(trained_catalyst, compression="none")
    rng = random.Random(11)
    outcomes = {"refused": 0, "loaded": 0}
    for _ in range(60):
        data = bytearray(valid[:-32])
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data) + store.keys.sign(bytes(data))[1]
        try:
            new_id = store.import_session(data)
        except SessionFileError as error:
            assert "signature" not in error.message and "signed" not in error.message, error.message
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
            assert store.get(new_id) is not None
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes


def test_corrupted_files_reach_the_decoder(store, trained_catalyst):
    # The check above would be empty if damage stopped at the outside: most re-signed files parse as our own.
    valid = store.export(trained_catalyst, compression="none")
    rng = random.Random(11)
    own = 0
    for _ in range(60):
        data = bytearray(valid[:-32])
        data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data) + store.keys.sign(bytes(data))[1]
        try:
            own += inspect_session_file(data, store.keys).origin == "own"
        except SessionFileError:
            pass  # the header itself was hit
    assert own >= 50


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:1]):
            yield from _paths(value, path + (i,))


ODD_VALUES = [None, 2**70, "", {}, 1.5, [2**32, 2**32], True, "x", [{}]]


def test_any_part_of_a_session_replaced_by_an_odd_value_is_refused_by_the_session_itself(trained_catalyst, caplog):
    # A crafted file is valid plain data with the wrong values in places. In a real envelope (format,
    # version, timestamps) each state reaches Session.from_state, whose own checks must refuse it
    # with SessionFileError (or accept it): never the store's last-resort net for a TypeError or
    # the like, which logs "unexpected error", nor its wrapping of another error.
    state = trained_catalyst.to_state()
    envelope = envelope_for(trained_catalyst, utc_now(), DAY)
    outcomes = {"refused": 0, "loaded": 0}
    not_the_session = []
    with caplog.at_level(logging.WARNING, logger="alchemist.persistence"):
        for path in list(_paths(state))[1:]:
            for value in ODD_VALUES:
                mutated = copy.deepcopy(state)
                node = mutated
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
                caplog.clear()
                try:
                    session_from_envelope({**envelope, "session": mutated})
                except SessionFileError as error:
                    outcomes["refused"] += 1
                    if caplog.records or error.message.startswith("The session in the file is not valid"):
                        not_the_session.append(f"{'.'.join(map(str, path))} = {value!r}: {error.message}")
                else:
                    outcomes["loaded"] += 1
    assert not not_the_session, "\n".join(not_the_session[:20])
    assert outcomes["refused"] > 300 and outcomes["loaded"] > 0, outcomes
