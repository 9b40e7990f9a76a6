"""The text a fix edits: a file's decoded text, or one notebook cell as written.

A ``Unit`` is parsed again here with LibCST and its position metadata, so a
fix is found from a finding's range alone (the analysis is not needed). In a
notebook, each cell is parsed as Python after IPython syntax is neutralised
(the notebook module's own ``neutralise``), and positions move back to the
cell as the user wrote it with the per-line shifts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from tflint_fn.sources.cstwalk import parents_of
from tflint_fn.sources.notebooks import neutralise
from tflint_fn.sources.parsing import ParseFailure, parse

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str, notebook_cell: bool) -> list[int]:
    """Offsets where each line starts, counted as the positions count lines."""
    starts = [0]
    if notebook_cell:  # the notebook module splits cells with str.splitlines
        offset = 0
        for line in text.splitlines(keepends=True):
            offset += len(line)
            starts.append(offset)
    else:
        starts.extend(match.end() for match in _LINE_BREAK.finditer(text))
    return starts


@dataclass(eq=False)  # compared by identity: two notebook cells may hold the same text
class Unit:
    """One piece of text and its LibCST tree (``None`` when it does not parse)."""

    text: str  # what edits apply to
    cell: int | None = None  # the code cell (1-based), in a notebook
    shifts: list[int] = field(default_factory=list)  # per line: columns the Python lacks (notebook cells)
    module: cst.Module | None = None
    positions: dict = field(default_factory=dict)  # node -> CodeRange (Python coordinates)
    parents: dict = field(default_factory=dict)
    by_range: dict = field(default_factory=dict)  # (line, col0, end_line, end_col0) -> [nodes]
    starts: list[int] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, cell: int | None = None) -> Unit:
        if cell is None:
            python, shifts = text, []
        else:
            lines, shifts = neutralise(text.splitlines())
            python = "".join(line + "\n" for line in lines)
        from libcst.metadata import (  # only once fixing
            MetadataWrapper,
            PositionProvider,
        )

        unit = cls(text, cell, list(shifts), starts=_line_starts(text, cell is not None))
        tree = parse(python)  # with the engine's guards: nesting LibCST would crash on, lines it is slow on
        if isinstance(tree, ParseFailure):
            return unit
        try:
            # The tree is this unit's own: no defensive copy of it.
            wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
            unit.positions = wrapper.resolve(PositionProvider)
            unit.parents = parents_of(tree)
        except Exception:  # noqa: BLE001 - a unit that does not parse offers no fixes
            return unit
        unit.module = tree
        for node, code_range in unit.positions.items():
            key = (code_range.start.line, code_range.start.column, code_range.end.line, code_range.end.column)
            unit.by_range.setdefault(key, []).append(node)
        return unit

    def shift(self, line: int) -> int:
        return self.shifts[line - 1] if 0 < line <= len(self.shifts) else 0

    def nodes_at(self, start_line: int, start_column: int, end_line: int, end_column: int) -> list[cst.CSTNode]:
        """Nodes spanning this range, given as a finding gives it (1-based columns, as written)."""
        key = (
            start_line, start_column - 1 - self.shift(start_line),
            end_line, end_column - 1 - self.shift(end_line),
        )
        return self.by_range.get(key, [])

    def offset(self, line: int, python_column: int) -> int:
        """Offset in ``text`` of a Python position (1-based line, 0-based column)."""
        return self.starts[line - 1] + python_column + self.shift(line)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        code_range = self.positions[node]
        return (
            self.offset(code_range.start.line, code_range.start.column),
            self.offset(code_range.end.line, code_range.end.column),
        )

    def code(self, node: cst.CSTNode) -> str:
        """The node's text exactly as written (comments and line breaks kept), with its own parentheses.

        Positions leave a node's parentheses out (``(a + b)`` spans ``a + b``);
        LibCST's code for the node keeps them, so a copied operand keeps its precedence.
        """
        if getattr(node, "lpar", None):
            return self.module.code_for_node(node)
        start, end = self.span(node)
        return self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset in ``text``."""
        line = _bisect(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def newline(self) -> str:
        match = _LINE_BREAK.search(self.text)
        return match.group(0) if match else "\n"


def _bisect(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1


@dataclass
class Imports:
    """What the names of a file are bound to, for the spelling of an edit."""

    bound: dict[str, str] = field(default_factory=dict)  # local name -> qualified (`np` -> `numpy`)
    names: set[str] = field(default_factory=set)  # every name the file uses or binds
    anchor: tuple[Unit, int] | None = None  # where a new import line goes: before the first import

    @classmethod
    def of(cls, units: list[Unit]) -> Imports:
        imports = cls()
        for unit in units:
            if unit.module is None:
                continue
            for node in unit.positions:
                if isinstance(node, cst.Name):
                    imports.names.add(node.value)
                elif isinstance(node, cst.Import):
                    for alias in node.names:
                        full = _dotted(alias.name)
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            imports.bound.setdefault(alias.asname.name.value, full)
                        elif full:
                            top = full.split(".")[0]
                            imports.bound.setdefault(top, top)
                elif isinstance(node, cst.ImportFrom) and node.relative == () and node.module is not None:
                    base = _dotted(node.module)
                    if base and not isinstance(node.names, cst.ImportStar):
                        for alias in node.names:
                            name = _dotted(alias.name)
                            local = (
                                alias.asname.name.value
                                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                                else name
                            )
                            imports.bound.setdefault(local, f"{base}.{name}")
            if imports.anchor is None:
                for statement in unit.module.body:
                    if isinstance(statement, cst.SimpleStatementLine) and any(
                        isinstance(small, (cst.Import, cst.ImportFrom)) and not _is_future(small)
                        for small in statement.body
                    ):
                        start = unit.positions[statement].start
                        imports.anchor = (unit, unit.offset(start.line, 0) - unit.shift(start.line))
                        break
        return imports

    def qualified(self, expression: cst.BaseExpression) -> str | None:
        """``np.mean`` -> ``numpy.mean`` by this file's imports."""
        dotted = _dotted(expression)
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        target = self.bound.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def alias_of(self, module: str) -> str | None:
        """The name bound to ``module`` by ``import module [as name]``."""
        for name, target in self.bound.items():
            if target == module:
                return name
        return None


def _is_future(node) -> bool:
    return isinstance(node, cst.ImportFrom) and node.module is not None and _dotted(node.module) == "__future__"


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = _dotted(node.value)
        return f"{left}.{node.attr.value}" if left else ""
    return ""
