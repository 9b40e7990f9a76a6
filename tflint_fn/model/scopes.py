"""The names a function binds in its own scope, and those it declares global."""

from __future__ import annotations

import libcst as cst

from tflint_fn.model.names import dotted_name
from tflint_fn.sources.cstwalk import walk


def scan_bindings(function) -> tuple[set[str], set[str], set[str]]:
    """Names bound in a ``summary.FunctionInfo``'s own scope, and those it declares global/nonlocal."""
    if function.bindings is None:
        bound = {param.name for param in function.params()}
        declared_global: set[str] = set()
        declared_nonlocal: set[str] = set()
        if isinstance(function.node, cst.FunctionDef):
            walrus = ":=" in function.module.source
            collect_bindings(function.node.body, bound, declared_global, declared_nonlocal, walrus)
        function.bindings = (bound - declared_global - declared_nonlocal, declared_global, declared_nonlocal)
    return function.bindings


def collect_bindings(
    node: cst.CSTNode,
    bound: set[str],
    declared_global: set[str] | None = None,
    declared_nonlocal: set[str] | None = None,
    walrus: bool = True,
) -> None:
    """Add the names ``node`` binds (outside nested scopes) to ``bound``.

    Expressions bind names only through ``:=``; without ``walrus`` they are
    not entered at all, which skips most of the tree.
    """

    def enter(current: cst.CSTNode) -> bool:
        is_expression, kind = _binding_kind(type(current))
        if not walrus and is_expression:
            return False
        if kind == "target":
            target_names(current.target, bound)
        elif kind == "with" and current.asname is not None:
            target_names(current.asname.name, bound)
        elif kind == "except" and current.name is not None:
            target_names(current.name.name, bound)
        elif kind == "import":
            if current.asname is not None:
                target_names(current.asname.name, bound)
            else:
                bound.add((dotted_name(current.name) or "").split(".", 1)[0])
        elif kind == "global" and declared_global is not None:
            declared_global.update(item.name.value for item in current.names)
        elif kind == "nonlocal" and declared_nonlocal is not None:
            declared_nonlocal.update(item.name.value for item in current.names)
        elif kind == "definition":
            bound.add(current.name.value)
            return False
        elif kind == "inner scope":
            return False
        return True

    walk(node, enter)


# What collect_bindings does with a node, by its type; remembered per type,
# since isinstance with LibCST's ABCs is slow (cstwalk.type_test).
_BINDING_KINDS = (
    ((cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For), "target"),
    ((cst.WithItem,), "with"),
    ((cst.ExceptHandler,), "except"),
    ((cst.ImportAlias,), "import"),
    ((cst.Global,), "global"),
    ((cst.Nonlocal,), "nonlocal"),
    ((cst.FunctionDef, cst.ClassDef), "definition"),
    ((cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp), "inner scope"),
)
_KIND_OF_TYPE: dict[type, tuple[bool, str]] = {}


def _binding_kind(node_type: type) -> tuple[bool, str]:
    """(is it an expression, what it binds: the first entry of _BINDING_KINDS it is an instance of, or "")."""
    found = _KIND_OF_TYPE.get(node_type)
    if found is None:
        kind = next((name for classes, name in _BINDING_KINDS if issubclass(node_type, classes)), "")
        found = _KIND_OF_TYPE[node_type] = (issubclass(node_type, cst.BaseExpression), kind)
    return found


def target_names(node: cst.BaseExpression, names: set[str]) -> None:
    if isinstance(node, cst.Name):
        names.add(node.value)
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            target_names(element.value, names)
    elif isinstance(node, cst.StarredElement):
        target_names(node.value, names)
