"""Module summaries come from Python's ast; LibCST parses a top-level statement only when asked.

The summary names every def and class by (chunk, ordinal); these tests check
that the LibCST node found that way is the same definition, on real files and
on generated programs, that chunks and positions survive odd line endings,
and that modules without traced code are never parsed by LibCST.
"""

import ast
import textwrap
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tflint_fn import analysis, engine
from tflint_fn.model.names import ImportTable
from tflint_fn.model.summary import ModuleInfo, iter_params, summarize
from tflint_fn.sources import parsing

REPO = Path(__file__).resolve().parent.parent
REAL_FILES = sorted(REPO.glob("tflint_fn/**/*.py")) + sorted(REPO.glob("fixtures/*/**/*.py"))


def summary_of(text: str, name: str = "m") -> ModuleInfo:
    module = ModuleInfo(Path(f"/x/{name}.py"), f"{name}.py", name, False, text, ImportTable(name, False))
    summarize(module, ast.parse(text))
    return module


def check_definitions_match(module: ModuleInfo) -> int:
    checked = 0
    for info in module.definitions.values():
        node = info.node
        assert node.name.value == info.qualname.rsplit(".", 1)[-1], (info.qualname, node.name.value)
        if isinstance(node, cst.FunctionDef):
            assert list(iter_params(node.params)) == info.params(), info.qualname
            written = [d.decorator for d in node.decorators]
            assert len(written) == len(info.decorator_names), info.qualname
        checked += 1
    return checked


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_definition_finds_its_libcst_node(path):
    module = summary_of(path.read_text(encoding="utf-8"))
    check_definitions_match(module)
    # The chunks, parsed together, are the file's top-level statements.
    assert len(module.tree.body) == len(cst.parse_module(module.source).body)


def _generated_summary(source: str) -> ModuleInfo | None:
    """The summary of a generated program that both CPython and LibCST parse, else None."""
    try:
        tree = ast.parse(source)
        cst.parse_module(source)
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError):
        return None
    module = ModuleInfo(Path("/x/m.py"), "m.py", "m", False, source, ImportTable("m", False))
    summarize(module, tree)
    return module


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs_find_their_definitions(source):
    module = _generated_summary(source)
    if module is not None:
        check_definitions_match(module)


def test_tricky_layouts_map_to_the_right_nodes():
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        a = 1; b = 2
        @tf.function
        @other
        def f(x, *rest, k=1, **kw):
            def inner(y):
                class Local:
                    def m(self):
                        pass
                return y
            return inner(x)
        class C(tf.keras.layers.Layer):
            @property
            def w(self):
                return 1
            @w.setter
            def w(self, value):
                pass
            if True:
                def call(self, x):
                    return x
            else:
                def call(self, x):
                    return -x
        try:
            def g(): pass
        except Exception:
            def g(): return 1
        finally:
            def h(): pass
        """
    )
    module = summary_of(source)
    assert check_definitions_match(module) == 12
    # The import; `a = 1; b = 2`; f from its first decorator; C; the try statement.
    assert [c.first_line for c in module.chunks] == [1, 2, 3, 12, 25]
    f = module.functions["f"]
    assert [d.callee for d in f.decorator_names] == ["tf.function", "other"]
    assert [(p.name, p.has_default, p.keyword_only, p.star) for p in f.params()] == [
        ("x", False, False, False), ("rest", False, False, True), ("k", True, True, False), ("kw", False, False, True),
    ]
    assert module.classes["C"].base_names() == ["tf.keras.layers.Layer"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_positions_in_later_chunks_with_any_line_ending(tmp_path, newline):
    lines = [
        "import tensorflow as tf",
        "",
        "x = 1  # a chunk before the traced one",
        "",
        "",
        "@tf.function",
        "def f(t):",
        "    print(t)",
        "    return t",
    ]
    (tmp_path / "m.py").write_bytes(newline.join(lines).encode() + newline.encode())
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert [(f.code, f.start.line, f.start.column) for f in result.findings] == [("TFF101", 8, 5)]


def _chunk_parses(monkeypatch) -> list[str]:
    """The text of every chunk (or method, inside its `class _:` line) LibCST parses from now on."""
    parsed: list[str] = []
    original = parsing.parse_chunk

    def spy(text):
        parsed.append(text)
        return original(text)

    monkeypatch.setattr("tflint_fn.model.summary.parse_chunk", spy)
    return parsed


def test_untraced_modules_and_statements_are_never_parsed_by_libcst(tmp_path, monkeypatch):
    parsed = _chunk_parses(monkeypatch)
    (tmp_path / "util.py").write_text("import tensorflow as tf\n\ndef helper(x):\n    return x + 1\n\nclass Config:\n    pass\n")
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\nfrom util import helper\n\nSIZE = 3\n\n"
        "def untraced(v):\n    return v\n\n"
        "@tf.function\ndef step(x):\n    return helper(x)\n"
    )
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert result.findings == []
    # The tf.function and the helper it calls; not the imports, SIZE, untraced() or Config.
    assert sorted(text.splitlines()[0] for text in parsed) == ["@tf.function", "def helper(x):"]


def test_a_loop_of_inference_calls_is_parsed_only_when_it_rebuilds_the_receiver(tmp_path, monkeypatch):
    """TFF402 wants `model = build(); model.predict(x)` in one loop; a test case's
    `self.evaluate(t)` in a loop is not that, and its class is not parsed for it."""
    parsed = _chunk_parses(monkeypatch)
    (tmp_path / "check_test.py").write_text(
        "import tensorflow as tf\n\n"
        "class StepTest(tf.test.TestCase):\n"
        "    def test_steps(self):\n"
        "        for i in range(3):\n"
        "            self.evaluate(tf.constant(i))\n\n"
        "def sweep(xs):\n"
        "    for x in xs:\n"
        "        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
        "        model.predict(x)\n"
    )
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert [f.code for f in result.findings] == ["TFF402"]  # the rebuilt model, still found
    assert [text.splitlines()[0] for text in parsed] == ["def sweep(xs):"]
    loops = summary_of((tmp_path / "check_test.py").read_text()).loops
    assert [loop.infers_on_a_rebound_name for loop in loops] == [False, True]


def test_a_statement_libcst_cannot_parse_is_tff001_and_the_rest_is_still_checked(tmp_path, monkeypatch):
    original = parsing.parse_chunk

    def refuse(text):
        if "refused" in text:
            raise parsing.ChunkParseError(parsing.ParseFailure("syntax error: LibCST refused it", 2, 5))
        return original(text)

    monkeypatch.setattr("tflint_fn.model.summary.parse_chunk", refuse)
    (tmp_path / "bad.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    # refused\n    print(x)\n")
    (tmp_path / "good.py").write_text("import tensorflow as tf\n\n@tf.function\ndef g(x):\n    print(x)\n")
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert [(f.path, f.code, f.start.line) for f in result.findings] == [("bad.py", "TFF001", 4), ("good.py", "TFF101", 5)]


def _settings():
    from tflint_fn.config import FileConfig, resolve_settings

    return resolve_settings(FileConfig(), select=None, extend_select=None, ignore=None)


def test_one_binding_lookup_answers_local_enclosing_and_module_names(tmp_path, monkeypatch):
    """``ctx.binding(name)``: what a rule asks of a name, without a new set in the summary per rule."""
    from tflint_fn.checks.base import Check

    seen = {}

    class Probe(Check):
        code, name, severity, summary = "TFF101", "print-in-graph", "error", "probe"
        node_types = (cst.Call,)

        def check(self, node, ctx):
            if isinstance(node.func, cst.Name) and node.func.value == "probe":
                for arg in node.args:
                    seen[arg.value.value] = ctx.binding(arg.value.value)
            return iter(())

    monkeypatch.setattr(analysis, "ALL_CHECKS", [Probe])
    (tmp_path / "m.py").write_text(textwrap.dedent(
        """\
        import logging
        import numpy as np
        import tensorflow as tf

        log = logging.getLogger(__name__)
        rng = np.random.default_rng(0)
        seen = []
        LIMIT = 3

        def outer(scale):
            kept = {}
            @tf.function
            def step(x):
                global LIMIT
                local = tf.zeros([3])
                probe(log, rng, seen, LIMIT, kept, scale, local, x, tf, outer, nothing)
                return x
            return step
        """
    ))
    engine.run([str(tmp_path)], _settings(), tmp_path)
    kinds = {name: (b.scope, b.kind, b.callee) if b else None for name, b in seen.items()}
    assert kinds == {
        "log": ("module", "call", "logging.getLogger"),
        "rng": ("module", "call", "numpy.random.default_rng"),
        "seen": ("module", "container", None),
        "LIMIT": ("module", "literal", None),
        "kept": ("enclosing", "container", None),
        "scale": ("enclosing", "parameter", None),
        "local": ("local", "call", "tensorflow.zeros"),
        "x": ("local", "parameter", None),
        "tf": ("module", "import", None),
        "outer": ("module", "def", None),
        "nothing": None,
    }


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\nb", "\n\n", "x\ny\n\nz\n", "a\rb\r\nc\n", "é\n\u2028x\n\x0cy"])
def test_line_starts_count_lines_as_python_does(text):
    import re

    from tflint_fn.model.summary import _line_starts

    assert _line_starts(text) == [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]


# --- methods parsed alone ("pieces") ---------------------------------------------------

_CLASS_LAYOUTS = textwrap.dedent(
    """\
    import tensorflow as tf


    class Model(tf.keras.Model):
        \"\"\"A docstring.\"\"\"
        units = [1, 2]  # a class-level statement

        # a comment before a decorated method
        @tf.function(jit_compile=True)
        def call(self, x, training=False):
            for i in range(3):
                x = x + i
            f = lambda y: y * 2
            def inner(z):
                class Local:
                    def m(self):
                        return z
                return z
                # a comment deeper than the next def
            return inner(f(x))
            # trailing comment, indented as the body

        async def fetch(self):  # an async method
            return await self.other()

        def one_liner(self): return [s for s in self.units]
    @tf.function
    def after(t):
        return t
    """
)


def _node_positions(roots, range_of):
    """(kind, start line, start column, end line, end column) of every name, call, loop,
    lambda and def under ``roots``, sorted; ``range_of`` gives a node's range."""
    found = []
    for root in roots:
        for node in _walk(root):
            if isinstance(node, (cst.Name, cst.Call, cst.For, cst.Lambda, cst.FunctionDef)):
                where = range_of(node)
                found.append((type(node).__name__, where.start.line, where.start.column, where.end.line, where.end.column))
    return sorted(found)


def _walk(node):
    from tflint_fn.sources.cstwalk import children

    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def _positions_of(module, nodes):
    """The positions tflint-fn reports for the nodes under ``nodes`` (``_node_positions``)."""
    from tflint_fn.checks.run import Positions

    positions = Positions()
    return _node_positions(nodes, lambda node: positions.range(module, node))


def _file_positions(source, select):
    """Positions from one parse of the whole file, for the statements ``select`` picks."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(cst.parse_module(source))
    return _node_positions(select(wrapper.module), wrapper.resolve(PositionProvider).__getitem__)


def _class_methods(tree):
    """The defs right in the body of each top-level class of a LibCST module."""
    return [m for s in tree.body if isinstance(s, cst.ClassDef) for m in s.body.body if isinstance(m, cst.FunctionDef)]


def _methods_parsed_alone(module):
    """The functions of a summary that are pieces: methods of a top-level class."""
    return [info for info in module.functions.values()
            if info.parent is None and module.chunks[info.chunk].piece_of(info.ordinal) is not None]


def _methods_of(tree_body, class_name):
    (class_node,) = [s for s in tree_body if isinstance(s, cst.ClassDef) and s.name.value == class_name]
    return [s for s in class_node.body.body if isinstance(s, cst.FunctionDef)]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("indent", ["    ", "\t"])
def test_a_method_parsed_alone_has_the_nodes_and_positions_of_the_whole_file(monkeypatch, newline, indent):
    source = _CLASS_LAYOUTS.replace("    ", indent).replace("\n", newline)
    parsed = _chunk_parses(monkeypatch)
    module = summary_of(source)
    call = module.functions["Model.call"]
    node = call.node
    # Only the method was parsed: its own lines, inside a one-line class.
    assert len(parsed) == 1 and parsed[0].startswith("class _:") and "units = [1, 2]" not in parsed[0]
    assert module.functions["Model.call.<locals>.inner"].node in list(_walk(node))
    assert _positions_of(module, [node]) == _file_positions(source, lambda tree: _methods_of(tree.body, "Model")[:1])
    # The whole class, asked for later, holds the very nodes handed out, and every position is the file's.
    fetch = module.functions["Model.fetch"].node
    class_node = module.classes["Model"].node
    assert _methods_of([class_node], "Model")[:2] == [node, fetch]
    assert _methods_of([class_node], "Model")[0] is node and _methods_of([class_node], "Model")[1] is fetch
    assert module.functions["Model.one_liner"].node is _methods_of([class_node], "Model")[2]
    assert _positions_of(module, [class_node]) == _file_positions(
        source, lambda tree: [s for s in tree.body if isinstance(s, cst.ClassDef)]
    )
    assert check_definitions_match(module) == 8
    assert len(module.tree.body) == len(cst.parse_module(source).body)


@pytest.mark.parametrize("path", [p for p in REAL_FILES if "\nclass " in p.read_text(encoding="utf-8")][:40],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_methods_of_real_files_parsed_alone_keep_the_file_positions(path):
    source = path.read_text(encoding="utf-8")
    module = summary_of(source)
    methods = _methods_parsed_alone(module)
    assert all(info.class_qualname and "." not in info.class_qualname for info in methods)
    nodes = [info.node for info in methods]  # each parsed alone
    expected = _file_positions(source, _class_methods)
    assert _positions_of(module, nodes) == expected
    check_definitions_match(module)


def test_a_class_whose_method_holds_the_traced_code_is_parsed_one_method_at_a_time(tmp_path, monkeypatch):
    parsed = _chunk_parses(monkeypatch)
    (tmp_path / "pipeline.py").write_text(
        "import tensorflow as tf\n\n"
        "class Pipeline:\n"
        "    def build(self, ds):\n"
        "        return ds.map(self.decode)\n\n"
        "    def decode(self, record):\n"
        "        print(record)\n"
        "        return record\n\n"
        "    def report(self, rows):\n"
        "        for row in rows:\n"
        "            print(row)\n"
    )
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert [(f.code, f.start.line, f.function) for f in result.findings] == [("TFF101", 8, "Pipeline.decode")]
    # The method holding the candidate `ds.map(...)`, then the traced one; never `report` nor the class.
    assert [text.splitlines()[1].strip() for text in parsed] == ["def build(self, ds):", "def decode(self, record):"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs_parse_their_methods_alone_at_the_file_positions(source):
    module = _generated_summary(source)
    if module is None:
        return
    methods = _methods_parsed_alone(module)
    nodes = [info.node for info in reversed(methods)]  # methods first, each alone; classes after
    expected = _file_positions(source, _class_methods)
    assert _positions_of(module, nodes) == expected
    check_definitions_match(module)
    for info in methods:  # the class's tree, parsed after its methods, holds the very same nodes
        (class_node,) = module.chunk_statements(info.chunk)
        assert any(m is info.node for m in class_node.body.body)


def test_container_attributes_come_from_the_summary_without_parsing_the_class(tmp_path, monkeypatch):
    parsed = _chunk_parses(monkeypatch)
    (tmp_path / "model.py").write_text(
        "import collections\nimport tensorflow as tf\n\n"
        "class Tracker(tf.Module):\n"
        "    seen: list = []\n"
        "    def __init__(self):\n"
        "        self.history = []\n"
        "        self.counts = collections.defaultdict(int)\n"
        "        self.total = 0\n\n"
        "    @tf.function\n"
        "    def step(self, x):\n"
        "        self.history.append(x)\n"
        "        self.total += 1\n"
        "        return x\n"
    )
    module = summary_of((tmp_path / "model.py").read_text())
    assert module.classes["Tracker"].container_attributes == {"history", "counts"}
    parsed.clear()
    result = engine.run([str(tmp_path)], _settings(), tmp_path)
    assert ("TFF102", 13) in [(f.code, f.start.line) for f in result.findings]
    assert [text.splitlines()[1].strip() for text in parsed] == ["@tf.function"]  # the traced method alone


def _comprehension_lines_by_regex(text: str, first_line: int = 1) -> list[int]:
    from tflint_fn.model.summary import _COMPREHENSION_FOR

    lines, line, counted = [], first_line, 0
    for match in _COMPREHENSION_FOR.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.append(line)
    return lines


@settings(max_examples=300, deadline=None)
@example(["for", "\n", "x", " for ", "\n"])  # a `for` header's match runs on into the next line, which is not tried again
@example(["x = [a", " for ", "\n", "  b in c]", "\n", "# for x", "\n", "\t", "for ", "i in y:", "\n"])
@given(st.lists(st.sampled_from(["for", "for ", " for ", "x", ".", "_", "#", ":", " ", "\t", "\n", "\r", "[", "]", "(f"]), max_size=40))
def test_comprehension_lines_are_the_regular_expression_s_on_every_line(parts):
    """Only lines holding a `for` are tried; the lines found are those of a scan of every line."""
    from tflint_fn.model.summary import _comprehension_for_lines

    text = "".join(parts)
    assert _comprehension_for_lines(text, 0, len(text), 1) == _comprehension_lines_by_regex(text)


def test_top_level_code_leaves_out_definitions_without_parsing_them(monkeypatch):
    """A chunk that is one def or class (with methods or none) has no top-level code and is
    not parsed to say so; other chunks give their statements outside definitions."""
    module = summary_of(
        "import tensorflow as tf\n"
        "@tf.function\ndef step(x):\n    return x\n"
        "class Config:\n    size = compute()\n"
        "class Layer:\n    def call(self, x):\n        return x\n"
        "x = step(1); y = 2\n"
        "if DEBUG:\n    def debug():\n        pass\n"
    )
    parsed = _chunk_parses(monkeypatch)
    definitions = [index for index, chunk in enumerate(module.chunks) if chunk.is_definition]
    assert [module.chunks[index].first_line for index in definitions] == [2, 5, 7]
    assert all(module.top_level_code(index) == [] for index in definitions)
    assert parsed == []
    code = [module.top_level_code(index) for index in range(len(module.chunks)) if index not in definitions]
    assert [[type(statement).__name__ for statement in statements] for statements in code] == [
        ["SimpleStatementLine"], ["SimpleStatementLine"], ["If"],
    ]
    assert len(parsed) == 3


def test_call_attributes_come_from_the_summary_and_spare_the_methods_a_parse(tmp_path, monkeypatch):
    """`self.X = call(...)` anywhere in a class's methods (blocks, chained targets) is in
    the summary; a loop's `self.helper(i)` on a class that assigns no `helper` that way
    does not parse the class's methods to look for `self.helper = tf.function(...)`."""
    module = summary_of(
        "import tensorflow as tf\n"
        "class Trainer:\n"
        "    def __init__(self, eager):\n"
        "        if not eager:\n"
        "            self.step = self.fast = tf.function(self._step)\n"
        "        self.history = []\n"
        "        self.size: int = compute()\n"
        "    def _step(self, x):\n"
        "        return x\n"
    )
    assert module.classes["Trainer"].call_attributes == {"step", "fast", "size"}
    (tmp_path / "trainer.py").write_text(
        "import tensorflow as tf\n\n"
        "def double(x):\n    return x * 2\n\n"
        "callback = tf.function(double)\n\n"  # `callback` is a name worth reading a loop for
        "class Trainer:\n"
        "    def __init__(self, callback):\n        self.callback = callback\n\n"
        "    def unrelated(self, x):\n        return x\n\n"
        "    def run(self):\n        for i in range(3):\n            self.callback(i)\n"
    )
    parsed = _chunk_parses(monkeypatch)
    engine.run([str(tmp_path)], _settings(), tmp_path)
    assert any("def run" in text for text in parsed)  # the loop's method is read
    assert not any("def unrelated" in text or "def __init__" in text for text in parsed)
