"""TFF1xx: Python side effects that run once, at trace time, not on every call."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tflint_fn.checks.base import Check, CheckContext, Report
from tflint_fn.function.tensors import NONE, TENSOR_CONTAINER
from tflint_fn.model.names import dotted_name
from tflint_fn.model.scopes import scan_bindings
from tflint_fn.model.summary import FunctionInfo, is_python_container
from tflint_fn.project.script_order import (
    rebinding_after_first_trace,
    statement_index,
    statement_line,
    top_statements,
)
from tflint_fn.sources.cstwalk import find_all

MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "update", "pop", "popitem", "add", "remove",
        "discard", "clear", "setdefault", "appendleft", "extendleft", "popleft",
        "difference_update", "intersection_update", "symmetric_difference_update",
    }
)


class PrintInGraph(Check):
    code = "TFF101"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        if not _python_print(node, ctx) or not prints_tensor_value(node, ctx):
            return
        yield _print_report(
            node, ctx, "`print` shows a symbolic tensor, not its value, and runs only while the function is "
            "traced; use `tf.print`"
        )


class TraceTimePrint(Check):
    """Off by default: ``print("Tracing with", x.shape)`` is the documented way to see tracing."""

    code = "TFF108"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        if not _python_print(node, ctx) or prints_tensor_value(node, ctx):
            return
        yield _print_report(
            node, ctx, "`print` runs once per trace, not on every call (fine to see when the function is "
            "traced); use `tf.print` to print on every call"
        )


def _python_print(node: cst.Call, ctx: CheckContext) -> bool:
    """A call of the built-in ``print`` that stays Python (not AutoGraph's BUILTIN_FUNCTIONS)."""
    return ctx.qualified(node.func) == "print" and "BUILTIN_FUNCTIONS" not in ctx.trace.features


def _print_report(node: cst.Call, ctx: CheckContext, message: str) -> Report:
    return Report(node, message)  # the fix, `tf.print`, is built by fixes/ (fixes/edits.py)


def prints_tensor_value(node: cst.Call, ctx: CheckContext) -> bool:
    """Would this ``print`` show a tensor (``Tensor("x:0", …)``) where a value was meant?

    Static information about a tensor (its shape, dtype, name, rank) is a
    real value at trace time, and so is any plainly Python value.
    """
    if _announces_tracing(node):
        return False  # `print("Tracing with", x)`: showing the symbolic tensor is the point
    return any(_shows_tensor(arg.value, ctx) for arg in node.args if arg.keyword is None)  # not sep=, end=, file=


def _announces_tracing(node: cst.Call) -> bool:
    """A print that says it is about tracing: TensorFlow's guide prints `"Tracing with", x`
    to see each trace, and what it shows then (``Tensor("x:0", ...)``) is what is meant."""
    first = node.args[0].value if node.args and node.args[0].keyword is None else None
    if isinstance(first, cst.FormattedString):
        text = "".join(p.value for p in first.parts if isinstance(p, cst.FormattedStringText))
    elif isinstance(first, cst.SimpleString):
        text = first.evaluated_value if isinstance(first.evaluated_value, str) else ""
    else:
        return False
    return "trac" in text.lower()


_STATIC_ATTRIBUTES = frozenset({"shape", "dtype", "name", "ndim", "rank", "device", "__name__"})


def _shows_tensor(expression: cst.BaseExpression, ctx: CheckContext) -> bool:
    if isinstance(expression, cst.FormattedString):
        return any(
            _shows_tensor(part.expression, ctx)
            for part in expression.parts if isinstance(part, cst.FormattedStringExpression)
        )
    if isinstance(expression, cst.Attribute) and expression.attr.value in _STATIC_ATTRIBUTES:
        return False
    if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.Modulo) \
            and isinstance(expression.left, (cst.SimpleString, cst.ConcatenatedString)):
        return _shows_tensor(expression.right, ctx)  # "loss %s" % loss
    if isinstance(expression, (cst.Tuple, cst.List)):
        return any(_shows_tensor(element.value, ctx) for element in expression.elements)
    if isinstance(expression, cst.Call):
        function = expression.func
        if isinstance(function, cst.Attribute) and function.attr.value == "format" \
                and isinstance(function.value, (cst.SimpleString, cst.ConcatenatedString)):
            return any(_shows_tensor(arg.value, ctx) for arg in expression.args)  # "{}".format(loss)
        if ctx.qualified(function) in ("str", "repr", "format"):
            return any(_shows_tensor(arg.value, ctx) for arg in expression.args[:1])
    taint = ctx.taint(expression)
    if isinstance(expression, cst.Name) and not taint.is_tensorish and _local_container(expression.value, ctx):
        return True  # a dict or list built here, usually of tensors: `print(features)` shows symbolic ones
    return taint.is_tensorish and taint.kind is None


def _local_container(name: str, ctx: CheckContext) -> bool:
    """``name`` is given a list/dict/set display (or constructor) in this function."""
    node = ctx.trace.function.node
    if name not in ctx.walker.local_names or not isinstance(node, cst.FunctionDef):
        return False
    return any(
        is_python_container(assign.value, ctx.module.imports)
        for assign in find_all(node.body, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
        if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets)
    )


def _receiver_root(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node


def _outer_description(target: cst.BaseExpression, ctx: CheckContext) -> str | None:
    """Why ``target`` outlives the traced call, or None when it does not."""
    root = _receiver_root(target)
    if not isinstance(root, cst.Name):
        return None
    name = root.value
    walker = ctx.walker
    if name in ("self", "cls") and ctx.trace.function.is_method and target is not root:
        if ctx.trace.function.name == "__init__":
            return None  # traced because traced code constructs the object: a new one, made in the trace
        if _made_anew_each_call(target, ctx):
            return None  # a scratch container the call starts afresh (`self.endpoints = {}` first)
        return f"`{dotted_name(target) or name}` is state of the object"
    if not walker.is_outer_name(name):
        return None
    if name in ctx.module.imports.aliases:
        return None  # a module or imported object: not a container we track
    owner = _enclosing_binder(name, ctx)
    if owner is not None:
        if id(owner) in ctx.project.traces:
            return None  # a local of an enclosing traced function: trace-local too
        return f"`{name}` is a variable of the enclosing function `{owner.name}`"
    if name in ctx.module.module_names or name in walker.global_names:
        return f"`{name}` is a module-level variable"
    return None


def _made_anew_each_call(target: cst.BaseExpression, ctx: CheckContext) -> bool:
    """``self.X`` is given a new container by a statement of this function's own
    block, at or before the one that holds ``target``: the call's own scratch
    (written and read back within the call), not state kept between calls."""
    attribute = target
    while isinstance(attribute, (cst.Attribute, cst.Subscript)) and not (
        isinstance(attribute, cst.Attribute) and isinstance(attribute.value, cst.Name)
    ):
        attribute = attribute.value
    function = ctx.trace.function.node
    if not isinstance(attribute, cst.Attribute) or not isinstance(function, cst.FunctionDef):
        return False
    wanted = dotted_name(attribute)
    fresh = False
    for statement in function.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and is_python_container(small.value, ctx.module.imports):
                    fresh = fresh or any(dotted_name(t.target) == wanted for t in small.targets)
        if any(found is target for found in find_all(statement, type(target))):
            return fresh
    return False


def _enclosing_binder(name: str, ctx: CheckContext) -> FunctionInfo | None:
    """The nearest enclosing function that binds ``name`` (a closure's owner)."""
    parent = ctx.trace.function.parent
    while parent is not None:
        if name in scan_bindings(parent)[0]:
            return parent
        parent = parent.parent
    return None


def _owned_by_traced(name: str, ctx: CheckContext) -> bool:
    owner = _enclosing_binder(name, ctx)
    return owner is not None and id(owner) in ctx.project.traces


def _holds_python_container(target: cst.BaseExpression, ctx: CheckContext) -> bool:
    """Whether ``target`` is known to hold a Python list, dict or set.

    Mutating methods (``add``, ``update``, ``pop``) are common on TensorFlow
    objects too (tables, queues, metrics), so only a value assigned a
    container somewhere is treated as Python state.
    """
    imports = ctx.module.imports
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
        if target.value.value in ("self", "cls") and ctx.trace.function.class_qualname:
            class_key = f"{ctx.module.name}.{ctx.trace.function.class_qualname}"
            return target.attr.value in ctx.project.container_attributes(class_key)
        return False
    if not isinstance(target, cst.Name):
        return False
    name = target.value
    owner = _enclosing_binder(name, ctx)
    if owner is None:
        return name in ctx.module.container_globals
    return any(
        is_python_container(assign.value, imports)
        for assign in find_all(owner.node, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef))
        if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets)
    )


_EMPTYING_METHODS = frozenset({"clear", "pop", "popitem", "popleft"})
# List growth: each call would add an element (a set's `add` or a dict's `update` is
# idempotent for the same key, so they are not counted here).
_GROWING_METHODS = frozenset({"append", "extend", "insert", "appendleft", "extendleft"})


def _is_attribute_of_self(node: cst.BaseExpression) -> bool:
    root = _receiver_root(node)
    return isinstance(root, cst.Name) and root.value in ("self", "cls") and root is not node


def _from_parameters(value: cst.BaseExpression, ctx: CheckContext) -> bool:
    """``value`` is computed from the traced function's own arguments (``x ** 2`` of a
    parameter ``x``): a value the caller means to change per call, even a Python number.
    A constant (``calls.append(1)``, a trace counter) is not."""
    function = ctx.trace.function
    params = {p.name for p in function.bound_params() if not p.star} if isinstance(function.node, cst.FunctionDef) else set()
    return any(n.value in params for n in find_all(value, cst.Name, skip=(cst.Lambda,)))


def carries_tensor(node: cst.BaseExpression, ctx: CheckContext) -> bool:
    """A tensor, or a list/tuple/dict display holding one."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return any(carries_tensor(element.value, ctx) for element in node.elements)
    if isinstance(node, cst.Dict):
        return any(
            isinstance(element, cst.DictElement) and carries_tensor(element.value, ctx)
            for element in node.elements
        )
    return ctx.is_tensorish(node)


class OuterStateMutation(Check):
    code = "TFF102"
    node_types = (cst.Call, cst.Assign, cst.AugAssign, cst.Del)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if isinstance(node, cst.Call):
            yield from self._method_call(node, ctx)
        elif isinstance(node, cst.Del):
            yield from self._targets(node, [node.target], ctx, "del")
        elif isinstance(node, cst.Assign):
            yield from self._targets(node, [t.target for t in node.targets], ctx, "assignment")
        else:
            yield from self._targets(node, [node.target], ctx, "assignment")

    def _method_call(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in MUTATING_METHODS:
            return
        receiver = func.value
        receiver_taint = ctx.taint(receiver)
        if receiver_taint.level > NONE or receiver_taint.kind not in (None, TENSOR_CONTAINER):
            return  # tensors and TensorArrays have no such Python methods
        why = _outer_description(receiver, ctx)
        if why is None or ctx.guarded_by(receiver) or not _holds_python_container(receiver, ctx):
            return
        empties = func.attr.value in _EMPTYING_METHODS
        grows = func.attr.value in _GROWING_METHODS and not _is_attribute_of_self(receiver)
        per_call = grows and any(_from_parameters(arg.value, ctx) for arg in node.args)
        if not empties and not per_call and not any(carries_tensor(arg.value, ctx) for arg in node.args):
            return  # e.g. building a list of sub-layers on the first trace
        text = dotted_name(receiver) or "the container"
        if empties:
            effect = "it empties the container only while tracing"
        elif any(carries_tensor(arg.value, ctx) for arg in node.args):
            effect = "it stores symbolic tensors"
        else:
            effect = "it records one value per trace, not one per call"
        yield Report(
            node,
            f"`{text}.{func.attr.value}(...)` runs once, at trace time, not on every call ({why}); "
            f"{effect}. Return values instead, or use `tf.TensorArray`/`tf.Variable`",
        )

    def _targets(self, node, targets, ctx: CheckContext, action: str) -> Iterator[Report]:
        walker = ctx.walker
        for target in targets:
            for element in _flatten(target):
                if isinstance(element, cst.Name):
                    name = element.value
                    declared = name in walker.global_names or name in walker.nonlocal_names
                    if action == "del" and not declared and walker.is_outer_name(name):
                        declared = name in ctx.module.module_names
                    updates = isinstance(node, cst.AugAssign) or action == "del"
                    value = getattr(node, "value", None)
                    updates = updates or declared and _computed_from_itself(value, name)
                    if not updates and not (value is not None and carries_tensor(value, ctx)):
                        continue  # a flag or setting flipped on the first trace
                    if declared and name in walker.nonlocal_names and _owned_by_traced(name, ctx):
                        continue  # the enclosing function is traced too: trace-local state
                    if declared and not ctx.guarded_by(element):
                        kind = "nonlocal" if name in walker.nonlocal_names else "global"
                        yield Report(
                            node,
                            f"rebinding the {kind} `{name}` happens once, at trace time, not on "
                            "every call; keep changing state in a `tf.Variable` and `assign` it",
                        )
                elif isinstance(element, cst.Subscript):
                    container = element.value
                    if action == "assignment" and not isinstance(node, cst.AugAssign) and _keyed_endpoint(element):
                        continue  # `self.endpoints["head"] = x`: one slot per key, overwritten by each trace
                    why = _outer_description(container, ctx)
                    if why is None or ctx.guarded_by(container) or not _holds_python_container(container, ctx):
                        continue
                    value = getattr(node, "value", None)
                    if action != "del" and not isinstance(node, cst.AugAssign) and not carries_tensor(value, ctx):
                        continue
                    verb = "deleting from" if action == "del" else "item assignment to"
                    yield Report(
                        node,
                        f"{verb} `{dotted_name(container) or 'the container'}` runs once, at trace "
                        f"time, not on every call ({why}); return the values instead",
                    )


def _computed_from_itself(value: cst.BaseExpression | None, name: str) -> bool:
    """``a = a + 1`` / ``history = history + [x]``: arithmetic on the name's old value,
    an update like ``a += 1`` (not idempotent), unlike ``flag = True``."""
    if not isinstance(value, cst.BinaryOperation):
        return False
    return any(n.value == name for n in find_all(value, cst.Name, skip=(cst.Lambda,)))


def _keyed_endpoint(target: cst.Subscript) -> bool:
    """``self.X["name"] = value``: a map of named outputs on the object (EfficientNet's
    ``endpoints``). Each trace overwrites the same slots with its own tensors,
    which code in the same trace reads back; it does not grow per trace."""
    root = _receiver_root(target.value)
    if not (isinstance(root, cst.Name) and root.value == "self" and isinstance(target.value, cst.Attribute)):
        return False
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return False
    return isinstance(target.slice[0].slice.value, (cst.SimpleString, cst.Integer))


def _flatten(target: cst.BaseExpression):
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _flatten(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _flatten(target.value)
    else:
        yield target


class PythonAttributeAssignment(Check):
    code = "TFF103"
    node_types = (cst.Assign, cst.AugAssign, cst.AnnAssign)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        value = getattr(node, "value", None)
        if value is not None and isinstance(value, cst.Call) and ctx.qualified(value.func) == "tensorflow.Variable":
            return  # TFF105 reports variable creation
        if not isinstance(node, cst.AugAssign) and (value is None or not carries_tensor(value, ctx)):
            return  # static metadata (shapes, specs, sub-layers) recorded on the first trace
        for target in targets:
            for element in _flatten(target):
                # Only direct attributes (`self.x`): deeper chains rewire other objects on purpose.
                if not isinstance(element, cst.Attribute) or not isinstance(element.value, cst.Name):
                    continue
                why = _outer_description(element, ctx) or _argument_object(element, ctx)
                if why is None or ctx.guarded_by(element):
                    continue
                if not isinstance(node, cst.AugAssign) and (
                    _dead_store_on_plain_object(element, ctx) or _reported_by_the_class(element, ctx)
                ):
                    continue
                text = dotted_name(element) or "the attribute"
                operation = "updating" if isinstance(node, cst.AugAssign) else "assigning"
                yield Report(
                    node,
                    f"{operation} `{text}` runs once, at trace time, not on every call; "
                    "keep the value in a `tf.Variable` and `assign` it, or return it",
                )


def _dead_store_on_plain_object(target: cst.Attribute, ctx: CheckContext) -> bool:
    """``self.x = t`` on a plain Python object whose ``x`` nothing in the project reads.

    No code sees the symbolic tensor left behind, so nothing misbehaves. Keras
    layers, models and ``tf.Module``s are left out: their attributes are often
    read by code outside the project (attention weights kept for inspection).
    """
    function = ctx.walker.function
    if not (isinstance(target.value, cst.Name) and target.value.value == "self") or function.class_qualname is None:
        return False
    if not _plain_class(ctx.project, f"{function.module.name}.{function.class_qualname}"):
        return False
    return not ctx.project.attribute_may_be_read(target.attr.value)


def _reported_by_the_class(target: cst.Attribute, ctx: CheckContext) -> bool:
    """``self._box_loss = t`` read back only by reporting methods of the module's classes
    (``def report_losses(self): return {"box": self._box_loss}``).

    The caller asks for the report right after the call, in the same trace (as
    tf-models' YOLO tasks do with their losses), so the tensor is read where it is
    valid. A read anywhere else (another class, a method with parameters, the
    traced method itself, ``getattr``) keeps the finding.
    """
    function = ctx.walker.function
    if not (isinstance(target.value, cst.Name) and target.value.value == "self") or function.class_qualname is None:
        return False
    readers = ctx.project.attribute_readers(target.attr.value)
    if not readers:
        return False
    for module, reader in readers:
        if module is not function.module or reader is None:
            return False
        method = ctx.project.functions.get(f"{module.name}.{reader}")
        if method is None or method is function or method.class_qualname is None:
            return False  # read outside a method of this module's classes
        if method.bound_params() or method.name in _TRACED_METHOD_NAMES:
            return False
    return True


_TRACED_METHOD_NAMES = frozenset({"call", "__call__", "train_step", "test_step", "predict_step", "update_state", "result"})


def _plain_class(project, class_key: str, depth: int = 0) -> bool:
    class_info = project.classes.get(class_key)
    if class_info is None or depth > 10:
        return False
    for base in project.base_keys(class_info):
        if base in project.classes:
            if not _plain_class(project, base, depth + 1):
                return False
        elif base != "object":
            return False
    return True


def _argument_object(target: cst.Attribute, ctx: CheckContext) -> str | None:
    """``state.value`` where ``state`` is a parameter of a ``tf.function`` (not ``self``):
    an object the caller passes in and keeps, so a change to it outlives the call.
    Only the tf.function's own parameters: a helper's parameter may be an object the
    traced code made for this call."""
    root = target.value
    trace = ctx.trace
    if trace.kind != "tf.function" or not isinstance(root, cst.Name) or root.value in ("self", "cls"):
        return None
    function = trace.function
    if not isinstance(function.node, cst.FunctionDef) or trace.options is not None and trace.options.input_signature:
        return None  # with a signature every parameter is a tensor
    if root.value not in {p.name for p in function.bound_params() if not p.star}:
        return None
    rebound = any(
        isinstance(t.target, cst.Name) and t.target.value == root.value
        for assign in find_all(function.node.body, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
        for t in assign.targets
    )
    if rebound:
        return None  # `state = State()` first: the call's own object
    return f"`{root.value}` is an object the caller passes in"


_FROZEN_CALLS = {
    "time.time": "the clock", "time.time_ns": "the clock", "time.perf_counter": "the clock",
    "time.perf_counter_ns": "the clock", "time.monotonic": "the clock",
    "time.monotonic_ns": "the clock", "time.process_time": "the clock",
    "time.localtime": "the clock", "time.gmtime": "the clock", "time.ctime": "the clock",
    "datetime.datetime.now": "the clock", "datetime.datetime.utcnow": "the clock",
    "datetime.datetime.today": "the clock", "datetime.date.today": "the clock",
    "os.getenv": "the environment", "os.environ.get": "the environment",
    "os.urandom": "Python randomness", "uuid.uuid1": "Python randomness",
    "uuid.uuid4": "Python randomness", "open": "file I/O", "input": "console input",
}
_NOT_FROZEN = frozenset({"random.seed", "numpy.random.seed"})


class TraceTimeValue(Check):
    code = "TFF104"
    node_types = (cst.Call, cst.Subscript)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if isinstance(node, cst.Subscript):
            if ctx.qualified(node.value) == "os.environ":
                yield self._report(node, "os.environ[...]", "the environment")
            return
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ctx.module.rng_globals
            and ctx.walker.is_outer_name(func.value.value)
        ):
            yield self._report(node, f"{func.value.value}.{func.attr.value}(...)", "NumPy randomness")
            return
        qualified = ctx.qualified(node.func)
        if qualified is None or qualified in _NOT_FROZEN:
            return
        if qualified == "next" and node.args and isinstance(node.args[0].value, cst.Name):
            if _python_iterator(node.args[0].value.value, ctx):
                yield self._report(node, f"next({node.args[0].value.value})", "a Python iterator")
            return
        what = _FROZEN_CALLS.get(qualified)
        if what is None and qualified.startswith(("random.", "numpy.random.", "secrets.")):
            what = "Python randomness" if qualified.startswith(("random.", "secrets.")) else "NumPy randomness"
        if what is not None:
            yield self._report(node, f"{_short(qualified)}(...)", what)

    @staticmethod
    def _report(node, text: str, what: str) -> Report:
        hint = {
            "the clock": "use `tf.timestamp()`",
            "Python randomness": "use `tf.random` ops (e.g. `tf.random.uniform`)",
            "NumPy randomness": "use `tf.random` ops (e.g. `tf.random.uniform`)",
            "the environment": "read it outside and pass it in (a new value needs a new trace)",
            "file I/O": "use `tf.io` ops or read the file outside the traced function",
            "console input": "read it outside the traced function",
            "a Python iterator": "pass the values in as arguments, or iterate a `tf.data.Dataset` "
            "(its iterator advances on every call)",
        }[what]
        return Report(
            node,
            f"`{text}` reads {what} once, at trace time: every call reuses that value; {hint}",
        )


_ITERATOR_FACTORIES = frozenset(
    {"itertools.count", "itertools.cycle", "itertools.repeat", "itertools.chain", "itertools.islice"}
)


def _python_iterator(name: str, ctx: CheckContext) -> bool:
    """``name`` is a module or enclosing-function variable that only ever holds a plain
    Python iterator: ``iter([...])``, ``iter(range(n))``, a generator expression, an
    ``itertools`` iterator, or a generator function's result. (``next`` of a tf.data
    iterator, ``iter(dataset)``, is a graph op that advances on every call.)"""
    walker = ctx.walker
    if not walker.is_outer_name(name) or name in walker.local_names:
        return False
    owner = _enclosing_binder(name, ctx)
    if owner is not None:
        if id(owner) in ctx.project.traces:
            return False  # made in the same trace: fresh every trace
        statements = find_all(owner.node.body, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
    elif name in ctx.module.module_names:
        statements = [
            small for statement in ctx.module.tree.body if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body if isinstance(small, cst.Assign)
        ]
    else:
        return False
    values = [
        assign.value for assign in statements
        if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets)
    ]
    return bool(values) and all(_makes_python_iterator(value, ctx) for value in values)


def _module_qualified(node: cst.BaseExpression, ctx: CheckContext) -> str | None:
    dotted = dotted_name(node)
    if dotted is None:
        return None
    return ctx.module.imports.resolve_dotted(dotted) or dotted


def _makes_python_iterator(value: cst.BaseExpression, ctx: CheckContext) -> bool:
    if isinstance(value, cst.GeneratorExp):
        return True
    if not isinstance(value, cst.Call):
        return False
    qualified = _module_qualified(value.func, ctx)
    if qualified == "iter" and len(value.args) == 1:
        iterable = value.args[0].value
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SimpleString)):
            return True
        if isinstance(iterable, cst.Call) and _module_qualified(iterable.func, ctx) == "range":
            return True
        return isinstance(iterable, cst.Name) and iterable.value in ctx.module.container_globals
    if qualified in _ITERATOR_FACTORIES:
        return True
    function = ctx.module.functions.get(qualified) if qualified is not None else None
    return function is not None and isinstance(function.node, cst.FunctionDef) and bool(
        find_all(function.node.body, (cst.Yield,), skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
    )


def _short(qualified: str) -> str:
    return qualified.replace("numpy.", "np.", 1) if qualified.startswith("numpy.") else qualified


class VariableCreatedPerCall(Check):
    code = "TFF105"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        layer = _weighted_layer(qualified)
        if qualified != "tensorflow.Variable" and layer is None:
            return
        # Any enclosing Python-valued `if` may be a create-once guard.
        if any(ctx.taint(test).level == NONE for test, _ in ctx.walker.guards):
            return
        if layer is not None:
            if ctx.trace.kind == "tf.function" and _called_in_function(node, ctx):
                yield Report(
                    node,
                    f"`{layer}(...)` makes a Keras layer, and its weights, on every trace: calling it here "
                    "raises `ValueError: tf.function only supports singleton tf.Variables created on the "
                    "first call`; build the layer once outside the tf.function and call that one",
                )
            return
        yield Report(
            node,
            "`tf.Variable` is created on every trace: TensorFlow raises `ValueError: tf.function "
            "only supports singleton tf.Variables created on the first call`; create it once "
            "outside, or behind `if self.v is None:`",
        )


# Keras layers that make weights when first called (a layer without weights, such as
# Flatten or Dropout, can be made inside a tf.function).
_WEIGHTED_LAYERS = frozenset(
    {
        "Dense", "EinsumDense", "Embedding", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose",
        "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
        "SeparableConv2D", "BatchNormalization", "LayerNormalization", "GroupNormalization", "LSTM",
        "GRU", "SimpleRNN", "MultiHeadAttention", "PReLU",
    }
)


def _weighted_layer(qualified: str | None) -> str | None:
    if qualified is None or not qualified.startswith("keras.layers."):
        return None
    name = qualified.rsplit(".", 1)[-1]
    return name if name in _WEIGHTED_LAYERS else None


def _called_in_function(node: cst.Call, ctx: CheckContext) -> bool:
    """The layer made by ``node`` is called in the same function: ``Dense(1)(x)``, or
    ``head = Dense(1)`` and then ``head(x)`` (only then are its weights made)."""
    function = ctx.trace.function.node
    calls = find_all(function, cst.Call, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
    if any(call.func is node for call in calls):
        return True
    names = {
        t.target.value
        for assign in find_all(function, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
        if assign.value is node
        for t in assign.targets if isinstance(t.target, cst.Name)
    }
    return any(isinstance(call.func, cst.Name) and call.func.value in names for call in calls)


class FrozenGlobal(Check):
    code = "TFF106"
    node_types = (cst.Name,)

    def check(self, node: cst.Name, ctx: CheckContext) -> Iterator[Report]:
        name = node.value
        module = ctx.module
        in_function = name in module.reassigned_globals
        if not (in_function or name in module.toplevel_rebound) or name in module.variable_globals:
            return
        if not ctx.walker.is_outer_name(name) or name in ctx.walker.local_names:
            return
        if name in ctx.walker.global_names:
            return  # this function rebinds it: TFF102 reports that
        if _enclosing_binder(name, ctx) is not None:
            return  # a closure over the enclosing function's own name, not the module global
        if in_function:
            where = "reassigned by a function that can run between calls"
        else:
            line = _rebinding_after_first_trace(name, ctx)
            if line is None:
                return  # rebound only before the first trace, after the last use, or to the same value
            where = f"rebound at the top level (line {line}) after the function was first traced"
        yield Report(
            node,
            f"`{name}` is a module global {where}; traced code captures its value at the first trace "
            "and never sees a new one; if it must change, pass it as an argument or keep it in a `tf.Variable`",
        )


def _rebinding_after_first_trace(name: str, ctx: CheckContext) -> int | None:
    """The line of a top-level rebinding of ``name`` that a later use of the traced root would miss."""
    root = ctx.trace.root.function
    module = ctx.module
    if root.module is not module:
        return None  # rebound while its module is imported: before anything can trace
    outermost = root
    while outermost.parent is not None:
        outermost = outermost.parent
    # The def or class that holds the root, or the statement passing a lambda (`ds.map(lambda ...)`).
    anchor = statement_index(module, outermost.node)
    if anchor is None:
        return None
    keras = ctx.trace.root.kind == "keras"
    # Imported by other modules: they call it after this top level has run.
    imported = ctx.project.is_imported(module.name)
    index = rebinding_after_first_trace(top_statements(module), name, anchor, keras, used_after_end=imported)
    return statement_line(module, index) if index is not None else None


class RecursiveTfFunction(Check):
    code = "TFF107"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        trace = ctx.trace
        if trace.kind != "tf.function":
            return
        walker = ctx.walker
        target = walker.resolve(node.func)
        if target is None or walker.resolver.function_of(target, trace.function) is not trace.function:
            return
        if not any(ctx.is_tensor(arg.value) for arg in node.args):
            return  # may be Python values: one trace per value, no infinite recursion
        yield Report(
            node,
            f"tf.function `{trace.function.name}` calls itself with a tensor argument: tracing "
            "recurses until `RecursionError`; write the recursion as a `tf.while_loop` or a "
            "`for` loop over `tf.range`",
        )
