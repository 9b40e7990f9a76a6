"""Resolve names to what they refer to, with a light pass over imports.

LibCST's QualifiedNameProvider needs full scope analysis, which costs about
ten times the parse itself. Linting needs far less: which dotted name a
``Name`` or ``Attribute`` chain stands for, given the module's imports. That is
what this module computes, and it canonicalises the many spellings of the
same TensorFlow API (``tf.compat.v2.function``, ``tensorflow.keras``,
``keras``, ``tf_keras``) to one name.
"""

from __future__ import annotations

import builtins
import functools

import libcst as cst

BUILTIN_NAMES = frozenset(dir(builtins))
UNRESOLVED = "<unresolved-import>"

# Prefixes rewritten to a canonical spelling, longest first.
_CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.python.eager.polymorphic_function.polymorphic_function.function", "tensorflow.function"),
    ("tensorflow.python.eager.def_function.function", "tensorflow.function"),
    ("tensorflow.python.autograph.impl.api.do_not_convert", "tensorflow.autograph.experimental.do_not_convert"),
    ("tensorflow.python.ops.script_ops.", "tensorflow."),
    ("tensorflow.python.ops.variables.Variable", "tensorflow.Variable"),
    ("tensorflow.python.data.ops.dataset_ops.", "tensorflow.data."),
    ("tensorflow.compat.v1.keras.", "keras."),
    ("tensorflow.compat.v2.keras.", "keras."),
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.src.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras_core.src.", "keras."),
    ("keras_core.", "keras."),
    ("keras.api.", "keras."),
    ("keras._tf_keras.keras.", "keras."),
)
_CANONICAL_EXACT = {
    "tensorflow.compat.v1": "tensorflow",
    "tensorflow.compat.v2": "tensorflow",
    "tensorflow.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tf_keras": "keras",
}


@functools.lru_cache(maxsize=1 << 16)  # asked again and again for the same few thousand names
def canonical(qualified_name: str) -> str:
    """Map equivalent spellings of an API to one name."""
    exact = _CANONICAL_EXACT.get(qualified_name)
    if exact is not None:
        return exact
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualified_name.startswith(prefix):
            return replacement + qualified_name[len(prefix) :]
    return qualified_name


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while type(node) is cst.Attribute:  # exact tests: LibCST's isinstance is slow
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_dotted(node: cst.BaseExpression) -> str:
    """The dotted text of an import's module (``a.b`` of ``import a.b``)."""
    name = dotted_name(node)
    assert name is not None, "import targets are always Name/Attribute chains"
    return name


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """Absolute name of ``from ...target import`` as seen from ``module``."""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
    if target:
        parts.append(target)
    return ".".join(parts) if parts else None


class ImportTable:
    """Local name -> qualified name, from every import in a module.

    Imports are collected wherever they stand (TensorFlow code sometimes
    imports inside functions); a name imported twice keeps its first meaning.
    """

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.aliases: dict[str, str] = {}
        self.imported_modules: set[str] = set()  # every module an import may load
        self.star_modules: list[str] = []  # `from X import *`

    def _bind(self, local: str, qualified: str) -> None:
        self.aliases.setdefault(local, qualified)

    def add_import(self, node: cst.Import) -> None:
        self._add_import(
            (module_dotted(alias.name), _as_name(alias)) for alias in node.names
        )

    def add_ast_import(self, node) -> None:
        """``add_import`` for an ``ast.Import``."""
        self._add_import((alias.name, alias.asname) for alias in node.names)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        target = module_dotted(node.module) if node.module is not None else None
        if isinstance(node.names, cst.ImportStar):
            self._add_import_from(target, len(node.relative), None)
        else:
            self._add_import_from(
                target, len(node.relative), [(module_dotted(alias.name), _as_name(alias)) for alias in node.names]
            )

    def add_ast_import_from(self, node) -> None:
        """``add_import_from`` for an ``ast.ImportFrom``."""
        star = len(node.names) == 1 and node.names[0].name == "*"
        names = None if star else [(alias.name, alias.asname) for alias in node.names]
        self._add_import_from(node.module, node.level, names)

    def _add_import(self, names) -> None:
        for full, asname in names:
            self.imported_modules.add(full)
            if asname is not None:
                self._bind(asname, full)
            else:
                # ``import a.b`` binds ``a``; ``a.b.x`` then resolves through it.
                head = full.split(".", 1)[0]
                self._bind(head, head)

    def _add_import_from(self, target: str | None, level: int, names: list[tuple[str, str | None]] | None) -> None:
        if level:
            base = resolve_relative(self.module, self.is_package, level, target)
        else:
            base = target
        if base is None:
            # A relative import above the top package (files checked outside
            # their package): the names are imported, from we know not where.
            base = UNRESOLVED
        self.imported_modules.add(base)
        if names is None:
            self.star_modules.append(base)
            return
        for name, asname in names:
            self.imported_modules.add(f"{base}.{name}")
            self._bind(asname or name, f"{base}.{name}")

    def rebase(self, prefixes: dict[str, str]) -> None:
        """Absolute imports of top-level names that the module's own folder holds, renamed
        (``numpy`` -> ``tools.numpy`` for a script beside ``tools/numpy.py``)."""

        def moved(qualified: str) -> str:
            top, dot, rest = qualified.partition(".")
            return prefixes[top] + dot + rest if top in prefixes else qualified

        self.aliases = {local: moved(target) for local, target in self.aliases.items()}
        self.imported_modules = {moved(name) for name in self.imported_modules}
        self.star_modules = [moved(name) for name in self.star_modules]

    def resolve_dotted(self, dotted: str) -> str | None:
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return canonical(f"{target}.{rest}" if rest else target)


def _as_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None
