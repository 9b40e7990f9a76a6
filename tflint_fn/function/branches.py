"""What an ``if`` test says about its branches.

Which branch runs only eagerly (``tf.executing_eagerly()``), which is dead
(``if JAX_MODE:`` on a module constant set to False), which names a test
proves plainly Python (``isinstance(x, (list, tuple))``, ``tf.is_tensor(x)``),
and whether a block always leaves (``return``/``raise``).
"""

from __future__ import annotations

import libcst as cst

from tflint_fn.function.tensors import TENSOR
from tflint_fn.model.names import dotted_name
from tflint_fn.model.resolver import External

_PYTHON_TYPES = frozenset({"list", "tuple", "dict", "int", "float", "bool", "str", "set", "numbers.Number"})
_TENSOR_TESTS = frozenset({"is_tensor", "is_symbolic_tensor"})


def narrowed_to_python(test: cst.BaseExpression) -> tuple[list[str], list[str]]:
    """Names an ``if`` test proves plainly Python in its body, and in its else-path.

    ``isinstance(x, (list, tuple))`` -> x in the body; ``tf.is_tensor(x)`` /
    ``isinstance(x, tf.Tensor)`` -> x in the else-path (and ``not`` swaps them).
    """
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        body, orelse = narrowed_to_python(test.expression)
        return orelse, body
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        left, right = narrowed_to_python(test.left)[0], narrowed_to_python(test.right)[0]
        return [name for name in left if name in right], []
    if not isinstance(test, cst.Call) or not test.args or not isinstance(test.args[0].value, cst.Name):
        return [], []
    subject = test.args[0].value.value
    function = dotted_name(test.func) or ""
    if function.rsplit(".", 1)[-1] in _TENSOR_TESTS and len(test.args) == 1:
        return [], [subject]
    if function != "isinstance" or len(test.args) != 2:
        return [], []
    types = test.args[1].value
    names = [dotted_name(e.value) or "" for e in types.elements] if isinstance(types, cst.Tuple) else [dotted_name(types) or ""]
    if names and all(name in _PYTHON_TYPES for name in names):
        return [subject], []
    if names and all(name.rsplit(".", 1)[-1] in ("Tensor", "Variable") for name in names):
        return [], [subject]
    return [], []


def always_leaves(suite: cst.BaseSuite) -> bool:
    """Whether a block ends in ``return``/``raise``/``continue``/``break``."""
    statements = suite.body
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    if isinstance(suite, cst.SimpleStatementSuite):
        return isinstance(last, (cst.Return, cst.Raise, cst.Continue, cst.Break))
    return False


def dead_branch(test: cst.BaseExpression, walker) -> str | None:
    """The branch of an ``if`` that cannot run, if any.

    ``if FLAG:`` where FLAG is a module constant set to False once; and
    ``if x is None:`` where ``x`` is certainly a tensor, never None.
    """
    negated = False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        negated, test = True, test.expression
    if isinstance(test, cst.Name) and test.value in walker.module.false_constants:
        return "orelse" if negated else "body"
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
        and walker.taint(test.left).level == TENSOR
    ):
        is_not = isinstance(test.comparisons[0].operator, cst.IsNot)
        if isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot)):
            return "orelse" if is_not != negated else "body"
    return None


def lifts_out_of_graph(context: cst.BaseExpression) -> bool:
    """``with tf.init_scope():`` runs its body eagerly, outside the graph."""
    return isinstance(context, cst.Call) and (dotted_name(context.func) or "").endswith("init_scope")


def eager_only_branch(test: cst.BaseExpression, walker) -> str | None:
    """'body' or 'orelse' when that branch of ``if test`` runs only eagerly.

    ``tf.executing_eagerly()`` (also as one operand of ``and``), and
    ``isinstance(x, np.ndarray)``: traced code sees tensors, never arrays.
    """
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        if "body" in (eager_only_branch(test.left, walker), eager_only_branch(test.right, walker)):
            return "body"
        return None
    if (
        isinstance(test, cst.Call)
        and dotted_name(test.func) == "isinstance"
        and len(test.args) == 2
        and walker.qualified(test.args[1].value) == "numpy.ndarray"
    ):
        return "body"
    negated = False
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        negated = not negated
        test = test.expression
    if not isinstance(test, cst.Call):
        return None
    name = dotted_name(test.func) or ""
    last = name.rsplit(".", 1)[-1]
    if last == "executing_eagerly":
        return "orelse" if negated else "body"
    if last == "inside_function":
        return "body" if negated else "orelse"
    target = walker.resolve(test.func)
    callee = walker.resolver.function_of(target, walker.function) if target is not None else None
    if callee is not None and returns_while_tracing(callee, walker.resolver) is True:
        return "body" if negated else "orelse"  # `if self._use_tf_workflow():`, a project `inside_function`
    return None


def returns_while_tracing(function, resolver, depth: int = 0) -> bool | None:
    """What a project function returns when called in traced code, where its body says so at once:
    ``if in_tf_function(): return True``, ``return not tf.executing_eagerly()`` (keras-hub's
    ``_use_tf_workflow``); ``None`` when that depends on anything else."""
    node = function.node
    if depth > 3 or not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
        return None
    for index, statement in enumerate(node.body.body):
        if index == 0 and _is_docstring(statement):
            continue
        if isinstance(statement, cst.If):
            truth = _value_while_tracing(statement.test, function, resolver, depth)
            if truth is None or (not truth and statement.orelse is not None):
                return None
            if not truth:
                continue  # `if tf is None: return False`: TensorFlow is there when tracing
            statement = statement.body.body[0] if statement.body.body else None
        returned = _returned(statement)
        return None if returned is None else _value_while_tracing(returned, function, resolver, depth)
    return None


def _is_docstring(statement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.BaseString))


def _returned(statement) -> cst.BaseExpression | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Return) and small.value is not None:
            return small.value
    return None


def _value_while_tracing(expr: cst.BaseExpression, function, resolver, depth: int) -> bool | None:
    negated = False
    while isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        negated = not negated
        expr = expr.expression
    value = None
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        value = expr.value == "True"
    elif (isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1
          and isinstance(expr.comparisons[0].operator, cst.Is)
          and isinstance(expr.comparisons[0].comparator, cst.Name) and expr.comparisons[0].comparator.value == "None"):
        target = resolver.resolve(expr.left, function.module, function)
        if isinstance(target, External) and target.qualified == "tensorflow":
            value = False  # `tf is None` (an optional import): traced code has TensorFlow
    elif isinstance(expr, cst.Call):
        target = resolver.resolve(expr.func, function.module, function)
        qualified = target.qualified if isinstance(target, External) else ""
        if qualified.startswith("tensorflow.") and qualified.endswith(".inside_function"):
            value = True
        elif qualified.startswith("tensorflow.") and qualified.endswith(".executing_eagerly"):
            value = False
        else:
            callee = resolver.function_of(target, function) if target is not None else None
            value = returns_while_tracing(callee, resolver, depth + 1) if callee is not None else None
    return None if value is None else value != negated
