"""Fixes applied to a file's bytes: encoding, BOM, line endings and notebook JSON kept.

``FileText`` reads a file (or stdin's bytes) into units (see ``units.py``);
``apply`` resolves conflicting edits deterministically (findings in order; a
fix whose edits overlap an accepted one waits for the next round) and gives
the new bytes; ``write_atomic`` writes a temporary file beside the original
and renames it into place, so a reader never sees half a file.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from tflint_fn.fixes.edits import Plan, TextEdit
from tflint_fn.fixes.units import Unit


class NotFixable(Exception):
    """This file's text cannot be rewritten (undecodable, unreadable JSON): left alone."""


@dataclass
class FileText:
    data: bytes
    notebook: bool
    units: list[Unit] = field(default_factory=list)
    encoding: str = "utf-8"
    document: dict | None = None  # a notebook's JSON
    cell_index: dict[int, int] = field(default_factory=dict)  # code cell number -> index in `cells`

    @classmethod
    def read(cls, data: bytes, notebook: bool) -> FileText:
        text = cls(data, notebook)
        if notebook:
            text._read_notebook()
        else:
            try:
                text.encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
                decoded = data.decode(text.encoding)  # `utf-8-sig` drops the BOM; encoding puts it back
            except (SyntaxError, LookupError, UnicodeDecodeError) as error:
                raise NotFixable(str(error)) from None
            if decoded.startswith("\ufeff"):
                raise NotFixable("a BOM inside a declared encoding")
            text.units = [Unit.parse(decoded)]
        return text

    def _read_notebook(self) -> None:
        try:
            document = json.loads(self.data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise NotFixable(str(error)) from None
        if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
            raise NotFixable("not a notebook")
        self.document = document
        number = 0
        for index, cell in enumerate(document["cells"]):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            number += 1
            source = cell.get("source")
            if isinstance(source, list) and all(isinstance(part, str) for part in source):
                source = "".join(source)
            if not isinstance(source, str):
                continue
            self.cell_index[number] = index
            self.units.append(Unit.parse(source, cell=number))

    def unit_for(self, cell: int | None) -> Unit | None:
        for unit in self.units:
            if unit.cell == cell:
                return unit
        return None

    def render(self, texts: dict[int, str]) -> bytes:
        """The file's bytes with the units at ``texts`` (unit index -> new text) replaced."""
        if not self.notebook:
            new = texts.get(0, self.units[0].text)
            try:
                return new.encode(self.encoding)
            except UnicodeEncodeError as error:
                raise NotFixable(f"the fix does not fit the file's encoding {self.encoding}: {error}") from None
        for index, new in texts.items():
            unit = self.units[index]
            cell = self.document["cells"][self.cell_index[unit.cell]]
            cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
        return _dump_notebook(self.document, self.data)


def _dump_notebook(document: dict, original: bytes) -> bytes:
    """JSON laid out as the original was (nbformat writes one-space indents, raw UTF-8)."""
    text = original.decode("utf-8-sig")
    match = re.search(r"\n([ \t]+)\S", text)
    indent = match.group(1) if match else None
    ascii_only = "\\u" in text and text.isascii()
    dumped = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    if text.endswith("\n"):
        dumped += "\n"
    if "\r\n" in text:
        dumped = dumped.replace("\n", "\r\n")
    prefix = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    return prefix + dumped.encode("utf-8")


def _conflicts(edit: TextEdit, accepted: list[TextEdit]) -> bool:
    for other in accepted:
        if other.unit != edit.unit or other == edit:
            continue
        if max(edit.start, other.start) < min(edit.end, other.end):
            return True  # the replaced ranges overlap
        for insertion, replaced in ((edit, other), (other, edit)):
            if insertion.start == insertion.end and replaced.start < insertion.start < replaced.end:
                return True
        if edit.start == edit.end == other.start == other.end:
            continue  # two insertions at one place (two imports): both go in
        if edit.start == other.start and edit.end == other.end:
            return True
    return False


def select(plans: list[Plan]) -> tuple[list[Plan], list[TextEdit]]:
    """The plans that fit together, in order, and their edits (duplicates merged)."""
    chosen: list[Plan] = []
    accepted: list[TextEdit] = []
    for plan in plans:
        if any(_conflicts(edit, accepted) for edit in plan.edits):
            continue
        chosen.append(plan)
        for edit in plan.edits:
            if edit not in accepted:
                accepted.append(edit)
    return chosen, accepted


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """``text`` with non-conflicting ``edits`` applied (insertions before a replacement at one place)."""
    # At one place: insertions first, in text order (`import sys` before `import tensorflow as tf`).
    ordered = sorted(enumerate(edits), key=lambda item: (
        item[1].start, item[1].end, item[1].content if item[1].start == item[1].end else "", item[0]))
    parts = []
    position = 0
    for _, edit in ordered:
        parts.append(text[position:edit.start])
        parts.append(edit.content)
        position = edit.end
    parts.append(text[position:])
    return "".join(parts)


def new_bytes_from_edits(file: FileText, edits: list[TextEdit]) -> bytes | None:
    """The file with non-conflicting ``edits``; None when the bytes do not change."""
    texts = {}
    for index, unit in enumerate(file.units):
        mine = [edit for edit in edits if edit.unit == index]
        if mine:
            texts[index] = apply_edits(unit.text, mine)
    if not texts:
        return None
    data = file.render(texts)
    return None if data == file.data else data


def new_bytes(file: FileText, plans: list[Plan]) -> tuple[bytes, list[Plan]] | None:
    """The fixed file and the plans applied, or None when nothing changes."""
    chosen, edits = select(plans)
    if not chosen:
        return None
    data = new_bytes_from_edits(file, edits)
    return None if data is None else (data, chosen)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path``'s content: a temporary file in the same folder, then ``os.replace``.

    A symbolic link is followed (its target is rewritten, the link stays);
    the file's permission bits are kept.
    """
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(os.stat(target).st_mode)
    import tempfile  # here: a run that writes no file never pays its import

    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tflint-fn.tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
