"""Unit tests of single stages: names, tensor-ness, discovery, parsing, suppressions."""

import os

import libcst as cst
import pytest

from tflint_fn.checks.suppressions import is_suppressed, line_suppressions
from tflint_fn.function.tensors import A_TENSOR, MAYBE_TENSOR, PYTHON, taint_of_api_call
from tflint_fn.model.names import ImportTable, canonical
from tflint_fn.sources.discovery import DiscoveryError, discover, module_name
from tflint_fn.sources.parsing import ParseFailure, decode, parse


@pytest.mark.parametrize(
    "written, expected",
    [
        ("tensorflow.compat.v2.function", "tensorflow.function"),
        ("tensorflow.compat.v1.keras.layers.Dense", "keras.layers.Dense"),
        ("tensorflow.keras.Model", "keras.Model"),
        ("tf_keras.layers.Layer", "keras.layers.Layer"),
        ("keras.src.layers.Layer", "keras.layers.Layer"),
        ("tensorflow.reduce_sum", "tensorflow.reduce_sum"),
    ],
)
def test_canonical(written, expected):
    assert canonical(written) == expected


def test_import_table_resolves_aliases_and_relative_imports():
    table = ImportTable("pkg.sub.mod", is_package=False)
    module = cst.parse_module(
        "import tensorflow as tf\nimport numpy\nimport os.path\nfrom ..util import helper as h\nfrom . import sibling\n"
    )
    for statement in module.body:
        node = statement.body[0]
        table.add_import(node) if isinstance(node, cst.Import) else table.add_import_from(node)
    assert table.resolve_dotted("tf.keras.layers.Dense") == "keras.layers.Dense"
    assert table.resolve_dotted("numpy.mean") == "numpy.mean"
    assert table.resolve_dotted("os.path.join") == "os.path.join"
    assert table.resolve_dotted("h") == "pkg.util.helper"
    assert table.resolve_dotted("sibling.f") == "pkg.sub.sibling.f"
    assert table.resolve_dotted("unknown.f") is None


@pytest.mark.parametrize(
    "api, taint",
    [
        ("tensorflow.reduce_sum", A_TENSOR),
        ("tensorflow.math.reduce_mean", A_TENSOR),
        ("tensorflow.unstack", MAYBE_TENSOR),
        ("tensorflow.image.combined_non_max_suppression", MAYBE_TENSOR),
        ("tensorflow.Variable", A_TENSOR),
        ("tensorflow.TensorSpec", PYTHON),
        ("tensorflow.nest.flatten", PYTHON),
        ("tensorflow.get_static_value", PYTHON),
        ("tensorflow.io.gfile.exists", PYTHON),
        ("tensorflow.python.util.nest.flatten", PYTHON),
        ("tensorflow.python.ops.math_ops.reduce_sum", A_TENSOR),
        ("keras.layers.Dense", PYTHON),
        ("keras.ops.sum", A_TENSOR),
        ("numpy.mean", PYTHON),
    ],
)
def test_taint_of_api_calls(api, taint):
    assert taint_of_api_call(api) == taint


def test_taint_join_is_certain_only_when_both_paths_agree():
    assert A_TENSOR.join(A_TENSOR) == A_TENSOR
    assert A_TENSOR.join(PYTHON) == MAYBE_TENSOR
    assert PYTHON.join(MAYBE_TENSOR) == MAYBE_TENSOR
    assert PYTHON.join(PYTHON) == PYTHON


def test_module_names_follow_packages(tmp_path):
    (tmp_path / "src" / "pkg" / "sub").mkdir(parents=True)
    for directory in ("src/pkg", "src/pkg/sub"):
        (tmp_path / directory / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "sub" / "m.py").write_text("")
    (tmp_path / "script.py").write_text("")
    assert module_name(tmp_path / "src" / "pkg" / "sub" / "m.py") == ("pkg.sub.m", False)
    assert module_name(tmp_path / "src" / "pkg" / "__init__.py") == ("pkg", True)
    assert module_name(tmp_path / "script.py") == ("script", False)


def test_discovery_skips_default_excludes_and_survives_symlink_loops(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "y.py").write_text("")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "notes.txt").write_text("")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    files = discover(["."], tmp_path)
    assert [f.display_path for f in files] == ["a/x.py"]


def test_discovery_of_missing_path_raises(tmp_path):
    with pytest.raises(DiscoveryError):
        discover(["missing"], tmp_path)


def test_same_module_name_twice_gets_distinct_names(tmp_path):
    for directory in ("one", "two"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "train.py").write_text("")
    names = [f.module for f in discover(["."], tmp_path)]
    assert len(set(names)) == 2


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"x = '\xff'\n", "cannot decode as utf-8"),
        (b"# -*- coding: latin-1 -*-\nx = '\xff'\n", None),
        (b"\xef\xbb\xbfx = 1\r\ny = 2\r\n", None),
        (b"x = 1\n\x00\n", "NUL byte"),
        (b"", None),
    ],
)
def test_decode(data, problem):
    result = decode(data)
    if problem is None:
        assert isinstance(result, str)
        assert not isinstance(parse(result), ParseFailure)
    else:
        assert isinstance(result, ParseFailure) and problem in result.reason


def test_parse_failures_never_raise():
    assert isinstance(parse("print 'python 2'\n"), ParseFailure)
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert isinstance(parse(deep), (ParseFailure, cst.Module))


_PARSED_SAMPLE = """\
import tensorflow as tf

@tf.function
def step(x, y = 2):  # spacing LibCST's checks look at
    return [ x * y ,  (x) ][0]
"""


def test_parse_skips_only_the_checks_of_nodes_its_parser_builds(monkeypatch):
    checked = []
    original = cst.SimpleWhitespace._validate

    def counting(node):
        checked.append(node)
        return original(node)

    monkeypatch.setattr(cst.SimpleWhitespace, "_validate", counting)
    tree = parse(_PARSED_SAMPLE)
    assert isinstance(tree, cst.Module) and tree.code == _PARSED_SAMPLE
    assert checked == []  # parser-built whitespace: not checked
    assert tree.deep_equals(cst.parse_module(_PARSED_SAMPLE))  # the same tree LibCST validates
    assert checked  # the checks are back once parse returned ...
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")  # ... and a node built by hand (a fix edit) is refused
    assert isinstance(parse("def broken(:\n"), ParseFailure)
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("x")  # a failed parse puts them back too


def test_parse_works_with_a_libcst_that_validates_elsewhere():
    from types import SimpleNamespace

    from tflint_fn.sources.parsing import _parse_unvalidated

    base = type("CSTNode", (), {})  # a LibCST whose nodes have no __post_init__ hook
    tree = _parse_unvalidated(SimpleNamespace(CSTNode=base, parse_module=cst.parse_module), _PARSED_SAMPLE)
    assert tree.code == _PARSED_SAMPLE
    assert "__post_init__" not in base.__dict__  # nothing put in its place


def test_suppression_forms():
    source = "a  # noqa\nb  # noqa: TFF101, TFF2\nc  # tflint-fn: ignore[print-in-graph]\nd = '# noqa'\n"
    table = line_suppressions(source)
    assert is_suppressed("TFF105", "variable-created-per-call", (1,), table)
    assert is_suppressed("TFF203", "numpy-on-tensor", (2,), table)
    assert not is_suppressed("TFF102", "outer-state-mutation", (2,), table)
    assert is_suppressed("TFF101", "print-in-graph", (3,), table)
    assert not is_suppressed("TFF101", "print-in-graph", (4,), table)  # inside a string
