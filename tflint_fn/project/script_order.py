"""The top level of a module, script or notebook, in the order it runs.

A traced function freezes a module global when it is first traced. A
rebinding of that global at the top level matters only if it can run after
that first trace *and* the function is used again after it. Before the first
trace (or before the function even exists) the trace sees the new value;
after the last use nobody sees the frozen one. This module answers that
question for one global and one traced root, from the top-level statements
alone: which names each binds, which it mentions, and whether it is a loop.

Nothing before the statement that holds the root (its ``def`` or ``class``,
or the ``ds.map(lambda ...)`` that traces it) can use it. From there on, a
statement "uses" the root when it mentions a name that leads to it: the name
that statement binds, or one bound from such a name (``fast = step``,
``ds2 = ds.batch(8)``, ``model = Net()`` for a Keras class, whose instances
lead to its methods). What a function returns is data, not a way to the
root. A ``def``/``class`` passes the link on to its own name but runs
nothing; rebinding a leading name to something else cuts the link.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from tflint_fn.model.scopes import target_names
from tflint_fn.sources.cstwalk import walk


@dataclass(frozen=True)
class TopStatement:
    binds: frozenset[str]  # names bound anywhere in it but inside defs/classes/lambdas
    mentions: frozenset[str]  # names read in it (defs and classes: in their bodies too)
    values: tuple[tuple[str, str], ...]  # (name, code of the value) for `name = value`
    defines: bool  # a def or class: it binds a name but runs nothing that could trace
    loops: bool  # a for/while at the top level: runs its body again after itself
    keras_runs: frozenset[str]  # `model.fit(...)`, `.predict(...)`...: what traces a Keras model's methods
    # (targets, heads, callees) per assignment: `model = Net(cfg)` -> ({model},
    # {cfg}, {Net}); a def or class -> ({its name}, what its body mentions, {}).
    derives: tuple[tuple[frozenset[str], frozenset[str], frozenset[str]], ...] = ()


def top_statements(module) -> list[TopStatement]:
    """The module's top-level statements, summarised once per module."""
    cached = getattr(module, "_top_statements", None)
    if cached is None:
        cached = [_summarise(statement, module.tree) for statement in module.tree.body]
        module._top_statements = cached
    return cached


def _summarise(statement: cst.CSTNode, tree: cst.Module) -> TopStatement:
    binds: set[str] = set()
    mentions: set[str] = set()
    keras_runs: set[str] = set()
    derives: list[tuple[frozenset[str], frozenset[str], frozenset[str]]] = []
    values: list[tuple[str, str]] = []
    defines = isinstance(statement, (cst.FunctionDef, cst.ClassDef))
    if defines:
        binds.add(statement.name.value)

    def enter(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Attribute):
            if node.attr.value in KERAS_TRACING_METHODS and isinstance(node.value, cst.Name):
                keras_runs.add(node.value.value)
            walk(node.value, enter)  # `model.fit`: `model` is read, `fit` is not a name
            return False
        if isinstance(node, cst.Arg):
            walk(node.value, enter)  # `fit(epochs=10)`: `epochs` is a keyword, not a read
            return False
        if isinstance(node, cst.Name):
            mentions.add(node.value)
        elif node is not statement and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return _mentions_only(node, mentions)
        elif isinstance(node, cst.Assign):
            targets: set[str] = set()
            for target in node.targets:
                target_names(target.target, targets)
            binds.update(targets)
            heads, callees = _heads(node.value)
            derives.append((frozenset(targets), frozenset(heads), frozenset(callees)))
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                values.append((node.targets[0].target.value, tree.code_for_node(node.value)))
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            target_names(node.target, binds)
        elif isinstance(node, (cst.For, cst.CompFor)):
            target_names(node.target, binds)
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.Name):
            binds.add(node.name.value)
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            binds.add(_import_binding(node))
        elif isinstance(node, cst.NamedExpr):
            target_names(node.target, binds)
        return True

    if defines:
        # What the definition reads: its decorators, parameters (or bases) and
        # body; not its own name, which it binds.
        parts = [statement.body, *statement.decorators]
        parts += [statement.params] if isinstance(statement, cst.FunctionDef) else [*statement.bases, *statement.keywords]
        for part in parts:
            _mentions_only(part, mentions)
        derives.append((frozenset(binds), frozenset(mentions), frozenset()))
    else:
        walk(statement, enter)
    loops = isinstance(statement, (cst.For, cst.While))
    return TopStatement(
        frozenset(binds), frozenset(mentions), tuple(values), defines, loops, frozenset(keras_runs), tuple(derives)
    )


def _heads(value: cst.BaseExpression) -> tuple[set[str], set[str]]:
    """The names a value is made from, as opposed to data read through them,
    and apart from those the names of what is called to make it.

    ``ds.batch(8)``, ``tf.function(step)``, ``history.history["loss"]`` are
    made from ``ds``, ``step``, ``history``; ``Net(cfg)`` from ``cfg``, by
    calling ``Net``; ``next(iter(ds))`` is an element of ``ds``: made by
    calling ``next``.
    """
    heads: set[str] = set()
    callees: set[str] = set()
    if isinstance(value, cst.Call):
        if isinstance(value.func, cst.Attribute):
            inner, inner_callees = _heads(value.func.value)  # `ds.batch(8)`: a method of ds
            heads |= inner
            callees |= inner_callees
        else:
            callees |= _heads(value.func)[0]
        trains = isinstance(value.func, cst.Attribute) and value.func.attr.value in KERAS_TRACING_METHODS
        if not trains:  # `history = model.fit(ds)` is data about ds, not made from it
            heads |= {arg.value.value for arg in value.args if isinstance(arg.value, cst.Name)}
    elif isinstance(value, (cst.Attribute, cst.Subscript)):
        heads, callees = _heads(value.value)
    elif isinstance(value, cst.Name):
        heads.add(value.value)
    elif isinstance(value, (cst.Tuple, cst.List)):
        for element in value.elements:
            inner, inner_callees = _heads(element.value)
            heads |= inner
            callees |= inner_callees
    return heads, callees


def _mentions_only(node: cst.CSTNode, mentions: set[str]) -> bool:
    """Names read inside a def, class or lambda (they bind nothing at the top level)."""

    def enter(inner: cst.CSTNode) -> bool:
        if isinstance(inner, cst.Attribute):
            walk(inner.value, enter)
            return False
        if isinstance(inner, cst.Name):
            mentions.add(inner.value)
        return True

    walk(node, enter)
    return False


def _import_binding(alias: cst.ImportAlias) -> str:
    name = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""


def statement_index(module, node: cst.CSTNode) -> int | None:
    """The index of the top-level statement that holds ``node``."""
    for index, statement in enumerate(module.tree.body):
        found = []

        def enter(current, found=found):
            if current is node:
                found.append(True)
            return not found

        walk(statement, enter)
        if found:
            return index
    return None


def statement_line(module, index: int) -> int:
    """The 1-based line where top-level statement ``index`` starts (after its comments)."""
    return module.chunks[index].first_line  # one chunk per top-level statement


# A Keras model's `call`/`train_step` are traced by these (and the function is
# kept); called directly, `model(x)` runs eagerly and sees every new value.
# Checked with TensorFlow 2.21: `m(x)`, rebinding, `m.predict(x)` saw the new
# value; `m.predict(x)`, rebinding, `m.predict(x)` did not.
KERAS_TRACING_METHODS = frozenset({
    "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch",
})


def rebinding_after_first_trace(
    statements: list[TopStatement], name: str, anchor: int, keras: bool = False, used_after_end: bool = False,
) -> int | None:
    """The index of a top-level rebinding of ``name`` that can run after the
    root was first traced, and before a later use of it; None when every
    rebinding is harmless.

    ``anchor`` is the top-level statement that holds the root: its ``def`` or
    ``class`` (which binds the name that leads to it), or the statement that
    creates and traces it (``ds = raw.map(lambda ...)``). Nothing before it
    can use this definition. ``name = <the same code>`` again is no change.
    With ``keras``, the root is a Keras method: only a statement that fits,
    evaluates or predicts with a model that leads to it traces (or uses) it.
    With ``used_after_end`` (a module that other modules import), the root is
    used again after the top level has run.
    """
    leading: set[str] = set()
    used_before = False  # a statement before this one may have traced the root
    last_value: str | None = None
    candidate: int | None = None
    for index, statement in enumerate(statements):
        touches = index == anchor or bool(statement.mentions & leading)
        runs_root = touches and not statement.defines and (not keras or bool(statement.keras_runs & leading))
        rebinds = name in statement.binds
        if rebinds:
            value = dict(statement.values).get(name)
            unchanged = value is not None and value == last_value
            if statement.loops and runs_root and not unchanged:
                return index  # a loop around the calls that also rebinds it
            if used_before and not unchanged and candidate is None:
                candidate = index
            last_value = value
        if runs_root:
            if candidate is not None and index > candidate:
                return candidate  # the root is used again after the rebinding
            used_before = True
        for targets, heads, callees in statement.derives:
            # What a Keras class (or a factory of one) returns is a model that
            # leads to its methods; what a function returns is data.
            if index == anchor or heads & leading or (keras and callees & leading):
                leading |= targets - {name}
            elif targets & leading:
                leading -= targets  # `ds = other.map(...)`: the name now holds something else
    return candidate if used_after_end else None
