"""TFF2xx: native Python and NumPy operations applied to symbolic tensors."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tflint_fn.checks.base import Check, CheckContext, Report
from tflint_fn.function.tensors import SHAPE, STATIC_DIM, TENSOR_CONTAINER
from tflint_fn.model.names import dotted_name


class NumpyMethodInGraph(Check):
    code = "TFF201"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "numpy" or node.args:
            return
        receiver = func.value
        if isinstance(receiver, (cst.BaseNumber, cst.BaseString, cst.List, cst.Tuple, cst.Dict)):
            return
        if _torch_chain(receiver):
            return  # `videos.detach().cpu().numpy()`: a PyTorch tensor, behind a type check
        yield Report(
            node,
            "`.numpy()` fails in traced code: `AttributeError: 'SymbolicTensor' object has no "
            "attribute 'numpy'`; use the tensor directly with `tf` ops, or `tf.py_function` "
            "for code that needs NumPy",
        )


# Methods of PyTorch tensors that TensorFlow tensors do not have (checked with TensorFlow 2.21).
_TORCH_ONLY_METHODS = frozenset({"detach", "contiguous", "permute", "clone", "float", "double", "half", "long"})


def _torch_chain(receiver: cst.BaseExpression) -> bool:
    """Whether a method call chain (``x.detach().cpu()``) calls a method only PyTorch tensors have."""
    while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
        if receiver.func.attr.value in _TORCH_ONLY_METHODS:
            return True
        receiver = receiver.func.value
    return False


def _last_operand(test: cst.BaseExpression) -> cst.BaseExpression:
    """The operand of an ``and``/``or`` chain whose value an ``if`` tests last: ``t > 0.5`` in
    ``if teacher is not None and t > 0.5:`` (the others are tested by the operation itself)."""
    while isinstance(test, cst.BooleanOperation):
        test = test.right
    return test


class PythonConversionOfTensor(Check):
    code = "TFF202"
    node_types = (cst.Call, cst.If, cst.While, cst.IfExp, cst.BooleanOperation)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if isinstance(node, cst.Call):
            yield from self._conversion(node, ctx)
        elif not ctx.autograph:
            # `a and b` / `a or b` test only `a`; `b` is the value, which an `if`/`while` then tests too.
            tests = [node.left] if isinstance(node, cst.BooleanOperation) else [_last_operand(node.test)]
            for test in tests:
                if ctx.is_tensor(test):
                    yield Report(
                        test,
                        f"a tensor used as a Python `bool` {_autograph_off(ctx)} raises "
                        "`OperatorNotAllowedInGraphError`; use `tf.cond`/`tf.where`/`tf.while_loop` "
                        "(or `keras.ops.cond`)",
                    )

    def _conversion(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified not in ("bool", "float", "int", "len") or len(node.args) != 1:
            return
        argument = node.args[0].value
        if qualified == "bool":
            if ctx.is_tensorish(argument):
                yield Report(
                    node,
                    "`bool()` of a symbolic tensor raises `OperatorNotAllowedInGraphError` (AutoGraph "
                    "does not convert `bool()`); compare with `tf` ops, or use the tensor in an `if`",
                )
            return
        if ctx.autograph:
            return  # AutoGraph converts float(), int() and len() of tensors
        # A maybe-tensor may be a Python value (a dict key, a list): only a
        # certain tensor makes float()/int()/len() fail.
        if ctx.is_tensor(argument):
            replacement = {"float": "tf.cast(x, tf.float32)", "int": "tf.cast(x, tf.int32)", "len": "tf.shape(x)[0]"}
            yield Report(
                node,
                f"`{qualified}()` of a symbolic tensor raises `TypeError` {_autograph_off(ctx)}; "
                f"use `{replacement[qualified]}`",
            )


def _autograph_off(ctx: CheckContext) -> str:
    """Why AutoGraph does not convert this function, for messages."""
    trace = ctx.trace
    if trace.kind == "keras" and trace.parent is None:
        return "in a Keras 3 method (Keras 3 does not apply AutoGraph)"
    if trace.options is not None and not trace.options.autograph:
        return "with `autograph=False`"
    return "where AutoGraph is off"


class NumpyOnTensor(Check):
    code = "TFF203"
    node_types = (cst.Call,)

    _DTYPE_HELPERS = frozenset({"numpy.dtype", "numpy.iinfo", "numpy.finfo", "numpy.issubdtype"})

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified is None or not qualified.startswith("numpy.") or qualified in self._DTYPE_HELPERS:
            return
        if qualified.startswith("numpy.random."):
            return  # TFF104
        if not any(_holds_tensor(arg.value, ctx) for arg in node.args):
            return
        short = "np." + qualified[len("numpy.") :]
        container = next(
            (arg.value for arg in node.args if isinstance(arg.value, cst.Name) and ctx.taint(arg.value).kind == TENSOR_CONTAINER),
            None,
        )
        what = f"a Python container of symbolic tensors (`{container.value}`)" if container is not None else "a symbolic tensor"
        instead = "stack them with `tf.stack` or `tf.concat`, or " if container is not None else ""
        yield Report(
            node,
            f"`{short}` on {what} raises `NotImplementedError: Cannot convert a symbolic "
            f"tf.Tensor to a numpy array`; {instead}use the `tf` equivalent (`tf.math`, `tf.experimental.numpy`)",
        )


def _holds_tensor(node: cst.BaseExpression, ctx: CheckContext) -> bool:
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(ctx.is_tensorish(element.value) for element in node.elements)
    return ctx.is_tensorish(node) or ctx.taint(node).kind == TENSOR_CONTAINER  # `np.array(window)`


class MathOnTensor(Check):
    code = "TFF204"
    node_types = (cst.Call,)

    def check(self, node: cst.Call, ctx: CheckContext) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified is None or not qualified.startswith("math."):
            return
        if not any(ctx.is_tensorish(arg.value) for arg in node.args):
            return
        yield Report(
            node,
            f"`{qualified}` on a symbolic tensor raises `TypeError: must be real number, not "
            "SymbolicTensor`; use the `tf.math` equivalent",
        )


class PythonAssertOnTensor(Check):
    code = "TFF205"
    node_types = (cst.Assert,)

    def check(self, node: cst.Assert, ctx: CheckContext) -> Iterator[Report]:
        if "ASSERT_STATEMENTS" in ctx.trace.features or not _tensor_truth(node.test, ctx):
            return  # with Feature.ASSERT_STATEMENTS, AutoGraph makes it a `tf.Assert`
        yield Report(
            node,
            "`assert` on a tensor raises `OperatorNotAllowedInGraphError` while tracing (AutoGraph "
            "does not convert `assert` by default); use `tf.debugging.assert_*` (e.g. "
            "`tf.debugging.assert_greater`)",
        )


def _tensor_truth(test: cst.BaseExpression, ctx: CheckContext) -> bool:
    """Whether Python would need the truth value of a tensor to evaluate ``test``.

    A maybe-tensor may be a tuple, list or dict of tensors, whose truth is
    plain Python; a comparison with one is a tensor; ``not x``, ``x and y``
    are as much tensors as their operands.
    """
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _tensor_truth(test.expression, ctx)
    if isinstance(test, cst.BooleanOperation):
        return _tensor_truth(test.left, ctx) or _tensor_truth(test.right, ctx)
    if isinstance(test, cst.Comparison):
        return ctx.is_tensorish(test)
    return ctx.is_tensor(test)


# TensorFlow calls whose arguments are shapes or sizes.
_SHAPE_CONSUMERS = frozenset(
    {
        "tensorflow.zeros", "tensorflow.ones", "tensorflow.fill", "tensorflow.reshape",
        "tensorflow.broadcast_to", "tensorflow.range", "tensorflow.eye", "tensorflow.tile",
        "tensorflow.random.normal", "tensorflow.random.uniform", "tensorflow.random.truncated_normal",
        "tensorflow.one_hot", "tensorflow.sequence_mask", "tensorflow.TensorArray",
    }
)


class UnknownStaticDimension(Check):
    code = "TFF206"
    node_types = (cst.Call, cst.BinaryOperation, cst.AugAssign)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if isinstance(node, (cst.BinaryOperation, cst.AugAssign)):
            operands = (node.left, node.right) if isinstance(node, cst.BinaryOperation) else (node.value,)
            for operand in operands:
                if self._unknown(operand, ctx):
                    yield self._report(operand, "arithmetic")
            return
        qualified = ctx.qualified(node.func)
        if qualified == "range" or qualified in _SHAPE_CONSUMERS:
            for arg in node.args:
                if qualified != "range" and self._partial_shape(arg.value, ctx):
                    yield self._whole_shape_report(arg.value, _short(qualified))
                    continue
                values = [e.value for e in arg.value.elements] if isinstance(arg.value, (cst.List, cst.Tuple)) else [arg.value]
                for value in values:
                    if self._unknown(value, ctx):
                        yield self._report(value, f"`{_short(qualified)}`")

    @staticmethod
    def _partial_shape(node: cst.BaseExpression, ctx: CheckContext) -> bool:
        """``x.shape`` (or ``x.get_shape()``) itself, of a tensor with a dimension known to
        be unknown while tracing: a partially known TensorShape (not a slice of it)."""
        if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "get_shape":
            holder = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value == "shape":
            holder = node.value
        else:
            return False
        taint = ctx.taint(node)
        return isinstance(holder, cst.Name) and taint.kind == SHAPE \
            and bool(ctx.walker.unknown_dims.get(holder.value))

    @staticmethod
    def _whole_shape_report(node: cst.BaseExpression, use: str) -> Report:
        text = dotted_name(node)
        if text is None and isinstance(node, cst.Call):
            text = f"{dotted_name(node.func) or 'x.get_shape'}()"
        return Report(
            node,
            f"`{text}` holds `None` for a dimension that is unknown while tracing (the batch or signature "
            f"dimension): `{use}` of it raises `ValueError: Cannot convert a partially known TensorShape`; "
            "use `tf.shape(...)` instead",
        )

    @staticmethod
    def _unknown(node: cst.BaseExpression, ctx: CheckContext) -> bool:
        taint = ctx.taint(node)
        if taint.kind != STATIC_DIM or taint.origin is None:
            return False
        name, index = taint.origin
        return index in ctx.walker.unknown_dims.get(name, ())

    @staticmethod
    def _report(node: cst.BaseExpression, use: str) -> Report:
        text = dotted_name(node) or "this static dimension"
        return Report(
            node,
            f"static dimension used in {use} is `None` here (the batch or signature dimension "
            f"is unknown while tracing), which raises `TypeError`; use `tf.shape(...)[i]` instead"
            if text == "this static dimension"
            else f"`{text}` is a static dimension that is `None` while tracing, and {use} on it "
            "raises `TypeError`; use `tf.shape(...)[i]` instead",
        )


def _short(qualified: str) -> str:
    return "tf." + qualified[len("tensorflow.") :] if qualified.startswith("tensorflow.") else qualified


_ITERATING_BUILTINS = frozenset({"list", "tuple", "set", "sum", "zip", "enumerate", "map", "filter", "any", "all", "iter", "dict", "frozenset"})


class PythonIterationOverTensor(Check):
    code = "TFF207"
    node_types = (cst.CompFor, cst.Call, cst.Assign, cst.For)

    def check(self, node, ctx: CheckContext) -> Iterator[Report]:
        if isinstance(node, cst.CompFor):
            if ctx.is_tensor(node.iter):
                yield self._report(node.iter, "a comprehension", ctx)
        elif isinstance(node, cst.Call):
            qualified = ctx.qualified(node.func)
            positional = [a.value for a in node.args if a.keyword is None]
            if qualified in ("max", "min") and len(positional) != 1:
                return
            if qualified in _ITERATING_BUILTINS or qualified in ("max", "min"):
                for value in positional:
                    if ctx.is_tensor(value):
                        yield self._report(value, f"`{qualified}()`", ctx)
        elif isinstance(node, cst.Assign):
            if ctx.is_tensor(node.value) and any(
                isinstance(t.target, (cst.Tuple, cst.List)) for t in node.targets
            ):
                yield self._report(node.value, "tuple unpacking", ctx)
        elif not ctx.autograph and ctx.is_tensor(node.iter):
            yield self._report(node.iter, f"a `for` loop {_autograph_off(ctx)}", ctx)
            return
        else:
            return

    @staticmethod
    def _report(node, how: str, ctx: CheckContext) -> Report:
        instead = "a `for` loop (AutoGraph converts it), " if ctx.autograph else ""
        return Report(
            node,
            f"iterating a symbolic tensor with {how} raises `OperatorNotAllowedInGraphError`; "
            f"use {instead}`tf.map_fn`, `tf.unstack`, or vectorized ops",
        )
