"""One pass over a module's Python syntax tree (``ast``): what it defines, imports and may trace.

The summary is what the project-wide analysis needs to know of every module
(defs, classes and their bases, imports, globals and their rebindings,
decorators, calls that may make a function traced, loops) and holds no
LibCST node: CPython's parser is several times faster than LibCST's, and
most modules hold no traced code at all.

LibCST trees are built lazily, one top-level statement (a *chunk*) at a
time, when a later stage asks for a node: ``FunctionInfo.node``,
``ClassInfo.node``, ``ModuleInfo.tree``. A chunk starts at column 0, so its
nodes' positions are the file's, shifted by the chunk's first line.
"""

from __future__ import annotations

import ast
import bisect
import collections
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from tflint_fn.model.names import ImportTable, dotted_name
from tflint_fn.sources.cstwalk import find_all
from tflint_fn.sources.parsing import ChunkParseError, parse_chunk

# Keras methods that build and trace a tf.function per model: a loop that makes a
# new model and calls one of these traces again on every iteration (TFF402).
KERAS_INFERENCE_METHODS = frozenset({"predict", "evaluate", "predict_on_batch", "test_on_batch"})
DATASET_FUNCTION_ARGUMENT = {
    # method name -> (positional index of the function, its keyword name)
    "map": (0, "map_func"),
    "filter": (0, "predicate"),
    "flat_map": (0, "map_func"),
    "interleave": (0, "map_func"),
    "reduce": (1, "reduce_func"),
    "scan": (1, "scan_func"),
}
_ROOT_CALL_HINTS = ("function(", "function (", ".compile(", "vectorized_map(", "Lambda(") + tuple(
    f".{m}(" for m in DATASET_FUNCTION_ARGUMENT
)
_PROPERTY_DECORATORS = ("property", "functools.cached_property", "cached_property")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    has_default: bool
    keyword_only: bool = False
    star: bool = False  # *args or **kwargs


@dataclass(frozen=True, slots=True)
class DecoratorName:
    """A decorator as written: ``@a.b`` or ``@a.b(...)``, dotted (None when not a dotted name)."""

    expression: str | None  # the whole decorator: None for ``@f(...)``
    callee: str | None  # what is applied: ``a.b`` for both spellings


@dataclass(eq=False)
class FunctionInfo:
    module: "ModuleInfo"
    qualname: str
    # A lambda's LibCST node is given; a def's is parsed when first asked for.
    given_node: cst.Lambda | None = None
    class_qualname: str | None = None  # set for methods
    parent: "FunctionInfo | None" = None  # enclosing function, for nested defs
    nested: dict[str, "FunctionInfo"] = field(default_factory=dict)
    declared_globals: set[str] = field(default_factory=set)
    bindings: tuple | None = None  # cached by scopes.scan_bindings
    is_generator: bool | None = None  # cached by traces.is_generator
    # Redefined later at the top level (a notebook's next cell): still analysed,
    # but names resolve to the later definition, and --dynamic imports that one.
    superseded: bool = False
    decorator_names: tuple[DecoratorName, ...] = ()
    parameters: tuple[Param, ...] | None = None
    # Its body returns the result of a call (``return tf.function(f)``): it may wrap tf.function.
    returns_call: bool = False
    chunk: int = -1  # the top-level statement holding the def, and its place among the defs there
    ordinal: int = -1
    line: int = 0  # of the `def` (0 for a lambda): chains and --dynamic need no position table for it

    @property
    def node(self) -> cst.FunctionDef | cst.Lambda:
        if self.given_node is not None:
            return self.given_node
        return self.module.definition_node(self.chunk, self.ordinal)

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
        return any(d.expression == "staticmethod" for d in self.decorator_names)

    @property
    def is_property(self) -> bool:
        """``@property`` / ``@x.setter`` / ``@x.deleter``: not what ``self.x(...)`` calls."""
        for decorator in self.decorator_names:
            name = decorator.expression or ""
            if name in _PROPERTY_DECORATORS or name.endswith((".setter", ".deleter", ".getter")):
                return True
        return False

    @property
    def decorators(self) -> tuple[cst.Decorator, ...]:
        """The LibCST decorators (parses the def's chunk); ``decorator_names`` does not."""
        return tuple(self.node.decorators) if self.given_node is None else ()

    def params(self) -> list[Param]:
        if self.parameters is None:
            self.parameters = tuple(iter_params(self.node.params))
        return list(self.parameters)

    def bound_params(self) -> list[Param]:
        """Parameters a caller supplies: without ``self``/``cls`` of a method."""
        params = self.params()
        if self.is_method and params and not params[0].star:
            return params[1:]
        return params


def iter_params(parameters: cst.Parameters):
    """The parameters of a LibCST ``Parameters`` (a lambda's)."""
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


def _ast_params(arguments: ast.arguments) -> tuple[Param, ...]:
    positional = [*arguments.posonlyargs, *arguments.args]
    first_default = len(positional) - len(arguments.defaults)
    params = [Param(arg.arg, index >= first_default) for index, arg in enumerate(positional)]
    if arguments.vararg is not None:
        params.append(Param(arguments.vararg.arg, False, star=True))
    for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        params.append(Param(arg.arg, default is not None, keyword_only=True))
    if arguments.kwarg is not None:
        params.append(Param(arguments.kwarg.arg, False, star=True))
    return tuple(params)


@dataclass(eq=False)
class ClassInfo:
    module: "ModuleInfo"
    qualname: str
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    superseded: bool = False  # redefined later at the top level
    bases: tuple[str, ...] = ()  # dotted, as written (unresolved)
    chunk: int = -1
    ordinal: int = -1
    # `self.X` / `cls.X` assigned a list, dict or set anywhere inside the class (not its bases)
    container_attributes: frozenset[str] = frozenset()
    # `self.X` / `cls.X` assigned a call's result (`self.step = tf.function(...)`), likewise
    call_attributes: frozenset[str] = frozenset()

    @property
    def node(self) -> cst.ClassDef:
        return self.module.definition_node(self.chunk, self.ordinal)

    @property
    def key(self) -> str:
        return f"{self.module.name}.{self.qualname}"

    def base_names(self) -> list[str]:
        """The bases as written, dotted (unresolved)."""
        return list(self.bases)


@dataclass(eq=False)
class RootCandidate:
    """A call that may make a function traced: ``tf.function(f)``, ``ds.map(f)``.

    From the summary: where it stands, and the called name (``callee``, dotted)
    or method (``method``). ``call`` is its LibCST node, set only on the
    candidates ``ModuleInfo.parsed_root_candidates`` returns.
    """

    scope: FunctionInfo | None  # where the call stands
    class_qualname: str | None
    chunk: int = -1
    callee: str | None = None
    method: str | None = None
    call: cst.Call | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """What a name is bound to by one assignment: ``ctx.binding(name)`` answers with these.

    ``kind``: "call" (``callee`` is the called API, qualified, when known),
    "container" (a list/dict/set display, comprehension or constructor),
    "literal" (a number, string, bool or None), "import", "def", "class" or "other".
    ``scope``: "local", "enclosing" or "module".
    """

    scope: str
    kind: str
    callee: str | None = None
    line: int = 0


@dataclass(eq=False)
class LoopSummary:
    """A for/while statement, and the names its body calls (for the loop-call stage's first filter)."""

    scope: FunctionInfo | None  # the function holding it; None at module level
    chunk: int
    called_names: frozenset[str]  # the last part of each called name or method
    calls_a_call: bool  # ``make()(x)``: what is called is itself a call's result
    # ``model = build(); model.predict(x)``: a Keras inference method called on a name the
    # body binds (TFF402 looks for those; a test's ``self.evaluate(t)`` is not one)
    infers_on_a_rebound_name: bool = False


# A unit LibCST parses is a chunk (WHOLE_CHUNK) or one of its pieces (its index).
WHOLE_CHUNK = -1
# While a forked process parses trees ahead (project/prefetch.py): asked first for each unit,
# it returns that unit's tree or None (then it is parsed here).
trees_parsed_ahead = None
# While the analysis runs with a cache (cache.TreeStore): asked next, by the unit's text.
stored_trees = None


@dataclass(frozen=True, slots=True)
class Piece:
    """A method of a top-level class, which LibCST can parse alone: most questions
    about a class are about one of its methods, and a class can be most of a file."""

    ordinal: int  # of its def in the chunk; the defs nested in it follow it
    count: int  # defs in it, its own included
    begin: int  # its text is the module's source[begin:end], from its first decorator to its last line
    end: int
    first_line: int


@dataclass(eq=False)
class Chunk:
    """One top-level statement: its lines, and its LibCST tree once parsed.

    A chunk that is one class has ``pieces``, its methods: a method asked for
    alone is parsed alone (``piece_trees``). When the whole class is asked for
    later, its fresh tree gets the pieces' nodes spliced in, so that every
    node has one identity; positions are measured on the unspliced tree and
    on the pieces, each an exact parse of its own text.
    """

    first_line: int
    begin: int  # its text is the module's source[begin:end]
    end: int
    tree: cst.Module | None = field(default=None, repr=False)  # parsed on demand; its own indent and newline
    definitions: list | None = field(default=None, repr=False)  # its FunctionDef/ClassDef nodes, in canonical order
    pieces: tuple[Piece, ...] = ()
    is_definition: bool = False  # one def or class statement: none of its code runs at its top level
    # piece index -> (its tree: the method inside a `class _:` line, its defs in canonical order)
    piece_trees: dict[int, tuple[cst.Module, list]] | None = field(default=None, repr=False)
    unspliced: cst.Module | None = field(default=None, repr=False)  # the class as parsed, before splicing

    def piece_of(self, ordinal: int) -> int | None:
        """The piece holding the def of this ordinal, if one does."""
        for index, piece in enumerate(self.pieces):
            if piece.ordinal <= ordinal < piece.ordinal + piece.count:
                return index
        return None


@dataclass(eq=False)
class ModuleInfo:
    path: Path
    display_path: str
    name: str
    is_package: bool
    source: str
    imports: ImportTable
    chunks: list[Chunk] = field(default_factory=list)
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
    # Every for/while statement, outermost first.
    loops: list[LoopSummary] = field(default_factory=list)
    # chunk -> the last part of each name called in the element of a one-clause comprehension
    # (`[step(i) for i in range(5)]`: a loop of calls, for the loop-call stage's first filter)
    comprehension_calls: dict[int, frozenset[str]] = field(default_factory=dict)
    definitions: dict[tuple[int, int], FunctionInfo | ClassInfo] = field(default_factory=dict)  # (chunk, ordinal) ->
    # Every module-level binding of each name, in top-level order (what the name may hold).
    global_bindings: dict[str, list[Binding]] = field(default_factory=dict)
    # The name Python imports it by from its own folder (``name`` may carry that folder's path).
    import_name: str = ""
    _tree: cst.Module | None = None

    def __getstate__(self) -> dict:
        """Pickled without its text (the cache key holds the text's digest) nor LibCST trees."""
        state = dict(self.__dict__)
        state["source"] = None
        state["_tree"] = None
        return state

    # --- LibCST, parsed on demand -------------------------------------------------

    def chunk_tree(self, index: int) -> cst.Module:
        chunk = self.chunks[index]
        if chunk.tree is None:
            try:
                tree = self._parse_unit(index, WHOLE_CHUNK)
            except ChunkParseError as error:
                error.module = self
                error.failure = type(error.failure)(
                    error.failure.reason, error.failure.line + chunk.first_line - 1, error.failure.column
                )
                raise
            if chunk.piece_trees:
                chunk.unspliced = tree
                tree = _splice(tree, chunk)
            chunk.tree = tree
        return chunk.tree

    def chunk_statements(self, index: int) -> tuple[cst.BaseStatement, ...]:
        return tuple(self.chunk_tree(index).body)

    def top_level_code(self, index: int) -> list[cst.BaseStatement]:
        """Chunk ``index``'s statements outside defs and classes; a chunk that is one def or
        class has none, and is not parsed to say so."""
        if self.chunks[index].is_definition:
            return []
        return [s for s in self.chunk_statements(index) if not isinstance(s, (cst.FunctionDef, cst.ClassDef))]

    def definition_node(self, chunk_index: int, ordinal: int):
        chunk = self.chunks[chunk_index]
        if chunk.definitions is None and chunk.tree is None:
            at = chunk.piece_of(ordinal)
            if at is not None:
                definitions = self.piece_definitions(chunk_index, at)
                if definitions is not None:
                    return definitions[ordinal - chunk.pieces[at].ordinal]
        if chunk.definitions is None:
            chunk.definitions = list(_cst_definitions(self.chunk_statements(chunk_index)))
        return chunk.definitions[ordinal]

    def piece_definitions(self, chunk_index: int, at: int) -> list | None:
        """The defs of piece ``at`` of a chunk (the method first), parsed alone if the
        class is not parsed yet; None when the piece must come from the class's tree."""
        chunk = self.chunks[chunk_index]
        if chunk.piece_trees is not None and at in chunk.piece_trees:
            return chunk.piece_trees[at][1]
        if chunk.tree is not None:
            return None
        piece = chunk.pieces[at]
        try:
            tree = self._parse_unit(chunk_index, at)
        except ChunkParseError:
            return None  # the class's own parse says where, if it fails too
        definitions = list(_cst_definitions(tree.body))[1:]
        if len(definitions) != piece.count or not isinstance(definitions[0], cst.FunctionDef):
            return None
        if chunk.piece_trees is None:
            chunk.piece_trees = {}
        chunk.piece_trees[at] = (tree, definitions)
        return definitions

    def unit_text(self, index: int, at: int) -> str:
        """The text LibCST parses for chunk ``index`` (``at`` = WHOLE_CHUNK) or for its piece ``at``."""
        chunk = self.chunks[index]
        if at == WHOLE_CHUNK:
            return self.source[chunk.begin : chunk.end]
        piece = chunk.pieces[at]
        text = self.source[piece.begin : piece.end]
        newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
        return f"class _:{newline}{text}"

    def _parse_unit(self, index: int, at: int) -> cst.Module:
        if trees_parsed_ahead is not None:
            tree = trees_parsed_ahead.tree(self, index, at)
            if tree is not None:
                return tree
        text = self.unit_text(index, at)
        if stored_trees is None:
            return parse_chunk(text)
        tree = stored_trees.tree(text)
        if tree is None:
            tree = parse_chunk(text)
            stored_trees.parsed(text, tree)
        return tree

    def unparsed_unit(self, function: FunctionInfo) -> tuple[int, int] | None:
        """The unit that asking for ``function``'s def (one of this module's) would parse; None if
        it is parsed (or a lambda)."""
        if function.given_node is not None or function.chunk < 0:
            return None
        chunk = self.chunks[function.chunk]
        if chunk.tree is not None:
            return None
        at = chunk.piece_of(function.ordinal)
        if at is None:
            return function.chunk, WHOLE_CHUNK
        if chunk.piece_trees is not None and at in chunk.piece_trees:
            return None
        return function.chunk, at

    def position_trees(self, index: int) -> list[tuple[cst.Module, int]]:
        """The trees of chunk ``index`` that positions are measured on, each with the
        number of lines before its first line: together they hold every node handed out."""
        chunk = self.chunks[index]
        trees = []
        if chunk.tree is not None:
            trees.append((chunk.unspliced or chunk.tree, chunk.first_line - 1))
        for at, (tree, _) in (chunk.piece_trees or {}).items():
            trees.append((tree, chunk.pieces[at].first_line - 2))  # its first line is `class _:`
        return trees

    @property
    def tree(self) -> cst.Module:
        """The whole module, every chunk parsed (the nodes are the chunks' own)."""
        if self._tree is None:
            body = [statement for index in range(len(self.chunks)) for statement in self.chunk_statements(index)]
            self._tree = cst.Module(body=body)
        return self._tree

    def parsed_chunks(self) -> list[int]:
        """The chunks with a parsed tree: the whole chunk's, or some of its pieces'."""
        return [index for index, chunk in enumerate(self.chunks) if chunk.tree is not None or chunk.piece_trees]

    def chunk_of_line(self, line: int) -> int:
        low, high = 0, len(self.chunks) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.chunks[middle].first_line <= line:
                low = middle
            else:
                high = middle - 1
        return low

    def function_for_lambda(self, node: cst.Lambda, scope: FunctionInfo | None) -> FunctionInfo:
        info = self.lambdas.get(id(node))
        if info is None:
            prefix = f"{scope.qualname}.<locals>." if scope is not None else ""
            info = FunctionInfo(self, f"{prefix}<lambda>", given_node=node, parent=scope)
            self.lambdas[id(node)] = info
        return info

    def parsed_root_candidates(self, candidates) -> list[RootCandidate]:
        """The root candidates where these (the summary's) stand, with their LibCST calls:
        those outside functions first, by chunk, then those of each function holding one."""
        found = []
        outside = {candidate.chunk for candidate in candidates if candidate.scope is None}
        scopes = {id(candidate.scope) for candidate in candidates if candidate.scope is not None}
        for index in sorted(outside):
            for statement in self.chunk_statements(index):
                if isinstance(statement, cst.FunctionDef):
                    continue
                for call in find_all(statement, cst.Call, skip=(cst.FunctionDef,)):
                    if _is_cst_root_candidate(call, self):
                        found.append(RootCandidate(None, None, index, call=call))
        for function in self.functions.values():
            if id(function) in scopes:
                for call in find_all(function.node.body, cst.Call, skip=(cst.FunctionDef, cst.ClassDef)):
                    if _is_cst_root_candidate(call, self):
                        found.append(RootCandidate(function, function.class_qualname, function.chunk, call=call))
        return found

    def parsed_loops(self, loops) -> list[tuple[FunctionInfo | None, cst.For | cst.While]]:
        """The LibCST loops around these (the summary's), outermost first, with the function
        holding each: every loop of their chunks, or of their methods when a class's methods hold them all."""
        found: list = []
        by_chunk: dict[int, list[LoopSummary]] = {}
        for loop in loops:
            by_chunk.setdefault(loop.chunk, []).append(loop)
        for index in sorted(by_chunk):
            pieces = self._pieces_holding(index, [loop.scope for loop in by_chunk[index]])
            if pieces is None:
                _cst_loops(self, self.chunk_statements(index), None, iter(_cst_definitions_with_ordinals(self, index)), found)
                continue
            for at, definitions in pieces:
                first = self.chunks[index].pieces[at].ordinal
                infos = (self.definitions.get((index, first + offset)) for offset in range(len(definitions)))
                _cst_loops(self, definitions[:1], None, infos, found)
        return found

    def _pieces_holding(self, index: int, scopes) -> list[tuple[int, list]] | None:
        """The parsed pieces of chunk ``index`` that hold all these functions, in source
        order; None when something is outside them (the class itself must be parsed)."""
        chunk = self.chunks[index]
        if not chunk.pieces or chunk.tree is not None:
            return None
        wanted = set()
        for scope in scopes:
            at = chunk.piece_of(scope.ordinal) if scope is not None and scope.chunk == index else None
            if at is None:
                return None
            wanted.add(at)
        pieces = []
        for at in sorted(wanted):
            definitions = self.piece_definitions(index, at)
            if definitions is None:
                return None
            pieces.append((at, definitions))
        return pieces


def summarize(module: ModuleInfo, tree: ast.Module) -> None:
    """Fill ``module`` with its chunks, defs, classes, imports, root candidates and loops."""
    statement_pass = _StatementPass(module, tree)
    statement_pass.run()
    module.false_constants -= module.reassigned_globals | module.toplevel_rebound
    if any(hint in module.source for hint in _ROOT_CALL_HINTS):
        _scan_root_calls(module, tree, statement_pass.owners, statement_pass.nodes)


# --- chunks -------------------------------------------------------------------------

_LINE_END = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str) -> list[int]:
    """Offsets of each line's first character, as Python counts lines (\\n, \\r\\n, \\r)."""
    if "\r" in text:
        return [0, *(match.end() for match in _LINE_END.finditer(text))]
    # Only \n: the lengths of the lines, summed without a Python loop (the last sum is past the end).
    return list(itertools.accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))[:-1]


def _chunks(text: str, body: list[ast.stmt]) -> tuple[list[Chunk], list[int], list[int]]:
    """Top-level statements as chunks (``a = 1; b = 2`` is one), each statement's chunk, and the line starts."""
    starts = _line_starts(text)
    firsts: list[int] = []
    owner: list[int] = []
    last_end = 0
    for statement in body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if firsts and first <= last_end:
            owner.append(len(firsts) - 1)  # on the line where the previous statement ends
        else:
            firsts.append(first)
            owner.append(len(firsts) - 1)
        last_end = max(last_end, statement.end_lineno or statement.lineno)
    chunks = []
    for index, first in enumerate(firsts):
        begin = starts[first - 1]
        end = starts[firsts[index + 1] - 1] if index + 1 < len(firsts) else len(text)
        chunks.append(Chunk(first, begin, end))
    return chunks, owner, starts


def _pieces(statement: ast.ClassDef, chunk: int, ordinals: dict[int, int], nodes: dict, starts: list[int], size: int):
    """The methods of a top-level class (defs right in its body), as pieces."""
    pieces = []
    for child in statement.body:
        if isinstance(child, _AST_DEFS):
            first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            last = child.end_lineno or child.lineno
            end = starts[last] if last < len(starts) else size
            ordinal = ordinals[id(child)]
            # The defs nested in it follow it in canonical order, and start before its last line.
            count = 1
            while (following := nodes.get((chunk, ordinal + count))) is not None and following.lineno <= last:
                count += 1
            pieces.append(Piece(ordinal, count, starts[first - 1], end, first))
    return tuple(pieces)


def _blocks_of(statement) -> list[list]:
    """The statement blocks of a compound statement, in source order (ast)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.AsyncWith)):
        return [statement.body]
    if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While)):
        return [statement.body, statement.orelse]
    if isinstance(statement, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return [statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody]
    if isinstance(statement, ast.Match):
        return [case.body for case in statement.cases]
    return []


def _cst_blocks_of(statement) -> list:
    """The same blocks as ``_blocks_of``, for LibCST statements."""
    suites = []
    statement_type = type(statement)  # exact tests: LibCST's isinstance is slow
    if statement_type in (cst.FunctionDef, cst.ClassDef, cst.With):
        suites = [statement.body]
    elif statement_type is cst.If:
        suites = [statement.body]
        if type(statement.orelse) is cst.If:
            return [_suite_statements(statement.body), [statement.orelse]]
        if statement.orelse is not None:
            suites.append(statement.orelse.body)
    elif statement_type in (cst.For, cst.While):
        suites = [statement.body] + ([statement.orelse.body] if statement.orelse is not None else [])
    elif statement_type in (cst.Try, cst.TryStar):
        suites = [statement.body, *(h.body for h in statement.handlers)]
        suites += [clause.body for clause in (statement.orelse, statement.finalbody) if clause is not None]
    elif statement_type is cst.Match:
        suites = [case.body for case in statement.cases]
    return [_suite_statements(suite) for suite in suites]


def _cst_definitions(statements):
    stack = list(reversed(statements))
    while stack:
        current = stack.pop()
        if type(current) in (cst.FunctionDef, cst.ClassDef):
            yield current
        for block in reversed(_cst_blocks_of(current)):
            stack.extend(reversed(block))


def _splice(tree: cst.Module, chunk: Chunk) -> cst.Module:
    """The class's fresh ``tree`` holding the nodes its pieces already handed out."""
    definitions = list(_cst_definitions(tree.body))
    replacements = {id(definitions[chunk.pieces[at].ordinal]): nodes[0] for at, (_, nodes) in chunk.piece_trees.items()}
    class_node = tree.body[0]
    body = [replacements.get(id(statement), statement) for statement in class_node.body.body]
    return tree.with_changes(body=[class_node.with_changes(body=class_node.body.with_changes(body=body))])


def _cst_definitions_with_ordinals(module: ModuleInfo, index: int):
    for ordinal, _node in enumerate(_cst_definitions(module.chunk_statements(index))):
        yield module.definitions.get((index, ordinal))


def _suite_statements(suite: cst.BaseSuite):
    return suite.body if isinstance(suite, cst.IndentedBlock) else [cst.SimpleStatementLine(suite.body)]


# --- the statement pass ---------------------------------------------------------------

_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_AST_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_AST_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_AST_COMPOUND = (*_AST_LOOPS, ast.With, ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try), ast.Match)


class _StatementPass:
    def __init__(self, module: ModuleInfo, tree: ast.Module) -> None:
        self.module = module
        self.tree = tree
        self.chunk = -1
        # id(ast def) -> its ordinal in its chunk: the statement pass meets the defs in
        # canonical order (parents first, blocks as _blocks_of lists them), and counts them
        self.ordinals: dict[int, int] = {}
        self.counts: dict[int, int] = {}  # chunk -> defs met so far
        self.owners: list[int] = []  # the chunk of each top-level statement
        self.nodes: dict[tuple[int, int], ast.AST] = {}  # (chunk, ordinal) -> ast def
        self.classes: list[ClassInfo] = []  # the classes around the statement being visited
        # (those classes, X, value) for each `self.X = value` / `cls.X = value` in a class;
        # whether the value is a container is asked once the module's imports are all known
        self.attribute_values: list[tuple[tuple[ClassInfo, ...], str, ast.expr]] = []

    def run(self) -> None:
        module = self.module
        module.chunks, self.owners, starts = _chunks(module.source, self.tree.body)
        for statement, chunk in zip(self.tree.body, self.owners):
            self.chunk = chunk
            self._statement(statement, function=None, class_info=None, prefix="")
        statements_per_chunk = collections.Counter(self.owners)
        for statement, chunk in zip(self.tree.body, self.owners):
            if statements_per_chunk[chunk] == 1 and isinstance(statement, (*_AST_DEFS, ast.ClassDef)):
                module.chunks[chunk].is_definition = True
                if isinstance(statement, ast.ClassDef):
                    module.chunks[chunk].pieces = _pieces(statement, chunk, self.ordinals, self.nodes, starts, len(module.source))
        containers: dict[int, set[str]] = {}
        calls: dict[int, set[str]] = {}
        for classes, attribute, value in self.attribute_values:
            if is_ast_python_container(value, module.imports):
                for class_info in classes:
                    containers.setdefault(id(class_info), set()).add(attribute)
            if isinstance(value, ast.Call):
                for class_info in classes:
                    calls.setdefault(id(class_info), set()).add(attribute)
        for class_info in (*module.classes.values(), *module.superseded_classes):
            class_info.container_attributes = frozenset(containers.get(id(class_info), ()))
            class_info.call_attributes = frozenset(calls.get(id(class_info), ()))
        source = module.source
        for statement, chunk in zip(self.tree.body, self.owners):
            begin, end = module.chunks[chunk].begin, module.chunks[chunk].end
            if source.find(" for ", begin, end) < 0:
                continue
            lines = _comprehension_for_lines(source, begin, end, module.chunks[chunk].first_line)
            called = _comprehension_called_names(statement, lines) if lines else frozenset()
            if called:
                module.comprehension_calls[chunk] = module.comprehension_calls.get(chunk, frozenset()) | called
        # A name assigned by two top-level statements (or in a top-level loop)
        # is rebound as the script runs; whether that can change what a traced
        # function froze depends on the order (script_order.py, TFF106).
        seen: set[str] = set()
        for statement in self.tree.body:
            if isinstance(statement, (*_AST_DEFS, ast.ClassDef)):
                continue
            assigned: set[str] = set()
            for node in _ast_statements(statement):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    assigned |= _assigned_names(node)
            if isinstance(statement, _AST_LOOPS):
                module.toplevel_rebound |= assigned
            module.toplevel_rebound |= assigned & seen
            seen |= assigned

    def _number(self, definition) -> None:
        ordinal = self.counts.get(self.chunk, 0)
        self.ordinals[id(definition)] = ordinal
        self.nodes[(self.chunk, ordinal)] = definition
        self.counts[self.chunk] = ordinal + 1

    def _block(self, statements, function, class_info, prefix, guards=()) -> None:
        for statement in statements:
            self._statement(statement, function, class_info, prefix, guards)

    def _statement(self, node, function, class_info, prefix, guards=()) -> None:
        module = self.module
        if isinstance(node, ast.If):
            inner = (*guards, node.test)
            self._block(node.body, function, class_info, prefix, inner)
            self._block(node.orelse, function, class_info, prefix, inner)
        elif isinstance(node, _AST_DEFS):
            self._number(node)
            qualname = prefix + node.name
            info = FunctionInfo(
                module,
                qualname,
                class_qualname=class_info.qualname if class_info else None,
                parent=function,
                decorator_names=tuple(_decorator_name(d) for d in node.decorator_list),
                parameters=_ast_params(node.args),
                chunk=self.chunk,
                ordinal=self.ordinals[id(node)],
                line=node.lineno,
            )
            module.definitions[(info.chunk, info.ordinal)] = info
            if function is None and class_info is None and qualname in module.functions:
                earlier = module.functions[qualname]
                earlier.superseded = True
                module.superseded_functions.append(earlier)
            if qualname not in module.functions or not info.is_property:
                module.functions[qualname] = info
            if class_info is not None and (node.name not in class_info.methods or not info.is_property):
                class_info.methods[node.name] = info
            elif function is not None:
                function.nested[node.name] = info
            if function is None and class_info is None:
                module.module_names.add(node.name)
                module.global_bindings.setdefault(node.name, []).append(Binding("module", "def", None, node.lineno))
            self._block(node.body, info, None, qualname + ".<locals>.")
        elif isinstance(node, ast.ClassDef):
            self._number(node)
            qualname = prefix + node.name
            bases = tuple(name for name in (ast_dotted_name(base) for base in node.bases) if name is not None)
            info = ClassInfo(module, qualname, bases=bases, chunk=self.chunk, ordinal=self.ordinals[id(node)])
            module.definitions[(info.chunk, info.ordinal)] = info
            if function is None and class_info is None and qualname in module.classes:
                earlier = module.classes[qualname]
                earlier.superseded = True
                for method in earlier.methods.values():
                    method.superseded = True
                module.superseded_classes.append(earlier)
            module.classes[qualname] = info
            if function is None and class_info is None:
                module.module_names.add(node.name)
                module.global_bindings.setdefault(node.name, []).append(Binding("module", "class", None, node.lineno))
            self.classes.append(info)
            self._block(node.body, function, info, qualname + ".")
            self.classes.pop()
        elif isinstance(node, _AST_COMPOUND):
            if isinstance(node, _AST_LOOPS):
                module.loops.append(_loop_summary(node, function, self.chunk))
            for block in _blocks_of(node):
                self._block(block, function, class_info, prefix, guards)
        else:
            self._small(node, function, guards)

    def _small(self, node, function, guards=()) -> None:
        module = self.module
        if isinstance(node, ast.Import):
            module.imports.add_ast_import(node)
            if function is None:
                for alias in node.names:
                    local = alias.asname or alias.name.split(".", 1)[0]
                    module.module_names.add(local)
                    module.global_bindings.setdefault(local, []).append(Binding("module", "import", None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            module.imports.add_ast_import_from(node)
            if function is None and not (len(node.names) == 1 and node.names[0].name == "*"):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".", 1)[0]
                    module.module_names.add(local)
                    module.global_bindings.setdefault(local, []).append(Binding("module", "import", None, node.lineno))
        elif isinstance(node, ast.Global) and function is not None:
            function.declared_globals.update(node.names)
        elif isinstance(node, ast.Return) and function is not None and isinstance(node.value, ast.Call):
            function.returns_call = True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = _assigned_names(node)
            if self.classes and node.value is not None and not isinstance(node, ast.AugAssign):
                for target in node.targets if isinstance(node, ast.Assign) else (node.target,):
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
                        self.attribute_values.append((tuple(self.classes), target.attr, node.value))
            if function is None:
                module.module_names.update(targets)
                if node.value is not None:
                    binding = ast_binding(node.value, module.imports, "module", node.lineno)
                    for name in sorted(targets):
                        module.global_bindings.setdefault(name, []).append(binding)
            elif targets and function.declared_globals:
                rebound = function.declared_globals.intersection(targets)
                # `if X is None: X = ...` fills X once, lazily: not a reassignment.
                lazily = {name for name in rebound if any(_mentions_name(test, name) for test in guards)}
                module.reassigned_globals.update(rebound - lazily)
            value = node.value
            if value is not None and _creates_variable(value, module.imports):
                module.variable_globals.update(targets)
            if function is None and value is not None and is_ast_python_container(value, module.imports):
                module.container_globals.update(targets)
            if function is None and value is not None and _creates_random_generator(value, module.imports):
                module.rng_globals.update(targets)
            if function is None and isinstance(node, ast.Assign):
                if isinstance(value, ast.Constant) and value.value is False and not targets & module.module_names_seen:
                    module.false_constants.update(targets)
                else:
                    module.false_constants.difference_update(targets)
                module.module_names_seen.update(targets)


def _ast_statements(statement):
    """``statement`` and the statements in its blocks, not entering defs and classes."""
    stack = [statement]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (*_AST_DEFS, ast.ClassDef)):
            for block in _blocks_of(current):
                stack.extend(block)


def _ast_calls(nodes, skip):
    """Every ``ast.Call`` in ``nodes`` and below, not entering ``skip`` types (nor ``nodes`` of them)."""
    return (node for node in _ast_descendants(nodes, skip) if type(node) is ast.Call)


# Fields that never hold a node worth yielding: names, flags, a constant's value, a load/store marker.
_LEAF_FIELDS = frozenset({"ctx", "id", "attr", "arg", "module", "level", "type_comment", "kind", "is_async", "conversion"})
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(node_type: type) -> tuple[str, ...]:
    fields = _NODE_FIELDS.get(node_type)
    if fields is None:
        leaves = _LEAF_FIELDS | ({"value"} if node_type is ast.Constant else set())
        fields = _NODE_FIELDS[node_type] = tuple(name for name in node_type._fields if name not in leaves)
    return fields


def _ast_descendants(nodes, skip):
    """``nodes`` and every node below them, not entering ``skip`` types (nor ``nodes`` of them);
    the load/store markers (``ctx``) are not yielded."""
    stack = [node for node in nodes if not isinstance(node, skip)]
    while stack:
        node = stack.pop()
        yield node
        for name in _node_fields(type(node)):
            value = getattr(node, name)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST) and not isinstance(item, skip))
            elif isinstance(value, ast.AST) and not isinstance(value, skip):
                stack.append(value)


def ast_dotted_name(node) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None (``names.dotted_name`` for ``ast``)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _decorator_name(decorator) -> DecoratorName:
    callee = decorator.func if isinstance(decorator, ast.Call) else decorator
    return DecoratorName(ast_dotted_name(decorator), ast_dotted_name(callee))


def _mentions_name(test, name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(test))


def _target_names(target, names: set[str]) -> None:
    if isinstance(target, ast.Name):
        names.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _target_names(element, names)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, names)


def _assigned_names(node) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names: set[str] = set()
    for target in targets:
        _target_names(target, names)
    return names


# A `for` that may be a comprehension's: after something on its line, or starting a line that does
# not end with `:` (a `for` statement's line does, unless it goes on over several lines).
_COMPREHENSION_FOR = re.compile(r"(?m)^[ \t]*[^ \t\n#].*?(?<![\w.])for\s|^[ \t]*for\s[^\n]*[^:\s][ \t]*$")
_AST_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp)


def _comprehension_for_lines(source: str, begin: int, end: int, first_line: int) -> list[int]:
    """The lines where ``_COMPREHENSION_FOR`` matches in ``source[begin:end]``, as ``finditer`` finds them.

    A match starts a line and needs a ``for`` on it: only such lines are tried
    (the regular expression over every line was most of a summary's text scan).
    """
    lines: list[int] = []
    line, counted, consumed = first_line, begin, begin
    at = source.find("for", begin, end)
    while at >= 0:
        start = source.rfind("\n", begin, at) + 1 or begin
        if start >= consumed:
            match = _COMPREHENSION_FOR.match(source, start, end)
            if match:
                line += source.count("\n", counted, start)  # from the previous match: a big class stays linear
                counted, consumed = start, match.end()
                lines.append(line)
        newline = source.find("\n", at, end)
        if newline < 0:
            break
        at = source.find("for", newline + 1, end)
    return lines


def _comprehension_called_names(statement, lines: list[int]) -> frozenset[str]:
    """The last part of every name called in the element of a comprehension with one ``for`` and no ``if``.

    Only nodes whose lines hold one of ``lines`` (where a comprehension's ``for`` may be) are entered:
    most of a large class is never walked.
    """
    called: set[str] = set()
    lines = sorted(lines)
    stack = [statement]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            start = getattr(child, "lineno", None)
            if start is None:
                stack.append(child)
                continue
            at = bisect.bisect_left(lines, start)
            if at < len(lines) and lines[at] <= child.end_lineno:
                stack.append(child)
        if type(node) in _AST_COMPREHENSIONS and len(node.generators) == 1 and not node.generators[0].ifs:
            called.update(filter(None, map(_last_called_name, _ast_calls([node.elt], skip=()))))
    return frozenset(called)


def _last_called_name(call) -> str | None:
    """``f`` of ``f(x)``, ``m`` of ``obj.m(x)``; None when what is called is not a name."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _loop_summary(loop, function, chunk: int) -> LoopSummary:
    called: set[str] = set()
    calls_a_call = False
    receivers: set[str] = set()  # `model` of `model.predict(x)`
    bound: set[str] = set()
    for node in _ast_descendants(loop.body, skip=_AST_SCOPES):
        node_type = type(node)
        if node_type is ast.Name:
            if type(node.ctx) is ast.Store:
                bound.add(node.id)
        elif node_type is ast.Call:
            name = _last_called_name(node)
            if name is not None:
                called.add(name)
                func = node.func
                if name in KERAS_INFERENCE_METHODS and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    receivers.add(func.value.id)
            elif isinstance(node.func, ast.Call):
                calls_a_call = True
    return LoopSummary(function, chunk, frozenset(called), calls_a_call, not receivers.isdisjoint(bound))


_CONTAINER_CONSTRUCTORS = frozenset(
    {
        "list", "dict", "set", "collections.deque", "collections.defaultdict",
        "collections.OrderedDict", "collections.Counter",
    }
)


def is_python_container(value: cst.BaseExpression, imports: ImportTable) -> bool:
    """A list/dict/set display, comprehension, or constructor call (LibCST)."""
    if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    return isinstance(value, cst.Call) and _constructs_container(dotted_name(value.func), imports)


def is_ast_python_container(value, imports: ImportTable) -> bool:
    """``is_python_container`` for an ``ast`` expression."""
    if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    return isinstance(value, ast.Call) and _constructs_container(ast_dotted_name(value.func), imports)


def _constructs_container(name: str | None, imports: ImportTable) -> bool:
    if name in ("list", "dict", "set"):
        return True
    return name is not None and imports.resolve_dotted(name) in _CONTAINER_CONSTRUCTORS


def ast_binding(value, imports: ImportTable, scope: str, line: int) -> Binding:
    """What ``name = value`` binds (an ``ast`` value)."""
    if is_ast_python_container(value, imports):
        return Binding(scope, "container", None, line)
    if isinstance(value, ast.Call):
        name = ast_dotted_name(value.func)
        callee = (imports.resolve_dotted(name) or name) if name is not None else None
        return Binding(scope, "call", callee, line)
    if isinstance(value, ast.Constant):
        return Binding(scope, "literal", None, line)
    return Binding(scope, "other", None, line)


_RANDOM_GENERATORS = frozenset(
    {"numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator", "random.Random"}
)


def _called_api(value, imports: ImportTable) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    name = ast_dotted_name(value.func)
    return imports.resolve_dotted(name) if name is not None else None


def _creates_random_generator(value, imports: ImportTable) -> bool:
    return _called_api(value, imports) in _RANDOM_GENERATORS


def _creates_variable(value, imports: ImportTable) -> bool:
    return _called_api(value, imports) == "tensorflow.Variable"


# --- root candidates ---------------------------------------------------------------------


_SPACE = r"[ \t\f\\\r\n]*"  # what may stand between a name and its call's parenthesis
_DATASET_CALL = re.compile(r"\." + _SPACE + "(?:" + "|".join(DATASET_FUNCTION_ARGUMENT) + ")" + _SPACE + r"\(")
_BARE_CALL = re.compile(r"(?<![\w.])(\w+)" + _SPACE + r"\(")


def _scan_root_calls(module: ModuleInfo, tree: ast.Module, owners: list[int], nodes: dict) -> None:
    """Calls of ``tf.function`` and of dataset transformations, with their scope (no LibCST)."""
    # A chunk can hold a candidate only if its text calls `function`, a dataset
    # method, or a bare imported name: most chunks are skipped without a walk.
    source = module.source
    hinted = {
        index
        for index, chunk in enumerate(module.chunks)
        if "function" in source[chunk.begin : chunk.end]
        or "compile" in source[chunk.begin : chunk.end]
        or "vectorized_map(" in source[chunk.begin : chunk.end]
        or "Lambda(" in source[chunk.begin : chunk.end]
        or _DATASET_CALL.search(source, chunk.begin, chunk.end)
        or not module.imports.aliases.keys().isdisjoint(_BARE_CALL.findall(source, chunk.begin, chunk.end))
    }
    for statement, chunk in zip(tree.body, owners):
        if chunk not in hinted:
            continue
        for call in _ast_calls([statement], skip=_AST_DEFS):
            candidate = _ast_root_candidate(call, module, None, chunk)
            if candidate is not None:
                module.root_candidates.append(candidate)
    for function in module.functions.values():
        if function.chunk not in hinted:
            continue
        node = nodes[(function.chunk, function.ordinal)]
        for call in _ast_calls(node.body, skip=(*_AST_DEFS, ast.ClassDef)):
            candidate = _ast_root_candidate(call, module, function, function.chunk)
            if candidate is not None:
                module.root_candidates.append(candidate)


# ``tf.function(f)``, ``model.compile(loss=f)``, ``tf.vectorized_map(f, x)``, ``keras.layers.Lambda(f)``.
CALLBACK_ROOT_METHODS = ("function", "compile", "vectorized_map", "Lambda")


def _ast_root_candidate(call, module: ModuleInfo, scope: FunctionInfo | None, chunk: int) -> RootCandidate | None:
    if not (call.args or call.keywords):
        return None
    func = call.func
    class_qualname = scope.class_qualname if scope is not None else None
    if isinstance(func, ast.Attribute):
        if func.attr in DATASET_FUNCTION_ARGUMENT or func.attr in CALLBACK_ROOT_METHODS:
            return RootCandidate(scope, class_qualname, chunk, ast_dotted_name(func), func.attr)
        return None
    if isinstance(func, ast.Name) and func.id in module.imports.aliases:
        return RootCandidate(scope, class_qualname, chunk, func.id)
    return None


def _is_cst_root_candidate(call: cst.Call, module: ModuleInfo) -> bool:
    if not call.args:
        return False
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value in DATASET_FUNCTION_ARGUMENT or func.attr.value in CALLBACK_ROOT_METHODS
    return isinstance(func, cst.Name) and func.value in module.imports.aliases


def _cst_loops(module: ModuleInfo, statements, function, definitions, found: list) -> None:
    """Loops in the statement pass's order, with their function (``definitions``: infos in canonical order)."""
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            info = next(definitions)
            inner = info if isinstance(info, FunctionInfo) else function
            for block in _cst_blocks_of(statement):
                _cst_loops(module, block, inner, definitions, found)
            continue
        if isinstance(statement, cst.ClassDef):
            next(definitions)
        elif isinstance(statement, (cst.For, cst.While)):
            found.append((function, statement))
        for block in _cst_blocks_of(statement):
            _cst_loops(module, block, function, definitions, found)

