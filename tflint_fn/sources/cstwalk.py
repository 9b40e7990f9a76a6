"""Fast read-only traversal of LibCST trees.

``CSTNode.visit`` rebuilds every node it passes, even for a read-only visitor,
which makes it several times slower than the parse itself. Linting only
reads, so this walks the dataclass fields directly, skipping whitespace,
punctuation and other syntax-only fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

_SYNTAX_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "colon", "dot", "equal", "star",
        "leading_lines", "lines_after_decorators", "header", "footer", "newline",
        "indent", "trailing_whitespace", "empty_lines", "lbrace", "rbrace",
        "lbracket", "rbracket", "first_colon", "second_colon", "trailing_comma",
        "whitespace", "asynchronous", "posonly_ind", "default_indent",
        "default_newline", "encoding", "has_trailing_newline", "relative",
        "operator", "conversion", "start", "end", "separator", "first_line", "last_line",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SYNTAX_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[node_type] = fields
    return fields


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in _node_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def walk(node: cst.CSTNode, enter: Callable[[cst.CSTNode], bool]) -> None:
    """Depth-first, parents first; ``enter`` returns False to skip a subtree."""
    stack = [node]
    while stack:
        current = stack.pop()
        if not enter(current):
            continue
        stack.extend(reversed(list(children(current))))


def find_all(node: cst.CSTNode, node_type: type, skip: tuple[type, ...] = ()) -> list:
    """Every descendant (and ``node`` itself) of ``node_type``, not entering ``skip`` types."""
    found = []

    def enter(current: cst.CSTNode) -> bool:
        if isinstance(current, node_type):
            found.append(current)
        return current is node or not isinstance(current, skip)

    walk(node, enter)
    return found
