"""kill -9 in the middle of a save, at every step of it: the session on disk is always the old or the new one.

A forked child saves the same session under new names (v1, v2, ...), every save writing the
checkpoint whole (after the revision object that takes its number). On the save it is told to
interrupt, it stops at a chosen point of the checkpoint's write (before the save, after the
temporary file is written, after it is flushed to disk, after the rename, after the directory is
flushed) and tells the parent so through a pipe; the parent then kills it with SIGKILL. Every
kill lands at a known point, so the test knows exactly which version the checkpoint must hold,
which version the session loads as (the revision object is stored before the checkpoint is
written, so from then on the save is kept), and which temporary files are left behind, and checks
all three: the checkpoint must load, be signed by the store, and be that version.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import timedelta

import numpy as np
import pandas as pd

from alchemist.files.container import decode_session_file
from alchemist.files.kinds import inspect_session_file
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.variables import ContinuousVariable

DAY = timedelta(days=1)
# Where a kill lands, and whether the new version is in the checkpoint / a temporary file is left
# after it / the new version is what the session loads as.
KILL_POINTS = {
    "before the save": (False, False, False),
    "temporary file written, not yet flushed to disk": (False, True, True),
    "temporary file flushed, not yet renamed": (False, True, True),
    "renamed, directory not yet flushed": (True, False, True),
    "directory flushed": (True, False, True),
}
ROUNDS = 8  # each point, this many times (after 0, 1 or 2 complete saves in the same child)


def big_session() -> Session:
    # About 200 kB on disk: a real save (state, compression, write, fsync, rename).
    session = Session.new("v0")
    for i in range(4):
        session.add_variable(ContinuousVariable(f"x{i}", low=0, high=1))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.random(5_000) for i in range(4)})
    frame["Output"] = rng.random(5_000)
    session.add_experiments(frame, target="Output")
    return session


def saver(root: str, session: Session, first: int, complete: int, point: str, connection) -> None:
    """Save `complete` versions, then start one more and wait, at `point`, for the kill."""
    from alchemist.store import timeline

    timeline.CHECKPOINT_EVERY = 1  # in this forked child only: every save writes the session file whole
    store = SessionStore(root, ttl=DAY)
    interrupt = False
    real_fsync, real_replace = os.fsync, os.replace
    fsyncs = 0

    def wait_here(here: str) -> None:
        if interrupt and here == point:
            connection.send(("at", here))
            while True:
                signal.pause()  # until SIGKILL

    def fsync(fd: int) -> None:
        nonlocal fsyncs
        fsyncs += 1  # counted from the revision object's rename: then the checkpoint's write begins
        if fsyncs > 0:
            wait_here("temporary file written, not yet flushed to disk" if fsyncs == 1 else "renamed, directory not yet flushed")
        real_fsync(fd)

    def replace(source, target) -> None:
        nonlocal fsyncs
        if os.path.basename(target) == "checkpoint":
            wait_here("temporary file flushed, not yet renamed")
        real_replace(source, target)
        if os.path.basename(target).startswith("rev-"):
            fsyncs = -1  # the revision object's directory flush comes next

    os.fsync, os.replace = fsync, replace  # in this forked child only: the save itself is the real one
    for version in range(first, first + complete + 1):
        interrupt = version == first + complete
        fsyncs = -10**6
        session.name = f"v{version}"
        wait_here("before the save")
        store.save(session)
        connection.send(("done", version))
        wait_here("directory flushed")


def test_kill_9_at_every_step_of_a_save_never_tears_the_file(tmp_path):
    root = tmp_path / "cache"
    store = SessionStore(root, ttl=DAY)
    session = big_session()
    store.save(session)
    path = store.path_of(session.id)
    context = multiprocessing.get_context("fork")
    on_disk = in_checkpoint = 0
    expected_leftovers = 0
    plan = [(point, round_ % 3) for round_ in range(ROUNDS) for point in KILL_POINTS]
    for iteration, (point, complete) in enumerate(plan):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=saver, args=(str(root), session, on_disk + 1, complete, point, send))
        process.start()
        send.close()
        messages = []
        while not messages or messages[-1][0] != "at":
            assert receive.poll(60), f"iteration {iteration}: the saver did not reach '{point}'"
            messages.append(receive.recv())
        process.kill()
        process.join(10)
        assert process.exitcode == -signal.SIGKILL
        assert messages[-1] == ("at", point)
        done = [v for event, v in messages if event == "done"]
        assert len(done) == complete + (point == "directory flushed")

        new_in_checkpoint, leaves_temp, saved = KILL_POINTS[point]
        writing = on_disk + 1 + complete
        # The checkpoint holds this save, else the last complete one of this child, else what it held.
        in_checkpoint = writing if new_in_checkpoint else writing - 1 if complete else in_checkpoint
        expected_leftovers += leaves_temp
        data = path.read_bytes()
        assert inspect_session_file(data, store.keys).origin == "own", f"iteration {iteration}: torn or unsigned file"
        assert decode_session_file(data)["session"]["name"] == f"v{in_checkpoint}", (iteration, point)
        leftovers = [p.name for p in path.parent.iterdir() if p.name != path.name and not p.name.startswith("rev-")]
        assert len(leftovers) == expected_leftovers, (iteration, point, leftovers)
        assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers), leftovers
        expected = writing if saved else writing - 1
        loaded = SessionStore(root, ttl=DAY).get(session.id)  # as the app reads it after a restart
        assert loaded is not None and loaded.name == f"v{expected}", (iteration, point)
        if iteration % 5 == 0:
            pd.testing.assert_frame_equal(loaded.experiments.frame, session.experiments.frame)
        on_disk = expected
    assert expected_leftovers == 2 * ROUNDS
    assert store.get(session.id).name == f"v{on_disk}"
