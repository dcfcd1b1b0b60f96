"""Fuzzing: at least 10,000 seeded mutations of valid session files, in CI-sized batches, zero crashes.

A seeded mutator (bit flips, bytes set to edge values, inserted, deleted, duplicated and spliced
ranges, length fields overwritten with extreme integers, truncation; one to four at a time)
damages four kinds of valid file:

  * a signed .pkl, read by the store as an upload (header, signature and, when the signature
    happens to survive, the restricted decoder);
  * an unsigned .pkl, compressed and not, read by the restricted decoder itself (what the
    limited child process runs for a foreign file), then built into a session;
  * the JSON form, parsed strictly and built into a session.

Every mutation must end as our error (AlchemistError) or as a valid session that can be saved
again. Batches run in forked child processes, two at a time, so a crash (a signal) or a hang is
seen as such. A failure names its seed and index; `fuzz_one(kind, seed, index)` replays it.
Set ALCHEMIST_FUZZ_MUTATIONS to run more (or fewer) than the default 40,000.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alchemist.errors import AlchemistError
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.files.signing import KeyRing
from alchemist.files.strict_json import decode_session_json, encode_session_json
from alchemist.persistence import SessionStore, envelope_for, session_from_envelope
from alchemist.plain import utc_now
from tests.session_files_support import golden_session

pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")

TOTAL = int(os.environ.get("ALCHEMIST_FUZZ_MUTATIONS", "40000"))
BATCH = 2500
KINDS = ("signed-pkl", "unsigned-pkl", "zlib-pkl", "json")
SEED = 20261125
KEYS = KeyRing.from_mapping({"fuzz": "the fuzz test's own signing key"})
EDGE_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFF, ord("."), ord("("), ord("]"), ord("}"), ord("\\"), ord('"'), ord("N"))
EDGE_INTS = (0, 1, 2**7, 2**15, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1)

_FILES: dict[str, bytes] = {}


def valid_files() -> dict[str, bytes]:
    if not _FILES:
        session = golden_session()
        envelope = envelope_for(session, utc_now(), timedelta(days=1))
        _FILES["signed-pkl"] = encode_session_file(envelope, KEYS, compression="none")
        _FILES["unsigned-pkl"] = encode_session_file(envelope, compression="none")
        _FILES["zlib-pkl"] = encode_session_file(envelope, compression="zlib")
        _FILES["json"] = encode_session_json(envelope)
    return _FILES


def mutate(data: bytes, rng: random.Random, donor: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if not data:
            data = bytearray(rng.randbytes(rng.randrange(1, 16)))
        size = len(data)
        at = rng.randrange(size)
        choice = rng.randrange(10)
        if choice == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif choice == 1:
            data[at] = rng.randrange(256)
        elif choice == 2:
            data[at] = rng.choice(EDGE_BYTES)
        elif choice == 3:
            data[at:at] = rng.randbytes(rng.randrange(1, 9))
        elif choice == 4:
            del data[at:at + rng.randrange(1, 65)]
        elif choice == 5:
            end = min(size, at + rng.randrange(1, 129))
            data[at:at] = data[at:end] * rng.randrange(1, 4)
        elif choice == 6:
            width = rng.choice((1, 2, 4, 8))
            value = rng.choice(EDGE_INTS) & ((1 << (8 * width)) - 1)
            data[at:at + width] = value.to_bytes(width, rng.choice(("little", "big")))
        elif choice == 7:
            del data[rng.randrange(size):]
        elif choice == 8:
            start = rng.randrange(len(donor))
            data[at:at + rng.randrange(1, 33)] = donor[start:start + rng.randrange(1, 33)]
        else:
            other = rng.randrange(size)
            data[at], data[other] = data[other], data[at]
    return bytes(data)


def load(kind: str, data: bytes, store: SessionStore):
    """What the app does with the bytes; returns a session or raises."""
    if kind == "signed-pkl":
        return store.load_file(data, "upload.pkl")
    if kind == "json":
        return session_from_envelope(decode_session_json(data))
    return session_from_envelope(decode_session_file(data))


def fuzz_one(kind: str, seed: int, index: int, store: SessionStore) -> str:
    files = valid_files()
    rng = random.Random(f"{seed}:{kind}:{index}")
    data = mutate(files[kind], rng, files[rng.choice(KINDS)])
    try:
        session = load(kind, data, store)
    except AlchemistError as error:
        if not error.message:
            raise AssertionError("an error without a message") from None
        return "refused"
    store.export(session)  # a loaded session must save again (no late RecursionError or odd value)
    store.export(session, "json")
    return "loaded"


def run_batch(kind: str, start: int, count: int, root: str, connection) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))
    store = SessionStore(root, ttl=timedelta(days=1), keys=KEYS)
    counts = {"refused": 0, "loaded": 0}
    failures = []
    for index in range(start, start + count):
        try:
            counts[fuzz_one(kind, SEED, index, store)] += 1
        except Exception as error:  # noqa: BLE001 - a failure is what the test reports
            failures.append(f"{kind} seed {SEED} index {index}: {type(error).__name__}: {str(error)[:200]}")
    connection.send({"counts": counts, "failures": failures[:20], "n_failures": len(failures)})
    connection.close()


def test_fuzz_mutations_never_crash(tmp_path):
    valid_files()  # built before forking, shared by the batches
    context = multiprocessing.get_context("fork")
    per_kind = -(-TOTAL // len(KINDS))
    batches = [(kind, start, min(BATCH, per_kind - start)) for kind in KINDS for start in range(0, per_kind, BATCH)]
    totals = {"refused": 0, "loaded": 0}
    failures: list[str] = []
    started = time.monotonic()
    running: list[tuple] = []
    while batches or running:
        while batches and len(running) < 2:
            kind, start, count = batches.pop(0)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=run_batch, args=(kind, start, count, str(tmp_path / f"{kind}-{start}"), send))
            process.start()
            send.close()
            running.append((process, receive, kind, start, count))
        process, receive, kind, start, count = running.pop(0)
        if not receive.poll(120):
            process.kill()
            failures.append(f"{kind} batch {start}: hung")
            continue
        try:
            answer = receive.recv()
        except EOFError:
            answer = None
        process.join(30)
        if answer is None or process.exitcode != 0:
            failures.append(f"{kind} batch {start}..{start + count}: the process crashed (exit code {process.exitcode})")
            continue
        for outcome, n in answer["counts"].items():
            totals[outcome] += n
        failures += answer["failures"]
    mutations = sum(totals.values())
    summary = {"mutations": mutations, "outcomes": totals, "failures": len(failures), "seconds": round(time.monotonic() - started, 1)}
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "fuzz_summary.json").write_text(json.dumps(summary, indent=1))
    print(summary)
    assert not failures, "\n".join(failures[:20])
    assert mutations >= min(TOTAL, 10_000)
    assert totals["refused"] > mutations // 2
