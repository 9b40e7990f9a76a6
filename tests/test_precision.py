"""Look-alikes that are fine under tf.function must give no finding."""

import textwrap

import pytest

from tests.conftest import lint_paths

FINE = {
    "py_function-in-every-spelling-runs-eagerly": """
        import functools
        import numpy as np
        import tensorflow as tf

        def in_eager(func):
            def wrapper(*args):
                return tf.py_function(func, list(args), tf.float32)
            return wrapper

        @tf.py_function(Tout=tf.float32)
        def eager_double(x):
            print("eager_double ran", x.numpy())
            return x * 2

        @tf.numpy_function(Tout=tf.float32)
        def np_double(x):
            print("np_double ran", x)
            return (x * 2).astype(np.float32)

        def scale(x, factor):
            print("scale ran", x.numpy())
            return x * factor

        @in_eager
        def shifted(x):
            print("shifted", x.numpy())
            return x + 1

        @tf.function
        def step(x):
            a = eager_double(x)
            b = np_double(x)
            c = tf.py_function(functools.partial(scale, factor=3.0), [x], tf.float32)
            d = shifted(x)
            return a + b + c + d

        dataset = tf.data.Dataset.range(3).map(eager_double)
        """,
    "lambda-bodies-given-to-py_function-run-eagerly": """
        import numpy as np
        import tensorflow as tf

        def jitter(value):
            return value + np.random.uniform(0.0, 1.0)

        def parse(example):
            decoded = tf.py_function(lambda x: [x.numpy().decode()], inp=[example], Tout=tf.string)
            noisy = tf.numpy_function(func=lambda v: jitter(v), inp=[decoded], Tout=tf.float32)
            return tf.compat.v1.py_func(lambda v: print(v) or v, [noisy], tf.float32)

        dataset = tf.data.Dataset.from_tensor_slices(["a"]).map(parse)
        """,
    "python-flag": """
        import tensorflow as tf

        class Block(tf.keras.layers.Layer):
            def call(self, inputs, training=False):
                if training:
                    inputs = inputs * 2
                if bool(training):
                    inputs = inputs + 1
                return inputs
        """,
    "unrolled-range-loop-building-a-list": """
        import tensorflow as tf

        @tf.function
        def stack3(x):
            outputs = []
            for i in range(3):
                outputs.append(x * i)
            return tf.stack(outputs)
        """,
    "python-values-from-shapes": """
        import math
        import numpy as np
        import tensorflow as tf

        @tf.function
        def f(x, scale=1.0):
            depth = x.shape[-1]
            rank = x.shape.rank
            n = np.prod(x.shape[1:])
            y = x * math.sqrt(depth) * float(scale) * np.float32(2.0) * math.pi
            return tf.reshape(y, [-1, n]) if rank == 2 else y
        """,
    "autograph-converts-these": """
        import tensorflow as tf

        @tf.function
        def f(x):
            total = 0.0
            for row in x:
                total += row
            if x[0] > 0:
                total = total * 2
            n = len(x) + int(x[0]) + float(x[1])
            return sorted(x), total, n
        """,
    "helper-given-python-numbers": """
        import numpy as np
        import tensorflow as tf

        def make_mask(length):
            return np.tril(np.ones((length, length)))

        @tf.function
        def f(x):
            return x * make_mask(4)
        """,
    "unpacking-multi-output-ops": """
        import tensorflow as tf

        @tf.function
        def f(x):
            a, b = tf.split(x, 2)
            c, d = tf.unstack(x)
            mean, var = tf.nn.moments(x, axes=[0])
            values, indices = tf.math.top_k(x, 2)
            return a + b + c + d + mean + var + values
        """,
    "create-once-guards": """
        import tensorflow as tf

        class Counter(tf.Module):
            def __init__(self):
                self.v = None
                self.total = tf.Variable(0.0)

            @tf.function
            def __call__(self, x):
                if self.v is None:
                    self.v = tf.Variable(tf.zeros_like(x))
                self.total.assign_add(tf.reduce_sum(x))
                self.v.assign(x)
                return self.v
        """,
    "isinstance-narrowing": """
        import tensorflow as tf

        def to_pair(size):
            if isinstance(size, (list, tuple)):
                height, width = size
                return height, width
            if not tf.is_tensor(size):
                return bool(size), size
            return size[0], size[1]

        @tf.function
        def f(x):
            return to_pair(tf.shape(x))
        """,
    "backend-constant-dead-branch": """
        import numpy as np
        import tensorflow as tf

        JAX_MODE = False

        @tf.function
        def f(x):
            if JAX_MODE:
                return np.asarray(x)
            return x
        """,
    "local-and-trace-local-state": """
        import tensorflow as tf

        @tf.function
        def f(x):
            cache = {}
            count = 0

            def body(v):
                nonlocal count
                count += 1
                cache["last"] = v
                return v * 2

            return tf.map_fn(body, x)
        """,
    "static-dims-that-are-known": """
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def f(x):
            width = x.shape[1]
            batch = tf.shape(x)[0]
            return tf.zeros([batch, width * 2])
        """,
    "eager-loop-around-tf-function": """
        import random
        import time
        import numpy as np
        import tensorflow as tf

        @tf.function
        def step(x):
            return x * 2

        history = []
        for epoch in range(3):
            start = time.time()
            loss = step(tf.constant(random.random()))
            history.append(loss.numpy())
            print(epoch, np.mean(history), time.time() - start)
        """,
    "keras-metadata-on-first-trace": """
        import tensorflow as tf

        class Block(tf.keras.layers.Layer):
            def call(self, inputs):
                if not self.built:
                    self.dense = tf.keras.layers.Dense(3)
                self.output_spec = inputs.shape
                self._names = ["a", "b"]
                return inputs
        """,
    "tff307-assign-results-that-stay-variables-or-are-only-read": """
        import tensorflow as tf

        @tf.function
        def result_only(a):
            if a[0] > 3:
                b = a[0].assign(1)  # only read afterwards
            else:
                b = a[0].assign(2)
            return b

        @tf.function
        def python_loop(a):
            for _ in range(3):
                a = a.assign_add([1, 1, 1])  # no tensor `if`: still the variable
            return a

        @tf.function
        def as_statements(a):
            for _ in range(3):
                if a[0] > 3:
                    a[0].assign(1)
                else:
                    a[0].assign(2)
            return a.read_value()

        @tf.function
        def python_flag(a, reset=False):
            for _ in range(3):
                if reset:  # a Python test: one branch is traced, no tf.cond
                    a = a.assign(tf.zeros_like(a))
                a.assign_add(tf.ones_like(a))
            return a

        @tf.function
        def rebound_again(a):
            if a[0] > 3:
                a = a[0].assign(1)
            else:
                a = a[0].assign(2)
            a = None  # bound again before any update
            return a

        v = tf.Variable([1, 2, 3])
        result_only(tf.Variable([1, 2, 3]))
        python_loop(tf.Variable([1, 2, 3]))
        as_statements(tf.Variable([1, 2, 3]))
        python_flag(tf.Variable([1.0, 2.0]))
        rebound_again(tf.Variable([1, 2, 3]))
        """,
}


@pytest.mark.parametrize("name", sorted(FINE))
def test_fine_code_gives_no_finding(lint, name):
    findings = lint(textwrap.dedent(FINE[name]))
    assert findings == [], [f"{f.start.line}: {f.code} {f.message}" for f in findings]


def test_helper_params_take_tensorness_from_call_sites(lint):
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        def scale(values, n):
            return np.mean(values) * np.arange(n)

        @tf.function
        def f(x):
            return scale(tf.reduce_sum(x), 3)
        """
    )
    findings = lint(source)
    assert [(f.code, f.start.line, f.start.column) for f in findings] == [("TFF203", 6, 12)]


def test_return_of_helpers_is_tensor_only_when_every_path_is(lint):
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        def normalized(x):
            return tf.cast(x, tf.float32) / 255.0

        def static_or_tensor(x):
            if x.shape[0] is not None:
                return x.shape[0]
            return tf.shape(x)[0]

        @tf.function
        def f(x):
            a = np.sqrt(static_or_tensor(x))
            return np.mean(normalized(x)) + a
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF203", 16)]


def test_static_or_dynamic_dimension_idiom_is_fine_without_autograph(lint):
    source = textwrap.dedent(
        """
        import keras
        import tensorflow as tf

        class Unroll(keras.layers.Layer):
            def call(self, inputs):
                iterations = inputs.shape[0] or tf.shape(inputs)[0]
                if not tf.is_tensor(iterations) and iterations == 1:
                    return inputs
                if inputs.shape[1] is not None and tf.executing_eagerly():
                    print(inputs.numpy())
                return inputs
        """
    )
    assert lint(source) == []


def test_numpy_branch_is_never_taken_in_traced_code(lint):
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        @tf.function
        def resize(x):
            image = tf.image.resize(x, [8, 8])
            if isinstance(x, np.ndarray):
                return image.numpy()
            return image
        """
    )
    assert lint(source) == []


def test_lazily_filled_global_is_not_frozen(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        MAPPING = None

        def populate():
            global MAPPING
            if MAPPING is None:
                MAPPING = tf.constant([0, 1, 2])

        @tf.function
        def decode(mask):
            return tf.gather(MAPPING, mask)
        """
    )
    assert lint(source) == []


def test_module_level_rebinding_freezes_the_global(tmp_path):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        LR = 0.1

        @tf.function
        def scaled(x):
            return x * LR

        scaled(tf.constant(1.0))
        LR = 0.5
        """
    )
    (tmp_path / "lib.py").write_text(source)
    # As a script: nothing uses `scaled` after the rebinding.
    assert lint_paths(tmp_path, ["lib.py"]) == []
    # Imported by another module, which calls it after the import (with LR = 0.5): frozen at 0.1.
    (tmp_path / "app.py").write_text("import tensorflow as tf\nfrom lib import scaled\n\nscaled(tf.constant(2.0))\n")
    found = lint_paths(tmp_path, ["lib.py", "app.py"])
    assert [(f.code, f.start.line) for f in found] == [("TFF106", 8)]
    assert "(line 11)" in found[0].message


def test_numpy_generator_objects_are_frozen(lint):
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        rng = np.random.default_rng(0)

        @tf.function
        def noisy(x):
            return x + rng.normal()
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF104", 9)]


def test_shape_unpacking_and_get_shape_keep_unknown_dims(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def f(x):
            batch, width = x.shape
            a = batch * 2
            b = x.get_shape()[0] * 2
            c = width * 2
            return tf.zeros([a, b, c])
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF206", 7), ("TFF206", 8)]


# False positives found on real packages (verified with TensorFlow 2.21 / Keras 3.15).
REAL_CODE_LOOK_ALIKES = {
    "init-scope-runs-eagerly": """
        import tensorflow as tf

        @tf.function
        def f(x):
            with tf.init_scope():
                scale = tf.constant(2.0).numpy()
            return x * scale
        """,
    "assert-not-on-a-dict": """
        import keras

        class Merge(keras.layers.Layer):
            def call(self, inputs):
                nodes, edges, extra = inputs
                assert not extra
                return nodes
        """,
    "int-of-a-dict-key-without-autograph": """
        import keras

        class Pyramid(keras.layers.Layer):
            def call(self, inputs):
                levels = [int(level[1]) for level in inputs]
                return inputs[f"P{min(levels)}"]
        """,
    "property-called-as-an-object": """
        import keras

        class Preprocessor(keras.layers.Layer):
            @property
            def tokenizer(self):
                return self._tokenizer

            @tokenizer.setter
            def tokenizer(self, value):
                self._tokenizer = value
                self.vocabulary = value

            def call(self, x):
                return self.tokenizer(x)
        """,
    "module-constant-built-up-at-import": """
        import tensorflow as tf

        PATTERN = r"a|b"
        PATTERN = PATTERN.replace("a", "c")
        WORDS = ["x"]
        WORDS = WORDS + ["y"]

        @tf.function
        def split(text):
            return tf.strings.regex_replace(text, PATTERN, " ")
        """,
}


@pytest.mark.parametrize("name", sorted(REAL_CODE_LOOK_ALIKES))
def test_real_code_look_alikes_give_no_finding(lint, name):
    findings = lint(textwrap.dedent(REAL_CODE_LOOK_ALIKES[name]))
    assert findings == [], [f"{f.start.line}: {f.code} {f.message}" for f in findings]


def test_chains_do_not_depend_on_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "shared.py").write_text("def helper(x):\n    print(x)\n    return x\n")
    for name in ("a", "b", "c", "d"):
        (tmp_path / "pkg" / f"{name}.py").write_text(
            f"import tensorflow as tf\nfrom pkg.shared import helper\n\n@tf.function\ndef step_{name}(x):\n    return helper(x)\n"
        )
    outputs = set()
    for seed in ("0", "1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-m", "tflint_fn", "--format", "json", "pkg"],
            cwd=tmp_path, env=env, capture_output=True, text=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_keras2_reached_through_a_reexport_is_converted(tmp_path):
    # transformers: `from .modeling_tf_utils import keras`, where that module
    # does `try: import tf_keras as keras`. tf_keras converts `call`.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "utils.py").write_text(
        "try:\n    import tf_keras as keras\nexcept ImportError:\n    import keras\n"
    )
    (tmp_path / "pkg" / "layers.py").write_text(
        "import tensorflow as tf\nfrom .utils import keras\n\n"
        "class DropPath(keras.layers.Layer):\n    def call(self, x):\n"
        "        shape = (tf.shape(x)[0],) + (1,) * (len(tf.shape(x)) - 1)\n"
        "        if tf.reduce_sum(x) > 0:\n            return x\n        return tf.zeros(shape)\n"
    )
    assert lint_paths(tmp_path, ["pkg"]) == []


def test_a_slice_of_a_shape_renumbers_its_dimensions(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Patches(tf.keras.layers.Layer):
            def call(self, inputs):
                height_width = inputs.shape[1:3]
                half = height_width[0] // 2
                batch = inputs.shape[:2][0] * 2
                return tf.reshape(inputs, [-1, half]), batch
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF206", 8)]


def test_unresolvable_relative_import_is_not_a_tensor_function(tmp_path):
    (tmp_path / "m.py").write_text(
        "import math\nimport tensorflow as tf\nfrom ...tf_utils import shape_list\n\n"
        "@tf.function\ndef f(q):\n    return q / math.sqrt(shape_list(q)[-1])\n"
    )
    assert lint_paths(tmp_path, ["m.py"]) == []


def test_call_sites_are_checked_one_by_one(lint):
    # dm-sonnet's unroll: step(0, None) once, then step(t, out) with tensors.
    # Merged, `t` looks like a tensor under `if prev is None:`; per call site it
    # never is (TensorFlow 2.21 runs this).
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def step(t, prev):
            if prev is None:
                assert t == 0
                return tf.zeros([2])
            return prev + tf.cast(t, tf.float32)

        @tf.function
        def unroll(x):
            out = step(0, None)
            for t in tf.range(3):
                out = step(t, out)
            return out
        """
    )
    assert lint(source) == []


def test_a_helper_is_still_checked_in_its_tensor_context(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def total(values):
            return sum(values)

        @tf.function
        def f(x):
            return total([1, 2]) + total(tf.reduce_sum(x, axis=0))
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF207", 5)]


PRINT_CASES = [
    # (argument expressions, the rule that reports them)
    ('"Tracing"', "TFF108"),
    ('"Tracing with", x.shape, x.dtype', "TFF108"),
    ('f"shape {x.shape} rank {x.shape.rank}", x.name', "TFF108"),
    ('"flag", training, len(layers)', "TFF108"),
    ('"loss %d" % 3', "TFF108"),
    ("x", "TFF101"),
    ('"value", x', "TFF101"),
    ('f"value {x}"', "TFF101"),
    ('"value %s" % x', "TFF101"),
    ('"value {}".format(x * 2)', "TFF101"),
    ("str(tf.reduce_sum(x))", "TFF101"),
    ('"shape", x.shape, "value", x', "TFF101"),
    ('"Tracing with", x', "TFF108"),  # the guide's way to see each trace: the symbolic tensor is meant
    ('f"Retracing step for {x}"', "TFF108"),
    ('"value", x, "tracing"', "TFF101"),  # only a first argument that says so
    ("features", "TFF101"),  # a dict built in the function: it holds symbolic tensors
    ("names", "TFF108"),  # a module-level list of strings: a Python value
]


@pytest.mark.parametrize("arguments, code", PRINT_CASES)
def test_print_of_a_tensor_is_tff101_and_of_static_facts_tff108(lint, arguments, code):
    source = (
        "import tensorflow as tf\n\nlayers = [1, 2]\nnames = ['a', 'b']\n\n\n"
        "@tf.function\ndef step(x, training=False):\n"
        "    features = {}\n    features['x'] = x\n"
        f"    print({arguments})\n"
        "    return x\n"
    )
    assert [f.code for f in lint(source)] == ([code] if code == "TFF101" else [])
    assert [f.code for f in lint(source, extend_select=["TFF108"])] == [code]


@pytest.mark.parametrize(
    "options, expected",
    [
        ("", ["TFF101", "TFF101", "TFF205"]),
        ("experimental_autograph_options=tf.autograph.experimental.Feature.ALL", []),
        ("experimental_autograph_options=(Feature.ASSERT_STATEMENTS,)", ["TFF101", "TFF101"]),
        ("experimental_autograph_options=[Feature.BUILTIN_FUNCTIONS]", ["TFF205"]),
        ("autograph=False, experimental_autograph_options=Feature.ALL", ["TFF101", "TFF101", "TFF205"]),
    ],
)
def test_autograph_features_that_convert_assert_and_print(lint, options, expected):
    source = (
        "import tensorflow as tf\nfrom tensorflow.autograph.experimental import Feature\n\n\n"
        "def helper(x):\n    print('helper', x)\n    return x\n\n\n"
        f"@tf.function({options})\ndef step(x):\n    print('value', x)\n    assert x > 0, 'positive'\n    return helper(x)\n"
    )
    assert [f.code for f in lint(source)] == expected


def test_one_mutation_is_one_finding_not_also_a_frozen_global(lint):
    source = (
        "import tensorflow as tf\n\nhistory = []\nscale = 1.0\n\n\n"
        "@tf.function\ndef step(x):\n    history.append(x)\n    return x * scale\n\n\n"
        "def reset():\n    global history, scale\n    history = []\n    scale = 2.0\n"
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF102", 9), ("TFF106", 10)]


def test_a_scratch_container_made_anew_by_each_call_is_not_outer_state(lint):
    # EfficientDet-style endpoints: reset first, filled and read back within the call.
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Backbone(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.a = tf.keras.layers.Dense(4)
                self.taps = None
                self.kept = []

            def call(self, x):
                self.taps = {"inputs": x}
                h = self.a(x)
                self.taps.update(hidden=h)
                self.kept.append(h)
                return [h, self.taps["hidden"]]
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF102", 15)]


def test_named_outputs_kept_on_the_layer_by_constant_key_are_not_outer_state(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Head(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = tf.keras.layers.Dense(2)
                self.endpoints = {}
                self.seen = {}
                self.log = []

            def call(self, inputs, step=0):
                outputs = self.dense(inputs)
                self.endpoints["head"] = outputs
                self.seen[step] = outputs
                self.log.append(outputs)
                return outputs
        """
    )
    assert [(f.code, f.start.line) for f in lint(source)] == [("TFF102", 15), ("TFF102", 16)]
