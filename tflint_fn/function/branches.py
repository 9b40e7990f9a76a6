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
    return None
