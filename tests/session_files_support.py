"""Shared by the session-file tests: a deterministic session with every feature, and its facts.

The golden files under tests/golden/ were written by `write_golden` with the writer of their
format version; `session_facts` describes a session in plain JSON (floats as repr text, so NaN,
infinity and the last bit count) and is what a golden file must still load to.

    .venv/bin/python -m tests.session_files_support <format version>   # writes tests/golden/session_v<N>.*

Files of other programs live in the project's shared/ folder, beside the checkout (CI lays it
there too); `shared_file` finds one and fails the test when it is missing.
"""

from __future__ import annotations

import json
import pickle
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from alchemist.files.signing import KeyRing
from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable
from ui.words import status_text

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
GOLDEN_ID = "0123456789abcdef0123456789abcdef"
# Golden files of version 2 on are signed with this key (a test key, public on purpose).
GOLDEN_KEYS = KeyRing.from_mapping({"golden-test": "golden files are signed with this public test key"})


def golden_session(train: bool = True) -> Session:
    """Every variable kind with units and descriptions; gaps, NaN, infinities, bad cells, notes; a model."""
    session = Session.new("Golden — every feature «ünïcode»")
    session.id = GOLDEN_ID
    session.add_variable(ContinuousVariable("Temperature", unit="°C", description="Set point", low=300, high=500))
    session.add_variable(IntegerVariable("Cycles", unit="count", description="Regenerations", low=1, high=9))
    session.add_variable(CategoricalVariable("Catalyst", description="Zeolite", levels=("Low SAR", "High SAR", "Cu/Zn, 3:1")))
    session.add_variable(DiscreteVariable("SAR", unit="mol/mol", description="Si/Al ratio", values=(80, 280, 0.1 + 0.2)))
    session.add_experiments(
        pd.DataFrame(
            {
                "Temperature": [320.5, 1 / 3 + 400, "hot", 450.0, 499.999999999, 301.0, None, 410.0],
                "Cycles": [1, 2, 3, 4, 5, 6, 7, 8],
                "Catalyst": ["Low SAR", "High SAR", None, "Cu/Zn, 3:1", "Low SAR", "High SAR", "Low SAR", "Medium"],
                "SAR": [80, 280, 80, 0.1 + 0.2, 280, 80, 280, 81],
                "Yield": [0.1 + 0.2, 0.5, None, 1e-300, 0.75, float("inf"), float("-inf"), 0.25],
                "Noise": [0.01, None, None, 0.0, 0.02, None, None, 5e-324],
                "Iteration": [0, 0, 1, 1, 2, 2, 3, 3],
                "Reason": ["Initial Design", "", "EI — suggested", "line one\nline two", "tab\there", "NaN", "", "∞"],
            }
        ),
        target="Yield",
    )
    if train:
        session.train()
        session.suggest(n=2, seed=7, acquisition="ei")  # the golden files were written before "auto" became the default
    session.created = datetime(2026, 11, 25, 17, 0, 0, 123456, tzinfo=timezone.utc)
    session.modified = datetime(2026, 11, 25, 17, 30, 0, tzinfo=timezone.utc)
    return session


def _cell(value: object) -> object:
    if isinstance(value, float):
        return {"float": repr(value)}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return {"other": repr(value)}


def _frame(frame: pd.DataFrame | None) -> object:
    if frame is None:
        return None
    return {"columns": [str(c) for c in frame.columns], "dtypes": [str(t) for t in frame.dtypes],
            "rows": [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False)]}


def session_facts(session: Session) -> dict:
    """What a loaded session must be, in JSON: exact floats, the tables cell by cell, the model's fit."""
    model = None
    if session.model is not None:
        model = {
            "theta": [repr(float(v)) for v in session.model.theta],
            "y_train": [repr(float(v)) for v in session.model.y_train],
            "n_train": session.model.n_train,
            "kernel": session.model.settings.kernel,
        }
    return {
        "id": session.id,
        "name": session.name,
        "created": session.created.isoformat(),
        "modified": session.modified.isoformat(),
        "variables": [v.to_state() for v in session.variables],
        "target": session.target,
        "experiments": _frame(session.experiments.cells()),  # with the text typed into numeric cells
        # Worded as on screen: the golden facts keep each problem's column, kind and value.
        "statuses": [status_text(check) for check in session.check_rows()],
        "model_settings": session.model_settings.to_state(),
        "model": model,
        "model_status": session.model_status().state,
        "suggestion_settings": session.suggestion_settings.to_state(),
        "suggestions": _frame(session.suggestions),
    }


def shared_file(relative: str) -> Path:
    """A file under shared/data/ beside the checkout; a missing file fails the test (never a silent pass)."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"{relative} is missing from {SHARED_DATA.resolve()}: the shared/ folder belongs beside the checkout")
    return path


def write_golden(version: int, data: bytes, session: Session, folder: Path = GOLDEN_DIR) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"session_v{version}.pkl").write_bytes(data)
    facts = json.dumps(session_facts(session), indent=1, ensure_ascii=False, allow_nan=False)
    (folder / f"session_v{version}.facts.json").write_text(facts + "\n", encoding="utf-8")


def golden_history(session: Session) -> dict:
    """Version 3's history: the session created under another name, then renamed; a snapshot of the first state."""
    from alchemist.history.patch import diff_states
    from alchemist.history.revisions import History, Revision, RevisionKind, SavedState

    first = session.to_state()
    first["name"] = "Golden before the rename"
    counts = session.counts()
    ops = diff_states(first, session.to_state())
    revisions = [Revision(1, session.created, RevisionKind.CREATE, {}, counts, []),
                 Revision(2, session.modified, RevisionKind.RENAME, {"parts": ["name"], "name": [first["name"], session.name]}, counts, ops)]
    return History(2, revisions, [SavedState(1, session.created, "First «state»", first)]).to_state()


def write_version(version: int, folder: Path = GOLDEN_DIR) -> bytes:
    """Write the golden files of a format version with that version's writer; returns the session file."""
    from datetime import timedelta

    from alchemist.files.container import decode_session_file, encode_session_file
    from alchemist.files.migrations import CURRENT_FORMAT_VERSION
    from alchemist.files.strict_json import encode_session_json
    from alchemist.persistence import envelope_for, session_from_envelope

    session = golden_session()
    envelope = envelope_for(session, session.modified, timedelta(days=7))
    if version == 1:
        # Version 1: the envelope, stating version 1, pickled (protocol 5) with nothing around it.
        data = pickle.dumps({**envelope, "format_version": 1}, protocol=5)
    elif version == CURRENT_FORMAT_VERSION:
        envelope["history"] = golden_history(session)
        data = encode_session_file(envelope, GOLDEN_KEYS, compression="zlib")
        folder.mkdir(exist_ok=True)
        (folder / f"session_v{version}.json").write_bytes(encode_session_json(envelope))
    else:
        raise SystemExit(f"format version {version} can no longer be written; its golden file is kept as it was")
    session = session_from_envelope(decode_session_file(data))  # the facts are what a load gives
    write_golden(version, data, session, folder)
    return data


def main(argv: list[str]) -> None:
    data = write_version(int(argv[0]))
    print(f"wrote {GOLDEN_DIR}/session_v{argv[0]}.pkl ({len(data)} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
