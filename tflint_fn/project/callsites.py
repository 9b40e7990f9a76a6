"""Calls made from Python loops outside traced code.

Retracing happens where a ``tf.function`` is called, usually in the eager
training loop around it: ``for step in range(n): train_step(x, step)``. This
module finds those loops, which names change on every iteration (the loop
index, counters, values computed from them), and which project function each
call in the loop reaches, as a ``tf.function`` where it is one.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

import libcst as cst

from tflint_fn.function import flow
from tflint_fn.model.names import dotted_name
from tflint_fn.model.resolver import External, LocalFunction, MethodRef
from tflint_fn.model.scopes import scan_bindings, target_names
from tflint_fn.model.summary import KERAS_INFERENCE_METHODS, FunctionInfo, ModuleInfo
from tflint_fn.project.traces import Project, TfFunctionOptions, Trace
from tflint_fn.sources.cstwalk import find_all

_ASSIGNED_FUNCTION_CALL = re.compile(r"\b(\w+)\s*=\s*[\w.]*function\(")
# A statement line calling a name (`f(`, `y = obj.f(`), and a literal argument after it.
_STATEMENT_CALL = re.compile(r"\s*(?:[\w.\[\], ]+=\s*)?(?:[\w.]+\.)?(\w+)\(")
_LITERAL_ARGUMENT = re.compile(r"""[(,]\s*(?:\w+\s*=\s*)?(?:-?\d|['"]|True\b|False\b)""")
_COUNTING_ITERABLES = frozenset({"range", "itertools.count"})
# Python-number conversions: the result is still a new Python value per iteration.
_SCALAR_CONVERSIONS = frozenset({"float", "int", "str", "round", "abs", "min", "max"})


@dataclass(frozen=True)
class TfFunctionRef:
    """A ``tf.function`` a call reaches: the Python function it wraps and its options."""

    function: FunctionInfo
    options: TfFunctionOptions
    trace: Trace


@dataclass
class LoopCall:
    module: ModuleInfo
    scope: FunctionInfo | None  # the function holding the loop; None at module level
    loops: list[cst.For | cst.While]  # the loops around the call, outermost first
    call: cst.Call
    callee: FunctionInfo | None = None
    tf_function: TfFunctionRef | None = None
    varying: set[str] = field(default_factory=set)  # Python values that change every iteration
    constants: set[str] = field(default_factory=set)  # names the scope only ever gives a number literal

    @property
    def loop(self) -> cst.For | cst.While:
        return self.loops[-1]


class LoopCalls:
    """Every call in a Python loop of untraced project code, resolved once per run.

    ``modules`` (all, by default) are the modules whose code is looked at: the
    project checks run over parts of the project, in parallel with ``--jobs``.
    ``names`` is ``loop_names(project)``, computed once for all the parts.
    """

    def __init__(
        self, project: Project, modules: list[ModuleInfo] | None = None, names: LoopNames | None = None,
    ) -> None:
        self.project = project
        self.modules = list(project.modules.values()) if modules is None else modules
        self.calls: list[LoopCall] = []
        self._attributes: dict[str, dict[str, tuple[FunctionInfo, cst.Call]]] = {}
        self._assignments: dict[int, dict[str, list[cst.BaseExpression]]] = {}
        self._names = loop_names(project) if names is None else names
        self._loop_assignments: dict[int, dict[str, cst.BaseExpression]] = {}
        self._varying: dict[int, set[str]] = {}
        tf_function_names = self._names.tf_functions
        # `model.predict(x)` on a model rebuilt in the loop (TFF402) is worth a parse too, but
        # only on a name the loop binds (or when a project tf.function or maker has that name).
        interesting = _with_import_aliases(project, tf_function_names | KERAS_INFERENCE_METHODS)
        inference_only = KERAS_INFERENCE_METHODS - tf_function_names

        def worth_parsing(loop) -> bool:
            if loop.calls_a_call:
                return True
            hits = loop.called_names & interesting
            return bool(hits - inference_only) or (bool(hits) and loop.infers_on_a_rebound_name)

        for module in self.modules:
            by_call: dict[int, LoopCall] = {}
            wanted = [
                loop for loop in module.loops
                if not (loop.scope is not None and id(loop.scope) in project.traces) and worth_parsing(loop)
            ]
            for scope, loop in module.parsed_loops(wanted) if wanted else ():
                if scope is not None and id(scope) in project.traces:
                    continue  # a loop in traced code runs once per trace, not per call
                for call in find_all(loop.body, cst.Call, skip=flow.NESTED_SCOPES):
                    site = by_call.get(id(call))
                    if site is None:
                        by_call[id(call)] = LoopCall(module, scope, [loop], call)
                    else:
                        site.loops.append(loop)
            for scope, loop in _comprehension_loops(project, module, interesting - KERAS_INFERENCE_METHODS):
                for call in find_all(loop.body, cst.Call, skip=flow.NESTED_SCOPES):
                    by_call.setdefault(id(call), LoopCall(module, scope, [loop], call))
            for site in by_call.values():
                site.callee, site.tf_function = self._resolve(site)
                if site.tf_function is not None:
                    # Only calls of a tf.function need to know what changes per iteration.
                    for loop in site.loops:
                        site.varying |= self._varying_in(site.module, site.scope, loop)
                    site.constants = self._number_constants(site.module, site.scope) - site.varying
                self.calls.append(site)
        # Straight-line calls of one tf.function in one block: `f(x, 1); f(x, 2); f(x, 3)`.
        self.sequences: list[list[LoopCall]] = self._straight_line_calls()
        # `map(f, range(5))` in eager code: a call of `f` per element.
        self.mapped: list[tuple[LoopCall, cst.BaseExpression]] = self._mapped_calls()

    def _mapped_calls(self) -> list[tuple[LoopCall, cst.BaseExpression]]:
        """``(site, iterable)`` for ``map(f, iterable)`` where ``f`` is a project tf.function
        (the site's call is the ``map`` call; ``f`` gets each element as its first argument)."""
        project = self.project
        names = {t.function.name for t in project.traces.values() if t.kind == "tf.function"}
        found = []
        for module in self.modules:
            if "map(" not in module.source:
                continue  # the regex scans every position: a substring test first
            wanted = names & set(_MAPPED_NAME.findall(module.source))
            if not wanted:
                continue
            for index, chunk in enumerate(module.chunks):
                text = module.source[chunk.begin : chunk.end]
                if wanted.isdisjoint(_MAPPED_NAME.findall(text)):
                    continue
                for scope, body in untraced_bodies(project, module, index):
                    for call in find_all(body, cst.Call, skip=flow.NESTED_SCOPES):
                        if not (isinstance(call.func, cst.Name) and call.func.value == "map" and len(call.args) == 2):
                            continue
                        if _qualified(call.func, lambda node: project.resolver.resolve(node, module, scope)) != "map":
                            continue
                        site = LoopCall(module, scope, [], cst.Call(func=call.args[0].value, args=[]))
                        site.callee, site.tf_function = self._resolve(site)
                        if site.tf_function is not None:
                            found.append((LoopCall(module, scope, [], call, site.callee, site.tf_function), call.args[1].value))
        return found

    def _straight_line_calls(self) -> list[list[LoopCall]]:
        """Groups of three or more calls of one project tf.function made by the
        statements of one block of untraced code (module level, a function, a loop body)."""
        project = self.project
        names = {t.function.name for t in project.traces.values() if t.kind == "tf.function"}
        groups_found: list[list[LoopCall]] = []
        for module in self.modules:
            # A cheap first filter on the text: three statement lines calling one name with a
            # literal argument; then only the chunks (top-level statements) holding them are parsed.
            source = module.source
            frequent = {name for name in names | self._wrapped_names(module) if source.count(f"{name}(") >= 3}
            if not frequent:
                continue
            # Only a line where one of them is called can hold a call of one of them.
            lines = source.splitlines()
            starts = list(itertools.accumulate(map(len, source.splitlines(keepends=True)), initial=0))
            numbers: set[int] = set()
            for name in frequent:
                needle, at = f"{name}(", source.find(f"{name}(")
                while at != -1:
                    numbers.add(bisect.bisect_right(starts, at))
                    at = source.find(needle, at + 1)
            lines_by_name: dict[str, list[int]] = {}
            for number in sorted(numbers):
                line = lines[number - 1]
                match = _STATEMENT_CALL.match(line)
                if match and match.group(1) in frequent and _LITERAL_ARGUMENT.search(line, match.end() - 1):
                    lines_by_name.setdefault(match.group(1), []).append(number)
            wanted = {name for name, numbers in lines_by_name.items() if len(numbers) >= 3}
            if not wanted:
                continue
            chunks = sorted({module.chunk_of_line(number) for name in wanted for number in lines_by_name[name]})
            top_level = [statement for index in chunks for statement in module.top_level_code(index)]
            scopes: list[tuple[FunctionInfo | None, object]] = [(None, top_level)]
            scopes += [
                (function, function.node.body) for function in module.functions.values()
                if function.chunk in chunks and id(function) not in project.traces
                and isinstance(function.node, cst.FunctionDef)
            ]
            for scope, body in scopes:
                for block in _blocks(body):
                    groups: dict[int, list[LoopCall]] = {}
                    for statement in block:
                        call = _statement_call(statement)
                        head = dotted_name(call.func) if call is not None else None
                        if head is None or head.rsplit(".", 1)[-1] not in wanted:
                            continue
                        site = LoopCall(module, scope, [], call)
                        site.callee, site.tf_function = self._resolve(site)
                        if site.tf_function is not None:
                            groups.setdefault(id(site.tf_function.function), []).append(site)
                    groups_found.extend(group for group in groups.values() if len(group) >= 3)
        return groups_found

    def _number_constants(self, module: ModuleInfo, scope: FunctionInfo | None) -> set[str]:
        """Names whose every assignment in the scope is a number literal (``total = 5``)."""
        table = self._scope_assignments(module, scope)
        return {
            name for name, values in table.items()
            if values and all(isinstance(value, (cst.Integer, cst.Float)) for value in values)
        }

    def _varying_in(self, module: ModuleInfo, scope: FunctionInfo | None, loop) -> set[str]:
        names = self._varying.get(id(loop))
        if names is None:

            def resolve(node):
                return self.project.resolver.resolve(node, module, scope)

            def function_of(target):
                return self.project.resolver.function_of(target, scope)

            names = varying_names(
                loop, resolve, lambda name: self._starts_as_number(module, scope, name), function_of
            )
            self._varying[id(loop)] = names
        return names

    def _scope_assignments(self, module: ModuleInfo, scope: FunctionInfo | None) -> dict[str, list[cst.BaseExpression]]:
        """``name = value`` statements of a scope (not of nested ones), values in order; cached."""
        key = id(scope) if scope is not None else id(module)
        table = self._assignments.get(key)
        if table is None:
            body = scope.node.body if scope is not None else module.tree
            table = self._assignments[key] = {}
            for assign in find_all(body, cst.Assign, skip=flow.NESTED_SCOPES):
                for target in assign.targets:
                    if isinstance(target.target, cst.Name):
                        table.setdefault(target.target.value, []).append(assign.value)
        return table

    def single_value(self, site: LoopCall, name: str) -> cst.BaseExpression | None:
        """The value of ``name`` when the site's scope assigns it exactly once (``name = value``)."""
        values = self._scope_assignments(site.module, site.scope).get(name, ())
        return values[0] if len(values) == 1 else None

    def _starts_as_number(self, module: ModuleInfo, scope: FunctionInfo | None, name: str) -> bool:
        """Whether the scope assigns ``name`` a number literal somewhere (where counters start);
        for ``self.x``, whether the module gives ``self.x`` a number literal anywhere (``__init__``)."""
        if name.startswith("self."):
            pattern = rf"\b{re.escape(name)}\s*=\s*-?\d"
            return scope is not None and scope.class_qualname is not None and re.search(pattern, module.source) is not None
        values = self._scope_assignments(module, scope).get(name, ())
        return any(isinstance(value, (cst.Integer, cst.Float)) for value in values)

    def assignments_in(self, loop: cst.CSTNode) -> dict[str, cst.BaseExpression]:
        """``name = value`` in a loop body, create-once guards left out (cached)."""
        table = self._loop_assignments.get(id(loop))
        if table is None:
            table = self._loop_assignments[id(loop)] = unconditional_assignments(loop.body)
        return table

    def _resolve(self, site: LoopCall) -> tuple[FunctionInfo | None, TfFunctionRef | None]:
        project, module, scope, func = self.project, site.module, site.scope, site.call.func
        target = project.resolver.resolve(func, module, scope)
        callee = project.resolver.function_of(target, scope) if target is not None else None
        if callee is not None:
            decorations = project.tf_function_decorations(callee)
            if not decorations and not _may_create_tf_function(callee):
                return callee, None  # a plain function: what the rules need to know of it
            if not self._shadowed(func, target, scope):
                return callee, self._reference(callee, decorations[0]) if decorations else None
        wrapped = None
        if isinstance(func, cst.Name) and func.value in self._wrapped_names(module):
            wrapped = self._assigned_tf_function(module, scope, func.value)
        elif isinstance(func, cst.Attribute) and dotted_name(func.value) == "self" and scope is not None:
            if scope.class_qualname is not None:
                wrapped = self._attribute_tf_function(module, scope.class_qualname, func.attr.value)
        if wrapped is None:
            return None, None
        return wrapped[0], self._reference(*wrapped)

    @staticmethod
    def _shadowed(func: cst.BaseExpression, target, scope: FunctionInfo | None) -> bool:
        """Whether the called name is a local variable of the caller, not the function it names."""
        if scope is None or isinstance(target, (LocalFunction, MethodRef)):
            return False
        head = dotted_name(func)
        return head is not None and head.split(".", 1)[0] in scan_bindings(scope)[0]

    def _reference(self, function: FunctionInfo, options: TfFunctionOptions) -> TfFunctionRef | None:
        trace = self.project.traces.get(id(function))
        return TfFunctionRef(function, options, trace.root) if trace is not None else None

    def _wrapped_names(self, module: ModuleInfo) -> set[str]:
        """Names the module's text assigns a ``...function(...)`` call to: a cheap first filter."""
        return self._names.assigned[id(module)]

    def _assigned_tf_function(self, module: ModuleInfo, scope: FunctionInfo | None, name: str):
        """``name = tf.function(f, ...)`` in the calling function, or else at module level."""
        if scope is not None and name in scan_bindings(scope)[0]:
            owner = scope
        elif name in module.module_names:
            owner = None
        else:
            return None
        values = self._scope_assignments(module, owner).get(name, ())
        call = next((value for value in values if isinstance(value, cst.Call)), None)
        return self.project.tf_function_wrapping(module, owner, call) if call is not None else None

    def _attribute_tf_function(self, module: ModuleInfo, class_qualname: str, attribute: str):
        """``self.attribute = tf.function(...)`` in any method of the class."""
        if "function" not in module.source:
            return None
        key = f"{module.name}.{class_qualname}"
        class_info = self.project.class_(key)
        if class_info is None or attribute not in class_info.call_attributes:
            return None  # the summary's filter: no `self.attribute = call(...)` to parse the methods for
        table = self._attributes.get(key)
        if table is None:
            table = self._attributes[key] = {}
            for method in class_info.methods.values():
                if not isinstance(method.node, cst.FunctionDef):
                    continue
                for assign in find_all(method.node.body, cst.Assign, skip=flow.NESTED_SCOPES):
                    if not isinstance(assign.value, cst.Call):
                        continue
                    for target in assign.targets:
                        if isinstance(target.target, cst.Attribute) and dotted_name(target.target.value) == "self":
                            wrapped = self.project.tf_function_wrapping(module, method, assign.value)
                            if wrapped is not None:
                                table[target.target.attr.value] = wrapped
        return table.get(attribute)


def unconditional_assignments(body, guarded: frozenset[str] = frozenset()) -> dict[str, cst.BaseExpression]:
    """``name = value`` statements of a block, by name (the first wins), but not
    create-once guards: an assignment under an ``if`` whose test mentions the
    name (``if fn is None: fn = tf.function(f)``) keeps the first value.
    """
    table: dict[str, cst.BaseExpression] = {}
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name) and target.target.value not in guarded:
                            table.setdefault(target.target.value, small.value)
        elif isinstance(statement, cst.If):
            tested = guarded | {name.value for name in find_all(statement.test, cst.Name)}
            branches = [statement.body]
            if isinstance(statement.orelse, cst.Else):
                branches.append(statement.orelse.body)
            for branch in branches:
                for name, value in unconditional_assignments(branch, frozenset(tested)).items():
                    table.setdefault(name, value)
    return table


@dataclass(frozen=True)
class LoopNames:
    """The loop-call stage's first filters, for the whole project (its parts share them)."""

    tf_functions: frozenset[str]  # what a call must name to reach a project tf.function (_tf_function_names)
    assigned: dict[int, set[str]]  # by id(module): the names its text assigns a `...function(...)` call to


def loop_names(project: Project) -> LoopNames:
    assigned = {
        id(module): set(_ASSIGNED_FUNCTION_CALL.findall(module.source)) if "function(" in module.source else set()
        for module in project.modules.values()
    }
    return LoopNames(_tf_function_names(project, assigned), assigned)


def _tf_function_names(project: Project, assigned: dict[int, set[str]]) -> frozenset[str]:
    """Names a call in a loop must use (its last part) to reach a project tf.function.

    A first filter from the summaries, so that loops calling none of them are
    never parsed: tf.function-decorated functions, functions that apply
    tf.function themselves (``_creations_called_in_body``), names assigned a
    ``...function(...)`` call, and every import alias that ends in one of those.
    """

    def tf_decorated(function: FunctionInfo) -> bool:
        return any(project.is_tf_function_name(function.module, d.callee) for d in function.decorator_names)

    makers = {
        id(candidate.scope)
        for module in project.modules.values()
        for candidate in module.root_candidates
        if candidate.scope is not None and project.is_tf_function_name(module, candidate.callee)
    }
    names = {
        function.name
        for module in project.modules.values()
        for function in module.functions.values()
        if tf_decorated(function) or id(function) in makers or any(map(tf_decorated, function.nested.values()))
    }
    for module in project.modules.values():
        names.update(assigned[id(module)])
    return _with_import_aliases(project, names)


def _with_import_aliases(project: Project, names) -> frozenset[str]:
    """``names`` and every import alias of one: ``from .steps import train as fit_step`` reaches ``train``."""
    names = set(names)
    changed = True
    while changed:
        changed = False
        for module in project.modules.values():
            for local, qualified in module.imports.aliases.items():
                if local not in names and qualified.rsplit(".", 1)[-1] in names:
                    names.add(local)
                    changed = True
    return frozenset(names)


def _blocks(body: cst.CSTNode):
    """The statement lists of ``body`` and of the compound statements in it (not of nested defs)."""
    if isinstance(body, (list, tuple)):
        statements = body
    else:
        statements = body.body if isinstance(body, (cst.Module, cst.IndentedBlock)) else ()
    yield statements
    for statement in statements:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or not isinstance(statement, cst.BaseCompoundStatement):
            continue
        parts = [getattr(statement, "body", None), getattr(statement, "orelse", None),
                 getattr(statement, "finalbody", None)]
        parts += [handler.body for handler in getattr(statement, "handlers", ())]
        parts += [case.body for case in getattr(statement, "cases", ())]  # `match`
        while parts:
            part = parts.pop(0)
            if isinstance(part, cst.If):  # elif
                parts += [part.body, part.orelse]
            elif isinstance(part, (cst.Else, cst.Finally)):
                parts.append(part.body)
            elif isinstance(part, cst.IndentedBlock):
                yield from _blocks(part)


def _statement_call(statement: cst.CSTNode) -> cst.Call | None:
    """The call a simple statement makes: ``f(x)`` or ``y = f(x)``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    return value if isinstance(value, cst.Call) else None


def _may_create_tf_function(function: FunctionInfo) -> bool:
    """A ``tf.function(...)`` call or a nested def in it: the summary's root candidates tell."""
    return bool(function.nested) or any(c.scope is function for c in function.module.root_candidates)


def varying_names(loop: cst.For | cst.While, resolve, starts_as_number, function_of=None) -> set[str]:
    """Names holding a new Python number each iteration: the index of a counting loop,
    counters that start as a number (``step += 1``), and plain arithmetic on those."""
    varying: set[str] = set()
    if isinstance(loop, cst.For) and _distinct_literals(loop.iter) >= 3:
        target_names(loop.target, varying)  # `for n in (100, 200, 300):` a new Python number each time
    if isinstance(loop, cst.For) and isinstance(loop.iter, cst.Call):
        qualified = _qualified(loop.iter.func, resolve)
        if qualified in _COUNTING_ITERABLES:
            target_names(loop.target, varying)
        elif qualified == "enumerate" and isinstance(loop.target, cst.Tuple) and loop.target.elements:
            target_names(loop.target.elements[0].value, varying)
    assignments = find_all(loop.body, (cst.AugAssign, cst.Assign), skip=flow.NESTED_SCOPES)
    for node in assignments:  # counters first, then what is computed from them
        if isinstance(node, cst.AugAssign) and isinstance(node.value, (cst.Integer, cst.Float)):
            if isinstance(node.target, cst.Name) and starts_as_number(node.target.value):
                varying.add(node.target.value)
            elif _self_attribute(node.target) and starts_as_number(dotted_name(node.target)):
                varying.add(dotted_name(node.target))  # `self.step += 1`, kept on the object
    for node in assignments:
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    if python_scalar_of(node.value, varying, resolve, function_of=function_of):
                        varying.add(target.target.value)
                    else:
                        varying.discard(target.target.value)  # e.g. ``step = tf.constant(step)``
    return varying


_MAPPED_NAME = re.compile(r"(?<![\w.])map\(\s*(\w+)\s*,")


def _comprehension_loops(project: Project, module: ModuleInfo, interesting: frozenset[str]):
    """``[step(i) for i in range(5)]`` in untraced code, each as ``(scope, the for loop it
    amounts to)``: its element is the body, the same nodes, so positions hold. Only
    comprehensions with one plain ``for`` clause (``map(f, ...)``: ``mapped_calls``)."""
    found = []
    for index, called in module.comprehension_calls.items():
        if interesting.isdisjoint(called):
            continue  # the summary's first filter: LibCST costs about five times more than Python's parser
        for scope, body in untraced_bodies(project, module, index):
            for comprehension in find_all(body, (cst.ListComp, cst.SetComp, cst.GeneratorExp), skip=flow.NESTED_SCOPES):
                clause = comprehension.for_in
                if clause.inner_for_in is not None or clause.ifs:
                    continue
                block = cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(comprehension.elt)])])
                found.append((scope, cst.For(target=clause.target, iter=clause.iter, body=block)))
    return found


def untraced_bodies(project: Project, module: ModuleInfo, index: int) -> list[tuple[FunctionInfo | None, object]]:
    """The code of chunk ``index`` that runs eagerly: its top-level statements, or the bodies
    of its functions that are not traced, with the function holding each."""
    bodies: list[tuple[FunctionInfo | None, object]] = [(None, statement) for statement in module.top_level_code(index)]
    bodies += [
        (function, function.node.body) for function in module.functions.values()
        if function.chunk == index and id(function) not in project.traces
        and isinstance(function.node, cst.FunctionDef)
    ]
    return bodies


def _self_attribute(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self"


def _distinct_literals(node: cst.BaseExpression) -> int:
    """How many distinct number or string literals a tuple or list display lists (0 if
    anything else is in it)."""
    if not isinstance(node, (cst.Tuple, cst.List)) or not node.elements:
        return 0
    values = set()
    for element in node.elements:
        if not isinstance(element, cst.Element) or not isinstance(element.value, (cst.Integer, cst.Float, cst.SimpleString)):
            return 0
        values.add(element.value.value)
    return len(values)


def python_scalar_of(
    node: cst.BaseExpression, varying: set[str], resolve, constants: frozenset[str] | set[str] = frozenset(),
    function_of=None, depth: int = 0,
) -> bool:
    """Whether ``node`` is a Python number or string computed from a varying name
    (``constants``: names known to hold a number literal, like ``total = 5``;
    ``function_of``: to follow a project function such as ``schedule(epoch)``)."""
    if isinstance(node, cst.Name):
        return node.value in varying
    if _self_attribute(node):
        return dotted_name(node) in varying
    if isinstance(node, cst.BinaryOperation):
        # Any operand but a literal might be a tensor, which makes the result one.
        varying_parts = [python_scalar_of(part, varying, resolve, constants) for part in (node.left, node.right)]
        literal_parts = [
            isinstance(part, (cst.Integer, cst.Float, cst.SimpleString))
            or isinstance(part, cst.Name) and part.value in constants
            for part in (node.left, node.right)
        ]
        return any(varying_parts) and all(v or lit for v, lit in zip(varying_parts, literal_parts))
    if isinstance(node, cst.UnaryOperation):
        return python_scalar_of(node.expression, varying, resolve, constants)
    if isinstance(node, cst.Call) and node.args and _qualified(node.func, resolve) in _SCALAR_CONVERSIONS:
        return python_scalar_of(node.args[0].value, varying, resolve, constants)
    if isinstance(node, cst.Call) and function_of is not None and depth < 2:
        return _scalar_result(node, varying, resolve, constants, function_of, depth)
    if isinstance(node, cst.FormattedString):
        return any(
            isinstance(part, cst.FormattedStringExpression)
            and python_scalar_of(part.expression, varying, resolve, constants)
            for part in node.parts
        )
    return False


def _scalar_result(call: cst.Call, varying, resolve, constants, function_of, depth: int) -> bool:
    """``schedule(epoch)``: a project function whose every return is Python arithmetic on
    the parameters this call gives a varying Python number (``return 0.1 * epoch``)."""
    target = resolve(call.func)
    callee = function_of(target) if target is not None and not isinstance(target, External) else None
    if callee is None or callee.is_method or not isinstance(callee.node, cst.FunctionDef):
        return False
    params = [p for p in callee.params() if not p.keyword_only and not p.star]
    inner: set[str] = set()
    for index, arg in enumerate(call.args):
        if arg.star:
            return False
        name = arg.keyword.value if arg.keyword is not None else (params[index].name if index < len(params) else None)
        if name is not None and python_scalar_of(arg.value, varying, resolve, constants):
            inner.add(name)
    if not inner:
        return False
    returns = [r.value for r in find_all(callee.node.body, cst.Return, skip=flow.NESTED_SCOPES)]
    if not returns or any(value is None for value in returns):
        return False
    # Only arithmetic on those parameters and literals: a local name or another call is not followed.
    return all(python_scalar_of(value, inner, resolve, frozenset(), function_of, depth + 1) for value in returns)


def _qualified(func: cst.BaseExpression, resolve) -> str | None:
    target = resolve(func)
    return target.qualified if isinstance(target, External) else None
