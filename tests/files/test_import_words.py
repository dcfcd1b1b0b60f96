"""The import's account in words: what was added or replaced, and what needs attention."""

from __future__ import annotations

from alchemist.experiment_import import ImportReport
from ui.import_words import import_account


def test_import_account_says_added_or_replaced():
    assert import_account(ImportReport(26, "Output", (), 0)) == "Added 26 experiments."
    assert import_account(ImportReport(1, "Output", (), 0)) == "Added 1 experiment."
    assert import_account(ImportReport(4, "Output", (), 1, rows_replaced=22), 2) == (
        "Replaced 22 rows with 4. 1 needs attention; see the Status column. 2 empty rows of the file skipped."
    )
    assert import_account(ImportReport(4, "Output", (), 3), 1).endswith(
        "3 need attention; see the Status column. 1 empty row of the file skipped.")
