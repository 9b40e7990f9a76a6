"""TFF3xx: Python data structures and control flow that meet tensors.

AutoGraph turns an ``if`` on a tensor into ``tf.cond`` and a loop over a
tensor into ``tf.while_loop``. Both run their bodies once, at trace time, as
functions: a Python list grown in such a loop grows once, a variable defined
on one branch has no value on the other, and a loop variable must keep its
type and shape from one iteration to the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tflint_fn.checks.base import Check, CheckContext, Report
from tflint_fn.function import flow
from tflint_fn.function.branches import always_leaves
from tflint_fn.function.tensors import TENSOR
from tflint_fn.model.scopes import target_names
from tflint_fn.model.summary import is_python_container
from tflint_fn.sources.cstwalk import find_all

GROWING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "extendleft"})
_FLOAT_DTYPES = frozenset({"float16", "bfloat16", "float32", "float64", "half", "double"})
_STATIC_SHAPE_CONSTRUCTORS = frozenset(
    {"tensorflow.zeros", "tensorflow.ones", "tensorflow.fill", "tensorflow.constant", "tensorflow.eye"}
)
_OP_ERRORS = "tensorflow.errors."


def tensor_loop(loop: cst.CSTNode, ctx: CheckContext) -> bool:
    """Whether AutoGraph turns ``loop`` into a graph loop (a tensor to iterate or test)."""
    if not ctx.autograph:
        return False
    if isinstance(loop, cst.For):
        if isinstance(loop.iter, cst.Call) and ctx.qualified(loop.iter.func) == "tensorflow.range":
            return True
        if isinstance(loop.iter, cst.Call) and ctx.qualified(loop.iter.func) == "range":
            # AutoGraph makes `range()` of a tensor (`len()` of an unknown dimension) a `tf.range`.
            return any(ctx.taint(arg.value).level == TENSOR for arg in loop.iter.args)
        return ctx.taint(loop.iter).level == TENSOR
    if isinstance(loop, cst.While):
        return ctx.taint(loop.test).level == TENSOR
    return False


def _loop_description(loop: cst.CSTNode) -> str:
    return "`while` loop on a tensor condition" if isinstance(loop, cst.While) else "`for` loop over a tensor"


class ContainerGrownInTensorLoop(Check):
    code = "TFF301"
    node_types = (cst.Call, cst.Assign, cst.AugAssign)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        name = _grown_container(node)
        if name is None or not ctx.walker.loops or not ctx.autograph:
            return
        function = ctx.walker.function.node
        if not isinstance(function, cst.FunctionDef) or ctx.walker.is_outer_name(name):
            return
        for loop in reversed(ctx.walker.loops):
            if name in flow.assigned_names(loop.body):
                return  # a fresh container each iteration
            if not tensor_loop(loop, ctx):
                continue
            path = flow.locate(function, loop)
            value = flow.value_before(path, name) if path else None
            if value is None or not is_python_container(value, ctx.module.imports):
                return
            yield Report(
                node,
                f"`{name}` is a Python container grown inside a {_loop_description(loop)}: AutoGraph runs the "
                "body once while tracing, so it grows once (or tracing fails); collect tensors in a "
                "`tf.TensorArray` (`.write(i, value)`, then `.stack()`)",
            )
            return


def _grown_container(node) -> str | None:
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in GROWING_METHODS:
            return func.value.value
        return None
    if isinstance(node, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Subscript) and isinstance(target.target.value, cst.Name):
                return target.target.value.value
        return None
    if isinstance(node.operator, (cst.AddAssign, cst.BitOrAssign)) and isinstance(node.target, cst.Name):
        if isinstance(node.value, (cst.List, cst.Tuple, cst.Dict, cst.Set, cst.ListComp)):
            return node.target.value
    return None


class NameDefinedInOneBranch(Check):
    code = "TFF302"
    node_types = (cst.If,)

    def check(self, node: cst.If, ctx: CheckContext) -> Iterator[Report]:
        if not ctx.autograph or ctx.taint(node.test).level != TENSOR:
            return
        function = ctx.walker.function.node
        if not isinstance(function, cst.FunctionDef):
            return
        orelse = node.orelse
        if always_leaves(node.body) or (isinstance(orelse, cst.Else) and always_leaves(orelse.body)):
            return  # only one branch continues after the if
        in_body = flow.assigned_names(node.body)
        in_orelse = flow.assigned_names(orelse) if orelse is not None else set()
        path = None
        outer = ctx.walker.global_names | ctx.walker.nonlocal_names
        for name in sorted((in_body ^ in_orelse) - outer):
            path = path or flow.locate(function, node)
            if path is None:
                return
            if name in ctx.walker.env or flow.assigned_before(path, name):
                before = flow.value_before(path, name)
                if not (isinstance(before, cst.Name) and before.value == "None"):
                    continue  # it has a value on the other branch too
                problem = "is `None` on the other branch"
            else:
                problem = "has no value on the other branch"
            if not flow.read_later(path, name):
                continue
            branch = "`if`" if name in in_body else "`else`"
            other = "`else`" if name in in_body else "`if`"
            yield Report(
                _first_assignment(node.body if name in in_body else orelse, name) or node.test,
                f"`{name}` is assigned in the {branch} branch of a tensor condition, {problem}, and is used after "
                f"the `if`: AutoGraph raises ValueError while tracing; give it a tensor value in the {other} "
                "branch too (or before the `if`)",
            )


def _first_assignment(node: cst.CSTNode, name: str) -> cst.CSTNode | None:
    for target in find_all(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For), skip=flow.NESTED_SCOPES):
        names: set[str] = set()
        target_names(target.target, names)
        if name in names:
            return target.target
    return None


class LoopVariableChangesType(Check):
    code = "TFF303"
    node_types = (cst.For, cst.While)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if not tensor_loop(node, ctx):
            return
        function = ctx.walker.function.node
        if not isinstance(function, cst.FunctionDef):
            return
        targets: set[str] = set()
        if isinstance(node, cst.For):
            target_names(node.target, targets)
        int_names = targets if isinstance(node, cst.For) and _is_tf_range(node.iter, ctx) else set()
        path = None
        for name in sorted(flow.assigned_names(node.body) - targets):
            path = path or flow.locate(function, node)
            if path is None:
                return
            initial = flow.value_before(path, name)
            if initial is None:
                continue
            problem = _type_change(name, initial, node, ctx, int_names)
            if problem is not None:
                yield Report(_first_assignment(node.body, name) or node, problem)


def _type_change(name: str, initial, loop, ctx: CheckContext, int_names: set[str]) -> str | None:
    if isinstance(initial, cst.Name) and initial.value == "None":
        if flow.read_before_assigned(loop.body, name) and not flow.tests_none(loop.body, name):
            return (
                f"`{name}` is `None` before this {_loop_description(loop)} and the loop reads it: AutoGraph raises "
                f"ValueError ('{name}' is not allowed to be None before the loop); start it as a tensor of the "
                "right dtype and shape"
            )
        return None
    kind = _number_kind(initial)
    assigned = _assigned_values(loop.body, name)
    if kind == "int" and any(_float_evidence(value, ctx) for value in assigned):
        return (
            f"`{name}` starts as a Python int and becomes a float tensor inside this {_loop_description(loop)}: "
            f"the loop variable is int32 before the loop and float32 after one iteration, so tracing fails with "
            f"TypeError; start it as a float (`{name} = 0.0`)"
        )
    if kind == "float" and any(_mentions_any(value, int_names) for value in assigned):
        return (
            f"`{name}` starts as a Python float and gets the int32 index of `tf.range` added inside this loop: "
            f"tracing fails with TypeError (float32 before the loop, int32 after); cast the index with "
            f"`tf.cast(i, tf.float32)`"
        )
    if _static_shape_constructor(initial, ctx) and not _sets_loop_options(loop, ctx):
        if any(_concat_onto(value, name, ctx) for value in assigned):
            return (
                f"`{name}` has a fixed shape before this {_loop_description(loop)} and `tf.concat` grows it in the "
                f"loop: tracing fails with ValueError (shape changes after one iteration); declare the growing "
                f"dimension with `tf.autograph.experimental.set_loop_options(shape_invariants=[({name}, "
                f"tf.TensorShape([None, ...]))])`, or use a `tf.TensorArray`"
            )
    return None


def _assigned_values(body: cst.CSTNode, name: str) -> list[cst.BaseExpression]:
    """Values given to ``name`` in ``body``: ``name = v`` gives v, ``name += v`` gives v too."""
    values = []
    for node in find_all(body, (cst.Assign, cst.AugAssign), skip=flow.NESTED_SCOPES):
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            values.append(node.value)
    return values


def _number_kind(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    return None


def _float_evidence(value: cst.BaseExpression, ctx: CheckContext) -> bool:
    """A float literal in the arithmetic, or a cast to a float dtype."""
    if isinstance(value, cst.Float):
        return True
    if isinstance(value, cst.BinaryOperation):
        return _float_evidence(value.left, ctx) or _float_evidence(value.right, ctx)
    if isinstance(value, cst.UnaryOperation):
        return _float_evidence(value.expression, ctx)
    if isinstance(value, cst.Call) and ctx.qualified(value.func) == "tensorflow.cast" and len(value.args) >= 2:
        dtype = value.args[1].value
        qualified = ctx.qualified(dtype) or ""
        literal = dtype.value.strip("'\"") if isinstance(dtype, cst.SimpleString) else ""
        return qualified.rsplit(".", 1)[-1] in _FLOAT_DTYPES or literal in _FLOAT_DTYPES
    return False


def _mentions_any(value: cst.BaseExpression, names: set[str]) -> bool:
    if isinstance(value, cst.Name):
        return value.value in names
    if isinstance(value, cst.BinaryOperation):
        return _mentions_any(value.left, names) or _mentions_any(value.right, names)
    return False


def _is_tf_range(node: cst.BaseExpression, ctx: CheckContext) -> bool:
    return isinstance(node, cst.Call) and ctx.qualified(node.func) == "tensorflow.range"


def _static_shape_constructor(node: cst.BaseExpression, ctx: CheckContext) -> bool:
    """``tf.zeros([0, 4])`` and the like, with no tensor among the arguments."""
    if not isinstance(node, cst.Call) or ctx.qualified(node.func) not in _STATIC_SHAPE_CONSTRUCTORS:
        return False
    return all(ctx.taint(arg.value).level < TENSOR and not _has_tensor_part(arg.value, ctx) for arg in node.args)


def _has_tensor_part(node: cst.BaseExpression, ctx: CheckContext) -> bool:
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(ctx.taint(e.value).level == TENSOR for e in node.elements)
    return False


def _concat_onto(value: cst.BaseExpression, name: str, ctx: CheckContext) -> bool:
    if not (isinstance(value, cst.Call) and ctx.qualified(value.func) == "tensorflow.concat" and value.args):
        return False
    parts = value.args[0].value
    return isinstance(parts, (cst.List, cst.Tuple)) and any(
        isinstance(e.value, cst.Name) and e.value.value == name for e in parts.elements
    )


def _sets_loop_options(loop, ctx: CheckContext) -> bool:
    return any(
        (ctx.qualified(call.func) or "").endswith("set_loop_options")
        for call in find_all(loop.body, cst.Call, skip=flow.NESTED_SCOPES)
    )


class YieldInTracedFunction(Check):
    code = "TFF304"
    node_types = (cst.Yield,)

    def check(self, node: cst.Yield, ctx: CheckContext) -> Iterator[Report]:
        if ctx.trace.parent is not None:
            return  # a generator helper just runs in Python while the caller is traced
        yield Report(
            node,
            "this traced function is a generator: tf.function (and Keras, and tf.data) needs tensors returned, "
            "and raises TypeError on the generator; return a tensor (stack the values, or use a `tf.TensorArray`)",
        )


class ExceptOpErrorInGraph(Check):
    code = "TFF305"
    node_types = (cst.Try,)

    def check(self, node: cst.Try, ctx: CheckContext) -> Iterator[Report]:
        if not find_all(node.body, cst.Call, skip=flow.NESTED_SCOPES):
            return
        for handler in node.handlers:
            if handler.type is None:
                continue
            types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
            names = [ctx.qualified(e.value) or "" for e in types] if types is not None else [ctx.qualified(handler.type) or ""]
            if names and all(name.startswith(_OP_ERRORS) for name in names):
                caught = ", ".join(f"`{name.replace('tensorflow.', 'tf.', 1)}`" for name in names)
                yield Report(
                    handler.type,
                    f"{caught} is raised when the graph runs, after tracing: inside a traced function this "
                    "handler never runs and the error reaches the caller; check the condition with tensor ops "
                    "(`tf.debugging.*`, `tf.where`, `tf.cond`) or catch it around the call",
                )


class RaiseInTensorBranch(Check):
    code = "TFF306"
    node_types = (cst.If,)

    def check(self, node: cst.If, ctx: CheckContext) -> Iterator[Report]:
        if not ctx.autograph or not ctx.is_tensor(node.test):
            return  # a Python test picks one branch; without AutoGraph TFF202 reports the `if`
        for branch in _branches(node):
            for statement in branch.body if isinstance(branch, cst.IndentedBlock) else ():
                raised = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
                if isinstance(raised, cst.Raise):
                    yield Report(
                        raised,
                        "this `raise` is under an `if` on a tensor: AutoGraph turns the `if` into `tf.cond` and "
                        "traces both branches, so it raises while tracing, for every input, valid ones too; check "
                        "with `tf.debugging.assert_*` (or `tf.debugging.Assert`) instead",
                    )


def _branches(node: cst.If) -> list[cst.BaseSuite]:
    """The ``if`` branch and a plain ``else`` branch (an ``elif`` is its own ``If``)."""
    return [node.body] + ([node.orelse.body] if isinstance(node.orelse, cst.Else) else [])


_VARIABLE_UPDATES = frozenset(
    {"assign", "assign_add", "assign_sub", "scatter_update", "scatter_add", "scatter_sub", "scatter_max",
     "scatter_min", "scatter_mul", "scatter_div", "scatter_nd_update", "scatter_nd_add", "scatter_nd_sub"}
)


class VariableReboundInTensorBranch(Check):
    code = "TFF307"
    node_types = (cst.If,)

    def check(self, node: cst.If, ctx: CheckContext) -> Iterator[Report]:
        if not ctx.autograph or not ctx.is_tensor(node.test):
            return
        function = ctx.walker.function.node
        if not isinstance(function, cst.FunctionDef):
            return
        reported: set[str] = set()
        for branch in _branches(node):
            for name, target, update in _rebound_to_update(branch):
                if name in reported:
                    continue
                use = _variable_use_after(function, node, name)
                where = "after the `if`"
                if use is None:
                    use, where = _variable_use_in_loop(ctx, name), "in the loop's next iteration"
                if use is None:
                    continue
                reported.add(name)
                yield Report(
                    target,
                    f"`{name}` is rebound to the result of `{_source(update)}` in a branch of a tensor `if`: "
                    f"AutoGraph turns the `if` into `tf.cond`, whose outputs are tensors, so `{name}` is then a "
                    f"tensor, not the variable, and `{_source(use)}` {where} raises AttributeError while "
                    f"tracing; call `{_source(update)}` as a statement, without rebinding `{name}`",
                )


def _update_call(node: cst.CSTNode) -> cst.Call | None:
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in _VARIABLE_UPDATES
    ):
        return node
    return None


def _receiver_root(call: cst.Call) -> str | None:
    """``v`` for ``v.assign(...)`` and ``v[0].assign(...)``."""
    receiver = call.func.value
    while isinstance(receiver, cst.Subscript):
        receiver = receiver.value
    return receiver.value if isinstance(receiver, cst.Name) else None


def _rebound_to_update(branch: cst.BaseSuite) -> Iterator[tuple[str, cst.Name, cst.Call]]:
    """``name = <...>.assign(...)`` statements directly in a branch."""
    for statement in branch.body if isinstance(branch, cst.IndentedBlock) else ():
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, update = small.targets[0].target, _update_call(small.value)
                if isinstance(target, cst.Name) and update is not None:
                    yield target.value, target, update


def _updates_of(node: cst.CSTNode, name: str) -> Iterator[cst.Call]:
    for call in find_all(node, cst.Call, skip=flow.NESTED_SCOPES):
        if _update_call(call) is not None and _receiver_root(call) == name:
            yield call


def _variable_use_after(function: cst.FunctionDef, node: cst.If, name: str) -> cst.Call | None:
    """An update of ``name`` (as a variable) after the ``if``, before ``name`` is bound again."""
    for block, index in flow.locate(function, node) or ():
        for statement in block[index + 1 :]:
            found = next(_updates_of(statement, name), None)
            if found is not None:
                return found
            if name in flow.assigned_names(statement):
                return None
    return None


def _variable_use_in_loop(ctx: CheckContext, name: str) -> cst.Call | None:
    """In a Python loop around the ``if``, an update of ``name`` that the next iteration runs again."""
    for loop in reversed(ctx.walker.loops):
        if tensor_loop(loop, ctx):
            return None  # a graph loop: a different failure, not observed here
        found = next(_updates_of(loop.body, name), None)
        if found is not None:
            return found
    return None


def _source(node: cst.CSTNode) -> str:
    text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    return text if len(text) <= 40 else text[:39] + "…"
