"""A script's top level: what must run before its traced functions are called.

Importing a training script runs its training loop. ``plan`` sorts the
top-level statements of a module. Imports, definitions, assignments, and
``if``/``with``/``try`` blocks of nothing else always run. Deferred are loops,
calls made for their effect (``model.fit(...)``, ``main()``), and assignments
that train (``history = model.fit(...)``, or a call of a module function whose
loop calls a traced root). A deferred statement still runs, in its place, when
it is the only statement before the reader that binds a name read by a later
statement that runs, or by a traced root (through the module's functions and
classes it uses); a call that assigns a global (``setup()`` after ``global
model``) binds it. A method call on an object made here (``parser.add_argument(...)``)
runs when a later statement that runs reads the object, unless its name says
it writes files (``model.save(...)`` of a model that was never trained).

``execute`` runs the plan in the module's namespace, each statement compiled
alone with the file's name, its line numbers and the module's ``__future__``
features. When a statement that runs raises, the deferred statements before
it run after all, in order, and it is tried once more: a dependency the plan
missed (``sys.path.insert`` before an import) gives what the whole import
would have given.

A module with nothing to defer gets no plan (``None``): the loader imports it
exactly as before. Only the standard library is used here.
"""

from __future__ import annotations
import __future__

import ast
import symtable
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Keras methods that run whole epochs or datasets.
TRAINING_METHODS = frozenset({"fit", "fit_generator", "evaluate", "evaluate_generator", "predict", "predict_generator"})

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_ALWAYS = (
    ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
    ast.Pass, ast.Global, ast.Nonlocal, ast.Delete, ast.Assert, ast.Raise,
) + ((ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ())
_RUN_AT_ONCE = {"listcomp", "setcomp", "dictcomp", "genexpr"}  # symtable scopes evaluated where they stand


@dataclass
class Statement:
    node: ast.stmt
    first: int  # first line, decorators included
    last: int
    deferred: str | None  # why it is deferred ("for loop"); None: it always runs
    binds: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()  # read when the statement runs
    lazy: frozenset[str] = frozenset()  # read when what it defines is called
    run: bool = True
    needed: str = ""  # a deferred statement that runs: which name, read by what

    def lines(self) -> str:
        return f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"


@dataclass
class TopLevel:
    statements: list[Statement]
    flags: int  # compiler flags of the module's ``from __future__`` imports
    caught_up: list[Statement] = field(default_factory=list)  # deferred, but run after a later statement raised

    def not_run_text(self) -> str:
        """``lines 40-58 (for loop), line 60 (call `plt.show(...)`)``; empty when everything ran."""
        groups: list[list[Statement]] = []
        previous = None
        for index, statement in enumerate(self.statements):
            if statement.run:
                continue
            if previous is not None and previous == index - 1:
                groups[-1].append(statement)
            else:
                groups.append([statement])
            previous = index
        parts = []
        for group in groups[:4]:
            labels = list(dict.fromkeys(s.deferred for s in group))
            what = ", ".join(labels[:3]) + (", ..." if len(labels) > 3 else "")
            first, last = group[0].first, group[-1].last
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            parts.append(f"{where} ({what})")
        if len(groups) > 4:
            parts.append(f"and {len(groups) - 4} more")
        return ", ".join(parts)


def plan(tree: ast.Module, qualnames: Iterable[str]) -> TopLevel | None:
    """The statements of ``tree`` to run before the traced roots ``qualnames`` are called.

    ``None`` when nothing needs deferring, or when a statement cannot be
    analysed: the module is then imported whole, as before.
    """
    qualnames = [q for q in qualnames if q]
    tops = {q.split(".", 1)[0] for q in qualnames}
    leaves = {q.rsplit(".", 1)[-1] for q in qualnames if not q.endswith(">")}
    training = _training_functions(tree, tops | leaves)
    statements = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = getattr(node, "end_lineno", None) or node.lineno
        statements.append(Statement(node, first, last, _deferral(node, tops | leaves, training)))
    if all(s.deferred is None for s in statements):
        return None
    writes: dict[str, frozenset[str]] = {}  # module function -> the globals it assigns when called
    for statement in statements:
        try:
            statement.binds, statement.reads, statement.lazy, written = _names(statement.node)
        except (SyntaxError, ValueError, RecursionError):
            return None
        if isinstance(statement.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            writes[statement.node.name] = written
    writes = _through_calls(tree, writes)
    for statement in statements:
        if not isinstance(statement.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # `setup()` binds what `setup` assigns after `global model`.
            for name in _called_names(statement.node):
                statement.binds |= writes.get(name, frozenset())
    _choose(statements, tops)
    return TopLevel(statements, _future_flags(tree))


def execute(top: TopLevel, namespace: dict, filename: str, say: Callable[[str], None] | None = None) -> None:
    """Run the planned statements of ``top`` in ``namespace``, in order."""
    for index, statement in enumerate(top.statements):
        if not statement.run:
            continue
        node = statement.node
        if index and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a string after the docstring: compiled alone it would become __doc__
        if statement.deferred is not None and say is not None:
            say(f"running {statement.lines()} ({statement.deferred}): {statement.needed}")
        code = _compile(node, filename, top.flags)
        try:
            exec(code, namespace)
        except Exception as error:
            skipped = [s for s in top.statements[:index] if not s.run]
            if not skipped:
                raise
            # It may need what a deferred statement does: run those, in order, and try again.
            if say is not None:
                say(f"{statement.lines()} raised {type(error).__name__}; running the top-level statements "
                    f"deferred before it: {', '.join(s.lines() for s in skipped)}")
            for earlier in skipped:
                earlier.run = True
                top.caught_up.append(earlier)
                exec(_compile(earlier.node, filename, top.flags), namespace)
            exec(code, namespace)


def wanted_names(job: dict) -> list[str]:
    """The qualified names a job traces or judges: its roots, and the functions holding its findings."""
    names = [subject["qualname"] for subject in job.get("subjects", [])]
    for finding in job.get("findings", []):
        subject = finding.get("subject") or {}
        names += [subject.get("qualname") or "", subject.get("class_qualname") or "", finding.get("function") or ""]
    return [name for name in dict.fromkeys(names) if name]


# ---------------------------------------------------------------- sorting statements


def _deferral(node: ast.stmt, roots: set[str], training: set[str]) -> str | None:
    """Why ``node`` is deferred, or None when it always runs."""
    if isinstance(node, _ALWAYS):
        return None
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        if node.value is None:
            return None
        call = _training_call(node.value, roots, training)
        return None if call is None else f"training call `{call}(...)`"
    if isinstance(node, ast.Expr):
        if isinstance(node.value, ast.Constant):
            return None  # a docstring, `...`
        call = _training_call(node.value, roots, training)
        if call is not None:
            return f"training call `{call}(...)`"
        if isinstance(node.value, ast.Call):
            return f"call `{_short(node.value.func)}(...)`"
        return "expression"
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return "for loop"
    if isinstance(node, ast.While):
        return "while loop"
    if isinstance(node, ast.If):
        if _is_main_guard(node.test):
            return None  # false on import: the module is not __main__
        return None if _all_run(node.body + node.orelse, roots, training) else "if block"
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return None if _all_run(node.body, roots, training) else "with block"
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        handlers = [n for h in node.handlers for n in ast.walk(h)]
        if _all_run(node.body + node.orelse + node.finalbody, roots, training) and not any(
                isinstance(n, _LOOPS) for n in handlers):
            return None  # `try: import x` / `except ImportError: x = None`
        return "try block"
    return f"{type(node).__name__.lower()} statement"


def _all_run(body: list[ast.stmt], roots: set[str], training: set[str]) -> bool:
    return all(_deferral(statement, roots, training) is None for statement in body)


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    constants = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(constants) == 1


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _now(node: ast.AST):
    """The nodes of an expression evaluated where it stands (not inside a lambda)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, ast.Lambda))


def _callee(call: ast.Call) -> str | None:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def _calls_any(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Call) and _callee(n) in names for n in ast.walk(node))


def _training_call(value: ast.expr, roots: set[str], training: set[str]) -> str | None:
    """The callee of a call in ``value`` that trains, if there is one."""
    for node in _now(value):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and function.attr in TRAINING_METHODS:
                return _short(function)
            if isinstance(function, ast.Name) and function.id in training:
                return function.id
        if isinstance(node, _COMPREHENSIONS):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and _callee(call) in roots | training:
                    return _short(call.func)  # `[train_step(x) for _ in range(10**6)]`
    return None


def _training_functions(tree: ast.Module, roots: set[str]) -> set[str]:
    """Module functions that train: a Keras training call, or a loop calling a traced root, or one of these."""
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    training: set[str] = set()
    while True:
        found = {name for name, node in functions.items() if name not in training and _trains(node, roots, training)}
        if not found:
            return training
        training |= found


def _trains(function: ast.AST, roots: set[str], training: set[str]) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Attribute) and callee.attr in TRAINING_METHODS:
                return True
            if isinstance(callee, ast.Name) and callee.id in training:
                return True
        if isinstance(node, _LOOPS + _COMPREHENSIONS) and _calls_any(node, roots | training):
            return True
    return False


# ---------------------------------------------------------------- names


def _names(node: ast.stmt):
    """The module names ``node`` binds, reads when it runs, reads when what it defines is called,
    and assigns (after ``global``) when what it defines is called."""
    table = symtable.symtable(ast.unparse(node), "<statement>", "exec")
    binds, reads, lazy, writes = set(), set(), set(), set()
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported():
            binds.add(symbol.get_name())
        if symbol.is_referenced():
            reads.add(symbol.get_name())
    for child in table.get_children():
        _global_names(child, reads, lazy, writes, True)
    return frozenset(binds), frozenset(reads), frozenset(lazy), frozenset(writes)


def _global_names(table: symtable.SymbolTable, now: set[str], lazy: set[str], writes: set[str], running: bool) -> None:
    # A class body and a comprehension run where they stand; a function's body when it is called.
    running = running and (table.get_type() == "class" or table.get_name() in _RUN_AT_ONCE)
    into = now if running else lazy
    for symbol in table.get_symbols():
        if symbol.is_global() and symbol.is_referenced():
            into.add(symbol.get_name())
        if not running and symbol.is_declared_global() and symbol.is_assigned():
            writes.add(symbol.get_name())
    for child in table.get_children():
        _global_names(child, now, lazy, writes, running)


def _called_names(node: ast.AST) -> set[str]:
    return {n.func.id for n in _now(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _through_calls(tree: ast.Module, writes: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """What each module function assigns to globals, itself or through the module functions it calls."""
    calls = {n.name: _called_names(ast.Module(body=n.body, type_ignores=[])) & writes.keys()
             for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    total = {name: set(names) for name, names in writes.items()}
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            for callee in callees:
                if not total[callee] <= total[name]:
                    total[name] |= total[callee]
                    changed = True
    return {name: frozenset(names) for name, names in total.items()}


def _choose(statements: list[Statement], roots: set[str]) -> None:
    """Mark which deferred statements run: the only binders of a name read later."""
    always_from: dict[str, int] = {}  # name -> index of the first statement that always runs and binds it
    for index, statement in enumerate(statements):
        if statement.deferred is None:
            for name in statement.binds:
                always_from.setdefault(name, index)
    lazy: dict[str, set[str]] = {}  # name -> what calling what it names reads
    for statement in statements:
        for name in statement.binds:
            lazy.setdefault(name, set()).update(statement.lazy)

    def with_calls(names, reader: str) -> dict[str, str]:
        """``names``, and what the functions and classes they name read when called."""
        found = dict.fromkeys(names, reader)
        todo = list(found)
        while todo:
            name = todo.pop()
            for read in lazy.get(name, ()):
                if read not in found:
                    found[read] = f"`{name}` reads it when called"
                    todo.append(read)
        return found

    imported = {n for s in statements if isinstance(s.node, (ast.Import, ast.ImportFrom)) for n in s.binds}
    needed = with_calls(roots, "the traced functions need it")  # name -> who reads it
    read_by_lines: set[str] = set()  # needed by a later statement that runs, not only by the roots
    for index in range(len(statements) - 1, -1, -1):
        statement = statements[index]
        if statement.deferred is not None:
            wanted = sorted(n for n in statement.binds if n in needed and always_from.get(n, index) >= index)
            receiver = _set_up(statement.node) if statement.deferred.startswith("call ") else None
            statement.run = bool(wanted)
            if wanted:
                statement.needed = f"`{wanted[0]}` is bound only here, and {needed[wanted[0]]}"
            elif receiver in read_by_lines and receiver not in imported:
                # `parser.add_argument(...)` before `args = parser.parse_args()`
                statement.run = True
                statement.needed = f"it sets up `{receiver}`, and {needed[receiver]}"
        if not statement.run:
            continue
        for name in statement.binds:
            needed.pop(name, None)
            read_by_lines.discard(name)
        for name, reader in with_calls(statement.reads, f"{statement.lines()} reads it").items():
            needed.setdefault(name, reader)
            read_by_lines.add(name)


# A method call made for its effect on an object is run when a later line uses the object, unless
# it may write the user's files (a model saved before it was trained).
_WRITES = ("save", "export", "write", "dump", "upload", "push", "to_")


def _set_up(node: ast.stmt) -> str | None:
    """``parser`` for the statement ``parser.add_argument(...)``: a method call on a name, made for its effect."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    function = node.value.func
    if not isinstance(function, ast.Attribute) or function.attr in TRAINING_METHODS:
        return None
    if function.attr.lower().startswith(_WRITES):
        return None
    while isinstance(function, ast.Attribute):
        function = function.value
    return function.id if isinstance(function, ast.Name) else None


def _compile(node: ast.stmt, filename: str, flags: int):
    return compile(ast.Module(body=[node], type_ignores=[]), filename, "exec", flags=flags, dont_inherit=True)


def _future_flags(tree: ast.Module) -> int:
    flags = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def say_on_stderr(path: str) -> Callable[[str], None]:
    """Progress lines on stderr: the runner shows the last ones when a module times out."""
    def say(text: str) -> None:
        sys.stderr.write(f"tflint-fn: {path}: {text}\n")
        sys.stderr.flush()
    return say
