"""TFF4xx: signatures that make a tf.function trace again, or fail to apply.

A ``tf.function`` keeps one graph per input signature. Tensors are keyed by
dtype and shape, Python values by value: a Python number that changes every
call, or an array whose shape changes, traces the function again on every
call. A fresh ``tf.function`` object has no graphs at all. Most of these
findings are reported where the function is called or created, usually in the
eager training loop, not inside traced code.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tflint_fn.checks.base import ProjectCheck, SiteReport
from tflint_fn.checks.side_effects import MUTATING_METHODS
from tflint_fn.function import flow
from tflint_fn.model.names import dotted_name
from tflint_fn.model.resolver import External, ProjectName
from tflint_fn.model.scopes import target_names
from tflint_fn.model.summary import KERAS_INFERENCE_METHODS, FunctionInfo, is_python_container
from tflint_fn.project.callsites import (
    LoopCall,
    LoopCalls,
    python_scalar_of,
    unconditional_assignments,
)
from tflint_fn.project.traces import Project, Trace
from tflint_fn.sources.cstwalk import find_all

# Constructors whose shape argument (position, keyword) decides the result's shape.
_SHAPED_CONSTRUCTORS = {
    "numpy.zeros": (0, "shape"),
    "numpy.ones": (0, "shape"),
    "numpy.empty": (0, "shape"),
    "numpy.full": (0, "shape"),
    "numpy.arange": (0, "stop"),
    "numpy.random.rand": (0, None),
    "numpy.random.randn": (0, None),
    "numpy.random.random": (0, "size"),
    "numpy.random.normal": (2, "size"),
    "numpy.random.uniform": (2, "size"),
    "tensorflow.zeros": (0, "shape"),
    "tensorflow.ones": (0, "shape"),
    "tensorflow.fill": (0, "dims"),
    "tensorflow.range": (0, "limit"),
    "tensorflow.random.uniform": (0, "shape"),
    "tensorflow.random.normal": (0, "shape"),
}


def _qualified(resolve, node: cst.BaseExpression) -> str | None:
    target = resolve(node)
    return target.qualified if isinstance(target, External) else None


def bound_arguments(callee: FunctionInfo, call: cst.Call) -> Iterator[tuple[str, cst.BaseExpression]]:
    """``(parameter name, argument)`` for each argument of ``call`` that binds to ``callee``."""
    params = callee.bound_params() if callee.is_method else callee.params()
    positional = [p for p in params if not p.keyword_only and not p.star]
    names = {p.name for p in params}
    star_arg = callee.node.params.star_arg if isinstance(callee.node, cst.FunctionDef) else None
    var_positional = star_arg.name.value if isinstance(star_arg, cst.Param) else None
    index = 0
    for arg in call.args:
        if arg.star:
            return  # *args/**kwargs at the call: the rest cannot be bound
        if arg.keyword is not None:
            if arg.keyword.value in names:
                yield arg.keyword.value, arg.value
            continue
        if index < len(positional):
            yield positional[index].name, arg.value
        elif var_positional is not None:
            yield var_positional, arg.value
        index += 1


class VaryingPythonArgument(ProjectCheck):
    code = "TFF401"

    def check_project(self, project: Project, loop_calls: LoopCalls) -> Iterator[SiteReport]:
        yield from _new_literals_in_sequences(loop_calls)
        for site, iterable in loop_calls.mapped:
            if site.tf_function.options.input_signature is not None or not _python_values(iterable, project, site):
                continue
            yield SiteReport(
                site.module,
                iterable,
                f"`map` calls the tf.function `{_source(site.call.args[0].value)}` with each of the Python values "
                f"of `{_source(iterable)}`: tf.function keys its graphs by Python values, so every call traces it "
                f"again; map over tensors (`tf.range(...)`, `tf.data`), or declare an `input_signature`",
                site.tf_function.trace,
                site.scope,
            )
        for site, parameter, value, resolve in _tf_function_arguments(project, loop_calls, shapes=False):
            made = _new_object(project, site, loop_calls, value)
            if made is not None:
                yield SiteReport(
                    site.module,
                    value,
                    f"`{_source(site.call.func)}` is a tf.function and `{_source(value)}` is a new `{made}` object "
                    f"on every iteration of this loop: tf.function keys a Python object by its identity, so "
                    f"every call traces it again (a new Keras layer or optimizer also makes new variables, "
                    f"which fails on the second trace); create the object once, before the loop",
                    site.tf_function.trace,
                    site.scope,
                    parameter,
                )
                continue
            if not _varying_value(value, site.varying, resolve, site.constants):
                continue
            shown = _source(value)
            yield SiteReport(
                site.module,
                value,
                f"`{_source(site.call.func)}` is a tf.function and `{shown}` is a Python value that changes on "
                f"every iteration of this loop: tf.function keys its graphs by Python values, so every call "
                f"traces it again; pass a tensor (`tf.constant({shown})`), or declare an `input_signature`",
                site.tf_function.trace,
                site.scope,
                parameter,
            )


# Keras namespaces whose classes make objects that tf.function keys by identity.
_KERAS_OBJECT_NAMESPACES = ("keras.layers.", "keras.optimizers.", "keras.losses.", "keras.metrics.", "keras.models.")


def _new_object(project: Project, site: LoopCall, loop_calls: LoopCalls, value: cst.BaseExpression) -> str | None:
    """The class of a Python object made anew in the loop and passed as ``value``:
    ``f(Scale(2.0), x)``, or ``layer = Scale(2.0); f(layer, x)`` in the loop body."""
    if isinstance(value, cst.Name):
        value = loop_calls.assignments_in(site.loop).get(value.value)
    if not isinstance(value, cst.Call):
        return None
    target = project.resolver.resolve(value.func, site.module, site.scope)
    if isinstance(target, ProjectName) and project.is_class(target.qualified):
        return target.qualified.rsplit(".", 1)[-1]
    if isinstance(target, External):
        qualified = target.qualified
        last = qualified.rsplit(".", 1)[-1]
        if last[:1].isupper() and (qualified.startswith(_KERAS_OBJECT_NAMESPACES) or qualified in ("keras.Sequential", "keras.Model")):
            return last
    return None


def _python_values(iterable: cst.BaseExpression, project: Project, site: LoopCall) -> bool:
    """``range(...)`` or a display of three or more different number or string literals."""
    if isinstance(iterable, cst.Call):
        return _qualified(lambda node: project.resolver.resolve(node, site.module, site.scope), iterable.func) == "range"
    if isinstance(iterable, (cst.List, cst.Tuple)):
        values = {_source(e.value) for e in iterable.elements if isinstance(e, cst.Element) and _literal(e.value)}
        return len(values) >= 3 and len(values) == len(iterable.elements)
    return False


def _literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    return isinstance(node, (cst.Integer, cst.Float, cst.SimpleString))


def _new_literals_in_sequences(loop_calls: LoopCalls) -> Iterator[SiteReport]:
    """Straight-line calls of one tf.function with Python literals (``f(x, 1)``,
    ``f(x, 2)``, ``f(x, 3)``): each new combination is a new trace. Reported when
    the calls of one block make three traces or more (``f(x, True)`` and
    ``f(x, False)``, the usual train/eval pair, stay quiet); the first call of
    each new combination after the first is reported, at its first new literal."""
    for group in loop_calls.sequences:
        ref = group[0].tf_function
        if ref is None or ref.options.input_signature is not None:
            continue
        literals = [
            {name: value for name, value in bound_arguments(ref.function, site.call) if _literal(value)}
            for site in group
        ]
        common = [name for name in literals[0] if all(name in found for found in literals)]
        keys = [tuple(_source(found[name]) for name in common) for found in literals]
        if not common or len(set(keys)) < 3:
            continue
        seen: list[tuple[str, ...]] = []
        for site, found, key in zip(group, literals, keys):
            if key in seen:
                continue
            if seen:
                fresh = [i for i, text in enumerate(key) if all(old[i] != text for old in seen)]
                # No value new by itself (`f(x, True, True)` after `(True, False)`, `(False, True)`):
                # the first that differs from the call before.
                index = fresh[0] if fresh else next(i for i, text in enumerate(key) if text != seen[-1][i])
                value = found[common[index]]
                shown = _source(value)
                yield SiteReport(
                    site.module,
                    value,
                    f"`{_source(site.call.func)}` is a tf.function called here with the Python value `{shown}` "
                    f"and with other values by the calls around it ({len(set(keys))} combinations): tf.function "
                    f"keys its graphs by Python values, so each new one traces it again; pass a tensor "
                    f"(`tf.constant({shown})`), or declare an `input_signature`",
                    ref.trace,
                    site.scope,
                    common[index],
                )
            seen.append(key)


def _tf_function_arguments(project: Project, loop_calls: LoopCalls, shapes: bool):
    """``(site, parameter, argument, resolve)`` for calls of tf.functions in loops.

    Skips the tf.functions that convert or relax what a rule is about: an
    ``input_signature`` turns Python values into tensors and fixes shapes;
    ``reduce_retracing`` relaxes shapes (``shapes=True``), not Python values.
    """
    for site in loop_calls.calls:
        ref = site.tf_function
        if ref is None or ref.options.input_signature is not None:
            continue
        if shapes and ref.options.reduce_retracing:
            continue

        def resolve(node, site=site):
            return project.resolver.resolve(node, site.module, site.scope)

        for parameter, value in bound_arguments(ref.function, site.call):
            yield site, parameter, value, resolve


def _source(node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _varying_value(value: cst.BaseExpression, varying: set[str], resolve, constants=frozenset()) -> bool:
    if isinstance(value, (cst.List, cst.Tuple)):
        return any(_varying_value(element.value, varying, resolve, constants) for element in value.elements)
    return python_scalar_of(value, varying, resolve, constants)


class VaryingInputShape(ProjectCheck):
    code = "TFF405"

    def check_project(self, project: Project, loop_calls: LoopCalls) -> Iterator[SiteReport]:
        for site, parameter, value, resolve in _tf_function_arguments(project, loop_calls, shapes=True):
            if not (_varying_shape(value, site.varying, resolve) or _element_of_varying_shapes(value, site, loop_calls, resolve)):
                continue
            yield SiteReport(
                site.module,
                value,
                f"`{_source(site.call.func)}` is a tf.function and the shape of `{_source(value)}` changes on "
                "every iteration of this loop: every new shape traces the function again; declare "
                "`input_signature=[tf.TensorSpec(shape=[None, ...], dtype=...)]` or "
                "`@tf.function(reduce_retracing=True)`, or pad to a fixed shape",
                site.tf_function.trace,
                site.scope,
                parameter,
            )


def _mentions(node: cst.CSTNode | None, names: set[str]) -> bool:
    if node is None:
        return False
    return any(name.value in names for name in find_all(node, cst.Name, skip=flow.NESTED_SCOPES))


def _varying_shape(value: cst.BaseExpression, varying: set[str], resolve) -> bool:
    if isinstance(value, cst.Subscript):
        for element in value.slice:
            part = element.slice
            if isinstance(part, cst.Slice) and part.step is None:
                # x[:i] and x[i:] change length; x[i:i + n] keeps it.
                if _mentions(part.lower, varying) != _mentions(part.upper, varying):
                    return True
        return False
    if isinstance(value, cst.Call):
        spec = _SHAPED_CONSTRUCTORS.get(_qualified(resolve, value.func) or "")
        if spec is None:
            return False
        index, keyword = spec
        positional = [arg for arg in value.args if arg.keyword is None and not arg.star]
        shape = positional[index].value if index < len(positional) else None
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                shape = arg.value
        return _mentions(shape, varying)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        sides = (value.left, value.right)
        return any(isinstance(s, (cst.List, cst.Tuple)) for s in sides) and any(_mentions(s, varying) for s in sides)
    return False


# Calls that make an array or tensor of their argument's shape.
_CONVERSIONS = frozenset(
    {"tensorflow.constant", "tensorflow.convert_to_tensor", "numpy.array", "numpy.asarray", "numpy.asarray_chkfinite"}
)


def _element_of_varying_shapes(value: cst.BaseExpression, site: LoopCall, loop_calls: LoopCalls, resolve) -> bool:
    """``for seq in sequences: f(seq)`` (or ``f(tf.constant(seq))``) where ``sequences`` holds
    arrays of different shapes: ``[np.arange(n) for n in lengths]``, ``[np.zeros(3), np.zeros(5)]``."""
    if isinstance(value, cst.Call) and value.args and _qualified(resolve, value.func) in _CONVERSIONS:
        value = value.args[0].value
    if not isinstance(value, cst.Name):
        return False
    for loop in site.loops:
        if not isinstance(loop, cst.For):
            continue
        iterable, target = loop.iter, loop.target
        if isinstance(iterable, cst.Call) and _qualified(resolve, iterable.func) == "enumerate" and iterable.args:
            iterable = iterable.args[0].value
            target = target.elements[1].value if isinstance(target, cst.Tuple) and len(target.elements) == 2 else None
        names: set[str] = set()
        if target is not None:
            target_names(target, names)
        if value.value not in names:
            continue
        if not (isinstance(target, cst.Name) and target.value == value.value):
            # `for x, y in ds`: only a padded dataset's components are known to vary.
            if isinstance(iterable, cst.Name):
                iterable = loop_calls.single_value(site, iterable.value)
            return iterable is not None and _padded_to_each_batch(iterable)
        if isinstance(iterable, cst.Name):
            iterable = loop_calls.single_value(site, iterable.value)
        return iterable is not None and (_shapes_differ(iterable, resolve) or _padded_to_each_batch(iterable))
    return False


# Dataset methods that keep the element's shape.
_SHAPE_KEEPING = frozenset({"prefetch", "shuffle", "repeat", "take", "skip", "cache", "with_options", "enumerate"})


def _padded_to_each_batch(dataset: cst.BaseExpression) -> bool:
    """``ds.padded_batch(n)`` without ``padded_shapes`` (each batch padded to its longest
    element), ``bucket_by_sequence_length(...)``, or ``Dataset.from_generator`` with a
    ``None`` dimension in its signature, then only shape-keeping steps."""
    node = dataset
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        if method == "from_generator":
            shapes = [arg.value for arg in node.args if arg.keyword is not None
                      and arg.keyword.value in ("output_signature", "output_shapes")]
            shapes += [arg.value for arg in node.args[2:3] if arg.keyword is None]  # output_shapes, positionally
            return any(
                isinstance(name, cst.Name) and name.value == "None"
                for shape in shapes for name in find_all(shape, cst.Name)
            )
        if method == "padded_batch":
            positional = [arg for arg in node.args if arg.keyword is None]
            return len(positional) < 2 and all(
                arg.keyword is None or arg.keyword.value != "padded_shapes" for arg in node.args
            )
        if method == "bucket_by_sequence_length":
            return True
        if method not in _SHAPE_KEEPING:
            return False
        node = node.func.value
    return False


def _shapes_differ(iterable: cst.BaseExpression, resolve) -> bool:
    if isinstance(iterable, (cst.ListComp, cst.GeneratorExp)):
        # The element's shape follows the comprehension's own loop variable.
        names: set[str] = set()
        clause = iterable.for_in
        while clause is not None:
            target_names(clause.target, names)
            clause = clause.inner_for_in
        return _varying_shape(iterable.elt, names, resolve)
    if isinstance(iterable, (cst.List, cst.Tuple)) and len(iterable.elements) >= 2:
        shapes = set()
        for element in iterable.elements:
            call = element.value
            if not isinstance(call, cst.Call) or not call.args or _qualified(resolve, call.func) not in _SHAPED_CONSTRUCTORS:
                return False
            shapes.add(_source(call.args[0].value))  # `tf.ones([2])` and `tf.zeros([2])`: one shape
        return len(shapes) >= 2
    return False


class TfFunctionCreatedPerCall(ProjectCheck):
    code = "TFF402"

    def check_project(self, project: Project, loop_calls: LoopCalls) -> Iterator[SiteReport]:
        creators: dict[int, list] = {}
        for site in loop_calls.calls:
            creation = _created_and_called_in(project, site, loop_calls)
            if creation is not None:
                node, traced = creation
                yield SiteReport(
                    site.module,
                    node,
                    "`tf.function` is applied inside this loop and the new function is called in it: a new "
                    "tf.function has no graphs yet, so it traces again on every iteration; create it once, "
                    "before the loop",
                    traced,
                    site.scope,
                )
            rebuilt = _model_rebuilt_for(project, site, loop_calls)
            if rebuilt is not None:
                model, method = rebuilt
                yield SiteReport(
                    site.module,
                    site.call,
                    f"`{model}` is a new Keras model on every iteration of this loop, and `{model}.{method}` "
                    f"builds and traces a new tf.function for each new model (TensorFlow warns of retracing); "
                    f"build or load the model once, before the loop, and reuse it (or, for a small batch, "
                    f"call `{model}(x, training=False)`, which does not trace)",
                    None,
                    site.scope,
                )
            callee = site.callee
            if callee is None or site.tf_function is not None or id(callee) in project.traces:
                continue
            if id(callee) not in creators:
                creators[id(callee)] = list(_creations_called_in_body(project, callee))
            for node, traced in creators[id(callee)]:
                yield SiteReport(
                    callee.module,
                    node,
                    f"`{callee.name}` applies `tf.function` and calls the result, and `{callee.name}` itself is "
                    "called in a loop: every call builds a new tf.function, which traces again; create the "
                    "tf.function once (at module level, in `__init__`, or outside the loop) and reuse it",
                    traced,
                    callee,
                )
                creators[id(callee)] = []  # once per function


_KERAS_MODEL_MAKERS = frozenset({"Sequential", "Model", "load_model", "clone_model", "model_from_json"})
_KERAS_TRAINING = frozenset({"fit", "train_on_batch", "fit_generator"})


def _model_rebuilt_for(project: Project, site: LoopCall, loop_calls: LoopCalls) -> tuple[str, str] | None:
    """``model = build(); model.predict(x)`` in one loop body: ``(model, method)``.

    A loop that also trains the model (``fit``) is quiet: a fresh model per fold
    is what cross-validation wants, and its tracing is small beside training.
    """
    func = site.call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in KERAS_INFERENCE_METHODS):
        return None
    if not isinstance(func.value, cst.Name):
        return None
    name = func.value.value
    value = loop_calls.assignments_in(site.loop).get(name)
    if value is None or _builds_keras_model(project, site.module, site.scope, value) != "built":
        return None
    if _trains(site.loop.body):
        return None
    return name, func.attr.value


def _trains(body: cst.CSTNode) -> bool:
    """Whether ``body`` calls ``fit`` (or another Keras training method) on anything."""
    return any(
        isinstance(call.func, cst.Attribute) and call.func.attr.value in _KERAS_TRAINING
        for call in find_all(body, cst.Call, skip=flow.NESTED_SCOPES)
    )


def _builds_keras_model(project: Project, module, scope, value: cst.BaseExpression, depth: int = 0) -> str | None:
    """``"built"`` when ``value`` makes a new Keras model (a Keras constructor or loader, a
    project Keras class, or a project function that returns one of those), ``"trained"``
    when a function on the way also trains it, else None."""
    if not isinstance(value, cst.Call) or depth > 3:
        return None
    target = project.resolver.resolve(value.func, module, scope)
    if isinstance(target, External):
        qualified = target.qualified
        made = qualified.startswith("keras.") and qualified.rsplit(".", 1)[-1] in _KERAS_MODEL_MAKERS
        return "built" if made else None
    if target is None:
        return None
    if isinstance(target, ProjectName) and project.is_class(target.qualified):
        return "built" if project.is_keras_class(project.class_(target.qualified).key) else None
    function = project.resolver.function_of(target, scope)
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return None
    assigned = unconditional_assignments(function.node.body)
    returns = [r.value for r in find_all(function.node.body, cst.Return, skip=flow.NESTED_SCOPES) if r.value is not None]
    kinds = set()
    for returned in returns:
        if isinstance(returned, cst.Name):
            returned = assigned.get(returned.value)
        kinds.add(_builds_keras_model(project, function.module, function, returned, depth + 1) if returned else None)
    if not returns or None in kinds:
        return None
    return "trained" if "trained" in kinds or _trains(function.node.body) else "built"


def _tf_function_call(project: Project, module, scope, node: cst.BaseExpression):
    """``(node, trace or None)`` when ``node`` is a ``tf.function(...)`` call."""
    if not isinstance(node, cst.Call) or not project.is_tf_function_like(module, node.func):
        return None
    wrapped = project.tf_function_wrapping(module, scope, node)
    trace = project.traces.get(id(wrapped[0])) if wrapped is not None else None
    return node, trace.root if trace is not None else None


def _created_and_called_in(project, site: LoopCall, loop_calls: LoopCalls):
    """``tf.function(f)(x)`` in a loop, or ``g = tf.function(f)`` then ``g(x)`` in the same loop body."""
    func = site.call.func
    immediate = _tf_function_call(project, site.module, site.scope, func)
    if immediate is not None or not isinstance(func, cst.Name):
        return immediate
    value = loop_calls.assignments_in(site.loop).get(func.value)
    return _tf_function_call(project, site.module, site.scope, value) if value is not None else None


def _creations_called_in_body(project: Project, function: FunctionInfo):
    """tf.functions ``function`` creates and calls itself (a new one on each of its calls)."""
    module = function.module
    own = [candidate for candidate in module.root_candidates if candidate.scope is function]
    created = [
        candidate.call
        for candidate in module.parsed_root_candidates(own)
        if candidate.scope is function and project.is_tf_function_like(module, candidate.call.func)
    ] if own else []
    nested = [inner for inner in function.nested.values() if project.tf_function_decorations(inner)]
    if not (created or nested) or not isinstance(function.node, cst.FunctionDef):
        return
    calls = find_all(function.node.body, cst.Call, skip=flow.NESTED_SCOPES)
    called_names = {call.func.value for call in calls if isinstance(call.func, cst.Name)}
    for call in calls:
        if any(call.func is creation for creation in created):  # tf.function(f)(x)
            yield _tf_function_call(project, module, function, call.func)
            return
    for name, value in unconditional_assignments(function.node.body).items():
        if name in called_names and any(value is creation for creation in created):
            yield _tf_function_call(project, module, function, value)
            return
    for inner in nested:
        if inner.name in called_names:
            trace = project.traces.get(id(inner))
            yield inner.node.decorators[0], trace.root if trace is not None else None
            return


class InputSignatureMismatch(ProjectCheck):
    code = "TFF403"

    def check_project(self, project: Project, loop_calls: LoopCalls) -> Iterator[SiteReport]:
        for trace in _tf_function_roots(project, loop_calls):
            options = trace.options
            if options.input_signature is None or options.signature_node is None:
                continue
            problem = _signature_problem(trace.function, len(options.input_signature))
            if problem is not None:
                yield SiteReport(trace.function.module, options.signature_node, problem, trace, trace.function)


def _signature_problem(function: FunctionInfo, specs: int) -> str | None:
    params = function.bound_params()
    positional = [p for p in params if not p.keyword_only and not p.star]
    has_var_positional = isinstance(function.node, cst.FunctionDef) and isinstance(function.node.params.star_arg, cst.Param)
    name = function.name
    if specs > len(positional) and not has_var_positional:
        return (
            f"`input_signature` has {specs} specs but `{name}` takes {len(positional)} positional "
            f"parameter{'s' if len(positional) != 1 else ''}: tf.function raises TypeError (extra type "
            "constraints) when it is applied; give one spec per parameter"
        )
    missing = [p.name for p in positional[specs:] if not p.has_default]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        return (
            f"`input_signature` has {specs} spec{'s' if specs != 1 else ''} but `{name}` also needs {listed}: "
            "tf.function raises TypeError (missing type constraint) when it is applied; add a spec for each "
            "parameter without a default"
        )
    keyword_only = [p.name for p in params if p.keyword_only and not p.star and not p.has_default]
    if keyword_only:
        return (
            f"keyword-only parameter `{keyword_only[0]}` has no default, which tf.function does not allow with an "
            "`input_signature` (TypeError when it is applied); give it a default"
        )
    return None


class MutatedDefaultArgument(ProjectCheck):
    code = "TFF404"

    def check_project(self, project: Project, loop_calls: LoopCalls) -> Iterator[SiteReport]:
        for trace in _tf_function_roots(project, loop_calls):
            function = trace.function
            if not isinstance(function.node, cst.FunctionDef):
                continue
            for param in _all_params(function.node.params):
                default = param.default
                if param.name.value in trace.container_arguments and _mutates(function.node.body, param.name.value):
                    yield SiteReport(
                        function.module,
                        param.name,
                        f"`{function.name}` modifies its argument `{param.name.value}`, and a call passes it a "
                        "Python container: tf.function refuses functions that modify their Python arguments and "
                        "raises ValueError on that call; modify a copy (`list(...)`), or return the new values",
                        trace,
                        function,
                        param.name.value,
                    )
                    continue
                if default is None or not is_python_container(default, function.module.imports):
                    continue
                if _mutates(function.node.body, param.name.value):
                    yield SiteReport(
                        function.module,
                        default,
                        f"`{function.name}` modifies its default `{param.name.value}`: tf.function refuses "
                        "functions that modify their Python arguments and raises ValueError on the first call "
                        f"(and the change would happen only while tracing); default to `None` and build a new "
                        "container inside, or return the values",
                        trace,
                        function,
                        param.name.value,
                    )


def _all_params(parameters: cst.Parameters):
    yield from parameters.posonly_params
    yield from parameters.params
    yield from parameters.kwonly_params


def _mutates(body: cst.CSTNode, name: str) -> bool:
    """Whether ``body`` modifies the object ``name`` holds on entry (rebinding it first,
    ``items = list(items)``, makes it the function's own copy)."""
    rebound = any(
        isinstance(target.target, cst.Name) and target.target.value == name
        for assign in find_all(body, cst.Assign, skip=flow.NESTED_SCOPES)
        for target in assign.targets
    )
    if rebound:
        return False
    for node in find_all(body, (cst.Call, cst.Assign, cst.AugAssign, cst.Del), skip=flow.NESTED_SCOPES):
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and dotted_name(func.value) == name and func.attr.value in MUTATING_METHODS:
                return True
        elif isinstance(node, cst.Assign):
            if any(_subscript_of(t.target, name) for t in node.targets):
                return True
        elif isinstance(node, cst.AugAssign):
            if _subscript_of(node.target, name) or dotted_name(node.target) == name:
                return True
        elif _subscript_of(node.target, name):
            return True
    return False


def _subscript_of(target: cst.BaseExpression, name: str) -> bool:
    return isinstance(target, cst.Subscript) and dotted_name(target.value) == name


def _tf_function_roots(project: Project, loop_calls: LoopCalls) -> Iterator[Trace]:
    """The tf.functions defined in the modules of this part of the project."""
    modules = {id(module) for module in loop_calls.modules}
    for trace in project.traces.values():
        if trace.parent is None and trace.kind == "tf.function" and trace.options is not None \
                and id(trace.function.module) in modules:
            yield trace
