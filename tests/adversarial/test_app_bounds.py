"""What one visitor's data can do to their own session: a row limit refused at import, never at save."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alchemist import limits
from alchemist.errors import LimitError
from alchemist.files.tables import read_table
from alchemist.persistence import SessionStore
from alchemist.session import Session
from alchemist.variables import CategoricalVariable


def million_row_csv(path: Path) -> bytes:
    """1,000,000 rows x 4 categorical columns and a result: the 10 MB file issue 7 measured."""
    rng = np.random.default_rng(7)
    levels = np.array(["a", "b", "c"])
    columns = [levels[rng.integers(0, 3, 1_000_000)] for _ in range(4)]
    lines = ["A,B,C,D,Output"]
    lines += [f"{a},{b},{c},{d},1" for a, b, c, d in zip(*columns)]
    path.write_text("\n".join(lines) + "\n")
    return path.read_bytes()


def test_a_million_row_import_is_refused_and_the_session_stays_saved_and_intact(tmp_path: Path) -> None:
    assert limits.current().max_experiments < 1_000_000  # the default limit this test is about
    store = SessionStore(tmp_path / "cache")
    session = Session.new("Big file")
    for name in "ABCD":
        session.add_variable(CategoricalVariable(name, levels=("a", "b", "c")))
    session.add_experiments(read_table(b"A,B,C,D,Output\na,b,c,a,1.5\n", "small.csv"), target="Output")
    store.save(session)

    data = million_row_csv(tmp_path / "big.csv")
    assert len(data) > 9_000_000
    try:
        incoming = read_table(data, "big.csv")
    except LimitError:  # the table reader may refuse it first; the session is then untouched too
        incoming = None
    if incoming is not None:
        with pytest.raises(LimitError) as error:
            session.add_experiments(incoming, target="Output")
        assert error.value.limit == "max_experiments"
        assert f"{limits.current().max_experiments:,}" in error.value.message
        assert "Nothing was changed" in error.value.message

    assert len(session.experiments) == 1
    session.rename("Still saved")
    store.save(session)  # the next change saves, as always
    again = store.get(session.id)
    assert again is not None and again.name == "Still saved" and len(again.experiments) == 1
    for fmt in ("pkl", "json"):
        assert len(store.read_file(store.export(again, fmt=fmt), f"s.{fmt}").session.experiments) == 1
