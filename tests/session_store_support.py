"""Shared by the tests of the session store and its files: a one-day time to live, and looks at
what a store wrote and at what a session holds."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from alchemist.files import json_tree

DAY = timedelta(days=1)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def canonical(tree) -> str:
    """Plain data as text: arrays as their exact bytes (base64), other floats by repr, NaN and infinity named."""
    return json.dumps(json_tree.to_json_tree(tree, arrays_as_numbers=False), sort_keys=True)


def same_state(a, b) -> bool:
    """Bit for bit (numeric columns as their bytes), apart from the id a load gives."""
    sa, sb = a.to_state(), b.to_state()
    sa["id"] = sb["id"] = "-"
    return canonical(sa) == canonical(sb)
