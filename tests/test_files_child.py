"""The limited child process that decodes files this installation did not sign, and what it imports.

Real child processes, no mocks: `python -m alchemist.files.child`, started as the app starts it.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import alchemist
from alchemist import limits
from alchemist.errors import SessionFileError
from alchemist.files import json_tree
from alchemist.files.child import CHILD_CPU_SECONDS, decode_session_file_in_child, why_stopped
from alchemist.files.container import decode_session_file, encode_session_file
from alchemist.persistence import envelope_for
from alchemist.plain import utc_now
from tests.session_files_support import golden_session

REPO_ROOT = Path(__file__).resolve().parents[1]
DAY = timedelta(days=1)
HEAVY = {"numpy", "pandas", "sklearn", "scipy"}
# Everything the child imports, and the decoder's own modules: the standard library only.
LIGHT_MODULES = [
    "alchemist.files.bounds",
    "alchemist.files.safe_pickle",
    "alchemist.files.signing",
    "alchemist.files.migrations",
    "alchemist.files.container",
    "alchemist.files.json_tree",
    "alchemist.files.strict_json",
    "alchemist.files.kinds",
    "alchemist.files.child",
    "alchemist.files.tables",
    "alchemist.files.variable_files",
]


@pytest.fixture(scope="module")
def golden_file() -> bytes:
    return encode_session_file(envelope_for(golden_session(), utc_now(), DAY), compression="lzma")


def canonical(tree) -> str:
    return json.dumps(json_tree.to_json_tree(tree, arrays_as_numbers=False), sort_keys=True)


# -- what the decoder imports --------------------------------------------------------------------
def imported_modules(statement: str) -> set[str]:
    """Every module `python -X importtime -c statement` imports, in a fresh interpreter."""
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in finished.stderr.splitlines() if line.startswith("import time:")}
    names.discard("imported package")
    return names


def test_the_safe_decoder_imports_neither_numpy_pandas_nor_scikit_learn():
    names = imported_modules("import alchemist.files.safe_pickle")
    assert {"alchemist", "alchemist.files", "alchemist.files.safe_pickle", "pickle"} <= names  # the list is real
    assert not {name.split(".")[0] for name in names} & HEAVY, sorted(n for n in names if n.split(".")[0] in HEAVY)


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_every_module_the_child_needs_is_standard_library_only(module):
    names = imported_modules(f"import {module}")
    assert module in names
    assert not {name.split(".")[0] for name in names} & HEAVY, sorted(n for n in names if n.split(".")[0] in HEAVY)


def test_the_import_check_sees_a_heavy_import():
    # Control: the check above would catch it, since the NREL import builds a session with pandas.
    assert {"numpy", "pandas"} <= imported_modules("import alchemist.files.nrel")


def test_the_package_exports_its_names_when_first_used():
    assert sorted(alchemist.__all__) == sorted(alchemist._EXPORTS)
    for name in alchemist.__all__:
        assert getattr(alchemist, name).__name__ == name
    assert set(alchemist.__all__) <= set(dir(alchemist))
    with pytest.raises(AttributeError):
        alchemist.NoSuchName  # noqa: B018
    from alchemist import ContinuousVariable, Session

    assert Session.new("x").name == "x" and ContinuousVariable("T", low=0, high=1).high == 1


# -- the child decoder ---------------------------------------------------------------------------
def test_the_child_decoder_gives_the_same_envelope_and_its_errors(golden_file):
    assert canonical(decode_session_file_in_child(golden_file)) == canonical(decode_session_file(golden_file))
    with pytest.raises(SessionFileError, match="cut short"):
        decode_session_file_in_child(golden_file[:-100])


def test_the_child_decoder_is_limited_in_memory():
    # 300,000 small lists: fine for the parent, more than a 64 MB child may build.
    envelope = envelope_for(golden_session(train=False), utc_now(), DAY)
    envelope["session"]["padding"] = [[i] for i in range(300_000)]
    data = encode_session_file(envelope)
    decode_session_file(data)  # in process: within the item limits
    with pytest.raises(SessionFileError, match="memory|stopped|damaged"):
        decode_session_file_in_child(data, memory_bytes=64 * 1024 * 1024)


def test_the_child_decoder_is_limited_in_time(golden_file):
    with pytest.raises(SessionFileError, match="longer than"):
        decode_session_file_in_child(golden_file, timeout=0.001)


def test_the_child_limits_its_own_cpu_time():
    # The limit the child sets on itself ends a process that computes too long, however fast the
    # machine is: a loop that never ends is stopped after one CPU second (SIGXCPU, then SIGKILL).
    spin = "from alchemist.files.child import limit_resources\nlimit_resources(1 << 30, 1)\nwhile True:\n    pass\n"
    finished = subprocess.run([sys.executable, "-c", spin], cwd=REPO_ROOT, capture_output=True, timeout=60)
    assert finished.returncode in (-signal.SIGXCPU, -signal.SIGKILL), (finished.returncode, finished.stderr[-500:])
    assert "computing time" in why_stopped(finished.returncode)
    assert "crashed" in why_stopped(-signal.SIGSEGV) and "code 1" in why_stopped(1)


def _lower_hard_limits() -> None:
    # What a container or `ulimit -t` / `ulimit -v` does: hard limits below what the child asks for.
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS // 2, CHILD_CPU_SECONDS // 2))
    memory = limits.current().memory_per_operation_bytes // 2
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def test_a_foreign_file_decodes_under_lower_inherited_hard_limits(golden_file):
    # The app runs under lowered hard limits (set here on a real process); its child, which asks
    # for more, must settle for them instead of failing on every foreign file.
    app = (
        "import sys\n"
        "from alchemist.files.child import decode_session_file_in_child\n"
        "envelope = decode_session_file_in_child(sys.stdin.buffer.read())\n"
        "print(envelope['session']['name'])\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", app], input=golden_file, capture_output=True, cwd=REPO_ROOT, timeout=120,
        preexec_fn=_lower_hard_limits,
    )
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")[-2000:]
    assert finished.stdout.decode().strip() == decode_session_file(golden_file)["session"]["name"]


def test_children_beyond_max_children_are_refused_at_once_and_places_are_given_back(golden_file):
    from alchemist.errors import LimitError
    from alchemist.files.child import child_slot

    before = limits.current()
    limits.configure(limits.Limits(max_children=1))
    try:
        with child_slot():
            with pytest.raises(LimitError, match="busy.*Try again in a moment") as info:
                decode_session_file_in_child(golden_file)
            assert info.value.limit == "max_children"
        # The place is free again, after a refusal and after a failed decode alike.
        with pytest.raises(SessionFileError):
            decode_session_file_in_child(golden_file[:-100])
        assert decode_session_file_in_child(golden_file)["format_version"] >= 2
    finally:
        limits.configure(before)
