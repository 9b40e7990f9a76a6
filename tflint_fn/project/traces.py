"""Which functions are traced, why, and with what tensor-ness of parameters.

A *root* is traced by itself: decorated with ``tf.function`` (or a configured
graph decorator), wrapped as ``tf.function(f)``, a Keras ``call`` /
``train_step`` / ``test_step`` / ``predict_step``, or a function passed to a
``tf.data`` transformation. Everything a traced function calls in the project
is traced too, with a ``parent`` link that gives the chain. Parameter
tensor-ness flows from call sites to callees until nothing changes.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass, field

import libcst as cst

from tflint_fn.function.tensors import (
    A_TENSOR,
    MAYBE_TENSOR,
    PYTHON,
    Taint,
    taint_of_api_call,
)
from tflint_fn.function.walker import EAGER_CALLBACK_APIS, CallSite, FunctionWalker
from tflint_fn.model.names import canonical, dotted_name
from tflint_fn.model.resolver import External, Resolver
from tflint_fn.model.summary import (
    DATASET_FUNCTION_ARGUMENT,
    ClassInfo,
    FunctionInfo,
    ModuleInfo,
)
from tflint_fn.project.keras_uses import runs_only_eagerly
from tflint_fn.sources.cstwalk import find_all

TF_FUNCTION = "tensorflow.function"
DO_NOT_CONVERT = "tensorflow.autograph.experimental.do_not_convert"
KERAS_TRACED_METHODS = ("call", "train_step", "test_step", "predict_step")
# What a Keras base's canonical name holds, by kind of class.
_KERAS_KINDS = (".layers.", ".losses.", ".metrics.")
# A Keras metric's methods that `fit` and `evaluate` trace (a `Loss` subclass's is `call`).
KERAS_METRIC_METHODS = ("update_state", "result")
# Calls that trace the function they are given, eagerly too (as a tf.function without AutoGraph).
_CALLBACK_TRACERS = frozenset({"tensorflow.vectorized_map", "keras.layers.Lambda"})
# Keyword arguments of Keras ``compile`` whose functions ``fit`` and ``evaluate`` trace.
COMPILED_FUNCTION_KEYWORDS = ("loss", "metrics", "weighted_metrics")
# Parameters that hold Python flags by convention, even without a default.
PYTHON_FLAG_PARAMS = frozenset({"training", "is_training", "return_dict", "return_state"})
_MAX_WALKS = 8
_MAX_CONTEXTS = 4
_MAX_REEXPORTS = 6
_KERAS2_PREFIXES = ("tf_keras", "tensorflow.python.keras", "tensorflow.compat.v1.keras")
_DATASET_NAME = re.compile(r"(^|_)(ds|dataset|datasets|data_set)(_|$)|dataset", re.IGNORECASE)


@dataclass
class SignatureEntry:
    is_tensor_spec: bool
    unknown_dims: frozenset[int] | None  # None when the shape is not a literal


@dataclass
class TfFunctionOptions:
    autograph: bool = True
    input_signature: list[SignatureEntry] | None = None
    reduce_retracing: bool = False
    signature_node: cst.BaseExpression | None = None  # the literal list, where one is written
    # AutoGraph features named in experimental_autograph_options that change
    # what breaks: ASSERT_STATEMENTS (`assert` -> `tf.Assert`), BUILTIN_FUNCTIONS
    # (`print` -> printed on every call); ALL means both.
    features: frozenset[str] = frozenset()


@dataclass(eq=False)
class Trace:
    function: FunctionInfo
    kind: str  # "tf.function" | "keras" | "tf.data" | "called-from"
    parent: "Trace | None"
    params: dict[str, Taint]
    unknown_dims: dict[str, frozenset[int]] = field(default_factory=dict)
    autograph: bool = True  # converted by AutoGraph on at least one path
    options: TfFunctionOptions | None = None
    features: frozenset[str] = frozenset()  # AutoGraph features on every path that reaches it
    return_taint: Taint | None = None  # None until walked
    walks: int = 0
    # Parameter taints per call site (the latest walk of the caller wins),
    # checked one by one so that one caller's tensor and another's None do not
    # meet in one walk.
    contexts: dict[int, dict[str, Taint]] = field(default_factory=dict)
    # Parameters a top-level call passes a Python list, dict or set display to (TFF404).
    container_arguments: set[str] = field(default_factory=set)

    def check_contexts(self) -> list[dict[str, Taint]]:
        distinct: list[dict[str, Taint]] = []
        for params in self.contexts.values():
            if params not in distinct:
                distinct.append(params)
        if not distinct or len(distinct) > _MAX_CONTEXTS:
            return [self.params]
        return distinct

    @property
    def root(self) -> "Trace":
        trace = self
        while trace.parent is not None:
            trace = trace.parent
        return trace

    def chain(self) -> list["Trace"]:
        """This trace, its caller, ... up to the root."""
        chain, trace = [], self
        while trace is not None:
            chain.append(trace)
            trace = trace.parent
        return chain


class Project:
    def __init__(self, modules: list[ModuleInfo], graph_decorators: frozenset[str] = frozenset()) -> None:
        self.modules = {m.name: m for m in modules}
        self._prefixes: dict[str, str | None] = {}  # qualified name -> its module's name (_module_prefix)
        self.graph_decorators = graph_decorators
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self._attribute_reads: dict[str, bool] = {}
        self._attribute_readers: dict[str, list[tuple[ModuleInfo, str | None]]] = {}
        for module in modules:
            for function in module.functions.values():
                self.functions[function.key] = function
            for class_info in module.classes.values():
                self.classes[class_info.key] = class_info
        self.resolver = Resolver(self)
        self._keras: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._dataset_names: dict[int, set[str]] = {}
        self._wrappers: dict[int, TfFunctionOptions | None] = {}
        self._eager: dict[int, bool] = {}
        self._imported: set[str] | None = None
        self._containers: dict[str, frozenset[str]] = {}
        self._subclasses: dict[str, list[ClassInfo]] | None = None
        self.no_autograph: set[int] = set()  # id(FunctionInfo) of do_not_convert functions
        self.traces: dict[int, Trace] = {}  # id(FunctionInfo) ->
        # id(ModuleInfo) -> its `ast` tree with parents, while find_roots asks keras_uses
        # about each class of a program (a test module has several).
        self.program_trees: dict[int, object] = {}

    # --- names ---------------------------------------------------------------

    def is_imported(self, module_name: str) -> bool:
        """Whether another project module imports this one (it is a library, not only a script)."""
        if self._imported is None:
            self._imported = {
                prefix
                for module in self.modules.values()
                for imported in module.imports.imported_modules
                if not imported.startswith(module.name + ".") and imported != module.name
                for prefix in _prefixes(imported)
            }
        return module_name in self._imported

    def owns(self, qualified: str) -> bool:
        return self._module_prefix(qualified) is not None

    def _module_prefix(self, qualified: str) -> str | None:
        """The longest project module name that ``qualified`` starts with (asked again and again: remembered)."""
        if qualified in self._prefixes:
            return self._prefixes[qualified]
        found = None
        parts = qualified.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.modules:
                found = candidate
                break
        self._prefixes[qualified] = found
        return found

    def _reexported(self, qualified: str) -> str | None:
        """One step through a re-export: ``pkg.Block`` -> ``pkg.layers.Block``.

        Follows ``pkg/__init__.py`` doing ``from .layers import Block``, and a
        star import of a single outside module (``from keras.ops import *``).
        """
        prefix = self._module_prefix(qualified)
        if prefix is None or prefix == qualified:
            return None
        module = self.modules[prefix]
        head, _, tail = qualified[len(prefix) + 1 :].partition(".")
        target = module.imports.aliases.get(head)
        if target is None and head not in module.module_names:
            outside = {canonical(star) for star in module.imports.star_modules if not self.owns(star)}
            target = f"{outside.pop()}.{head}" if len(outside) == 1 else None
        if target is None:
            return None
        return f"{target}.{tail}" if tail else target

    def _lookup(self, qualified: str | None, table: dict):
        for _ in range(_MAX_REEXPORTS):
            found = table.get(qualified)
            if found is not None:
                return found
            qualified = self._reexported(qualified)
            if qualified is None:
                return None
        return None

    def external_name(self, qualified: str | None) -> str | None:
        """The outside name a project name stands for, if any (canonical).

        ``from keras_cv.src.backend import keras`` where that package does
        ``import keras``: ``keras_cv.src.backend.keras.layers.Layer`` is
        ``keras.layers.Layer``.
        """
        for _ in range(_MAX_REEXPORTS):
            if self._module_prefix(qualified) is None:
                return canonical(qualified)
            qualified = self._reexported(qualified)
            if qualified is None:
                return None
        return None

    def function(self, qualified: str) -> FunctionInfo | None:
        return self._lookup(qualified, self.functions)

    def class_(self, qualified: str) -> ClassInfo | None:
        return self._lookup(qualified, self.classes)

    def is_class(self, qualified: str) -> bool:
        return self.class_(qualified) is not None

    def base_keys(self, class_info: ClassInfo) -> list[str]:
        """Bases as project class keys or canonical external names."""
        module = class_info.module
        result = []
        for written in class_info.base_names():
            head = written.split(".", 1)[0]
            if head in module.imports.aliases:
                qualified = module.imports.resolve_dotted(written) or written
            elif f"{module.name}.{written}" in self.classes:
                qualified = f"{module.name}.{written}"
            else:
                qualified = written
            project_class = self.class_(qualified)
            if project_class is not None:
                result.append(project_class.key)
            else:
                result.append(self.external_name(qualified) or qualified)
        return result

    def attribute_may_be_read(self, attribute: str) -> bool:
        """Whether any module's text reads ``.attribute`` (anything but a plain ``.x =``
        store), or names it in a string (``getattr(obj, "x")``)."""
        found = self._attribute_reads.get(attribute)
        if found is None:
            name = re.escape(attribute)
            load = re.compile(rf"\.{name}\b(?!\s*=[^=])|['\"]{name}['\"]")
            found = self._attribute_reads[attribute] = any(load.search(m.source) for m in self.modules.values())
        return found

    def attribute_readers(self, attribute: str) -> list[tuple[ModuleInfo, str | None]]:
        """Where the project reads ``.attribute``: ``(module, qualified name of the enclosing
        function)`` for each load (None at module level); ``getattr(obj, "attribute")`` and
        the like count as a read at an unknown place (``(module, None)``)."""
        found = self._attribute_readers.get(attribute)
        if found is None:
            found = self._attribute_readers[attribute] = []
            # What the walk below can find: `.attribute` (spaces and line breaks allowed
            # after the dot) or a string holding just the name. Most modules that
            # merely contain the word are not parsed again.
            name = re.escape(attribute)
            mention = re.compile(rf"\.[\s\\]*{name}\b|['\"]{name}['\"]")
            for module in self.modules.values():
                if attribute not in module.source or not mention.search(module.source):
                    continue
                try:
                    tree = ast.parse(module.source)
                except SyntaxError:
                    found.append((module, None))
                    continue
                _collect_attribute_loads(tree, attribute, module, [], found)
        return found

    def subclasses(self, class_key: str) -> list[ClassInfo]:
        """Project classes that derive, directly or not, from ``class_key``."""
        if self._subclasses is None:
            self._subclasses = {}
            for class_info in self.classes.values():
                for base in self.base_keys(class_info):
                    self._subclasses.setdefault(base, []).append(class_info)
        found, pending, seen = [], [class_key], {class_key}
        while pending:
            for child in self._subclasses.get(pending.pop(), []):
                if child.key not in seen:
                    seen.add(child.key)
                    found.append(child)
                    pending.append(child.key)
        return found

    def method(self, class_key: str, name: str, skip_own: bool = False) -> FunctionInfo | None:
        seen: set[str] = set()
        pending = [class_key]
        first = True
        while pending:
            key = pending.pop(0)
            if key in seen:
                continue
            seen.add(key)
            class_info = self.classes.get(key)
            if class_info is None:
                continue
            if not (first and skip_own) and name in class_info.methods:
                method = class_info.methods[name]
                return None if method.is_property else method
            first = False
            pending.extend(self.base_keys(class_info))
        return None

    def container_attributes(self, class_key: str) -> frozenset[str]:
        """``self.X`` attributes assigned a list/dict/set in the class or its project bases."""
        cached = self._containers.get(class_key)
        if cached is not None:
            return cached
        self._containers[class_key] = frozenset()  # cycle guard
        names: set[str] = set()
        class_info = self.classes.get(class_key)
        if class_info is not None:
            names |= class_info.container_attributes  # from the summary: the class is not parsed for it
            for base in self.base_keys(class_info):
                if base in self.classes:
                    names |= self.container_attributes(base)
        result = frozenset(names)
        self._containers[class_key] = result
        return result

    def keras_autograph(self, class_key: str, depth: int = 0) -> bool:
        """Whether Keras converts this class's ``call``/``train_step`` with AutoGraph.

        Keras 2 (``tf_keras``) does; Keras 3 (``keras``, and ``tf.keras`` from
        TensorFlow 2.16 on) does not, even under ``model.fit`` (checked with
        TensorFlow 2.21 / Keras 3.15), so a tensor ``if`` there raises.
        """
        class_info = self.classes.get(class_key)
        if class_info is None or depth > 20:
            return False
        module = class_info.module
        for written in class_info.base_names():
            head, _, rest = written.partition(".")
            target = module.imports.aliases.get(head)
            qualified = f"{target}.{rest}" if target and rest else (target or f"{module.name}.{written}")
            # Any step through re-exports spelled tf_keras (transformers'
            # `from .modeling_tf_utils import keras`, or tf_keras's own source).
            step: str | None = qualified
            for _ in range(_MAX_REEXPORTS):
                if step is None:
                    break
                if step.startswith(_KERAS2_PREFIXES):
                    return True
                step = self._reexported(step)
            project_class = self.class_(qualified)
            if project_class is not None and self.keras_autograph(project_class.key, depth + 1):
                return True
        return False

    def is_keras_class(self, class_key: str, depth: int = 0, kinds: tuple[str, ...] = _KERAS_KINDS) -> bool:
        """A subclass of a Keras layer, model, loss or metric (``kinds``: which of those)."""
        cache_key = (class_key, kinds)
        cached = self._keras.get(cache_key)
        if cached is not None:
            return cached
        self._keras[cache_key] = False  # cycle guard
        result = False
        class_info = self.classes.get(class_key)
        if class_info is not None and depth < 20:
            for base in self.base_keys(class_info):
                if base in self.classes:
                    result = self.is_keras_class(base, depth + 1, kinds)
                else:
                    result = _is_keras_base(base, kinds)
                if result:
                    break
        self._keras[cache_key] = result
        return result

    # --- roots ---------------------------------------------------------------

    def find_roots(self) -> list[Trace]:
        try:
            return self._find_roots()
        finally:
            self.program_trees.clear()  # asked only while roots are found

    def _find_roots(self) -> list[Trace]:
        roots: list[Trace] = []
        for module in self.modules.values():
            for function in (*module.functions.values(), *module.superseded_functions):
                roots.extend(self._decorator_roots(function))
            for class_info in (*module.classes.values(), *module.superseded_classes):
                if not self.is_keras_class(class_info.key) or runs_only_eagerly(self, class_info):
                    continue
                autograph = self.keras_autograph(class_info.key)
                names = KERAS_TRACED_METHODS
                if self.is_keras_class(class_info.key, kinds=(".metrics.",)):
                    names += KERAS_METRIC_METHODS
                for name in names:
                    if re.search(rf"\.{name}\s*=(?!=)", module.source):
                        continue  # `obj.update_state = MethodType(...)`: Keras calls the replacement
                    method = class_info.methods.get(name)
                    if method is not None:
                        roots.append(self._keras_root(method, autograph))
            wanted = [c for c in module.root_candidates if self._may_be_root(module, c)]
            for candidate in module.parsed_root_candidates(wanted) if wanted else ():
                if isinstance(candidate.call.func, cst.Attribute) and candidate.call.func.attr.value == "compile":
                    roots.extend(self._compiled_roots(module, candidate))
                    continue
                root = self._call_root(module, candidate)
                if root is not None:
                    roots.append(root)
        return roots

    def likely_parsed(self) -> list[tuple[ModuleInfo, FunctionInfo | int]]:
        """What ``trace_all`` will ask LibCST for first, in its order, guessed from the summaries:
        the defs of tf.function-like decorations, what may be Keras ``call`` methods, the chunks
        or functions holding root candidates (each a function, or a chunk index). What else is
        parsed is asked for as traces are queued (``trace_all``'s ``announce``). Only answers
        that do not depend on the order of questions are asked here: the findings never
        depend on whether this ran."""
        found: list[tuple[ModuleInfo, FunctionInfo | int]] = []
        for module in self.modules.values():
            for function in (*module.functions.values(), *module.superseded_functions):
                if any(self.is_tf_function_name(module, name.callee) for name in function.decorator_names):
                    found.append((module, function))
            # Not is_keras_class: its answers are remembered, and asked in another order here they
            # could differ (an inheritance cycle). A method named so in a class with a base will do.
            for class_info in (*module.classes.values(), *module.superseded_classes):
                if class_info.bases:
                    found.extend((module, class_info.methods[name]) for name in KERAS_TRACED_METHODS if name in class_info.methods)
            for candidate in module.root_candidates:
                if self._may_be_root(module, candidate):
                    found.append((module, candidate.scope if candidate.scope is not None else candidate.chunk))
        return found

    def _compiled_roots(self, module: ModuleInfo, candidate) -> list[Trace]:
        """Loss and metric functions given to Keras ``compile``: ``fit``/``evaluate`` trace them.

        Keras 3 (``keras``, ``tf.keras`` from TensorFlow 2.16 on) calls them
        inside its traced step without AutoGraph, with tensors whose batch
        dimension is ``None`` (checked with TensorFlow 2.21 / Keras 3.15);
        Keras 2 (``tf_keras``) converts them.
        """
        call: cst.Call = candidate.call
        functions = []
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in COMPILED_FUNCTION_KEYWORDS:
                continue
            value = arg.value
            if isinstance(value, (cst.List, cst.Tuple)):
                values = [element.value for element in value.elements]
            elif isinstance(value, cst.Dict):
                values = [element.value for element in value.elements if isinstance(element, cst.DictElement)]
            else:
                values = [value]
            for item in values:
                function = self._function_argument(module, candidate.scope, item)
                if function is not None and function.given_node is None and function not in functions:
                    functions.append(function)
        autograph = any(target.startswith(_KERAS2_PREFIXES) for target in module.imports.aliases.values())
        roots = []
        for function in functions:
            params: dict[str, Taint] = {}
            unknown_dims: dict[str, frozenset[int]] = {}
            for index, param in enumerate(function.bound_params()):
                if index < 2 and not param.star and not param.has_default:
                    params[param.name] = A_TENSOR  # y_true, y_pred: a batch each
                    unknown_dims[param.name] = frozenset({0})
                else:
                    params[param.name] = PYTHON if param.star or param.has_default else MAYBE_TENSOR
            roots.append(Trace(function, "keras", None, params, unknown_dims, autograph=autograph))
        return roots

    def _may_be_root(self, module: ModuleInfo, candidate) -> bool:
        """What ``_call_root`` asks first, from the summary: worth parsing the candidate's chunk."""
        if candidate.method in DATASET_FUNCTION_ARGUMENT or candidate.method == "compile":
            return True
        qualified = self._qualify(module, candidate.callee)
        return qualified in _CALLBACK_TRACERS or self._tf_function_like(qualified) is not None

    def runs_eagerly(self, function: FunctionInfo) -> bool:
        """Decorated with ``tf.py_function``/``tf.numpy_function`` (any spelling, or a
        project decorator that hands the function to one): its body runs eagerly,
        on every call, even when traced code calls it."""
        key = id(function)
        if key not in self._eager:
            self._eager[key] = False  # a decorator that decorates itself
            self._eager[key] = any(
                self._is_eager_decorator(function.module, d.callee) for d in function.decorator_names
            )
        return self._eager[key]

    def _is_eager_decorator(self, module: ModuleInfo, callee: str | None) -> bool:
        qualified = self._qualify(module, callee)
        if qualified is None:
            return False
        if qualified in EAGER_CALLBACK_APIS:
            return True
        wrapper = self.function(qualified)
        return wrapper is not None and self._hands_to_eager_api(wrapper)

    def _hands_to_eager_api(self, wrapper: FunctionInfo) -> bool:
        """``def in_eager(func): ... tf.py_function(func, ...)``: a decorator of eager functions."""
        node = wrapper.node
        if not isinstance(node, cst.FunctionDef) or not node.params.params:
            return False
        parameter = node.params.params[0].name.value
        for call in find_all(node.body, cst.Call):
            if self._qualify(wrapper.module, dotted_name(call.func)) in EAGER_CALLBACK_APIS:
                argument = _argument(call, 0, ("func",))
                if isinstance(argument, cst.Name) and argument.value == parameter:
                    return True
        return False

    def _decorator_roots(self, function: FunctionInfo) -> list[Trace]:
        if any(self._qualify(function.module, d.callee) == DO_NOT_CONVERT for d in function.decorator_names):
            self.no_autograph.add(id(function))
        return [self._tf_function_root(function, options) for options in self.tf_function_decorations(function)]

    def tf_function_decorations(self, function: FunctionInfo) -> list[TfFunctionOptions]:
        """Options of each ``@tf.function``-like decorator on ``function``."""
        found = []
        for index, name in enumerate(function.decorator_names):
            base = self._tf_function_like(self._qualify(function.module, name.callee))
            if base is not None:
                expression = function.decorators[index].decorator  # parses the def: it is traced
                call = expression if isinstance(expression, cst.Call) else None
                found.append(_tf_function_options(call, skip_positional=0, base=base))
        return found

    def is_tf_function_name(self, module: ModuleInfo, dotted: str | None) -> bool:
        """``is_tf_function_like`` for a dotted name from the summary."""
        return self._tf_function_like(self._qualify(module, dotted)) is not None

    def is_tf_function_like(self, module: ModuleInfo, func: cst.BaseExpression) -> bool:
        """Whether calling ``func`` applies tf.function (or a graph decorator, or a wrapper of it)."""
        return self._tf_function_like(self._qualify(module, dotted_name(func))) is not None

    def tf_function_wrapping(self, module: ModuleInfo, scope: FunctionInfo | None, call: cst.Call):
        """``(function, options)`` when ``call`` is ``tf.function(f, ...)`` of a project function."""
        base = self._tf_function_like(self._qualify(module, dotted_name(call.func)))
        if base is None:
            return None
        argument = _argument(call, 0, ("func", "python_function", "fn", "f"))
        function = self._function_argument(module, scope, argument)
        if function is None:
            return None
        return function, _tf_function_options(call, skip_positional=1, base=base)

    def _tf_function_like(self, qualified: str | None) -> TfFunctionOptions | None:
        """Default options if ``qualified`` is tf.function, a graph decorator or a wrapper."""
        if qualified is None:
            return None
        if qualified == TF_FUNCTION or qualified in self.graph_decorators:
            return TfFunctionOptions()
        function = self.function(qualified)
        return self.wrapper_options(function) if function is not None else None

    def wrapper_options(self, function: FunctionInfo) -> TfFunctionOptions | None:
        """Options of a project function that returns ``tf.function(*args, ...)``.

        TF-Agents' ``common.function`` is such a wrapper (with AutoGraph off).
        """
        key = id(function)
        if key in self._wrappers:
            return self._wrappers[key]
        self._wrappers[key] = None
        if function.given_node is not None or not function.returns_call:
            return None  # a lambda, or no `return <call>`: the summary tells without parsing
        params = function.node.params
        passed = {p.name.value for p in params.params[:1]}
        if isinstance(params.star_arg, cst.Param):
            passed.add(params.star_arg.name.value)
        defaults = _literal_defaults(function.node)
        for statement in find_all(function.node.body, cst.Return, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            call = statement.value
            if not isinstance(call, cst.Call):
                continue
            if self._qualify(function.module, dotted_name(call.func)) != TF_FUNCTION:
                continue
            forwards = any(
                arg.keyword is None and isinstance(arg.value, cst.Name) and arg.value.value in passed
                for arg in call.args
            )
            if forwards:
                options = _tf_function_options(call, skip_positional=1, defaults=defaults)
                self._wrappers[key] = options
                return options
        return None

    def _qualify(self, module: ModuleInfo, dotted: str | None) -> str | None:
        if dotted is None:
            return None
        resolved = module.imports.resolve_dotted(dotted)
        if resolved is not None:
            return resolved
        if dotted in module.module_names:
            return f"{module.name}.{dotted}"
        return dotted

    def _tf_function_root(self, function: FunctionInfo, options: TfFunctionOptions) -> Trace:
        params: dict[str, Taint] = {}
        unknown_dims: dict[str, frozenset[int]] = {}
        signature = options.input_signature
        for index, param in enumerate(function.bound_params()):
            if param.star:
                params[param.name] = PYTHON
            elif signature is not None:
                entry = signature[index] if index < len(signature) else None
                if entry is None:
                    params[param.name] = PYTHON
                elif entry.is_tensor_spec:
                    params[param.name] = A_TENSOR
                    if entry.unknown_dims:
                        unknown_dims[param.name] = entry.unknown_dims
                else:
                    params[param.name] = MAYBE_TENSOR
            elif param.has_default or param.name in PYTHON_FLAG_PARAMS:
                params[param.name] = PYTHON
            else:
                params[param.name] = MAYBE_TENSOR
        return Trace(
            function, "tf.function", None, params, unknown_dims, autograph=options.autograph, options=options,
            features=options.features if options.autograph else frozenset(),
        )

    def _keras_root(self, method: FunctionInfo, autograph: bool) -> Trace:
        params: dict[str, Taint] = {}
        unknown_dims: dict[str, frozenset[int]] = {}
        for index, param in enumerate(method.bound_params()):
            if index == 0 and not param.star:
                params[param.name] = MAYBE_TENSOR
                unknown_dims[param.name] = frozenset({0})  # the batch dimension
            elif param.has_default or param.star or param.name in PYTHON_FLAG_PARAMS:
                params[param.name] = PYTHON
            else:
                params[param.name] = MAYBE_TENSOR
        return Trace(method, "keras", None, params, unknown_dims, autograph=autograph)

    def _call_root(self, module: ModuleInfo, candidate) -> Trace | None:
        call: cst.Call = candidate.call
        func = call.func
        if self._tf_function_like(self._qualify(module, dotted_name(func))) is not None:
            wrapped = self.tf_function_wrapping(module, candidate.scope, call)
            return self._tf_function_root(*wrapped) if wrapped is not None else None
        qualified = self._qualify(module, dotted_name(func))
        if qualified in _CALLBACK_TRACERS:
            function = self._function_argument(module, candidate.scope, _argument(call, 0, ("fn", "function")))
            if function is None:
                return None
            params = {p.name: (PYTHON if p.star or p.has_default else MAYBE_TENSOR) for p in function.bound_params()}
            # Neither converts with AutoGraph (TF 2.21; Keras 3 and tf_keras 2.21 alike for Lambda).
            return Trace(function, "tf.function", None, params, autograph=False)
        if not isinstance(func, cst.Attribute) or func.attr.value not in DATASET_FUNCTION_ARGUMENT:
            return None
        if not self._is_dataset(module, candidate.scope, func.value):
            return None
        index, keyword = DATASET_FUNCTION_ARGUMENT[func.attr.value]
        function = self._function_argument(module, candidate.scope, _argument(call, index, (keyword,)))
        if function is None:
            return None
        params = {p.name: (PYTHON if p.star or p.has_default else MAYBE_TENSOR) for p in function.bound_params()}
        return Trace(function, "tf.data", None, params)

    def _function_argument(self, module, scope, argument) -> FunctionInfo | None:
        if argument is None:
            return None
        if isinstance(argument, cst.Call):  # functools.partial(f, ...)
            qualified = self._qualify(module, dotted_name(argument.func))
            if qualified == "functools.partial" and argument.args:
                return self._function_argument(module, scope, argument.args[0].value)
            return None
        if isinstance(argument, cst.Lambda):
            return module.function_for_lambda(argument, scope)
        target = self.resolver.resolve(argument, module, scope)
        return None if target is None else self.resolver.function_of(target, scope)

    def _is_dataset(self, module: ModuleInfo, scope, node: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > 20:
            return False
        if isinstance(node, cst.Call):
            qualified = self._qualify(module, dotted_name(node.func))
            if qualified is not None and qualified.startswith(("tensorflow.data.", "tensorflow_datasets.")):
                return True
            if isinstance(node.func, cst.Attribute):
                return self._is_dataset(module, scope, node.func.value, depth + 1)
            return False
        if isinstance(node, cst.Name):
            if _DATASET_NAME.search(node.value):
                return True
            return node.value in self._dataset_names_in(module, scope)
        if isinstance(node, cst.Attribute):
            if dotted_name(node) is not None:
                qualified = self._qualify(module, dotted_name(node))
                if qualified is not None and qualified.startswith("tensorflow.data."):
                    return True
            return bool(_DATASET_NAME.search(node.attr.value))
        return False

    def _dataset_names_in(self, module: ModuleInfo, scope: FunctionInfo | None) -> set[str]:
        """Names assigned from a dataset expression in this scope."""
        owner = scope.node if scope is not None else module.tree
        names = self._dataset_names.get(id(owner))
        if names is None:
            names = set()
            self._dataset_names[id(owner)] = names  # guards recursion
            for assign in find_all(owner, cst.Assign):
                for target in assign.targets:
                    if isinstance(target.target, cst.Name) and self._is_dataset(module, scope, assign.value, 1):
                        names.add(target.target.value)
        return names

    # --- propagation -----------------------------------------------------------

    def trace_all(self, announce=None) -> dict[int, Trace]:
        """Every traced function: the roots, then what they call, until nothing changes.

        ``announce(function)``, if given, hears of each trace as it is queued (for a walk later).
        """
        queue = _WalkQueue(announce)
        for root in self.find_roots():
            key = id(root.function)
            if key in self.traces or self.runs_eagerly(root.function):
                continue
            if key in self.no_autograph:
                root.autograph = False
            self.traces[key] = root
            queue.append(root)
        self._tensors_from_untraced_callers([t for t in queue if t.kind == "tf.function"])
        callers: dict[int, set[int]] = {}
        while queue:
            trace = queue.popleft()
            if trace.walks >= _MAX_WALKS:
                continue
            trace.walks += 1
            try:
                walker = self.walk(trace)
            except RecursionError:
                trace.walks = _MAX_WALKS  # too deeply nested to analyse; keep what is known
                continue
            if walker.return_taint != trace.return_taint:
                trace.return_taint = walker.return_taint
                for caller_key in callers.get(id(trace.function), ()):
                    queue.append(self.traces[caller_key])
            for call in walker.calls:
                callee = call.target
                callers.setdefault(id(callee), set()).add(id(trace.function))
                self._propagate(trace, call, callee, queue)
        return self.traces

    def _tensors_from_untraced_callers(self, roots: list[Trace]) -> None:
        """A tf.function parameter is a tensor when every call of it from a script's
        top level passes one: ``halve_sum(tf.range(8.0))``.

        Only module-level functions called by name from top-level statements
        (not defs or classes) count, and only certain tensors (results of
        TensorFlow ops); a call passing anything else leaves the parameter as
        it was. A first filter on the statement's text keeps this cheap.
        """
        wanted = [
            t for t in roots
            if (t.options is None or t.options.input_signature is None) and "." not in t.function.qualname
        ]
        by_name: dict[str, list[Trace]] = {}
        for trace in wanted:
            by_name.setdefault(trace.function.name, []).append(trace)
        if not by_name:
            return
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(by_name))) + r")\s*\(")
        passed: dict[int, list[dict[str, bool]]] = {}
        for module in self.modules.values():
            source = module.source
            for index, chunk in enumerate(module.chunks):
                # A definition's calls are traced (propagation) or not top-level code;
                # skipping them first keeps the search to a library's few other lines.
                if chunk.is_definition or not pattern.search(source, chunk.begin, chunk.end):
                    continue
                for statement in module.chunk_statements(index):
                    for call in find_all(statement, cst.Call, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                        name = dotted_name(call.func)
                        if name is None or name not in by_name:
                            continue
                        target = self.resolver.resolve(call.func, module, None)
                        function = self.resolver.function_of(target, None) if target is not None else None
                        root = self.traces.get(id(function)) if function is not None else None
                        if root is None or root not in wanted:
                            continue
                        passed.setdefault(id(root), []).append(self._tensor_arguments(root.function, call, module, None))
                        root.container_arguments |= _container_arguments(root.function, call)
        for trace in wanted:
            sites = passed.get(id(trace))
            if not sites:
                continue
            for param in trace.params:
                if all(site.get(param, False) for site in sites):
                    trace.params[param] = A_TENSOR

    def _tensor_arguments(self, function: FunctionInfo, call: cst.Call, module: ModuleInfo, scope) -> dict[str, bool]:
        """Which parameters this call certainly passes a tensor (a TensorFlow op's result) to."""

        def certain(value: cst.BaseExpression) -> bool:
            if not isinstance(value, cst.Call):
                return False
            target = self.resolver.resolve(value.func, module, scope)
            return isinstance(target, External) and taint_of_api_call(target.qualified).level == A_TENSOR.level

        params = [p for p in function.bound_params() if not p.star]
        result: dict[str, bool] = {}
        positional = [a for a in call.args if a.keyword is None and a.star == ""]
        if any(a.star for a in call.args):
            return result
        for param, arg in zip([p for p in params if not p.keyword_only], positional):
            result[param.name] = certain(arg.value)
        for arg in call.args:
            if arg.keyword is not None:
                result[arg.keyword.value] = certain(arg.value)
        return result

    def walk(self, trace: Trace, listener=None, params: dict[str, Taint] | None = None) -> FunctionWalker:
        walker = FunctionWalker(
            trace.function,
            self.resolver,
            trace.params if params is None else params,
            trace.unknown_dims,
            listener=listener,
            return_of=self._return_of,
        )
        walker.run()
        return walker

    def _return_of(self, function: FunctionInfo) -> Taint:
        trace = self.traces.get(id(function))
        if trace is None or trace.return_taint is None:
            return PYTHON
        return trace.return_taint

    def _propagate(self, caller: Trace, call: CallSite, callee: FunctionInfo, queue: _WalkQueue) -> None:
        if self.runs_eagerly(callee):
            return  # a tf.py_function body: called from the graph, run eagerly
        params = _bind_arguments(callee, call)
        # AutoGraph converts called functions, but not do_not_convert ones nor
        # generators; tf.map_fn & co. convert their function themselves.
        converts = caller.autograph or call.passed_as_callback
        autograph = converts and id(callee) not in self.no_autograph and not is_generator(callee)
        existing = self.traces.get(id(callee))
        # AutoGraph converts what it calls with the caller's options.
        features = caller.features if autograph else frozenset()
        if existing is None:
            trace = Trace(callee, "called-from", caller, params, autograph=autograph, features=features)
            trace.contexts[id(call.node)] = params
            self.traces[id(callee)] = trace
            queue.append(trace)
            return
        if existing.parent is not None:
            existing.contexts[id(call.node)] = params
        merged = dict(existing.params)
        for name, taint in params.items():
            merged[name] = merged[name].join(taint) if name in merged else taint
        changed = merged != existing.params or (autograph and not existing.autograph)
        if existing.features - features:
            existing.features &= features  # some path reaches it without them
            changed = True
        existing.params = merged
        existing.autograph = existing.autograph or autograph
        if changed:
            queue.append(existing)


class _WalkQueue:
    """The traces waiting for a walk, first in first out, each at most once.

    A trace queued again before its walk is not queued twice: that walk reads
    its parameters and its callees' return taints when it runs, so it already
    sees what the second request was for. A change after the walk queues it anew.
    """

    def __init__(self, announce=None) -> None:
        self._traces: deque[Trace] = deque()
        self._waiting: set[int] = set()
        self._announce = announce

    def append(self, trace: Trace) -> None:
        if id(trace) not in self._waiting:
            self._waiting.add(id(trace))
            self._traces.append(trace)
            if self._announce is not None:
                self._announce(trace.function)

    def popleft(self) -> Trace:
        trace = self._traces.popleft()
        self._waiting.discard(id(trace))
        return trace

    def __bool__(self) -> bool:
        return bool(self._traces)

    def __iter__(self):
        return iter(self._traces)


def _collect_attribute_loads(node: ast.AST, attribute: str, module: ModuleInfo, scopes: list[str], found: list) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _collect_attribute_loads(child, attribute, module, [*scopes, child.name], found)
            continue
        if isinstance(child, ast.Attribute) and child.attr == attribute and isinstance(child.ctx, ast.Load):
            found.append((module, ".".join(scopes) or None))
        elif isinstance(child, ast.Constant) and child.value == attribute:
            found.append((module, None))  # `getattr(obj, "x")`: read from anywhere
        _collect_attribute_loads(child, attribute, module, scopes, found)


def _container_arguments(function: FunctionInfo, call: cst.Call) -> set[str]:
    """The parameters ``call`` passes a list, dict or set display to (``step(x, [])``)."""
    if any(arg.star for arg in call.args):
        return set()
    params = [p for p in function.bound_params() if not p.star and not p.keyword_only]
    found = set()
    for index, arg in enumerate(call.args):
        if not isinstance(arg.value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
            continue
        if arg.keyword is not None:
            found.add(arg.keyword.value)
        elif index < len(params):
            found.add(params[index].name)
    return found


def is_generator(function: FunctionInfo) -> bool:
    if function.is_generator is None:
        module = function.module
        chunk = module.chunks[function.chunk] if function.given_node is None else None
        if chunk is not None and module.source.find("yield", chunk.begin, chunk.end) < 0:
            function.is_generator = False  # no walk of the body: most top-level statements never yield
            return False
        skip = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
        node = function.node
        function.is_generator = isinstance(node, cst.FunctionDef) and bool(find_all(node.body, cst.Yield, skip=skip))
    return function.is_generator


def _is_keras_base(qualified: str, kinds: tuple[str, ...] = _KERAS_KINDS) -> bool:
    if not qualified.startswith("keras."):
        return False
    last = qualified.rsplit(".", 1)[-1]
    if ".layers." in kinds and last in ("Layer", "Model", "Sequential", "Functional"):
        return True
    # `keras.metrics.Mean`, `keras.losses.Loss`: bases of user metrics and losses.
    return any(kind in qualified for kind in kinds) and last[:1].isupper()


def _argument(call: cst.Call, index: int, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return positional[index].value if index < len(positional) else None


def _keyword(call: cst.Call | None, name: str) -> cst.BaseExpression | None:
    if call is None:
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _tf_function_options(
    call: cst.Call | None,
    skip_positional: int,
    base: TfFunctionOptions | None = None,
    defaults: dict[str, bool] | None = None,
) -> TfFunctionOptions:
    """Options of a ``tf.function(...)`` call; ``base`` holds a wrapper's defaults.

    ``defaults`` maps local names to literal booleans, for a wrapper that does
    ``autograph = kwargs.pop("autograph", False)`` and passes ``autograph=autograph``.
    """
    options = (
        TfFunctionOptions(
            base.autograph, base.input_signature, base.reduce_retracing, base.signature_node, base.features
        )
        if base
        else TfFunctionOptions()
    )
    if call is None:
        return options
    autograph = _boolean(_keyword(call, "autograph"), defaults)
    if autograph is not None:
        options.autograph = autograph
    for name in ("reduce_retracing", "experimental_relax_shapes"):
        value = _boolean(_keyword(call, name), defaults)
        if value is not None:
            options.reduce_retracing = value
    signature = _keyword(call, "input_signature")
    if signature is None:
        positional = [a for a in call.args if a.keyword is None and a.star == ""]
        if len(positional) > skip_positional:
            signature = positional[skip_positional].value
    if isinstance(signature, (cst.List, cst.Tuple)):
        options.input_signature = [_signature_entry(e.value) for e in signature.elements]
        options.signature_node = signature
    chosen = _keyword(call, "experimental_autograph_options")
    if chosen is not None:
        named = {n.value for n in find_all(chosen, cst.Name)} | {a.attr.value for a in find_all(chosen, cst.Attribute)}
        options.features = frozenset(_FEATURES if "ALL" in named else named & _FEATURES)
    return options


_FEATURES = frozenset({"ASSERT_STATEMENTS", "BUILTIN_FUNCTIONS"})


def _boolean(node: cst.BaseExpression | None, defaults: dict[str, bool] | None) -> bool | None:
    if isinstance(node, cst.Name):
        if node.value in ("True", "False"):
            return node.value == "True"
        if defaults and node.value in defaults:
            return defaults[node.value]
    return None


def _literal_defaults(function: cst.FunctionDef) -> dict[str, bool]:
    """``name = kwargs.pop("x", False)`` / ``.get(...)`` -> {name: False}."""
    result = {}
    for assign in find_all(function.body, cst.Assign, skip=(cst.FunctionDef, cst.ClassDef)):
        value = assign.value
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            continue
        if value.func.attr.value not in ("pop", "get") or len(value.args) != 2:
            continue
        default = _boolean(value.args[1].value, None)
        for target in assign.targets:
            if default is not None and isinstance(target.target, cst.Name):
                result[target.target.value] = default
    return result


def _signature_entry(node: cst.BaseExpression) -> SignatureEntry:
    if not isinstance(node, cst.Call) or (dotted_name(node.func) or "").rsplit(".", 1)[-1] != "TensorSpec":
        return SignatureEntry(False, None)
    shape = _keyword(node, "shape")
    if shape is None and node.args and node.args[0].keyword is None:
        shape = node.args[0].value
    if not isinstance(shape, (cst.List, cst.Tuple)):
        return SignatureEntry(True, None)
    unknown = frozenset(
        index
        for index, element in enumerate(shape.elements)
        if isinstance(element.value, cst.Name) and element.value.value == "None"
    )
    return SignatureEntry(True, unknown)


def _bind_arguments(callee: FunctionInfo, call: CallSite) -> dict[str, Taint]:
    """Taint of each parameter of ``callee`` at one call site."""
    if call.passed_as_callback:
        return {p.name: (PYTHON if p.star or p.has_default else MAYBE_TENSOR) for p in callee.params()}
    bound_call = isinstance(call.node, cst.Call) and isinstance(call.node.func, cst.Attribute)
    params = callee.bound_params() if bound_call or not callee.is_method else callee.params()
    result: dict[str, Taint] = {}
    positional = [p for p in params if not p.keyword_only and not p.star]
    for param, taint in zip(positional, call.args):
        result[param.name] = Taint(taint.level)
    by_name = {p.name for p in params}
    for name, taint in call.kwargs.items():
        if name in by_name:
            result[name] = Taint(taint.level)
    for param in params:
        result.setdefault(param.name, PYTHON)
    return result


def _prefixes(dotted: str):
    parts = dotted.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
