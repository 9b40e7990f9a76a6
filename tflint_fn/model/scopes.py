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
        if not walrus and isinstance(current, cst.BaseExpression):
            return False
        if isinstance(current, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For)):
            target_names(current.target, bound)
        elif isinstance(current, cst.WithItem) and current.asname is not None:
            target_names(current.asname.name, bound)
        elif isinstance(current, cst.ExceptHandler) and current.name is not None:
            target_names(current.name.name, bound)
        elif isinstance(current, cst.ImportAlias):
            if current.asname is not None:
                target_names(current.asname.name, bound)
            else:
                bound.add((dotted_name(current.name) or "").split(".", 1)[0])
        elif isinstance(current, cst.Global) and declared_global is not None:
            declared_global.update(item.name.value for item in current.names)
        elif isinstance(current, cst.Nonlocal) and declared_nonlocal is not None:
            declared_nonlocal.update(item.name.value for item in current.names)
        elif isinstance(current, (cst.FunctionDef, cst.ClassDef)):
            bound.add(current.name.value)
            return False
        elif isinstance(current, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return False
        return True

    walk(node, enter)


def target_names(node: cst.BaseExpression, names: set[str]) -> None:
    if isinstance(node, cst.Name):
        names.add(node.value)
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            target_names(element.value, names)
    elif isinstance(node, cst.StarredElement):
        target_names(node.value, names)
