"""Decoding a file this installation did not sign, in a separate process with memory, CPU and time limits.

The parent (`decode_session_file_in_child`) starts

    python -E -s -S -B -m alchemist.files.child MEMORY_BYTES CPU_SECONDS

in the folder that holds the package, with an empty environment: no PYTHON* variable, no site
or user packages, nothing written. The child lowers its own limits (never above the hard limits
it inherited: a container or `ulimit` may have set lower ones), reads the file from standard
input, decodes it with the same restricted decoder as the parent (alchemist.files.container),
and answers on standard output in JSON (alchemist.files.json_tree): {"envelope": ...} or
{"error": "a message for the user"}. The parent parses the answer strictly and checks it again.

Standard library only, like everything it imports: the child starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from alchemist import limits
from alchemist.errors import LimitError, SessionFileError
from alchemist.files import json_tree
from alchemist.files.bounds import check_plain, checked_bytes
from alchemist.files.container import MAX_SESSION_FILE_BYTES, MAX_UNPACKED_BYTES, decode_session_file
from alchemist.files.migrations import check_envelope
from alchemist.files.strict_json import parse_json_bytes

CHILD_CPU_SECONDS = 60
CHILD_TIMEOUT_SECONDS = 90.0
MAX_CHILD_ANSWER_BYTES = 2 * MAX_UNPACKED_BYTES  # bytes come back as base64 (4/3), numbers as text
# The folder that holds the `alchemist` package: the child's working directory, so `-m` finds it
# (it comes first on the child's path: no module of that folder may be named like a standard one).
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_NO_ANSWER = "The file was not opened: the safe reader gave no usable answer."


def child_command(memory_bytes: int, cpu_seconds: int) -> list[str]:
    """The command line of the child: isolated from the environment and from installed packages."""
    return [sys.executable, "-E", "-s", "-S", "-B", "-m", __name__, str(int(memory_bytes)), str(int(cpu_seconds))]


def why_stopped(code: int) -> str:
    """In words, why the child ended with this exit code (negative: the signal that ended it)."""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return "it needed more computing time than a session file may"
    if code in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT, -signal.SIGILL, -signal.SIGFPE):
        return "the session data crashed the reader"
    return f"the reader stopped with code {code}"


# Children running now, in the whole process: counted under a lock against limits.current().max_children
# (read at each start, so an operator's setting applies without a restart).
_children_lock = threading.Lock()
_children_running = 0


@contextmanager
def child_slot() -> Iterator[None]:
    """Hold one of the max_children places for a child; LimitError at once when all are taken (never a queue)."""
    global _children_running
    with _children_lock:
        allowed = limits.current().max_children
        if _children_running >= allowed:
            raise LimitError(
                f"The server is busy reading other files ({allowed} at once at most, limit max_children). "
                "Try again in a moment.",
                "max_children",
            )
        _children_running += 1
    try:
        yield
    finally:
        with _children_lock:
            _children_running -= 1


def decode_session_file_in_child(
    data: Any,
    memory_bytes: int | None = None,
    cpu_seconds: int = CHILD_CPU_SECONDS,
    timeout: float = CHILD_TIMEOUT_SECONDS,
) -> dict:
    """decode_session_file, run in a child process with memory, CPU and time limits.

    `memory_bytes` defaults to limits.current().memory_per_operation_bytes. At most max_children
    children run at once in this process; one more raises LimitError at once.

    The child's answer is JSON, parsed strictly and checked again here. A crash, a hang or an
    exhausted limit in the child ends as SessionFileError; nothing of the child's survives but
    the plain data it returns.
    """
    data = checked_bytes(data, MAX_SESSION_FILE_BYTES)
    if memory_bytes is None:
        memory_bytes = limits.current().memory_per_operation_bytes
    try:
        with child_slot():
            finished = subprocess.run(
                child_command(memory_bytes, cpu_seconds),
                input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env={}, cwd=_PACKAGE_PARENT,
            )
    except subprocess.TimeoutExpired:
        raise SessionFileError(
            f"Reading the file took longer than {timeout:.0f} s and was stopped; the session data are damaged or harmful."
        ) from None
    except OSError:
        raise SessionFileError("The file could not be read: the safe reader could not be started.") from None
    if finished.returncode != 0:
        raise SessionFileError(f"The file was not opened: {why_stopped(finished.returncode)}. The session data are damaged or harmful.")
    # The parent parses the answer in the shared process: Python's JSON objects take up to ~4x the
    # text's bytes, so the answer is bounded by the same memory one operation may use.
    answer_limit = min(MAX_CHILD_ANSWER_BYTES, limits.current().memory_per_operation_bytes // 4)
    if len(finished.stdout) > answer_limit:
        raise SessionFileError("The file was not opened: its session data describe far more than a session holds.")
    answer = parse_json_bytes(finished.stdout, "answer of the safe reader") if finished.stdout else None
    if not isinstance(answer, dict) or not (("error" in answer) ^ ("envelope" in answer)):
        raise SessionFileError(_NO_ANSWER)
    if "error" in answer:
        message = answer["error"]
        if not isinstance(message, str) or not message:
            raise SessionFileError(_NO_ANSWER)
        raise SessionFileError("".join(c for c in message[:400] if c.isprintable()))
    try:
        envelope = json_tree.from_json_tree(answer["envelope"])
    except json_tree.JsonTreeError:
        raise SessionFileError(_NO_ANSWER) from None
    check_plain(envelope, "session data")
    check_envelope(envelope)
    return envelope


# -- in the child --------------------------------------------------------------------------
def _lower_limit(which: int, soft: int, hard: int) -> None:
    import resource

    _, inherited_hard = resource.getrlimit(which)
    if inherited_hard != resource.RLIM_INFINITY:
        hard = min(hard, inherited_hard)  # a process may lower its hard limit, never raise it
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Limit this process: no core file, `cpu_seconds` of CPU (then SIGXCPU, a second later SIGKILL),
    `memory_bytes` of address space; each at most the hard limit this process inherited."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _lower_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    _lower_limit(resource.RLIMIT_AS, memory_bytes, memory_bytes)


def main(argv: list[str]) -> None:
    memory_bytes, cpu_seconds = int(argv[0]), int(argv[1])
    limit_resources(memory_bytes, cpu_seconds)
    try:
        data = sys.stdin.buffer.read(MAX_SESSION_FILE_BYTES + 1)
        envelope = decode_session_file(data)
        answer: dict = {"envelope": json_tree.to_json_tree(envelope, arrays_as_numbers=False)}
    except SessionFileError as error:
        answer = {"error": error.message}
    except MemoryError:
        answer = {"error": "The file was not opened: its session data need more memory than a session file may use."}
    except RecursionError:
        answer = {"error": "The session data are nested deeper than a session is."}
    except Exception:  # anything else: the data are bad, and the parent says so
        answer = {"error": "The session data are damaged (they could not be read)."}
    sys.stdout.write(json.dumps(answer, allow_nan=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
