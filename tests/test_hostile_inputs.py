"""The hostile-input suite: every case is loaded in its own child process, against a real store.

For each case the suite asserts that
  * no code ran (the case's marker file does not exist),
  * the process neither crashed nor hung (it exited normally and in time, and answered),
  * the error is ours (AlchemistError) and readable (short, printable, no traceback or repr),
    and, where the case says so, names the part of the file at fault,
  * the sessions already in the store are byte-for-byte unchanged, and a refused file wrote nothing.

Cases run two at a time in forked children of this process (fork is cheap: the library is
already imported). Files that are not signed by the store go, when the case allows foreign
files, through the limited child decoder as in the app, so both decoders are attacked.
The payloads that run code through os.system are the ones whose potency test_files_decoder.py
proves with an unsafe loader (its controls); the rest are built in tests/hostile_cases.py.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alchemist.errors import AlchemistError
from alchemist.persistence import SessionStore
from tests.hostile_cases import Case, build_cases
from tests.session_files_support import golden_session

pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")

CASE_TIMEOUT = 60.0
PARALLEL = 2
SUMMARY = Path(__file__).resolve().parent.parent / "test-artifacts" / "hostile_summary.json"


# -- running one case in a child -------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_case(case: Case, root: Path, connection) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))  # a runaway case fails alone, not the machine
    try:
        store = SessionStore(root, ttl=timedelta(days=1))
        store.import_session(case.data, "upload.json" if case.how == "alchemist" else "upload.pkl", allow_foreign=case.allow_foreign)
        result = {"outcome": "loaded"}
    except AlchemistError as error:
        result = {"outcome": "refused", "type": type(error).__name__, "message": error.message}
    except BaseException as error:  # noqa: BLE001 - exactly what the suite looks for
        result = {"outcome": "not our error", "type": type(error).__name__, "message": repr(error)[:300]}
    connection.send(result)
    connection.close()


def run_all(cases: list[Case], base_root: Path, work: Path) -> list[dict]:
    context = multiprocessing.get_context("fork")
    results: list[dict | None] = [None] * len(cases)
    pending = list(range(len(cases)))
    running: dict[int, tuple] = {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            index = pending.pop(0)
            root = work / f"store{index:03d}"
            shutil.copytree(base_root, root)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=run_case, args=(cases[index], root, send))
            process.start()
            send.close()
            running[index] = (process, receive, time.monotonic(), root)
        for index, (process, receive, started, root) in list(running.items()):
            answer = None
            if receive.poll(0.01):
                try:
                    answer = receive.recv()
                except EOFError:
                    answer = {"outcome": "crashed", "message": "no answer"}
            elif not process.is_alive():
                answer = {"outcome": "crashed", "message": "no answer"}
            elif time.monotonic() - started > CASE_TIMEOUT:
                process.kill()
                answer = {"outcome": "hung", "message": f"no answer in {CASE_TIMEOUT} s"}
            if answer is None:
                continue
            process.join(10)
            if process.exitcode not in (0, None) and answer["outcome"] not in ("hung",):
                answer = {"outcome": "crashed", "message": f"exit code {process.exitcode}", "before": answer}
            answer["seconds"] = round(time.monotonic() - started, 2)
            answer["store"] = snapshot(root)
            shutil.rmtree(root)
            results[index] = answer
            del running[index]
    return results  # type: ignore[return-value]


def readable(message: str) -> bool:
    return (
        10 <= len(message) <= 600
        and message.isprintable()
        and "Traceback" not in message
        and " object at 0x" not in message
        and not message.startswith(("<", "{", "["))
    )


def test_hostile_inputs(tmp_path):
    base_root = tmp_path / "store"
    store = SessionStore(base_root, ttl=timedelta(days=1))
    existing = [golden_session(), golden_session(train=False)]
    existing[1].id = "f" * 32
    for session in existing:
        store.save(session)
    base = snapshot(base_root)
    valid_file = store.export(existing[0], compression="none")
    valid_json = store.export(existing[0], "json")
    alchemist_json = (Path(__file__).resolve().parent / "golden" / "alchemist_nrel_0.4.0_reaction_campaign.json").read_bytes()
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()

    cases = build_cases(marker_dir, store.keys, valid_file, valid_json, alchemist_json)
    assert len(cases) >= 60
    results = run_all(cases, base_root, tmp_path)

    problems = []
    counts: dict[str, dict[str, int]] = {}
    for case, result in zip(cases, results):
        label = f"[{case.family}] {case.name}"
        outcome = result["outcome"] if result["outcome"] != "refused" else f"refused ({result['type']})"
        counts.setdefault(case.family, {}).setdefault(outcome, 0)
        counts[case.family][outcome] += 1
        if case.marker is not None and case.marker.exists():
            problems.append(f"{label}: CODE RAN")
        if result["outcome"] == "loaded" and not case.may_load:
            problems.append(f"{label}: loaded")
        if result["outcome"] not in ("refused", "loaded"):
            problems.append(f"{label}: {result['outcome']}: {result.get('message')}")
        if result["outcome"] == "refused":
            if not readable(result["message"]):
                problems.append(f"{label}: unreadable message {result['message']!r}")
            if case.fragment and case.fragment not in result["message"]:
                problems.append(f"{label}: message does not name {case.fragment!r}: {result['message']!r}")
        kept = {k: v for k, v in result["store"].items() if k in base}
        if kept != base:
            problems.append(f"{label}: the sessions in the store changed")
        new_files = set(result["store"]) - set(base)
        if result["outcome"] != "loaded" and new_files:
            problems.append(f"{label}: a refused file wrote {sorted(new_files)}")
    assert not [p.name for p in marker_dir.iterdir()], "a payload ran"

    summary = {
        "cases": len(cases),
        "outcomes": {k: sum(v.get(k, 0) for v in counts.values()) for k in sorted({o for v in counts.values() for o in v})},
        "by_family": counts,
        "slowest_seconds": sorted((r["seconds"] for r in results), reverse=True)[:5],
        "problems": problems,
    }
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    assert not problems, "\n".join(problems)
