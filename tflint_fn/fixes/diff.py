"""``--diff``: what ``--fix`` would change, as a unified diff (a notebook: one per changed cell)."""

from __future__ import annotations

import difflib
from pathlib import Path

from tflint_fn.fixes.apply import FileText, NotFixable


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff(display: str, before: bytes, after: bytes) -> str:
    notebook = display.endswith(".ipynb")
    try:
        old, new = FileText.read(before, notebook), FileText.read(after, notebook)
    except NotFixable:
        return ""
    parts = []
    for old_unit, new_unit in zip(old.units, new.units):
        if old_unit.text == new_unit.text:
            continue
        name = f"{display}:cell {old_unit.cell}" if old_unit.cell is not None else display
        parts.extend(difflib.unified_diff(_lines(old_unit.text), _lines(new_unit.text), name, name))
    return "".join(parts)


def diffs(fixed: dict[Path, bytes], originals: dict[Path, bytes], displays: dict[Path, str]) -> str:
    return "".join(unified_diff(displays[path], originals[path], fixed[path]) for path in sorted(fixed, key=lambda p: displays[p]))
