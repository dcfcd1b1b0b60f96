"""kill -9 in the middle of a save, 100 times: the session on disk is always the old or the new one.

A forked child saves the same session over and over under new names (v1, v2, ...) and says
before and after each save which version it is writing. The parent kills it with SIGKILL after
a random few milliseconds, then reads the file as the app would: it must load, be signed by
the store, and be the last version the child finished or the one it was writing, never a mix.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.userfiles import decode_session_file, inspect_session_file
from alchemist.variables import ContinuousVariable

ITERATIONS = 100
DAY = timedelta(days=1)


def big_session() -> Session:
    # About 200 kB on disk: a save (state, compression, write, fsync, rename) takes tens of milliseconds.
    session = Session.new("v0")
    for i in range(4):
        session.add_variable(ContinuousVariable(f"x{i}", low=0, high=1))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.random(5_000) for i in range(4)})
    frame["Output"] = rng.random(5_000)
    session.add_experiments(frame, target="Output")
    return session


def saver(root: str, session: Session, first: int, connection) -> None:
    store = SessionStore(root, ttl=DAY)
    version = first
    while True:
        session.name = f"v{version}"
        connection.send(("start", version))
        store.save(session)
        connection.send(("done", version))
        version += 1


def test_kill_9_during_saves_never_tears_the_file(tmp_path):
    root = tmp_path / "cache"
    store = SessionStore(root, ttl=DAY)
    session = big_session()
    store.save(session)
    path = store.sessions_dir / f"{session.id}.pkl"
    context = multiprocessing.get_context("fork")
    rng = random.Random(9)
    on_disk = 0
    mid_save = 0
    started = time.monotonic()
    for iteration in range(ITERATIONS):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=saver, args=(str(root), session, on_disk + 1, send))
        process.start()
        send.close()
        assert receive.poll(30), "the saver did not start"
        time.sleep(rng.uniform(0, 0.15))
        process.kill()
        process.join(10)
        assert process.exitcode == -signal.SIGKILL
        messages = []
        try:
            while receive.poll(0):
                messages.append(receive.recv())
        except (EOFError, OSError):
            pass
        done = [v for event, v in messages if event == "done"]
        begun = [v for event, v in messages if event == "start"]
        last_done = done[-1] if done else on_disk
        writing = begun[-1] if begun and (not done or begun[-1] > done[-1]) else None
        mid_save += writing is not None

        data = path.read_bytes()
        assert inspect_session_file(data, store.keys).origin == "own", f"iteration {iteration}: torn or unsigned file"
        allowed = {f"v{last_done}"} | ({f"v{writing}"} if writing is not None else set())
        name = decode_session_file(data)["session"]["name"]
        assert name in allowed, (iteration, name, allowed)
        if iteration % 10 == 0:  # now and then the whole way, as the app reads it after a restart
            loaded = SessionStore(root, ttl=DAY).get(session.id)
            assert loaded is not None and loaded.name == name
            pd.testing.assert_frame_equal(loaded.experiments.frame, session.experiments.frame)
        on_disk = int(name[1:])
    leftovers = [p.name for p in store.sessions_dir.iterdir() if p.name != path.name]
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers), leftovers
    assert store.get(session.id).name == f"v{on_disk}"
    print(f"{ITERATIONS} kills in {time.monotonic() - started:.1f} s; {mid_save} landed inside a save; "
          f"{len(leftovers)} temp files left for the sweep; last version on disk v{on_disk}")
    assert mid_save >= ITERATIONS // 4, "too few kills landed inside a save to prove anything"
    assert len(leftovers) >= 5, "too few kills landed between creating the temp file and the rename"
    assert on_disk > 0, "no save ever completed"
