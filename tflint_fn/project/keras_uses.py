"""Whether a program's Keras class is ever handed to Keras to trace.

Keras traces a model's ``call``, ``train_step``, ``test_step`` and
``predict_step`` inside ``fit``, ``evaluate``, ``predict`` and their kin. A
model that a program only calls directly (``g(z)``, ``model.train_step(batch)``)
runs them eagerly. Checked with TensorFlow 2.21 and Keras 3: ``build(shape)``
on a subclassed model does not run ``call``, and ``call``/``train_step``
called directly see eager tensors.

Library code is presumed to be driven by its users, so only a class defined
in a program (a notebook, or a module with a ``__main__`` block) qualifies,
and only when every construction of it in the project is found, bound to a
name or a ``self`` attribute, and every use of that binding is known to be
eager: a direct call, a method that does not trace, a pass to an untraced
function of the same module that uses it the same way. Anything else (an
unknown use, a use inside a function that may be traced) keeps the class
traced.
"""

from __future__ import annotations

import ast
import re

from tflint_fn.model.summary import ClassInfo, ModuleInfo

# Attributes of a model that trace it (or hand it to something that does).
_TRACING_ATTRIBUTES = frozenset({
    "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch", "fit_generator",
    "evaluate_generator", "predict_generator", "save", "export", "make_train_function", "make_test_function",
    "make_predict_function", "train_function", "test_function", "predict_function",
})
# Methods that run eagerly when called directly, but may be handed to tf.function when not called.
_STEP_METHODS = frozenset({"call", "train_step", "test_step", "predict_step", "__call__"})
_HARMLESS_CALLS = frozenset({"print", "isinstance", "len", "id", "type", "str", "repr"})
_MAX_DEPTH = 3


def runs_only_eagerly(project, class_info: ClassInfo) -> bool:
    module = class_info.module
    name = class_info.qualname
    if "." in name or not _is_program(module) or project.subclasses(class_info.key):
        return False
    constructions = 0
    for other in project.modules.values():
        if f"{name}(" not in other.source:
            continue
        local = name if other is module else _imported_as(other, module, name)
        if local is None:
            if other is not module and _imports_module(other, module):
                return False  # `gan.Generator()`: not followed
            continue  # another class of that name
        found = _constructions_only_eager(project, other, local)
        if found is None:
            return False
        constructions += found
    return constructions > 0


def _is_program(module: ModuleInfo) -> bool:
    return module.path.suffix == ".ipynb" or "__main__" in module.source


def _imported_as(other: ModuleInfo, module: ModuleInfo, name: str) -> str | None:
    wanted = f"{module.name}.{name}"
    for local, qualified in other.imports.aliases.items():
        if qualified == wanted or (module.import_name and qualified == f"{module.import_name}.{name}"):
            return local
    return None


def _imports_module(other: ModuleInfo, module: ModuleInfo) -> bool:
    names = {module.name, module.import_name} - {""}
    return any(qualified in names for qualified in other.imports.aliases.values())


class _Module:
    """One module's ``ast`` tree with parent links, parsed once per question."""

    def __init__(self, module: ModuleInfo, project) -> None:
        self.info = module
        self.project = project
        self.tree = ast.parse(module.source)
        self.parents: dict[int, ast.AST] = {}
        self.calls: list[ast.Call] = []
        parents, calls, node_type = self.parents, self.calls, ast.AST
        stack: list[ast.AST] = [self.tree]
        # One pass for both, over the fields directly: ast.walk and iter_child_nodes
        # (generators over generators) cost a test module more than its parse.
        while stack:
            parent = stack.pop()
            for name in parent._fields:
                value = getattr(parent, name, None)
                children = value if type(value) is list else (value,)
                for child in children:
                    if isinstance(child, node_type):
                        parents[id(child)] = parent
                        stack.append(child)
                        if type(child) is ast.Call:
                            calls.append(child)
        self.functions = {
            node.name: node for node in self.tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    def imported_elsewhere(self, name: str) -> bool:
        """A module-level instance another module imports: its uses there are not followed."""
        wanted = {f"{self.info.name}.{name}", f"{self.info.import_name}.{name}"}
        return any(
            qualified in wanted
            for other in self.project.modules.values() if other is not self.info
            for qualified in other.imports.aliases.values()
        )

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def enclosing(self, node: ast.AST, kinds) -> ast.AST | None:
        current = self.parent(node)
        while current is not None and not isinstance(current, kinds):
            current = self.parent(current)
        return current

    def may_be_traced(self, node: ast.AST) -> bool:
        """Whether a function around ``node`` is decorated or handed to something (which may trace it)."""
        current = self.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        while current is not None:
            if isinstance(current, ast.Lambda):
                return True
            if current.decorator_list or _passed_somewhere(self.info.source, current.name):
                return True
            current = self.enclosing(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        return False


def _passed_somewhere(source: str, name: str) -> bool:
    return re.search(rf"[(,=]\s*{re.escape(name)}\s*[,)]", source) is not None


def _constructions_only_eager(project, module: ModuleInfo, local: str) -> int | None:
    """How many ``local(...)`` constructions ``module`` has, or None if one may reach Keras's tracing."""
    parsed = project.program_trees.get(id(module))
    if parsed is None:
        try:
            parsed = project.program_trees[id(module)] = _Module(module, project)
        except SyntaxError:
            return None
    count = 0
    for node in parsed.calls:  # any order: one unknown use is None, else the count
        if not (isinstance(node.func, ast.Name) and node.func.id == local):
            continue
        count += 1
        statement = parsed.parent(node)
        if not (isinstance(statement, ast.Assign) and statement.value is node and len(statement.targets) == 1):
            return None
        if not _binding_only_eager(parsed, statement.targets[0], 0):
            return None
    return count


def _binding_only_eager(parsed: _Module, target: ast.AST, depth: int) -> bool:
    if isinstance(target, ast.arg):  # a parameter of a function the instance was passed to
        scope = parsed.parent(parsed.parent(target))
        uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == target.arg]
    elif isinstance(target, ast.Name):
        scope = parsed.enclosing(target, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or parsed.tree
        if scope is parsed.tree and parsed.imported_elsewhere(target.id):
            return False
        uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == target.id and n is not target]
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        owner = parsed.enclosing(target, ast.ClassDef)
        if owner is None:
            return False
        uses = [
            n for n in ast.walk(owner)
            if isinstance(n, ast.Attribute) and n.attr == target.attr and isinstance(n.value, ast.Name)
            and n.value.id == "self" and n is not target
        ]
    else:
        return False
    return all(_eager_use(parsed, use, depth) for use in uses)


def _eager_use(parsed: _Module, use: ast.expr, depth: int) -> bool:
    if isinstance(getattr(use, "ctx", None), (ast.Store, ast.Del)):
        return True  # rebound or deleted
    if parsed.may_be_traced(use):
        return False
    parent = parsed.parent(use)
    if isinstance(parent, ast.Call) and parent.func is use:
        return True  # `model(x)`: an eager call
    if isinstance(parent, ast.Attribute) and parent.value is use:
        if parent.attr in _TRACING_ATTRIBUTES:
            return False
        if parent.attr in _STEP_METHODS:
            called = parsed.parent(parent)
            return isinstance(called, ast.Call) and called.func is parent  # `model.train_step(batch)`
        return True  # `model.logs`, `model.build(...)`, `model.trainable_variables`
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, ast.Call) and use in parent.args and isinstance(parent.func, ast.Name):
        if parent.func.id in _HARMLESS_CALLS:
            return True
        callee = parsed.functions.get(parent.func.id)
        if callee is None or depth >= _MAX_DEPTH or callee.decorator_list:
            return False
        if _passed_somewhere(parsed.info.source, callee.name):
            return False
        index = parent.args.index(use)
        params = callee.args.posonlyargs + callee.args.args
        if index >= len(params):
            return False
        return _binding_only_eager(parsed, params[index], depth + 1)
    return False
