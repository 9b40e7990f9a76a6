"""The shape of a check, and what it may ask about the code it looks at.

A check is a small class: its code, kebab-case name, severity, a one-line
summary, the LibCST node types it wants, and ``check(node, ctx)`` yielding
``Report``s. It never parses, reads files or formats output itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from tflint_fn.function.flow import NESTED_SCOPES
from tflint_fn.function.tensors import MAYBE, TENSOR, Taint
from tflint_fn.function.walker import FunctionWalker
from tflint_fn.model.names import dotted_name
from tflint_fn.model.scopes import scan_bindings
from tflint_fn.model.summary import (
    Binding,
    FunctionInfo,
    ModuleInfo,
    is_python_container,
)
from tflint_fn.project.traces import Project, Trace
from tflint_fn.registry import RULES
from tflint_fn.sources.cstwalk import find_all


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    message: str
    # Fixes are not a check's business: fixes/ builds them from the finding afterwards.


class CheckContext:
    """What a check can ask while the walker stands on a node."""

    def __init__(self, walker: FunctionWalker, trace: Trace, project: Project) -> None:
        self.walker = walker
        self.trace = trace
        self.project = project
        self.module = walker.module

    def taint(self, node: cst.CSTNode) -> Taint:
        return self.walker.taint(node)

    def is_tensorish(self, node: cst.CSTNode) -> bool:
        return self.walker.taint(node).level >= MAYBE

    def is_tensor(self, node: cst.CSTNode) -> bool:
        return self.walker.taint(node).level == TENSOR

    def qualified(self, node: cst.BaseExpression) -> str | None:
        return self.walker.qualified(node)

    @property
    def autograph(self) -> bool:
        return self.trace.autograph

    def guarded_by(self, target: cst.BaseExpression) -> bool:
        """Whether an enclosing ``if`` tests ``target`` (a create-once guard).

        ``if self.v is None: self.v = tf.Variable(...)`` and
        ``if not hasattr(self, "v"): ...`` guard ``self.v``.
        """
        wanted = dotted_name(target)
        if wanted is None:
            return False
        attribute = wanted.rsplit(".", 1)[-1]
        for test, _in_body in self.walker.guards:
            if _mentions(test, wanted, attribute) and not _counts(test, wanted):
                return True
        return False

    def binding(self, name: str) -> Binding | None:
        """What ``name`` holds where the walker stands: one lookup for every rule.

        Its last assignment in this function, else in the nearest enclosing
        function that binds it, else at module level (``global`` names go
        straight there). ``kind`` says a call (with the qualified ``callee``:
        ``logging.getLogger``, ``numpy.random.default_rng``), a container, a
        literal, a parameter, an import, a def or a class; None when unbound.
        """
        function, scope = self.walker.function, "local"
        while function is not None:
            if name in scan_bindings(function)[0]:
                return _function_binding(function, name, scope)
            function, scope = function.parent, "enclosing"
        bindings = self.module.global_bindings.get(name)
        return bindings[-1] if bindings else None



def _function_binding(function: FunctionInfo, name: str, scope: str) -> Binding:
    node = function.node
    if isinstance(node, cst.FunctionDef):
        assigns = [
            a for a in find_all(node.body, (cst.Assign, cst.AnnAssign), skip=NESTED_SCOPES)
            if any(isinstance(t, cst.Name) and t.value == name
                   for t in ([x.target for x in a.targets] if isinstance(a, cst.Assign) else [a.target]))
            and a.value is not None
        ]
        if assigns:
            return _cst_binding(assigns[-1].value, function.module, scope)
    if any(param.name == name for param in function.params()):
        return Binding(scope, "parameter")
    return Binding(scope, "other")


def _cst_binding(value: cst.BaseExpression, module: ModuleInfo, scope: str) -> Binding:
    if is_python_container(value, module.imports):
        return Binding(scope, "container")
    if isinstance(value, cst.Call):
        name = dotted_name(value.func)
        callee = (module.imports.resolve_dotted(name) or name) if name is not None else None
        return Binding(scope, "call", callee)
    literal = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
    if isinstance(value, literal) or isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return Binding(scope, "literal")
    return Binding(scope, "other")


def _counts(test: cst.BaseExpression, dotted: str) -> bool:
    """``if self.counter == 0:`` / ``if step < 10:``: ``dotted`` compared with a number.

    That tests a Python counter, which the body usually advances (``self.counter
    += 1``): it runs once per trace, not once per call, so it guards nothing. A
    create-once guard tests for absence (``is None``, ``not x``, ``hasattr``).
    """
    for comparison in find_all(test, cst.Comparison):
        operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        numbers = [o for o in operands if isinstance(o, (cst.Integer, cst.Float))
                   or isinstance(o, cst.UnaryOperation) and isinstance(o.expression, (cst.Integer, cst.Float))]
        if numbers and any(dotted_name(o) == dotted for o in operands):
            return True
    return False


def _mentions(test: cst.BaseExpression, dotted: str, attribute: str) -> bool:
    for node in find_all(test, (cst.Name, cst.Attribute, cst.SimpleString)):
        if isinstance(node, cst.SimpleString):
            # hasattr(self, "v") / getattr(self, "_v", None)
            if node.value.strip("'\"") in (attribute, dotted):
                return True
        elif dotted_name(node) == dotted:
            return True
    return False


def _rule_of(cls) -> None:
    """A check names its ``code``; its name, severity and summary come from the registry."""
    rule = RULES[cls.code]
    cls.name, cls.severity, cls.summary = rule.name, rule.severity, rule.summary


class Check:
    code: ClassVar[str]  # its RuleInfo in registry.py gives the rest
    name: ClassVar[str]
    severity: ClassVar[str]  # "error" | "warning"
    summary: ClassVar[str]
    node_types: ClassVar[tuple[type[cst.CSTNode], ...]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _rule_of(cls)

    def check(self, node: cst.CSTNode, ctx: CheckContext) -> Iterator[Report]:
        raise NotImplementedError


@dataclass(frozen=True)
class SiteReport:
    """A finding about a ``tf.function`` itself or a place that calls or creates one.

    The reported code may be outside traced code (the training loop); ``traced``
    is the tf.function the finding is about.
    """

    module: ModuleInfo
    node: cst.CSTNode
    message: str
    traced: Trace | None  # None when the wrapped function is not a project function
    scope: FunctionInfo | None = None  # the function holding ``node``; None at module level
    parameter: str | None = None  # the parameter whose Python value or shape varies


class ProjectCheck:
    """A check of the project's untraced code (loops calling tf.functions) and its tf.functions.

    It runs once per part of the project: ``loop_calls`` (project/callsites.py)
    covers the modules in ``loop_calls.modules``, and the check reports only on
    code in them (the parts run in parallel with ``--jobs``; together they are
    the whole project).
    """

    code: ClassVar[str]  # its RuleInfo in registry.py gives the rest
    name: ClassVar[str]
    severity: ClassVar[str]
    summary: ClassVar[str]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _rule_of(cls)

    def check_project(self, project: Project, loop_calls) -> Iterator[SiteReport]:
        raise NotImplementedError
