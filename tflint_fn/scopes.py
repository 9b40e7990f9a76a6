"""The names a function binds in its own scope, and those it declares global."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from tflint_fn.cstwalk import walk
from tflint_fn.names import dotted_name

if TYPE_CHECKING:
    from tflint_fn.summary import FunctionInfo


def scan_bindings(function: "FunctionInfo") -> tuple[set[str], set[str], set[str]]:
    """Names bound in a function's own scope, and those it declares global/nonlocal."""
    if function.bindings is None:
        bound = {param.name for param in function.params()}
        declared_global: set[str] = set()
        declared_nonlocal: set[str] = set()

        def enter(node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For)):
                target_names(node.target, bound)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                target_names(node.asname.name, bound)
            elif isinstance(node, cst.ExceptHandler) and node.name is not None:
                target_names(node.name.name, bound)
            elif isinstance(node, cst.ImportAlias):
                if node.asname is not None:
                    target_names(node.asname.name, bound)
                else:
                    bound.add((dotted_name(node.name) or "").split(".", 1)[0])
            elif isinstance(node, cst.Global):
                declared_global.update(item.name.value for item in node.names)
            elif isinstance(node, cst.Nonlocal):
                declared_nonlocal.update(item.name.value for item in node.names)
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                bound.add(node.name.value)
                return False
            elif isinstance(node, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
                return False
            return True

        if isinstance(function.node, cst.FunctionDef):
            walk(function.node.body, enter)
        function.bindings = (bound - declared_global - declared_nonlocal, declared_global, declared_nonlocal)
    return function.bindings


def target_names(node: cst.BaseExpression, names: set[str]) -> None:
    if isinstance(node, cst.Name):
        names.add(node.value)
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            target_names(element.value, names)
    elif isinstance(node, cst.StarredElement):
        target_names(node.value, names)
