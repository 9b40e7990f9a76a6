"""Which functions are traced, resolved by what names refer to, not by spelling.

Each function under test prints; a function is traced exactly when its
``print`` is reported (TFF101), so the probe is the real pipeline.
"""

import ast
import textwrap
from pathlib import Path

import pytest

from tests.conftest import lint_paths
from tflint_fn.function.tensors import MAYBE_TENSOR
from tflint_fn.model.names import ImportTable
from tflint_fn.model.summary import ModuleInfo, summarize
from tflint_fn.project.traces import Project, Trace


def traced(findings) -> set[str]:
    return {f.function for f in findings if f.code == "TFF101"}


@pytest.mark.parametrize(
    "header, decorator",
    [
        ("import tensorflow as tf", "@tf.function"),
        ("import tensorflow as tf", "@tf.function(jit_compile=True, reduce_retracing=True)"),
        ("import tensorflow", "@tensorflow.function"),
        ("import tensorflow as anything", "@anything.function()"),
        ("from tensorflow import function", "@function"),
        ("from tensorflow import function as graph", "@graph"),
        ("import tensorflow as tf", "@tf.compat.v2.function"),
        ("import tensorflow.compat.v2 as tf", "@tf.function"),
        ("import tensorflow.compat.v1 as tf", "@tf.function(autograph=True)"),
    ],
)
def test_tf_function_spellings(lint, header, decorator):
    source = f"{header}\n\n{decorator}\ndef step(x):\n    print(x)\n    return x\n"
    assert traced(lint(source)) == {"step"}


@pytest.mark.parametrize(
    "source",
    [
        # A decorator named `function` that is not TensorFlow's.
        "from mylib import function\n\n@function\ndef step(x):\n    print(x)\n",
        # `tf` bound to something else.
        "import tensorflow_probability as tf\n\n@tf.function\ndef step(x):\n    print(x)\n",
        # Not decorated, never called from traced code.
        "import tensorflow as tf\n\ndef step(x):\n    print(x)\n",
    ],
)
def test_look_alike_decorators_are_not_traced(lint, source):
    assert traced(lint(source)) == set()


def test_wrapping_forms(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def a(x):
            print(x)

        def b(x):
            print(x)

        class Trainer:
            def __init__(self):
                self.fast = tf.function(self.slow, reduce_retracing=True)

            def slow(self, x):
                print(x)

        g = tf.function(a)
        y = tf.function(b)(tf.constant(1.0))
        lam = tf.function(lambda x: print(x))
        """
    )
    assert traced(lint(source)) == {"a", "b", "Trainer.slow", "<lambda>"}


@pytest.mark.parametrize(
    "header, base",
    [
        ("import tensorflow as tf", "tf.keras.layers.Layer"),
        ("import tensorflow as tf", "tf.keras.Model"),
        ("from tensorflow import keras", "keras.layers.Layer"),
        ("import keras", "keras.Model"),
        ("from keras import layers", "layers.Dense"),
        ("import tf_keras", "tf_keras.layers.Layer"),
    ],
)
def test_keras_methods(lint, header, base):
    source = textwrap.dedent(
        f"""
        {header}

        class Block({base}):
            def build(self, input_shape):
                print(input_shape)

            def call(self, inputs, training=False):
                print(inputs)
                return inputs

            def train_step(self, data):
                print(data)

            def test_step(self, data):
                print(data)

            def predict_step(self, data):
                print(data)

            def summary_line(self):
                print("not traced")
        """
    )
    assert traced(lint(source)) == {"Block.call", "Block.train_step", "Block.test_step", "Block.predict_step"}


def test_keras_subclass_chain_across_modules(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "base.py").write_text(
        "import tensorflow as tf\n\nclass Base(tf.keras.layers.Layer):\n    pass\n"
    )
    (tmp_path / "pkg" / "model.py").write_text(
        "from pkg.base import Base\n\nclass Child(Base):\n    def call(self, x):\n        print(x)\n"
    )
    (tmp_path / "pkg" / "other.py").write_text(
        "import tensorflow as tf\n\nclass Plain:\n    def call(self, x):\n        print(x)\n"
    )
    assert traced(lint_paths(tmp_path, ["pkg"])) == {"Child.call"}


def test_tf_data_transformations(lint):
    source = textwrap.dedent(
        """
        import functools
        import tensorflow as tf

        def parse(x):
            print(x)
            return x

        def keep(x):
            print(x)
            return True

        def add(state, x):
            print(x)
            return state + x

        def scale(x, factor):
            print(x)
            return x * factor

        def load(path):
            ds = tf.data.TFRecordDataset(path)
            ds = ds.map(parse).filter(keep)
            total = ds.reduce(0, add)
            return ds.map(functools.partial(scale, factor=2)), total

        train_ds = tf.data.Dataset.range(3).batch(2).map(lambda v: print(v))
        """
    )
    assert traced(lint(source)) == {"parse", "keep", "add", "scale", "<lambda>"}


def test_map_on_non_datasets_is_not_traced(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf
        import pandas as pd

        def fmt(v):
            print(v)
            return v

        frame = pd.DataFrame({"a": [1]})
        frame["a"].map(fmt)
        result = list(map(fmt, [1, 2]))
        """
    )
    assert traced(lint(source)) == set()


def test_py_function_bodies_are_eager(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def eager_part(x):
            print(x)
            return x

        @tf.function
        def step(x):
            a = tf.py_function(eager_part, [x], tf.float32)
            b = tf.numpy_function(eager_part, [x], tf.float32)
            return a + b
        """
    )
    assert traced(lint(source)) == set()


def test_do_not_convert_helpers_are_traced_without_autograph(lint):
    # TensorFlow 2.21: a do_not_convert helper called from a tf.function still
    # runs in the graph (print once, .numpy() fails); only AutoGraph is off.
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.autograph.experimental.do_not_convert
        def helper(x):
            print(x)
            return float(x)

        @tf.function
        def step(x):
            return helper(tf.reduce_sum(x))
        """
    )
    findings = lint(source)
    assert traced(findings) == {"helper"}
    assert "TFF202" in {f.code for f in findings}  # float() with AutoGraph off


def test_transitive_helpers_across_modules_with_chain(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "util.py").write_text(
        "def normalize(x):\n    print(x)\n    return deeper(x)\n\n"
        "def deeper(x):\n    print(x)\n    return x\n\n"
        "def unused(x):\n    print(x)\n"
    )
    (tmp_path / "proj" / "train.py").write_text(
        "import tensorflow as tf\nfrom . import util\nfrom .util import normalize\n\n"
        "@tf.function\ndef train_step(x):\n    return normalize(x) + util.deeper(x)\n"
    )
    findings = lint_paths(tmp_path, ["proj"])
    assert traced(findings) == {"normalize", "deeper"}
    deeper = next(f for f in findings if f.function == "deeper")
    assert deeper.context.kind == "called-from"
    chain = [(link.function, link.path, link.line) for link in deeper.context.chain]
    assert chain[-1] == ("train_step", "proj/train.py", 6)
    assert chain[0][0] == "deeper"
    assert deeper.context.describe().endswith("(root, proj/train.py:6)")


def test_methods_called_through_self_and_super(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Base(tf.Module):
            def shared(self, x):
                print(x)
                return x

        class Model(Base):
            def helper(self, x):
                print(x)
                return super().shared(x)

            @tf.function
            def __call__(self, x):
                return self.helper(x)

            def eager_only(self, x):
                print(x)
        """
    )
    assert traced(lint(source)) == {"Model.helper", "Base.shared"}


def test_configured_graph_decorator(tmp_path):
    (tmp_path / "a.py").write_text("from mylib import traced\n\n@traced\ndef step(x):\n    print(x)\n")
    assert traced(lint_paths(tmp_path, ["a.py"])) == set()
    assert traced(lint_paths(tmp_path, ["a.py"], graph_decorators=["mylib.traced"])) == {"step"}


def test_project_wrapper_of_tf_function_is_detected_with_its_defaults(tmp_path):
    (tmp_path / "common.py").write_text(
        "import tensorflow as tf\n\n"
        "def function(*args, **kwargs):\n"
        "    autograph = kwargs.pop('autograph', False)\n"
        "    return tf.function(*args, autograph=autograph, **kwargs)\n"
    )
    (tmp_path / "agent.py").write_text(
        "import tensorflow as tf\nimport common\n\n"
        "@common.function\ndef off(x):\n    print(x)\n    return float(tf.reduce_sum(x))\n\n"
        "@common.function(autograph=True)\ndef on(x):\n    print(x)\n    return float(tf.reduce_sum(x))\n"
    )
    findings = lint_paths(tmp_path, ["."])
    assert traced(findings) == {"off", "on"}
    conversions = {f.function for f in findings if f.code == "TFF202"}
    assert conversions == {"off"}


def test_eager_only_branches_are_skipped(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def step(x):
            if tf.executing_eagerly():
                print(x.numpy())
            if not tf.executing_eagerly():
                return x
            else:
                print(x.numpy())
            return x
        """
    )
    assert lint(source) == []


@pytest.mark.parametrize("guard", ["if not tf.executing_eagerly():", "if tf.inside_function():"])
def test_code_after_a_graph_branch_that_returns_runs_only_eagerly(lint, guard):
    """`if tf.inside_function(): return graph_path(x)`: traced code never reaches what follows, nor the
    helpers only it calls (keras-hub's dispatch between a TensorFlow and a pure-Python path)."""
    source = textwrap.dedent(
        f"""
        import random

        import tensorflow as tf


        def python_path(x):
            return [v * random.random() for v in x]


        @tf.function
        def step(x):
            {guard}
                return x * tf.random.uniform([])
            print(x.numpy())
            return python_path(x)
        """
    )
    assert lint(source) == []
    # As an `elif`, an earlier branch may fall through in graph: what follows is traced (reported).
    branched = source.replace(f"    {guard}\n", f"    if x is None:\n        pass\n    el{guard.removeprefix('    ')}\n")
    assert "    elif " in branched and {f.code for f in lint(branched)} >= {"TFF201", "TFF104"}
    # Without the early return, the rest runs when traced too: reported.
    assert {f.code for f in lint(source.replace("        return x * tf.random.uniform([])\n",
                                                "        x = x * tf.random.uniform([])\n"))} >= {"TFF201", "TFF104"}


def test_a_project_helper_that_says_traced_guards_the_eager_path(tmp_path):
    """keras-hub's preprocessing layers: `if self._use_tf_workflow(): return self._call_tf(x)` where
    `_use_tf_workflow` starts with `if in_tf_function(): return True` and `in_tf_function` is
    `if tf is None: return False` / `return not tf.executing_eagerly()`: `_call_python` runs only eagerly."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tensor_utils.py").write_text(textwrap.dedent(
        """\
        try:
            import tensorflow as tf
        except ImportError:
            tf = None


        def in_tf_function():
            if tf is None:
                return False
            return not tf.executing_eagerly()
        """))
    layer = textwrap.dedent(
        """\
        import random

        import keras

        from pkg.tensor_utils import in_tf_function


        class Base(keras.layers.Layer):
            def _use_tf_workflow(self):
                \"\"\"Whether to run the TensorFlow path.\"\"\"
                if in_tf_function():
                    return True
                if self._allow_python_workflow:
                    return False
                return True


        class Masker(Base):
            def call(self, inputs):
                if self._use_tf_workflow():
                    return self._call_tf(inputs)
                else:
                    return self._call_python(inputs)

            def _call_tf(self, inputs):
                return inputs * 2

            def _call_python(self, inputs):
                return [x for x in inputs if random.random() < 0.5]
        """)
    (tmp_path / "pkg" / "layer.py").write_text(layer)
    assert lint_paths(tmp_path, ["."]) == []
    # A helper whose answer depends on anything else guards nothing.
    (tmp_path / "pkg" / "layer.py").write_text(layer.replace("        if in_tf_function():\n            return True\n", ""))
    assert [f.code for f in lint_paths(tmp_path, ["."])] == ["TFF104"]


def test_file_without_tensorflow_imported_by_traced_code_is_analysed(tmp_path):
    (tmp_path / "helpers.py").write_text("def f(x):\n    print(x)\n    return x\n")
    (tmp_path / "main.py").write_text("import tensorflow as tf\nimport helpers\n\n@tf.function\ndef g(x):\n    return helpers.f(x)\n")
    (tmp_path / "standalone.py").write_text("def f(x):\n    print(x)\n")
    assert traced(lint_paths(tmp_path, ["."])) == {"f"}
    assert {f.path for f in lint_paths(tmp_path, ["."])} == {"helpers.py"}


def test_keras3_methods_are_not_converted_but_keras2_ones_are(tmp_path):
    # TensorFlow 2.21 / Keras 3.15: a tensor `if` in a Keras 3 `call` or
    # `train_step` raises; tf_keras (Keras 2) converts `call` with AutoGraph.
    body = "    def call(self, x):\n        if tf.reduce_sum(x) > 0:\n            return x\n        return -x\n"
    (tmp_path / "k3.py").write_text("import keras\nimport tensorflow as tf\n\nclass A(keras.layers.Layer):\n" + body)
    (tmp_path / "tfk.py").write_text("import tensorflow as tf\n\nclass A(tf.keras.layers.Layer):\n" + body)
    (tmp_path / "k2.py").write_text("import tf_keras\nimport tensorflow as tf\n\nclass A(tf_keras.layers.Layer):\n" + body)
    findings = lint_paths(tmp_path, ["."])
    assert sorted((f.path, f.code) for f in findings) == [("k3.py", "TFF202"), ("tfk.py", "TFF202")]
    assert "Keras 3" in findings[0].message


def test_keras_reached_through_a_project_reexport(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "backend.py").write_text("import keras\nfrom keras.ops import *\n")
    (tmp_path / "lib" / "layer.py").write_text(
        "from lib.backend import keras\nfrom lib import backend as ops\n\n"
        "class Drop(keras.layers.Layer):\n    def call(self, x):\n        print(x)\n"
        "        shape = ops.shape(x)\n        assert shape[1:]\n        return x\n"
    )
    findings = lint_paths(tmp_path, ["lib"])
    # keras.ops.shape returns a tuple: asserting it is plain Python.
    assert [(f.function, f.code) for f in findings] == [("Drop.call", "TFF101")]


def test_overrides_of_hooks_called_through_self_are_traced(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Augmentation(tf.keras.layers.Layer):
            def call(self, images):
                return self.augment(images)

            def augment(self, images):
                return images

        class Flip(Augmentation):
            def augment(self, images):
                print(images)
                return tf.image.flip_left_right(images)

        class Unrelated:
            def augment(self, images):
                print(images)
        """
    )
    findings = lint(source)
    assert traced(findings) == {"Flip.augment"}
    assert [link.function for link in findings[0].context.chain] == ["Flip.augment", "Augmentation.call"]


def test_generator_helpers_are_not_converted(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def pieces(x):
            if tf.reduce_any(x > 1.5):
                yield x
            yield x * 2

        @tf.function
        def f(x):
            return tf.add_n(list(pieces(x)))
        """
    )
    assert [(f.function, f.code, f.start.line) for f in lint(source)] == [("pieces", "TFF202", 5)]


def test_map_fn_callbacks_are_converted_even_from_unconverted_code(lint):
    source = textwrap.dedent(
        """
        import keras
        import tensorflow as tf

        def per_row(row):
            if tf.reduce_sum(row) > 0:
                return row
            return -row

        class Rows(keras.layers.Layer):
            def call(self, x):
                return tf.map_fn(per_row, x)
        """
    )
    assert lint(source) == []


def _traces_of(source: str) -> dict[str, Trace]:
    module = ModuleInfo(Path("/x/m.py"), "m.py", "m", False, source, ImportTable("m", False))
    summarize(module, ast.parse(source))
    project = Project([module])
    return {trace.function.qualname: trace for trace in project.trace_all().values()}


def test_a_trace_queued_again_before_its_walk_is_walked_once():
    # step's walk queues helper for `helper(1)`, then again for `helper(x)` (a wider
    # parameter): the one waiting walk reads the joined parameters, so a second is work for nothing.
    traces = _traces_of(
        "import tensorflow as tf\n\n"
        "def helper(value):\n    return value\n\n"
        "@tf.function\ndef step(x):\n    helper(1)\n    return helper(x)\n"
    )
    assert traces["helper"].params == {"value": MAYBE_TENSOR}
    assert traces["helper"].walks == 1
    # step is walked again once helper's return taint is known.
    assert traces["step"].walks == 2
