"""Jupyter notebooks (nbformat 4) as one Python module, cell after cell.

The code cells are joined in order. What only IPython understands is
neutralised the way IPython itself transforms it, on the same lines so that
every position maps back to its cell:

- ``%time x = f()`` / ``%timeit -n 10 f()`` keep their code (the magic is
  blanked); any other line magic (``%matplotlib inline``) becomes ``pass``;
- ``!pip install x`` becomes ``pass``, ``files = !ls`` becomes ``files = None``;
- ``obj?``, ``??obj`` (help) become ``pass``;
- a cell magic whose body is Python (``%%time``, ``%%capture``) keeps the body;
  any other (``%%bash``, ``%%writefile``) makes the cell not Python: blanked;
- an indented cell loses its first line's indentation, as in IPython.

A cell that still does not parse is reported (TFF001, naming the cell) and
blanked, so the other cells are still checked.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from tflint_fn.findings import ChainLink, Edit, Finding, Fix, Position, TraceContext
from tflint_fn.sources.parsing import ParseFailure

# Notebooks carry their outputs (images, tables): allow more than a module.
MAX_NOTEBOOK_BYTES = 128 * 1024 * 1024

# Magics whose argument (line) or body (cell) is Python code that runs.
_CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})
_CODE_CELL_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug", "tensorflow_version"})
# %timeit's options that take a value (``-n 10``); the others are flags.
_VALUE_OPTIONS = frozenset("nrp")

_MAGIC = re.compile(r"%{1,2}(?P<name>[\w.]+)")
_ASSIGNED_MAGIC = re.compile(r"^(?P<target>[\w.\[\], ()*]+?\s*=\s*)(?P<rest>[!%].*)$")
_HELP = re.compile(r"^(\?{1,2}[\w.%]+|[\w.%\[\]()]+\?{1,2})$")


@dataclass(frozen=True)
class CellFailure:
    cell: int  # 1-based, among code cells
    line: int  # in the cell
    column: int
    reason: str


@dataclass
class Cell:
    number: int  # 1-based, among code cells: as ruff counts them
    first_line: int  # the module line where the cell starts (1-based)
    lines: list[str]  # the cell's own text, as the user wrote it
    shifts: list[int]  # per line: columns removed before the code (indentation, a magic)


@dataclass
class Notebook:
    cells: list[Cell] = field(default_factory=list)
    failures: list[CellFailure] = field(default_factory=list)

    def locate(self, line: int, column: int) -> tuple[int, int, int]:
        """Module ``line, column`` -> ``cell, line, column`` in that cell."""
        cell = self._cell_at(line)
        if cell is None:
            return (self.cells[-1].number if self.cells else 1), 1, 1
        inside = line - cell.first_line + 1
        shift = cell.shifts[inside - 1] if inside <= len(cell.shifts) else 0
        return cell.number, inside, column + shift

    def cell_source(self, number: int) -> str | None:
        for cell in self.cells:
            if cell.number == number:
                return "".join(line + "\n" for line in cell.lines)
        return None

    def _cell_at(self, line: int) -> Cell | None:
        found = None
        for cell in self.cells:  # in module order
            if cell.first_line > line:
                break
            found = cell
        return found


def load_notebook(data: bytes) -> tuple[str, Notebook] | ParseFailure | None:
    """The module text and its cell map; a failure for what is not a notebook;
    None for a notebook in another language (nothing to check)."""
    try:
        text = data.decode("utf-8-sig")  # nbformat files are UTF-8
    except UnicodeDecodeError as error:
        return ParseFailure(f"not a notebook: not valid UTF-8 ({error.reason} at byte {error.start})")
    try:
        document = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        column = getattr(error, "colno", 1)
        return ParseFailure(f"not a notebook: invalid JSON: {getattr(error, 'msg', error)}", line, column)
    except RecursionError:
        return ParseFailure("not a notebook: JSON nested too deeply")
    if not isinstance(document, dict):
        return ParseFailure("not a notebook: the JSON is not an object")
    if "cells" not in document and "worksheets" in document:
        return ParseFailure("not a notebook of format 4: convert it with `jupyter nbconvert --to notebook`")
    cells = document.get("cells")
    if not isinstance(cells, list):
        return ParseFailure("not a notebook: no `cells` list")
    if not _is_python(document.get("metadata")):
        return None
    notebook = Notebook()
    parts: list[str] = []
    next_line = 1
    number = 0
    for raw in cells:
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        number += 1
        source = _cell_text(raw.get("source"))
        if source is None:
            notebook.failures.append(CellFailure(number, 1, 1, "`source` is neither a string nor a list of strings"))
            continue
        lines = source.splitlines()
        python, shifts = neutralise(lines)
        failure = _automagic(python, shifts, _syntax_error(python))
        if failure is not None:
            line, column, reason = failure
            notebook.failures.append(CellFailure(number, line, column + (shifts[line - 1] if line <= len(shifts) else 0), reason))
            python = ["" for _ in lines]  # the other cells are still checked
        notebook.cells.append(Cell(number, next_line, lines, shifts))
        parts.extend(line + "\n" for line in python)
        next_line += len(lines)
    return "".join(parts), notebook


def _is_python(metadata) -> bool:
    if not isinstance(metadata, dict):
        return True
    for key, inner in (("language_info", "name"), ("kernelspec", "language")):
        table = metadata.get(key)
        if isinstance(table, dict) and isinstance(table.get(inner), str):
            return table[inner].lower() in ("python", "python3", "ipython", "ipython3")
    return True  # unsaid: Jupyter's default kernel is Python


def _cell_text(source) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    return None


def neutralise(lines: list[str]) -> tuple[list[str], list[int]]:
    """The cell as Python, line for line, and per line the columns removed
    before the code (so that a position maps back to the cell as written)."""
    lines, shifts = _strip_leading_indent(lines)
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        match = _MAGIC.match(lines[first].lstrip())
        if match is None or match.group("name") not in _CODE_CELL_MAGICS:
            return ["" for _ in lines], shifts  # %%bash, %%writefile ...: not Python
        lines = [*lines[:first], "", *lines[first + 1:]]
    result = []
    open_state = _Scanner()
    continued = False  # the lines after `!cmd \` belong to the command (IPython joins them)
    for index, line in enumerate(lines):
        if continued:
            continued = line.endswith("\\")
            result.append("")
            continue
        if open_state.at_statement_start():
            original = line
            line, removed = _neutralise_line(line)
            shifts[index] += removed
            continued = line != original and removed == 0 and original.endswith("\\")
        result.append(line)
        open_state.feed(line)
    return result, shifts


# Line magics IPython runs without their `%` (automagic, on by default), and
# its shell aliases (`ls`, `cd`, ...): only where the line is no Python.
_AUTOMAGIC = re.compile(
    r"(?P<name>ls|ll|cd|pwd|cat|cp|mv|rm|mkdir|rmdir|pip|conda|env|who|whos|load_ext|matplotlib|"
    r"time|timeit|history|reset|bookmark|dhist|pushd|popd)(?:\s+(?![=(,\[])|$)"  # `cd = 3` is Python
)


def _automagic(python: list[str], shifts: list[int], failure):
    """Neutralise, one by one, the lines where the cell fails that IPython reads as automagic."""
    for _ in range(len(python)):
        if failure is None:
            return None
        index = failure[0] - 1
        line = python[index] if 0 <= index < len(python) else ""
        match = _AUTOMAGIC.match(line.lstrip())
        if match is None:
            return failure
        indent = line[: len(line) - len(line.lstrip())]
        rewritten, removed = _line_magic(indent + "%" + line.lstrip(), indent)
        python[index] = rewritten
        shifts[index] += max(removed - 1, 0)  # the `%` added here was never in the cell
        failure = _syntax_error(python)
    return failure


def _strip_leading_indent(lines: list[str]) -> tuple[list[str], list[int]]:
    first = next((line for line in lines if line.strip()), None)
    indent = first[: len(first) - len(first.lstrip())] if first is not None else ""
    if not indent:
        return list(lines), [0] * len(lines)
    stripped = [line[len(indent):] if line.startswith(indent) else line for line in lines]
    return stripped, [len(indent) if line.startswith(indent) else 0 for line in lines]


def _neutralise_line(line: str) -> tuple[str, int]:
    """The line as Python, and how many columns were removed before its code."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return line, 0
    indent = line[: len(line) - len(line.lstrip())]
    if stripped.startswith("!"):
        return indent + "pass", 0
    if stripped.startswith("%"):
        return _line_magic(line, indent)
    if _HELP.match(stripped):
        return indent + "pass", 0
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned is not None and not assigned.group("rest").startswith("%="):
        return assigned.group("target") + "None", 0
    return line, 0


def _line_magic(line: str, indent: str) -> tuple[str, int]:
    body = line.lstrip()
    match = _MAGIC.match(body)
    if match is None or match.group("name") not in _CODE_LINE_MAGICS:
        return indent + "pass", 0
    # Keep the code at the line's indentation; the magic and its options go.
    position = len(indent) + match.end()
    words = line[position:]
    while True:
        stripped = words.lstrip()
        if not stripped.startswith("-"):
            break
        option = stripped.split(None, 1)[0]
        skip = len(words) - len(stripped) + len(option)
        if len(option) == 2 and option[1] in _VALUE_OPTIONS:  # `-n 10`: the value is the next word
            rest = words[skip:]
            value = rest.lstrip().split(None, 1)[0] if rest.strip() else ""
            skip += len(rest) - len(rest.lstrip()) + len(value)
        position += skip
        words = line[position:]
    code = line[position:].lstrip()
    if not code:
        return indent + "pass", 0
    return indent + code, len(line) - len(code) - len(indent)


class _Scanner:
    """Is the next line the start of a statement (not inside brackets or a string)?"""

    def __init__(self) -> None:
        self.depth = 0
        self.triple: str | None = None
        self.backslash = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.triple is None and not self.backslash

    def feed(self, line: str) -> None:
        index = 0
        length = len(line)
        self.backslash = False
        while index < length:
            if self.triple is not None:
                end = line.find(self.triple, index)
                if end < 0:
                    return
                index = end + 3
                self.triple = None
                continue
            character = line[index]
            if character == "#":
                return
            if character in "\"'":
                if line.startswith(character * 3, index):
                    self.triple = character * 3
                    index += 3
                    continue
                index = _string_end(line, index + 1, character)
                continue
            if character in "([{":
                self.depth += 1
            elif character in ")]}":
                self.depth = max(0, self.depth - 1)
            elif character == "\\" and index == length - 1:
                self.backslash = True
            index += 1


def _string_end(line: str, index: int, quote: str) -> int:
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == quote:
            return index + 1
        index += 1
    return index


def _syntax_error(lines: list[str]) -> tuple[int, int, str] | None:
    text = "".join(line + "\n" for line in lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<cell>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, f"syntax error: {error.msg}"
    except (RecursionError, MemoryError, ValueError):
        return 1, 1, "cannot parse: too deeply nested"
    return None


def is_notebook(path: Path) -> bool:
    return path.suffix == ".ipynb"


def to_cells(finding: Finding, notebooks: dict[str, Notebook]) -> Finding:
    """A finding in a notebook's joined module, moved to its cell's own coordinates."""
    notebook = notebooks.get(finding.path)
    if notebook is None or finding.cell is not None:
        return finding
    cell, start_line, start_column = notebook.locate(finding.start.line, finding.start.column)
    end_cell, end_line, end_column = notebook.locate(finding.end.line, finding.end.column)
    if end_cell != cell:  # a node cannot span cells; keep the range inside the first
        end_line, end_column = start_line, start_column
    return replace(
        finding,
        cell=cell,
        message=_MODULE_LINE.sub(lambda match: _cell_line(notebook, int(match.group(1))), finding.message),
        start=Position(start_line, start_column),
        end=Position(end_line, end_column),
        context=_context_in_cells(finding.context, notebooks),
        fix=_fix_in_cells(finding.fix, notebook),
        subject=None,  # --dynamic imports modules from files: a notebook is not one
    )


# A message may name another line of the module as "(line N)" (TFF106 names
# the rebinding): in a notebook that is a cell's line.
_MODULE_LINE = re.compile(r"\(line (\d+)\)")


def _cell_line(notebook: Notebook, line: int) -> str:
    cell, inside, _ = notebook.locate(line, 1)
    return f"(cell {cell}, line {inside})"


def _context_in_cells(context: TraceContext | None, notebooks: dict[str, Notebook]) -> TraceContext | None:
    if context is None:
        return None
    links = []
    for link in context.chain:
        notebook = notebooks.get(link.path)
        if notebook is None or link.cell is not None:
            links.append(link)
        else:
            cell, line, _ = notebook.locate(link.line, 1)
            links.append(ChainLink(link.function, link.path, line, cell))
    return TraceContext(context.kind, tuple(links))


def _fix_in_cells(fix: Fix | None, notebook: Notebook) -> Fix | None:
    if fix is None:
        return None
    edits = []
    for edit in fix.edits:
        cell, start_line, start_column = notebook.locate(edit.start.line, edit.start.column)
        _, end_line, end_column = notebook.locate(edit.end.line, edit.end.column)
        edits.append(Edit(Position(start_line, start_column), Position(end_line, end_column), edit.content, cell))
    return replace(fix, edits=tuple(edits))

