"""One pass over a parsed module: what it defines, imports and marks as traced.

The pass walks statements only (defs, classes, imports, ``global``), which is
cheap. Calls that can make a function traced (``tf.function(f)``,
``ds.map(f)``) are collected by a second, expression-level visit that runs
only when the source text mentions such a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from tflint_fn.model.names import ImportTable, dotted_name
from tflint_fn.model.scopes import target_names
from tflint_fn.sources.cstwalk import find_all

DATASET_FUNCTION_ARGUMENT = {
    # method name -> (positional index of the function, its keyword name)
    "map": (0, "map_func"),
    "filter": (0, "predicate"),
    "flat_map": (0, "map_func"),
    "interleave": (0, "map_func"),
    "reduce": (1, "reduce_func"),
    "scan": (1, "scan_func"),
}
_ROOT_CALL_HINTS = ("function(", "function (") + tuple(f".{m}(" for m in DATASET_FUNCTION_ARGUMENT)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    has_default: bool
    keyword_only: bool = False
    star: bool = False  # *args or **kwargs


@dataclass(eq=False)
class FunctionInfo:
    module: "ModuleInfo"
    qualname: str
    node: cst.FunctionDef | cst.Lambda
    class_qualname: str | None = None  # set for methods
    parent: "FunctionInfo | None" = None  # enclosing function, for nested defs
    nested: dict[str, "FunctionInfo"] = field(default_factory=dict)
    declared_globals: set[str] = field(default_factory=set)
    bindings: tuple | None = None  # cached by walker.scan_bindings
    is_generator: bool | None = None  # cached by contexts.is_generator
    # Redefined later at the top level (a notebook's next cell): still analysed,
    # but names resolve to the later definition, and --dynamic imports that one.
    superseded: bool = False

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def key(self) -> str:
        return f"{self.module.name}.{self.qualname}"

    @property
    def is_method(self) -> bool:
        return self.class_qualname is not None and not self.is_staticmethod

    @property
    def is_staticmethod(self) -> bool:
        if not isinstance(self.node, cst.FunctionDef):
            return False
        return any(dotted_name(d.decorator) == "staticmethod" for d in self.node.decorators)

    @property
    def is_property(self) -> bool:
        """``@property`` / ``@x.setter`` / ``@x.deleter``: not what ``self.x(...)`` calls."""
        for decorator in self.decorators:
            name = dotted_name(decorator.decorator) or ""
            if name in ("property", "functools.cached_property", "cached_property") or name.endswith(
                (".setter", ".deleter", ".getter")
            ):
                return True
        return False

    @property
    def decorators(self) -> tuple[cst.Decorator, ...]:
        return tuple(self.node.decorators) if isinstance(self.node, cst.FunctionDef) else ()

    def params(self) -> list[Param]:
        return list(iter_params(self.node.params))

    def bound_params(self) -> list[Param]:
        """Parameters a caller supplies: without ``self``/``cls`` of a method."""
        params = self.params()
        if self.is_method and params and not params[0].star:
            return params[1:]
        return params


def iter_params(parameters: cst.Parameters):
    for p in parameters.posonly_params:
        yield Param(p.name.value, p.default is not None)
    for p in parameters.params:
        yield Param(p.name.value, p.default is not None)
    if isinstance(parameters.star_arg, cst.Param):
        yield Param(parameters.star_arg.name.value, False, star=True)
    for p in parameters.kwonly_params:
        yield Param(p.name.value, p.default is not None, keyword_only=True)
    if parameters.star_kwarg is not None:
        yield Param(parameters.star_kwarg.name.value, False, star=True)


@dataclass(eq=False)
class ClassInfo:
    module: "ModuleInfo"
    qualname: str
    node: cst.ClassDef
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    superseded: bool = False  # redefined later at the top level

    @property
    def key(self) -> str:
        return f"{self.module.name}.{self.qualname}"

    def base_names(self) -> list[str]:
        """The bases as written, dotted (unresolved)."""
        names = []
        for arg in self.node.bases:
            name = dotted_name(arg.value)
            if name is not None:
                names.append(name)
        return names


@dataclass(eq=False)
class RootCandidate:
    """A call that may make a function traced: ``tf.function(f)``, ``ds.map(f)``."""

    call: cst.Call
    scope: FunctionInfo | None  # where the call stands
    class_qualname: str | None


@dataclass(eq=False)
class ModuleInfo:
    path: Path
    display_path: str
    name: str
    is_package: bool
    source: str
    tree: cst.Module
    imports: ImportTable
    functions: dict[str, FunctionInfo] = field(default_factory=dict)  # qualname ->
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    module_names: set[str] = field(default_factory=set)  # bound at module level
    reassigned_globals: set[str] = field(default_factory=set)  # rebound via `global`
    toplevel_rebound: set[str] = field(default_factory=set)  # assigned again as the top level runs
    variable_globals: set[str] = field(default_factory=set)  # hold a tf.Variable
    container_globals: set[str] = field(default_factory=set)  # hold a list/dict/set
    false_constants: set[str] = field(default_factory=set)  # `JAX_MODE = False`, never rebound
    module_names_seen: set[str] = field(default_factory=set)
    rng_globals: set[str] = field(default_factory=set)  # hold a NumPy/Python random generator
    root_candidates: list[RootCandidate] = field(default_factory=list)
    lambdas: dict[int, FunctionInfo] = field(default_factory=dict)  # id(node) ->
    # Top-level functions and classes that a later top-level def/class of the
    # same name replaces: every definition counts (a notebook redefines its
    # model cell after cell), though names resolve to the last one.
    superseded_functions: list[FunctionInfo] = field(default_factory=list)
    superseded_classes: list[ClassInfo] = field(default_factory=list)
    # Every for/while statement, outermost first, with the function holding it (None: module level).
    loops: list[tuple[FunctionInfo | None, cst.For | cst.While]] = field(default_factory=list)

    def function_for_lambda(self, node: cst.Lambda, scope: FunctionInfo | None) -> FunctionInfo:
        info = self.lambdas.get(id(node))
        if info is None:
            prefix = f"{scope.qualname}.<locals>." if scope is not None else ""
            info = FunctionInfo(self, f"{prefix}<lambda>", node, parent=scope)
            self.lambdas[id(node)] = info
        return info


def summarize(module: ModuleInfo) -> None:
    """Fill ``module`` with its defs, classes, imports and root candidates."""
    _StatementPass(module).run()
    module.false_constants -= module.reassigned_globals | module.toplevel_rebound
    if any(hint in module.source for hint in _ROOT_CALL_HINTS):
        _scan_root_calls(module)


class _StatementPass:
    def __init__(self, module: ModuleInfo) -> None:
        self.module = module

    def run(self) -> None:
        self._block(self.module.tree.body, function=None, class_info=None, prefix="")
        # A name assigned by two top-level statements (or in a top-level loop)
        # is rebound as the script runs; whether that can change what a traced
        # function froze depends on the order (script_order.py, TFF106).
        seen: set[str] = set()
        for statement in self.module.tree.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            assigned = {
                name for small in find_all(statement, (cst.Assign, cst.AugAssign, cst.AnnAssign), skip=_SCOPES)
                for name in _assigned_names(small)
            }
            if isinstance(statement, (cst.For, cst.While)):
                self.module.toplevel_rebound |= assigned
            self.module.toplevel_rebound |= assigned & seen
            seen |= assigned

    def _block(self, statements, function, class_info, prefix, guards=()) -> None:
        for statement in statements:
            self._statement(statement, function, class_info, prefix, guards)

    def _statement(self, node, function, class_info, prefix, guards=()) -> None:
        module = self.module
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._small(small, function, guards)
        elif isinstance(node, cst.If):
            inner = (*guards, node.test)
            self._block(_suite_statements(node.body), function, class_info, prefix, inner)
            if node.orelse is not None:
                orelse = [node.orelse] if isinstance(node.orelse, cst.If) else _suite_statements(node.orelse.body)
                self._block(orelse, function, class_info, prefix, inner)
        elif isinstance(node, cst.FunctionDef):
            qualname = prefix + node.name.value
            info = FunctionInfo(
                module,
                qualname,
                node,
                class_qualname=class_info.qualname if class_info else None,
                parent=function,
            )
            if function is None and class_info is None and qualname in module.functions:
                earlier = module.functions[qualname]
                earlier.superseded = True
                module.superseded_functions.append(earlier)
            if qualname not in module.functions or not info.is_property:
                module.functions[qualname] = info
            if class_info is not None and (node.name.value not in class_info.methods or not info.is_property):
                class_info.methods[node.name.value] = info
            elif function is not None:
                function.nested[node.name.value] = info
            if function is None and class_info is None:
                module.module_names.add(node.name.value)
            self._block(_suite_statements(node.body), info, None, qualname + ".<locals>.")
        elif isinstance(node, cst.ClassDef):
            qualname = prefix + node.name.value
            info = ClassInfo(module, qualname, node)
            if function is None and class_info is None and qualname in module.classes:
                earlier = module.classes[qualname]
                earlier.superseded = True
                for method in earlier.methods.values():
                    method.superseded = True
                module.superseded_classes.append(earlier)
            module.classes[qualname] = info
            if function is None and class_info is None:
                module.module_names.add(node.name.value)
            self._block(_suite_statements(node.body), function, info, qualname + ".")
        else:
            if isinstance(node, (cst.For, cst.While)):
                module.loops.append((function, node))
            for block in _child_blocks(node):
                self._block(block, function, class_info, prefix, guards)

    def _small(self, node, function, guards=()) -> None:
        module = self.module
        if isinstance(node, cst.Import):
            module.imports.add_import(node)
            if function is None:
                for alias in node.names:
                    module.module_names.add(_import_binding(alias))
        elif isinstance(node, cst.ImportFrom):
            module.imports.add_import_from(node)
            if function is None and not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    module.module_names.add(_import_binding(alias))
        elif isinstance(node, cst.Global) and function is not None:
            function.declared_globals.update(item.name.value for item in node.names)
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = _assigned_names(node)
            if function is None:
                module.module_names.update(targets)
            elif targets and function.declared_globals:
                rebound = function.declared_globals.intersection(targets)
                # `if X is None: X = ...` fills X once, lazily: not a reassignment.
                lazily = {name for name in rebound if any(_mentions_name(test, name) for test in guards)}
                module.reassigned_globals.update(rebound - lazily)
            value = getattr(node, "value", None)
            if value is not None and _creates_variable(value, module.imports):
                module.variable_globals.update(targets)
            if function is None and value is not None and is_python_container(value, module.imports):
                module.container_globals.update(targets)
            if function is None and value is not None and _creates_random_generator(value, module.imports):
                module.rng_globals.update(targets)
            if function is None and isinstance(node, cst.Assign):
                if isinstance(value, cst.Name) and value.value == "False" and not targets & module.module_names_seen:
                    module.false_constants.update(targets)
                else:
                    module.false_constants.difference_update(targets)
                module.module_names_seen.update(targets)


def _suite_statements(suite: cst.BaseSuite):
    return suite.body if isinstance(suite, cst.IndentedBlock) else [cst.SimpleStatementLine(suite.body)]


def _mentions_name(test: cst.BaseExpression, name: str) -> bool:
    return any(node.value == name for node in find_all(test, cst.Name))


def _child_blocks(node: cst.CSTNode):
    """Statement blocks of a compound statement other than ``if`` (for/while/try/with/match)."""
    suites = [getattr(node, "body", None)]
    suites += [clause.body for clause in (getattr(node, "orelse", None), getattr(node, "finalbody", None)) if clause]
    suites += [handler.body for handler in getattr(node, "handlers", ())]
    suites += [case.body for case in getattr(node, "cases", ())]
    for suite in suites:
        if isinstance(suite, cst.BaseSuite):
            yield _suite_statements(suite)


def _import_binding(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = dotted_name(alias.name) or ""
    return name.split(".", 1)[0]


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _assigned_names(node) -> set[str]:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    names: set[str] = set()
    for target in targets:
        target_names(target, names)
    return names


_CONTAINER_CONSTRUCTORS = frozenset(
    {
        "list", "dict", "set", "collections.deque", "collections.defaultdict",
        "collections.OrderedDict", "collections.Counter",
    }
)


def is_python_container(value: cst.BaseExpression, imports: ImportTable) -> bool:
    """A list/dict/set display, comprehension, or constructor call."""
    if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    if isinstance(value, cst.Call):
        name = dotted_name(value.func)
        if name in ("list", "dict", "set"):
            return True
        return name is not None and imports.resolve_dotted(name) in _CONTAINER_CONSTRUCTORS
    return False


_RANDOM_GENERATORS = frozenset(
    {"numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator", "random.Random"}
)


def _creates_random_generator(value: cst.BaseExpression, imports: ImportTable) -> bool:
    if not isinstance(value, cst.Call):
        return False
    name = dotted_name(value.func)
    return name is not None and imports.resolve_dotted(name) in _RANDOM_GENERATORS


def _creates_variable(value: cst.BaseExpression, imports: ImportTable) -> bool:
    if not isinstance(value, cst.Call):
        return False
    name = dotted_name(value.func)
    return name is not None and imports.resolve_dotted(name) == "tensorflow.Variable"


def _scan_root_calls(module: ModuleInfo) -> None:
    """Collect calls of ``tf.function`` and of dataset transformations, with their scope."""
    scopes: list[tuple[cst.CSTNode, FunctionInfo | None]] = [(module.tree, None)]
    scopes += [(f.node.body, f) for f in module.functions.values()]
    for owner, scope in scopes:
        for call in find_all(owner, cst.Call, skip=(cst.FunctionDef,) if scope is None else (cst.FunctionDef, cst.ClassDef)):
            if _is_root_call_candidate(call, module):
                class_qualname = scope.class_qualname if scope is not None else None
                module.root_candidates.append(RootCandidate(call, scope, class_qualname))


def _is_root_call_candidate(call: cst.Call, module: ModuleInfo) -> bool:
    if not call.args:
        return False
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value in DATASET_FUNCTION_ARGUMENT or func.attr.value == "function"
    return isinstance(func, cst.Name) and func.value in module.imports.aliases
