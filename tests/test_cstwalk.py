"""The fast LibCST traversal and the binding scan built on it."""

import libcst as cst
import pytest

from tflint_fn.model.scopes import collect_bindings
from tflint_fn.sources.cstwalk import children, find_all, type_test, walk

SAMPLE = '''
import os.path, numpy as np
from a import b as c
x, [y, *z] = 1, [2, 3]
w: int = 4
v += 1
for i, (j, k) in pairs():
    with open(p) as handle, lock:
        pass
try:
    pass
except ValueError as error:
    pass
def f(a, b=lambda q: q):
    global g
    nonlocal_free = [n for n in range(3)]
    def inner():
        nonlocal nonlocal_free
        hidden = 1
    class Shape:
        side = 2
    if (found := a):
        return f"{a!r:>{b}}" "tail" + 1.5j
    return ..., {1: 2}, {3}, (yield)
'''


def _every_node(tree):
    nodes = []
    walk(tree, lambda node: nodes.append(node) or True)
    return nodes


@pytest.mark.parametrize(
    "classes",
    [cst.BaseExpression, cst.CSTNode, (cst.Name, cst.Attribute), (cst.BaseSmallStatement, cst.FunctionDef), (), cst.Name],
)
def test_type_test_answers_what_isinstance_answers(classes):
    nodes = _every_node(cst.parse_module(SAMPLE))
    assert len(nodes) > 100
    test = type_test(classes)
    assert [test(node) for node in nodes] == [isinstance(node, classes) for node in nodes]
    assert test(None) is False and test("text") is False


def test_children_are_the_node_fields_that_hold_nodes():
    call = cst.parse_expression("f(a, *b, key=c)")
    names = [node.value for node in find_all(call, cst.Name)]
    assert names == ["f", "a", "b", "c", "key"]  # in field order: an Arg's value before its keyword
    assert [type(child).__name__ for child in children(call)] == ["Name", "Arg", "Arg", "Arg"]


def test_find_all_does_not_enter_the_skipped_types_below_the_start():
    function = cst.parse_module(SAMPLE).body[-1]
    inside = find_all(function, cst.Name, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
    values = {node.value for node in inside}
    assert "f" in values and "found" in values
    assert "hidden" not in values and "side" not in values and "q" not in values


def test_collect_bindings_sees_every_kind_of_binding_and_no_inner_scope():
    module = cst.parse_module(SAMPLE)
    bound, declared_global, declared_nonlocal = set(), set(), set()
    collect_bindings(module, bound, declared_global, declared_nonlocal)
    assert bound == {"os", "np", "c", "x", "y", "z", "w", "v", "i", "j", "k", "handle", "error", "f"}
    function = module.body[-1]
    bound, declared_global, declared_nonlocal = set(), set(), set()
    collect_bindings(function.body, bound, declared_global, declared_nonlocal)
    assert bound == {"nonlocal_free", "inner", "Shape", "found"}
    assert declared_global == {"g"} and declared_nonlocal == set()
    inner = function.body.body[2]
    bound, declared_global, declared_nonlocal = set(), set(), set()
    collect_bindings(inner.body, bound, declared_global, declared_nonlocal)
    assert bound == {"hidden"} and declared_nonlocal == {"nonlocal_free"}


def test_without_walrus_expressions_are_not_entered():
    function = cst.parse_module(SAMPLE).body[-1]
    bound = set()
    collect_bindings(function.body, bound, set(), set(), walrus=False)
    assert "found" not in bound and {"nonlocal_free", "inner", "Shape"} <= bound


def test_parents_of_is_libcst_parent_provider_without_its_visitor():
    from libcst.metadata import MetadataWrapper, ParentNodeProvider

    from tflint_fn.sources.cstwalk import parents_of

    source = SAMPLE + "@tf.function(jit_compile=True)\nasync def h(x, /, *a, k=1, **kw) -> int:\n    return (x[1:2, ...] @ {**kw}) if not a else f'{x!r:>3}'\n"
    tree = cst.parse_module(source)
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    found = parents_of(tree)
    assert found.keys() == expected.keys()  # whitespace, commas and operators too
    assert all(found[node] is parent for node, parent in expected.items())


def test_the_exact_type_tests_name_classes_without_subclasses():
    """The hot paths compare LibCST types exactly (LibCST's ABCs make isinstance
    slow): the walker's expression dispatch, assignment targets and bindings, the
    resolver, flow's read search, the summary's block split and `dotted_name`.
    Right only while none of the classes they name has a subclass."""
    import inspect
    import re

    import libcst as cst

    from tflint_fn.function import flow
    from tflint_fn.function.walker import FunctionWalker
    from tflint_fn.model import names, summary
    from tflint_fn.model.resolver import Resolver

    functions = [
        FunctionWalker._expr, FunctionWalker._target_subexpressions, FunctionWalker._bind, FunctionWalker._track_dims,
        Resolver.resolve, flow.reads, summary._cst_blocks_of, summary._cst_definitions, names.dotted_name,
    ]
    source = "".join(inspect.getsource(function) for function in functions)
    tested = re.findall(r"(?:\w+_type|type\(\w+(?:\.\w+)?\)) (?:is not|is|not in|in) \(?(cst\.\w+(?:, cst\.\w+)*)", source)
    classes = [getattr(cst, name.strip().removeprefix("cst.")) for group in tested for name in group.split(",")]
    classes += flow.NESTED_SCOPES  # flow.reads tests `node_type not in NESTED_SCOPES`
    assert len(classes) >= 40
    assert [c.__name__ for c in classes if c.__subclasses__()] == []
