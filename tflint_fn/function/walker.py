"""Walk one traced function in statement order, tracking tensor-ness.

The walker evaluates every expression bottom-up once per pass, records its
``Taint``, and tells a listener about each node after its children are
known. Two listeners use it: the project pass (which only wants the calls a
function makes, to find what else is traced) and the checks.

It also keeps what checks ask about the surroundings of a node: the enclosing
``if`` tests (create-once guards), whether a branch only runs eagerly
(``if tf.executing_eagerly():``), and which names the function binds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tflint_fn.function.branches import (
    always_leaves,
    dead_branch,
    eager_only_branch,
    lifts_out_of_graph,
    narrowed_to_python,
)
from tflint_fn.function.tensors import (
    A_TENSOR,
    HOLDS_TENSORS,
    MAYBE,
    MAYBE_TENSOR,
    NONE,
    PYTHON,
    PYTHON_ATTRIBUTES,
    SHAPE,
    SHAPE_ATTRIBUTES,
    SHAPE_METHODS,
    STATIC_DIM,
    TENSOR,
    TENSOR_ARRAY,
    TENSOR_ARRAY_READS,
    TENSOR_ATTRIBUTES,
    TENSOR_CONTAINER,
    TENSOR_METHODS,
    Taint,
    meet_all,
    taint_of_api_call,
)
from tflint_fn.model.names import BUILTIN_NAMES
from tflint_fn.model.resolver import External, ProjectName, Resolver, Target
from tflint_fn.model.scopes import scan_bindings, target_names
from tflint_fn.model.summary import FunctionInfo, ModuleInfo


@dataclass(eq=False)
class CallSite:
    node: cst.CSTNode
    target: FunctionInfo
    args: list[Taint]
    kwargs: dict[str, Taint]
    passed_as_callback: bool = False


# Higher-order TensorFlow functions whose function arguments run in the graph.
# Functions handed to these run eagerly, on every call of the graph.
EAGER_CALLBACK_APIS = frozenset({"tensorflow.py_function", "tensorflow.numpy_function", "tensorflow.py_func"})
_GRAPH_CALLBACK_APIS = frozenset(
    {
        "tensorflow.map_fn", "tensorflow.vectorized_map", "tensorflow.while_loop",
        "tensorflow.cond", "tensorflow.case", "tensorflow.switch_case",
        "tensorflow.scan", "tensorflow.foldl", "tensorflow.foldr",
        "tensorflow.nest.map_structure", "tensorflow.recompute_grad",
        "tensorflow.custom_gradient", "tensorflow.distribute.Strategy.run",
    }
)
# Methods that store their argument in a list, dict or set.
_STORING_METHODS = frozenset({"append", "insert", "extend", "add", "update", "setdefault", "appendleft"})
# Builtins whose result is a plain Python value whatever the argument.
_PYTHON_RESULT_BUILTINS = BUILTIN_NAMES - {"abs", "max", "min", "round", "pow", "divmod"}

_LITERALS = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis})

Listener = Callable[[cst.CSTNode, "FunctionWalker"], None]


class FunctionWalker:
    def __init__(
        self,
        function: FunctionInfo,
        resolver: "Resolver",
        params: dict[str, Taint],
        unknown_dims: dict[str, frozenset[int]] | None = None,
        listener: Listener | None = None,
        return_of: Callable[[FunctionInfo], Taint] | None = None,
    ) -> None:
        self.function = function
        self.module: ModuleInfo = function.module
        self.resolver = resolver
        self.listener = listener
        self.return_of = return_of
        self.env: dict[str, Taint] = dict(params)
        self._rest_runs_eagerly = False  # set by an `if` whose graph branch always leaves the block
        self.unknown_dims: dict[str, frozenset[int]] = dict(unknown_dims or {})
        self.taints: dict[int, Taint] = {}
        self.calls: list[CallSite] = []
        self.returns: list[Taint] = []
        self.guards: list[tuple[cst.BaseExpression, bool]] = []  # (test, in body?)
        self.loops: list[cst.CSTNode] = []
        self.local_names, self.global_names, self.nonlocal_names = scan_bindings(function)
        # Names bound by the lambdas and comprehensions the walk is inside.
        self.inner_scope_names: frozenset[str] = frozenset()

    # --- public queries for checks -----------------------------------------

    def taint(self, node: cst.CSTNode) -> Taint:
        return self.taints.get(id(node), PYTHON)

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of an external name or attribute chain."""
        target = self.resolve(node)
        return target.qualified if isinstance(target, External) else None

    def is_outer_name(self, name: str) -> bool:
        """True for a name that lives outside this function (global or closure).

        A lambda's parameter or a comprehension's target, where the walker
        stands inside one, is local to it.
        """
        if name in self.inner_scope_names:
            return False
        if name in self.global_names or name in self.nonlocal_names:
            return True
        return name not in self.local_names

    def resolve(self, node: cst.BaseExpression) -> Target | None:
        return self.resolver.resolve(node, self.module, self.function, self.local_names)

    # --- driving -------------------------------------------------------------

    def run(self) -> None:
        node = self.function.node
        if isinstance(node, cst.Lambda):
            self.returns.append(self.expr(node.body))
            return
        self._suite(node.body)

    @property
    def return_taint(self) -> Taint:
        """Tensor-ish only when every ``return`` gives a tensor-ish value."""
        return meet_all(self.returns)

    def _fire(self, node: cst.CSTNode) -> None:
        if self.listener is not None:
            self.listener(node, self)

    # --- statements ----------------------------------------------------------

    def _suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            for statement in suite.body:
                self._statement(statement)
                if self._rest_runs_eagerly:
                    # `if tf.inside_function(): return ...`: what follows in this block runs only eagerly
                    self._rest_runs_eagerly = False
                    break
        else:
            for small in suite.body:
                self._small(small)

    def _statement(self, node: cst.BaseStatement) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._small(small)
        elif isinstance(node, cst.If):
            self._if(node)
        elif isinstance(node, cst.For):
            self._for(node)
        elif isinstance(node, cst.While):
            self.expr(node.test)
            self._fire(node)
            self._loop_body(node, node.body)
            if node.orelse is not None:
                self._suite(node.orelse.body)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._fire(node)
            self._suite(node.body)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self.env[handler.name.name.value] = PYTHON
                self._suite(handler.body)
            if node.orelse is not None:
                self._suite(node.orelse.body)
            if node.finalbody is not None:
                self._suite(node.finalbody.body)
        elif isinstance(node, cst.With):
            for item in node.items:
                value = self.expr(item.item)
                if item.asname is not None:
                    self._bind(item.asname.name, value, item.item)
            self._fire(node)
            if not any(lifts_out_of_graph(item.item) for item in node.items):
                self._suite(node.body)
        elif isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                self.expr(decorator.decorator)
            self.env[node.name.value] = PYTHON
            self._fire(node)
        elif isinstance(node, cst.ClassDef):
            self.env[node.name.value] = PYTHON
            self._fire(node)
        elif isinstance(node, cst.Match):
            self.expr(node.subject)
            self._fire(node)
            for case in node.cases:
                self._suite(case.body)

    def _if(self, node: cst.If) -> None:
        self.expr(node.test)
        self._fire(node)
        skipped = eager_only_branch(node.test, self) or dead_branch(node.test, self)
        python_in_body, python_in_orelse = narrowed_to_python(node.test)
        before = dict(self.env)
        if skipped != "body":
            self.guards.append((node.test, True))
            for name in python_in_body:
                self.env[name] = PYTHON
            self._suite(node.body)
            self.guards.pop()
        after_body = self.env
        self.env = dict(before)
        for name in python_in_orelse:
            self.env[name] = PYTHON
        if node.orelse is not None and skipped != "orelse":
            self.guards.append((node.test, False))
            if isinstance(node.orelse, cst.If):
                self._if(node.orelse)
                self._rest_runs_eagerly = False  # an `elif`: the earlier branches may fall through in graph
            else:
                self._suite(node.orelse.body)
            self.guards.pop()
        if skipped == "orelse" and always_leaves(node.body):
            self._rest_runs_eagerly = True  # traced code always leaves in the body
            return
        if skipped == "body" or always_leaves(node.body):
            return  # only the else-path continues after the if
        if node.orelse is not None and not isinstance(node.orelse, cst.If) and always_leaves(node.orelse.body):
            self.env = after_body
            return
        self.env = _merge(after_body, self.env)

    def _for(self, node: cst.For) -> None:
        iter_taint = self.expr(node.iter)
        self._bind(node.target, _element_taint(node.iter, iter_taint, self), node.iter)
        self._fire(node)
        self._loop_body(node, node.body)
        if node.orelse is not None:
            self._suite(node.orelse.body)

    def _loop_body(self, loop: cst.CSTNode, body: cst.BaseSuite) -> None:
        """Walk a loop body until the taints stop growing (at most 3 times)."""
        self.loops.append(loop)
        for _ in range(3):
            before = dict(self.env)
            self._suite(body)
            self.env = _merge(before, self.env)
            if self.env == before:
                break
        self.loops.pop()

    def _small(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Expr):
            self.expr(node.value)
        elif isinstance(node, cst.Assign):
            value = self.expr(node.value)
            for target in node.targets:
                self._target_subexpressions(target.target)
            self._fire(node)
            for target in node.targets:
                self._bind(target.target, value, node.value)
                if isinstance(target.target, cst.Subscript) and value.level == TENSOR:
                    self._now_holds_tensors(target.target.value)  # `window[i] = x[i]`
        elif isinstance(node, cst.AugAssign):
            value = self.expr(node.value)
            current = self.expr(node.target)
            self._fire(node)
            if isinstance(node.target, cst.Name):
                self.env[node.target.value] = current.join(value)
                self.unknown_dims.pop(node.target.value, None)
        elif isinstance(node, cst.AnnAssign):
            self.expr(node.annotation.annotation)
            if node.value is not None:
                value = self.expr(node.value)
                self._target_subexpressions(node.target)
                self._fire(node)
                self._bind(node.target, value, node.value)
        elif isinstance(node, cst.Return):
            self.returns.append(self.expr(node.value) if node.value is not None else PYTHON)
            self._fire(node)
        elif isinstance(node, cst.Assert):
            self.expr(node.test)
            if node.msg is not None:
                self.expr(node.msg)
            self._fire(node)
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.expr(node.exc)
            self._fire(node)
        elif isinstance(node, cst.Del):
            self._target_subexpressions(node.target)
            self._fire(node)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self._fire(node)
        else:  # Global, Nonlocal, Pass, Break, Continue
            self._fire(node)

    def _target_subexpressions(self, target: cst.BaseExpression) -> None:
        """Evaluate the parts of an assignment target that are read (``d[k]``)."""
        target_type = type(target)
        if target_type in (cst.Tuple, cst.List):
            for element in target.elements:
                self._target_subexpressions(element.value)
        elif target_type is cst.StarredElement:
            self._target_subexpressions(target.value)
        elif target_type is cst.Attribute:
            self.expr(target.value)
        elif target_type is cst.Subscript:
            self.expr(target.value)
            for element in target.slice:
                self._slice(element.slice)

    def _bind(self, target: cst.BaseExpression, value: Taint, value_node: cst.BaseExpression | None) -> None:
        target_type = type(target)
        if target_type is cst.Name:
            self.env[target.value] = value
            self._track_dims(target.value, value_node)
        elif target_type in (cst.Tuple, cst.List):
            elements = [e.value for e in target.elements]
            source_elements = None
            if type(value_node) in (cst.Tuple, cst.List) and len(value_node.elements) == len(elements):
                source_elements = [e.value for e in value_node.elements]
            for index, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self._bind(element.value, PYTHON, None)
                elif source_elements is not None:
                    self._bind(element, self.taint(source_elements[index]), source_elements[index])
                elif value.kind == SHAPE and value.origin is not None:
                    # batch, width = x.shape
                    self._bind(element, Taint(NONE, STATIC_DIM, (value.origin[0], index)), None)
                elif value.kind == TENSOR_CONTAINER and value.items is not None and len(value.items) == len(elements):
                    self._bind(element, value.items[index], None)  # outputs, state = step(x)
                else:
                    element_taint = Taint(MAYBE) if value.level >= MAYBE else PYTHON
                    self._bind(element, element_taint, None)
                    if isinstance(element, cst.Name) and isinstance(value_node, cst.Name):
                        dims = self.unknown_dims.get(value_node.value)
                        if dims is not None:
                            self.unknown_dims[element.value] = dims

    def _now_holds_tensors(self, holder: cst.BaseExpression) -> None:
        """A local Python container that a tensor was just stored into."""
        if not isinstance(holder, cst.Name) or self.is_outer_name(holder.value):
            return
        current = self.env.get(holder.value, PYTHON)
        if current.level == NONE and current.kind in (None, TENSOR_CONTAINER):
            self.env[holder.value] = HOLDS_TENSORS

    def _track_dims(self, name: str, value_node: cst.BaseExpression | None) -> None:
        """Keep which leading dimensions are unknown through ``x = data[0]``."""
        source = value_node
        if type(source) is cst.Subscript:
            source = source.value if _is_integer_index(source) else None
        if type(source) is cst.Name and source.value in self.unknown_dims:
            self.unknown_dims[name] = self.unknown_dims[source.value]
        else:
            self.unknown_dims.pop(name, None)

    # --- expressions ---------------------------------------------------------

    def expr(self, node: cst.BaseExpression) -> Taint:
        taint = self._expr(node)
        self.taints[id(node)] = taint
        self._fire(node)
        return taint

    def _expr(self, node: cst.BaseExpression) -> Taint:
        node_type = type(node)
        if node_type in _LITERALS:
            return PYTHON  # what the chain below ends in
        # Exact types: LibCST's classes are ABCs, and each isinstance miss runs
        # ABCMeta.__instancecheck__ (none of these classes has a subclass).
        if node_type is cst.Name:
            return self.env.get(node.value, PYTHON)
        if node_type is cst.Attribute:
            return self._attribute(node)
        if node_type is cst.Call:
            return self._call(node)
        if node_type is cst.Subscript:
            return self._subscript(node)
        if node_type is cst.BinaryOperation:
            left = self.expr(node.left)
            right = self.expr(node.right)
            if isinstance(node.operator, cst.Modulo) and isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString)):
                return PYTHON
            return _arith(left, right)
        if node_type is cst.UnaryOperation:
            operand = self.expr(node.expression)
            return Taint(operand.level)
        if node_type is cst.BooleanOperation:
            # `a or b` is one of its operands: either path.
            return self.expr(node.left).join(self.expr(node.right))
        if node_type is cst.Comparison:
            taints = [self.expr(node.left)]
            taints += [self.expr(c.comparator) for c in node.comparisons]
            if any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)) for c in node.comparisons):
                return PYTHON
            return Taint(max(t.level for t in taints))
        if node_type is cst.IfExp:
            self.expr(node.test)
            return self.expr(node.body).join(self.expr(node.orelse))
        if node_type in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            self._comprehension(node)
            return PYTHON
        if node_type is cst.Lambda:
            self._lambda(node)
            return PYTHON
        if node_type in (cst.List, cst.Tuple, cst.Set):
            elements = [self.expr(element.value) for element in node.elements]
            container = _container_of(elements)
            if container.kind == TENSOR_CONTAINER and isinstance(node, cst.Tuple):
                if not any(isinstance(element, cst.StarredElement) for element in node.elements):
                    return Taint(NONE, TENSOR_CONTAINER, None, tuple(elements))  # a tuple is never grown
            return container
        if node_type is cst.Dict:
            values = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    self.expr(element.key)
                values.append(self.expr(element.value))
            return _container_of(values)
        if node_type is cst.NamedExpr:
            value = self.expr(node.value)
            self._bind(node.target, value, node.value)
            return value
        if node_type is cst.StarredElement:
            return self.expr(node.value)
        if node_type in (cst.Await, cst.Yield):
            inner = getattr(node, "expression", None) or getattr(node, "value", None)
            if isinstance(inner, cst.From):
                inner = inner.item
            if isinstance(inner, cst.BaseExpression):
                self.expr(inner)
            return PYTHON
        if node_type is cst.FormattedString:
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self.expr(part.expression)
            return PYTHON
        return PYTHON  # literals, ellipsis, strings

    def _attribute(self, node: cst.Attribute) -> Taint:
        base = self.expr(node.value)
        attr = node.attr.value
        if base.kind == SHAPE:
            return PYTHON if attr in ("rank", "ndims", "dims") else base
        if base.level == NONE:
            return PYTHON
        if attr in SHAPE_ATTRIBUTES:
            return Taint(NONE, SHAPE, _origin(node.value))
        if attr in PYTHON_ATTRIBUTES:
            return PYTHON
        if attr in TENSOR_ATTRIBUTES:
            return A_TENSOR if base.level == TENSOR else MAYBE_TENSOR
        return PYTHON  # an attribute of an unknown object: unknown

    def _subscript(self, node: cst.Subscript) -> Taint:
        base = self.expr(node.value)
        for element in node.slice:
            self._slice(element.slice)
        if base.kind == SHAPE:
            index = _integer_index(node)
            if index is not None and base.origin is not None:
                return Taint(NONE, STATIC_DIM, (base.origin[0], index))
            if index is not None:
                return Taint(NONE, STATIC_DIM)
            # A slice: `shape[:2]` keeps the dimensions' numbers, `shape[1:3]` does not.
            return base if _slice_starts_at_zero(node) else Taint(NONE, SHAPE)
        if base.level == TENSOR:
            return A_TENSOR
        if base.level == MAYBE or base.kind == TENSOR_CONTAINER:
            return MAYBE_TENSOR  # an element of a container of tensors may be one of them
        return PYTHON

    def _slice(self, node: cst.BaseSlice) -> None:
        if isinstance(node, cst.Index):
            self.expr(node.value)
        elif isinstance(node, cst.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.expr(part)

    def _call(self, node: cst.Call) -> Taint:
        func = node.func
        receiver: Taint | None = None
        if isinstance(func, cst.Attribute):
            receiver = self.expr(func.value)
            self.taints[id(func)] = PYTHON
        else:
            self.expr(func)
        target = self.resolve(func)
        runs_eagerly = isinstance(target, External) and target.qualified in EAGER_CALLBACK_APIS
        args: list[Taint] = []
        kwargs: dict[str, Taint] = {}
        for arg in node.args:
            if runs_eagerly and isinstance(arg.value, cst.Lambda):
                value = PYTHON  # its body runs eagerly, outside the graph: not traced code
            else:
                value = self.expr(arg.value)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            elif arg.star == "":
                args.append(value)
        if isinstance(target, External):
            self._record_callbacks(node, target.qualified)
            if target.qualified == "len" and self._unknown_length(node):
                # AutoGraph makes it `tf.shape(x)[0]`: a tensor, and `range()` of it a graph loop.
                return A_TENSOR
            return self._external_result(target.qualified, args)
        if target is not None:
            callee = self.resolver.function_of(target, self.function)
            for override in self.resolver.overrides(target):
                self.calls.append(CallSite(node, override, args, kwargs))
            if callee is not None:
                self.calls.append(CallSite(node, callee, args, kwargs))
                return self.return_of(callee) if self.return_of is not None else PYTHON
            if isinstance(target, ProjectName) and self.resolver.project.is_class(target.qualified):
                # Constructing a project object runs its `__init__` here, while tracing.
                project = self.resolver.project
                init = project.method(project.class_(target.qualified).key, "__init__")
                if init is not None:
                    self.calls.append(CallSite(node, init, args, kwargs))
                return PYTHON
        arguments = args + list(kwargs.values())
        if receiver is not None:
            if func.attr.value in _STORING_METHODS and any(
                a.level == TENSOR or a.kind == TENSOR_CONTAINER for a in args
            ):
                self._now_holds_tensors(func.value)  # `window.append(x)`
            return self._method_result(func.attr.value, receiver, arguments, _origin(func.value))
        return MAYBE_TENSOR if any(a.level >= MAYBE for a in arguments) else PYTHON

    def _unknown_length(self, node: cst.Call) -> bool:
        """``len(x)`` of a tensor whose first dimension is unknown while tracing (``TensorSpec([None, ...])``)."""
        if len(node.args) != 1 or not isinstance(node.args[0].value, cst.Name):
            return False
        name = node.args[0].value.value
        return self.taint(node.args[0].value).level == TENSOR and 0 in self.unknown_dims.get(name, ())

    def _external_result(self, qualified: str, args: list[Taint]) -> Taint:
        if "." not in qualified:  # a builtin
            if qualified == "abs" and args:
                return args[0]
            if qualified in ("max", "min", "round", "pow", "divmod"):
                return Taint(min(max((a.level for a in args), default=NONE), MAYBE))
            if qualified in _PYTHON_RESULT_BUILTINS:
                return PYTHON
        return taint_of_api_call(qualified)

    def _method_result(
        self, method: str, receiver: Taint, args: list[Taint], origin: tuple[str, int] | None = None
    ) -> Taint:
        if receiver.kind == TENSOR_ARRAY:
            if method in TENSOR_ARRAY_READS or method == "size":
                return A_TENSOR
            return Taint(NONE, TENSOR_ARRAY) if method in ("write", "unstack", "scatter", "split") else PYTHON
        if receiver.kind == SHAPE:
            return receiver if method in ("as_list", "merge_with", "with_rank") else PYTHON
        if receiver.level == NONE:
            # Unknown receiver: a callable attribute of self (a Keras sub-layer)
            # applied to tensors gives tensors.
            return MAYBE_TENSOR if any(a.level >= MAYBE for a in args) else PYTHON
        if method in TENSOR_METHODS:
            return A_TENSOR
        if method in SHAPE_METHODS:
            return Taint(NONE, SHAPE, origin)
        return PYTHON  # numpy(), to_numpy(), an unknown object's method: unknown

    def _record_callbacks(self, node: cst.Call, qualified: str) -> None:
        """Functions handed to ``tf.map_fn``, ``tf.cond``... run in the graph too."""
        if qualified not in _GRAPH_CALLBACK_APIS:
            return
        for arg in node.args:
            if isinstance(arg.value, cst.Lambda):
                continue  # walked in place
            target = self.resolve(arg.value)
            callee = None if target is None else self.resolver.function_of(target, self.function)
            if callee is not None:
                self.calls.append(CallSite(arg.value, callee, [], {}, passed_as_callback=True))

    def _comprehension(self, node) -> None:
        saved = dict(self.env)
        saved_scope = self.inner_scope_names
        comp = node.for_in
        while comp is not None:
            bound: set[str] = set()
            target_names(comp.target, bound)
            self.inner_scope_names = self.inner_scope_names | bound
            iter_taint = self.expr(comp.iter)
            self._bind(comp.target, _element_taint(comp.iter, iter_taint, self), comp.iter)
            for condition in comp.ifs:
                self.expr(condition.test)
            self._fire(comp)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.expr(node.key)
            self.expr(node.value)
        else:
            self.expr(node.elt)
        self.env = saved
        self.inner_scope_names = saved_scope

    def _lambda(self, node: cst.Lambda) -> None:
        saved = dict(self.env)
        saved_scope = self.inner_scope_names
        params = [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(star)
        for param in params:
            self.env[param.name.value] = PYTHON
        self.inner_scope_names = self.inner_scope_names | {param.name.value for param in params}
        self.expr(node.body)
        self.env = saved
        self.inner_scope_names = saved_scope


def _origin(node: cst.BaseExpression) -> tuple[str, int] | None:
    return (node.value, -1) if isinstance(node, cst.Name) else None


def _integer_index(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    negative = False
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        negative, value = True, value.expression
    if isinstance(value, cst.Integer):
        number = int(value.value, 0)
        return -number if negative else number
    return None


def _slice_starts_at_zero(node: cst.Subscript) -> bool:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return False
    lower = node.slice[0].slice.lower
    return lower is None or (isinstance(lower, cst.Integer) and int(lower.value, 0) == 0)


def _is_integer_index(node: cst.Subscript) -> bool:
    return _integer_index(node) is not None


def _container_of(elements: list[Taint]) -> Taint:
    """A list/tuple/set/dict display: a container of tensors when an element certainly is one."""
    return HOLDS_TENSORS if any(e.level == TENSOR or e.kind == TENSOR_CONTAINER for e in elements) else PYTHON


def _arith(left: Taint, right: Taint) -> Taint:
    return Taint(max(left.level, right.level))


def _merge(a: dict[str, Taint], b: dict[str, Taint]) -> dict[str, Taint]:
    merged = dict(a)
    for name, taint in b.items():
        merged[name] = merged[name].join(taint) if name in merged else taint
    return merged


def _element_taint(iter_node: cst.BaseExpression, iter_taint: Taint, walker: FunctionWalker) -> Taint:
    """Taint of the loop variable of ``for x in iter_node``."""
    if isinstance(iter_node, cst.Call):
        qualified = walker.qualified(iter_node.func)
        if qualified == "range":
            return PYTHON
        if qualified == "tensorflow.range":
            return A_TENSOR
        if qualified in ("enumerate", "zip"):
            return PYTHON  # tuples: unpacked elements are bound as MAYBE below
    if iter_taint.level == TENSOR:
        return A_TENSOR
    if iter_taint.level == MAYBE:
        return MAYBE_TENSOR
    return PYTHON


