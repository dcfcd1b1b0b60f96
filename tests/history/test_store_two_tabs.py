"""Two stores (two tabs) at once: a stale change is merged onto the current session or refused naming
the clash; commits that name their columns."""

from __future__ import annotations

import threading

import pytest

from alchemist.errors import ConflictError
from alchemist.examples import catalyst_example
from alchemist.persistence import SessionStore
from alchemist.variables import ContinuousVariable
from tests.history.store_history_support import add_rows, edit_cell, same
from tests.session_store_support import DAY


# -- two tabs -------------------------------------------------------------------------------------
def test_a_stale_tab_change_is_applied_to_the_current_session(store, stored):
    base, version = store.history(stored.id)[-1].number, store.version(stored.id)
    tab_a = store.get(stored.id)
    tab_b = store.get(stored.id)
    tab_a.delete_variable("Zinc Fraction", confirm=True)
    store.save(tab_a, expected_version=version)
    edit_cell(tab_b, 2, "Temperature", 333.0)  # made on the copy from before the delete
    committed = store.commit(tab_b, base=base, expected_version=version)
    assert committed.merged is not None
    now = store.get(stored.id)
    assert "Zinc Fraction" not in [v.name for v in now.variables], "tab A's change is kept"
    assert now.experiments.frame["Temperature"].iloc[2] == 333.0, "tab B's change is applied"


def test_a_stale_tab_change_that_meets_another_is_refused_naming_it(store, stored):
    base, version = store.history(stored.id)[-1].number, store.version(stored.id)
    tab_a, tab_b = store.get(stored.id), store.get(stored.id)
    tab_a.delete_variable("Zinc Fraction", confirm=True)
    store.save(tab_a, expected_version=version)
    tab_b.replace_variable("Zinc Fraction", ContinuousVariable("Zinc", low=0, high=1), confirm=True)
    with pytest.raises(ConflictError, match="Zinc Fraction"):
        store.commit(tab_b, base=base, expected_version=version)
    assert "Zinc" not in [v.name for v in store.get(stored.id).variables]
    # Without a base, a stale save is refused as before (compare-and-swap).
    with pytest.raises(ConflictError, match="another tab"):
        store.save(tab_b, expected_version=version)


def test_two_stores_editing_cells_at_once_lose_nothing(tmp_path):
    root = tmp_path / "cache"
    stores = [SessionStore(root, ttl=DAY), SessionStore(root, ttl=DAY)]
    session = catalyst_example()
    stores[0].save(session)
    errors: list[BaseException] = []

    def tab(store: SessionStore, rows: range) -> None:
        try:
            for row in rows:
                for _ in range(20):  # a conflict-free change is re-applied; retry only on a real conflict
                    opened = store.checkout(session.id)  # session, version and revision of one read
                    edit_cell(opened.session, row, "Temperature", 300.0 + row)
                    try:
                        store.commit(opened.session, base=opened.number, expected_version=opened.version)
                        break
                    except ConflictError:
                        continue
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(s, rows)) for s, rows in zip(stores, (range(0, 10), range(10, 20)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = SessionStore(root, ttl=DAY).get(session.id).experiments.frame["Temperature"]
    assert list(final.iloc[:20]) == [300.0 + r for r in range(20)]
    assert len(stores[1].history(session.id)) == 21


def test_a_commit_naming_its_columns_stores_the_same_as_a_whole_save(store, stored, tmp_path):
    edit_cell(stored, 4, "Temperature", 377.0)
    level = "Low SAR" if stored.experiments.frame["Catalyst"].iloc[5] == "High SAR" else "High SAR"
    edit_cell(stored, 5, "Catalyst", level)
    committed = store.commit(stored, columns=["Temperature", "Catalyst"])
    assert committed.number == 2
    assert same(SessionStore(store.root, ttl=DAY).get(stored.id), stored)
    assert store.history(stored.id)[-1].summary["cells"] == 2
    # A hint that cannot stand for the whole state (rows added) falls back to the whole session.
    add_rows(stored)
    store.commit(stored, columns=["Temperature"])
    assert same(SessionStore(store.root, ttl=DAY).get(stored.id), stored)


def test_a_stale_tab_cell_edit_with_columns_is_merged_onto_the_current_session(store, stored):
    opened = store.checkout(stored.id)
    other = store.get(stored.id)
    other.rename("renamed in the other tab")
    store.save(other)
    edit_cell(opened.session, 1, "Temperature", 399.0)
    store.commit(opened.session, base=opened.number, expected_version=opened.version, columns=["Temperature"])
    now = store.get(stored.id)
    assert now.name == "renamed in the other tab" and now.experiments.frame["Temperature"].iloc[1] == 399.0
