"""An uploaded file is parsed once per browser tab, not on every rerun.

Streamlit reruns the whole page on every click, and a file uploader hands back the same bytes each
time: parsing them again cost seconds per interaction for a small spreadsheet. The result (or the
reason it could not be read) is kept in this tab's state under the file's content hash, one entry
per kind of upload, so the memory it holds is bounded and no visitor ever sees another's file.
"""

from __future__ import annotations

import hashlib
from typing import Callable, TypeVar

import streamlit as st

from alchemist.errors import AlchemistError

T = TypeVar("T")
_STATE_KEY = "parsed_uploads"


def parse_once(kind: str, name: str, data: bytes, parse: Callable[[bytes, str], T], variant: str = "") -> T:
    """`parse(data, name)`, computed once for this file in this tab; raises the same AlchemistError again.

    The name is part of the key because it decides how the bytes are read (CSV or workbook);
    `variant` names anything else that does (the sheet of a workbook).
    """
    digest = hashlib.sha256(data).hexdigest() + "/" + name + "/" + variant
    parsed: dict[str, tuple[str, object, AlchemistError | None]] = st.session_state.setdefault(_STATE_KEY, {})
    kept = parsed.get(kind)
    if kept is None or kept[0] != digest:
        try:
            kept = (digest, parse(data, name), None)
        except AlchemistError as error:
            kept = (digest, None, error)
        parsed[kind] = kept  # replaces the previous file of this kind: one per kind, never more
    if kept[2] is not None:
        raise kept[2]
    return kept[1]  # type: ignore[return-value]


def forget(kind: str) -> None:
    """Drop the kept result of `kind`, e.g. once its rows were imported."""
    st.session_state.get(_STATE_KEY, {}).pop(kind, None)
