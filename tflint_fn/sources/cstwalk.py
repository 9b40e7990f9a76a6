"""Fast read-only traversal of LibCST trees.

``CSTNode.visit`` rebuilds every node it passes, even for a read-only visitor,
which makes it several times slower than the parse itself. Linting only
reads, so this walks the dataclass fields directly, skipping whitespace,
punctuation and other syntax-only fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

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


def type_test(classes: type | tuple[type, ...]) -> Callable[[object], bool]:
    """``isinstance(value, classes)``, remembered per type of value.

    LibCST's node classes are ABCs: ``isinstance`` with one of them runs
    ``ABCMeta.__instancecheck__`` each time it is not the exact class, which
    made it the walks' largest single cost.
    """
    test = _TESTS.get(classes)
    if test is None:
        answers: dict[type, bool] = {}

        def test(value: object) -> bool:
            value_type = type(value)
            answer = answers.get(value_type)
            if answer is None:
                answer = answers[value_type] = issubclass(value_type, classes)
            return answer

        _TESTS[classes] = test
    return test


_TESTS: dict[type | tuple[type, ...], Callable[[object], bool]] = {}


is_node = type_test(cst.CSTNode)


def children(node: cst.CSTNode, fields: Callable[[type], tuple[str, ...]] = _node_fields) -> list[cst.CSTNode]:
    """The node's children that are not syntax only (``fields=every_field``: all of
    them), in field order; a list, since the walks ask this of every node."""
    found = []
    for name in fields(type(node)):
        value = getattr(node, name)
        if is_node(value):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend([item for item in value if is_node(item)])
    return found


def walk(node: cst.CSTNode, enter: Callable[[cst.CSTNode], bool]) -> None:
    """Depth-first, parents first; ``enter`` returns False to skip a subtree."""
    stack = [node]
    while stack:
        current = stack.pop()
        if not enter(current):
            continue
        below = children(current)
        below.reverse()
        stack.extend(below)


def find_all(node: cst.CSTNode, node_type: type, skip: tuple[type, ...] = ()) -> list:
    """Every descendant (and ``node`` itself) of ``node_type``, not entering ``skip`` types."""
    found = []
    wanted, skipped = type_test(node_type), type_test(skip)

    def enter(current: cst.CSTNode) -> bool:
        if wanted(current):
            found.append(current)
        return current is node or not skipped(current)

    walk(node, enter)
    return found


def parents_of(tree: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
    """Every node's parent, whitespace and punctuation included: what LibCST's
    ``ParentNodeProvider`` gives, without its visitor (which rebuilds each node)."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        below = children(node, every_field)
        parents.update(dict.fromkeys(below, node))
        stack.extend(below)
    return parents


_EVERY_FIELD: dict[type, tuple[str, ...]] = {}


def every_field(node_type: type) -> tuple[str, ...]:
    fields = _EVERY_FIELD.get(node_type)
    if fields is None:
        fields = _EVERY_FIELD[node_type] = tuple(f.name for f in dataclasses.fields(node_type))
    return fields
