"""Focused tests for behaviour that mutation testing found unguarded.

Each test here was written against a mutant that survived the rest of the
suite (issue 10, item 19): the mutant is named in the test's docstring, and the
test fails when that mutant is applied.
"""

import json
import textwrap

from tflint_fn.checks.suppressions import is_suppressed, line_suppressions, matches


def codes_and_lines(findings):
    return sorted((f.code, f.start.line) for f in findings)


# --- parameters with defaults are Python values -------------------------------------------


def test_tf_function_parameters_with_defaults_are_python(lint):
    """Mutant: `_tf_function_root` no longer treats a parameter with a default as Python."""
    source = textwrap.dedent(
        """
        import math
        import numpy as np
        import tensorflow as tf

        @tf.function
        def step(x, n=3, scale=2.0):
            weights = np.ones(n)
            y = x * math.sqrt(scale)
            t = np.float32(scale)
            return y + weights.sum() + t
        """
    )
    assert lint(source) == []


def test_tf_function_parameter_without_default_is_still_a_tensor(lint):
    """The same body with no defaults: the three calls are real findings."""
    source = textwrap.dedent(
        """
        import math
        import numpy as np
        import tensorflow as tf

        @tf.function
        def step(x, n, scale):
            weights = np.ones(n)
            y = x * math.sqrt(scale)
            t = np.float32(scale)
            return y + weights.sum() + t
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF203", 8), ("TFF203", 10), ("TFF204", 9)]


def test_keras_call_parameters_with_defaults_are_python(lint):
    """Mutant: `_keras_root` no longer treats a `call` parameter with a default as Python."""
    source = textwrap.dedent(
        """
        import math
        import numpy as np
        import tensorflow as tf

        class Block(tf.keras.layers.Layer):
            def call(self, inputs, n=3, scale=2.0):
                weights = np.ones(n)
                return inputs * math.sqrt(scale) + weights.sum()
        """
    )
    assert lint(source) == []
    # and the first argument is the input tensor, default or not
    flagged = source.replace("def call(self, inputs, n=3", "def call(self, inputs=None, n=3").replace(
        "np.ones(n)", "np.ones(inputs)"
    )
    assert codes_and_lines(lint(flagged)) == [("TFF203", 8)]


# --- `training` is a Python flag even without a default -----------------------------------


def test_training_without_a_default_is_a_python_flag(lint):
    """Mutant: "training" removed from PYTHON_FLAG_PARAMS."""
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        class Gate(tf.keras.layers.Layer):
            def call(self, inputs, training):
                rate = 0.5 if training else 0.0
                return tf.nn.dropout(inputs, rate) if bool(training) else inputs * np.float32(training)

        @tf.function
        def gated(x, training):
            return x * np.float32(training)
        """
    )
    assert lint(source) == []


def test_other_parameters_without_defaults_are_not_flags(lint):
    """The look-alike: the same code with a parameter not named like a flag is a tensor."""
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        @tf.function
        def gated(x, mode):
            return x * np.float32(mode)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF203", 7)]


# --- suppression codes are case-insensitive ---------------------------------------------


def test_lower_case_codes_in_suppression_comments_match():
    """Mutants: `_CODE` without re.IGNORECASE; `matches` comparing codes without upper-casing."""
    source = "a  # noqa: tff101\nb  # tflint-fn: ignore[tff2]\nc  # NOQA: Tff105, tff203\n"
    table = line_suppressions(source)
    assert is_suppressed("TFF101", "print-in-graph", (1,), table)
    assert not is_suppressed("TFF102", "outer-state-mutation", (1,), table)
    assert is_suppressed("TFF203", "numpy-on-tensor", (2,), table)
    assert not is_suppressed("TFF101", "print-in-graph", (2,), table)
    assert is_suppressed("TFF105", "variable-created-per-call", (3,), table)
    assert is_suppressed("TFF203", "numpy-on-tensor", (3,), table)
    assert matches("tff1", "TFF101", "print-in-graph")
    assert not matches("tff2", "TFF101", "print-in-graph")


def test_lower_case_noqa_suppresses_a_real_finding(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def step(x):
            print(x)  # noqa: tff101
            print(x)  # noqa: tff102
            return x
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF101", 7)]


# --- list.append on a module-level list ---------------------------------------------------


def test_append_of_a_tensor_to_a_module_list_is_reported(lint):
    """Focused test for TFF102 on `module_list.append(tensor)` (was only in a golden file)."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        history = []

        @tf.function
        def step(x):
            loss = tf.reduce_mean(x)
            history.append(loss)
            return loss
        """
    )
    findings = lint(source)
    assert codes_and_lines(findings) == [("TFF102", 9)]
    assert "history.append(...)" in findings[0].message


def test_append_look_alikes_are_quiet(lint):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        history = []

        @tf.function
        def step(x):
            local = []
            local.append(tf.reduce_mean(x))
            history.append("traced")
            return tf.add_n(local)

        @tf.function
        def shadowed(x):
            history = []
            history.append(x)
            return tf.add_n(history)
        """
    )
    assert lint(source) == []


# --- what `mutmut` found next (DEVELOPERS.md, "Mutation testing") -------------------------
# Each test below kills one or more mutants that survived the suite; the
# mutated function is named in the test's docstring.


def test_debugging_asserts_return_no_tensor():
    """tensors._tensorflow_call: `tf.debugging.assert_*` returns an op, not a tensor."""
    from tflint_fn.function.tensors import A_TENSOR, PYTHON, taint_of_api_call

    assert taint_of_api_call("tensorflow.debugging.assert_equal") == PYTHON
    assert taint_of_api_call("tensorflow.debugging.assert_greater") == PYTHON
    assert taint_of_api_call("tensorflow.debugging.check_numerics") == A_TENSOR


def test_dataset_functions_are_found_through_every_dataset_spelling(lint):
    """contexts._is_dataset, _dataset_names_in, _call_root: which `.map(f)` calls are tf.data's."""
    source = textwrap.dedent(
        """
        import tensorflow as tf
        from multiprocessing import Pool
        from tensorflow.data import TFRecordDataset as Records

        def parse_alias(record):
            print(record)
            return record

        def parse_inline(record):
            print(record)
            return record

        def parse_chained(record):
            print(record)
            return record

        def parse_local(record):
            print(record)
            return record

        def scanner(state, value):
            print(value)
            return state + value, value

        def work(item):
            print(item)
            return item

        def build():
            pipeline = tf.data.Dataset.range(3)
            first = pipeline.shuffle(4).map(parse_chained)
            second = pipeline.map(parse_local)
            return first, second

        def elsewhere():
            pipeline = Pool(2)  # the same name, not a dataset in this function
            pipeline.map(work, [1])
            return pipeline.get_context().map(work, [2])

        inline = tf.data.Dataset.range(3).map(parse_inline)
        scanned = inline.apply(tf.data.experimental.scan(0, scanner))
        results = Pool(4).map(work, [1, 2])
        aliased = Records(["a.tfrecord"]).map(parse_alias)
        """
    )
    # every parse_* and scanner are traced; multiprocessing's map is not tf.data's
    assert codes_and_lines(lint(source)) == [("TFF101", n) for n in (7, 11, 15, 19, 23)]


def test_star_reexport_resolution_is_exact(tmp_path):
    """contexts._reexported: a star import names a base only when the package does not define it."""
    from tests.conftest import lint_paths

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from keras.layers import *\n\nDense = object\n")
    (tmp_path / "model.py").write_text(
        textwrap.dedent(
            """
            import pkg

            class FromStar(pkg.Layer):
                def call(self, x):
                    print(x)
                    return x

            class Rebound(pkg.Dense):
                def call(self, x):
                    print(x)
                    return x

            class Unknown(pkg.Missing):
                def call(self, x):
                    print(x)
                    return x
            """
        )
    )
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "__init__.py").write_text("VALUE = 1\n")
    (tmp_path / "other.py").write_text(
        "import plain\nimport tensorflow as tf\n\nclass Nothing(plain.Layer):\n    def call(self, x):\n        print(x)\n        return x\n"
    )
    findings = lint_paths(tmp_path, ["model.py", "pkg", "plain", "other.py"])
    # pkg.Layer and pkg.Missing come from the one star import; pkg.Dense is rebound in pkg; plain has no star import
    assert sorted((f.path, f.code, f.start.line) for f in findings) == [("model.py", "TFF101", 6), ("model.py", "TFF101", 16)]


def test_container_attributes_of_every_assignment_form(lint):
    """contexts.container_attributes: annotated assignments, and `self[...] = []` is not an attribute."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        class Tracker(tf.keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.history: list = []
                self["cache"] = []

            def call(self, x):
                self.history.append(x)
                return x
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF102", 11)]


def test_wrapper_with_early_returns_and_a_plain_decorator_used_twice(lint):
    """contexts.wrapper_options: early returns before `return tf.function(...)`; a non-wrapper asked twice."""
    source = textwrap.dedent(
        """
        import functools
        import tensorflow as tf

        def compiled(fn=None, jit=False):
            if fn is None:
                return compiled
            if jit:
                return functools.partial(compiled, jit=True)
            return tf.function(fn, autograph=False)

        def timed(fn):
            return fn

        @compiled
        def step(x):
            print(x)
            return x

        @timed
        def one(x):
            print(x)

        @timed
        def two(x):
            print(x)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF101", 17)]


def test_a_function_rooted_twice_does_not_stop_the_others(lint):
    """contexts.trace_all: a root seen twice is skipped, the roots after it are still traced."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def a(x):
            print(x)
            return x

        twice = tf.function(a)
        dataset = tf.data.Dataset.range(3).map(a)

        @tf.function
        def b(x):
            print(x)
            return x

        def c(x):
            print(x)
            return x

        mapped = tf.data.Dataset.range(3).map(c)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF101", 6), ("TFF101", 14), ("TFF101", 18)]


def test_first_call_site_keeps_its_own_context(lint):
    """contexts._propagate: the first call site's arguments are a context of their own."""
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        def total(values):
            return np.sum(values)

        @tf.function
        def f(x):
            return total(tf.reduce_sum(x, axis=0)) + total([1, 2])
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF203", 6)]


def test_a_nested_generator_does_not_make_its_function_a_generator(lint):
    """contexts.is_generator: `yield` in a nested function; AutoGraph still converts the outer one."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def helper(x):
            def gen():
                yield 1
            total = tf.reduce_sum(x)
            if total > 0:
                return x
            return -x

        @tf.function
        def f(x):
            return helper(x)
        """
    )
    assert lint(source) == []


def test_keras_3_top_level_bases(lint):
    """contexts._is_keras_base: `keras.Layer` and `keras.Sequential` (no `.layers.` in the name)."""
    source = textwrap.dedent(
        """
        import keras

        class A(keras.Layer):
            def call(self, x):
                print(x)
                return x

        class B(keras.Sequential):
            def call(self, x):
                print(x)
                return x
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF101", 6), ("TFF101", 11)]


def test_method_called_on_self_binds_its_arguments_after_self(lint):
    """contexts._bind_arguments: `self.helper(x)` binds `x` to the first parameter after `self`."""
    source = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        class Block(tf.keras.layers.Layer):
            def _scaled(self, v):
                return np.sum(v)

            def call(self, x):
                return self._scaled(tf.reduce_sum(x))
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF203", 7)]


def test_autograph_off_messages_say_why(lint):
    """native_ops._autograph_off: the reason in the message (Keras 3, autograph=False, a callee)."""
    source = textwrap.dedent(
        """
        import keras
        import tensorflow as tf

        class KerasThreeLayer(keras.Layer):
            def call(self, x):
                total = tf.reduce_sum(x)
                if total > 0:
                    return x
                return -x

        def callee(x):
            total = tf.reduce_sum(x)
            if total > 0:
                return x
            return -x

        @tf.function(autograph=False)
        def plain(x):
            return callee(x)
        """
    )
    messages = {f.start.line: f.message for f in lint(source)}
    assert sorted(messages) == [8, 14]
    assert messages[8].startswith(
        "a tensor used as a Python `bool` in a Keras 3 method (Keras 3 does not apply AutoGraph) raises"
    )
    assert "a tensor used as a Python `bool` where AutoGraph is off raises" in messages[14]


def test_assert_on_boolean_operations_with_a_tensor(lint):
    """native_ops._tensor_truth: `and`/`or`/`not` around a tensor comparison, either side."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def f(x, flag=True):
            y = tf.reduce_sum(x)
            assert y > 0 and flag
            assert flag and y > 1
            assert not (flag or y > 2)
            assert flag and not flag
            return y
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF205", 7), ("TFF205", 8), ("TFF205", 9)]


def test_min_and_max_of_two_tensors_do_not_iterate(lint):
    """native_ops.PythonIterationOverTensor: `min(a, b)`/`max(a, b)` compare; `min(t)` iterates."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function(autograph=False)
        def f(x):
            y = tf.reduce_sum(x, axis=0)
            return min(y, y + 1) + max(y, y) + min(y) + max(y)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF207", 7), ("TFF207", 7)]


def test_container_grown_in_a_loop_over_a_tensor(lint):
    """control_flow.tensor_loop and ContainerGrownInTensorLoop: a tensor iterated, an inner Python loop."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def f(x):
            rows = []
            for row in tf.reduce_sum(x, axis=0):
                rows.append(row)
            pairs = []
            for row in tf.reduce_sum(x, axis=1):
                for j in range(2):
                    pairs.append(row * j)
            return rows, pairs
        """
    )
    assert [f.code for f in lint(source)] == ["TFF301", "TFF301"]


def test_global_defined_in_one_branch_is_not_reported(lint):
    """control_flow.NameDefinedInOneBranch: names declared global or nonlocal are outside state."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        counter = 0

        @tf.function
        def f(x):
            global counter
            if tf.reduce_sum(x) > 0:
                counter = 1
                y = x
            return y + counter
        """
    )
    assert [(f.code, f.message.split("`")[1]) for f in lint(source)] == [("TFF302", "y")]


def test_float_accumulator_plus_tf_range_index(lint):
    """control_flow.LoopVariableChangesType, _type_change, _is_tf_range: a float plus the int32 index."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def f(n):
            total = 0.0
            for i in tf.range(n):
                total += i
            count = 0.0
            for j in range(3):
                count += j
            return total, count
        """
    )
    findings = lint(source)
    assert codes_and_lines(findings) == [("TFF303", 8)]
    assert "gets the int32 index of `tf.range`" in findings[0].message


def test_dtype_evidence_of_a_float_cast(lint):
    """control_flow._float_evidence: `tf.cast(..., tf.float32)` is float; `tf.int32` is not."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def f(x):
            total = 0
            for row in tf.range(3):
                total = tf.cast(row, tf.float32)
            count = 0
            for row in tf.range(3):
                count = tf.cast(row, tf.int32)
            named = 0
            for row in tf.range(3):
                named = tf.cast(row, "float32")
            return total, count, named
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF303", 8), ("TFF303", 14)]


def test_except_tuple_of_op_errors(lint):
    """control_flow.ExceptOpErrorInGraph: a tuple of op errors in one handler."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def f(x):
            try:
                y = tf.reduce_sum(x)
            except (tf.errors.OutOfRangeError, tf.errors.InvalidArgumentError):
                y = 0.0
            try:
                z = tf.reduce_sum(x)
            except (tf.errors.OutOfRangeError, ValueError):
                z = 0.0
            return y + z
        """
    )
    findings = lint(source)
    assert codes_and_lines(findings) == [("TFF305", 8)]
    assert "`tf.errors.OutOfRangeError`, `tf.errors.InvalidArgumentError`" in findings[0].message


def test_varying_arguments_bind_to_star_args_and_keywords(lint):
    """retracing.bound_arguments: `*values` and keyword arguments bind to their parameters."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def gather(*values):
            return tf.add_n(list(values))

        @tf.function
        def scale(x, factor=1.0):
            return x * factor

        def loop(x):
            for i in range(3):
                gather(x, i)
                scale(x, factor=i)
                scale(x, other=i)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF401", 14), ("TFF401", 15)]


def test_long_arguments_are_shortened_in_messages(lint):
    """retracing._source: an argument longer than 40 characters is cut with an ellipsis."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def scale(x, factor):
            return x * factor

        def loop(x):
            for i in range(3):
                scale(x, i * 1000 + i * 100 + i * 10 + i + 123456789)
        """
    )
    (finding,) = lint(source)
    assert finding.code == "TFF401"
    assert "`i * 1000 + i * 100 + i * 10 + i + 12345…` is a Python value" in finding.message


def test_varying_shapes_of_repeated_lists_and_unknown_constructors(lint):
    """retracing._varying_shape, _qualified: `[0.0] * i` changes shape; an unresolvable call does not count."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def energy(x):
            return tf.reduce_sum(x * x)

        def loop():
            for i in range(1, 4):
                energy([0.0] * i)
                energy(mystery(i))
                energy([0.0] * 3)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF405", 10)]


def test_tf_function_created_and_called_in_the_same_loop_body(lint):
    """retracing._created_and_called_in: `g = tf.function(f)` then `g(x)` in one loop body."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def loop(model, x):
            for _ in range(3):
                g = tf.function(model.call)
                g(x)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF402", 6)]


def test_function_creating_a_tf_function_called_from_two_loops(lint):
    """TfFunctionCreatedPerCall.check_project: one finding per creating function, two loops calling it."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def f(x):
            return x * 2

        def run(x):
            g = tf.function(f)
            return g(x)

        def twice(x):
            for _ in range(3):
                run(x)
            for _ in range(3):
                run(x)
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF402", 8)]


def test_nested_tf_function_defined_per_call(lint):
    """retracing._creations_called_in_body: a nested `@tf.function` is reported at its decorator."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def run(x):
            @tf.function
            def inner(y):
                return y * 2
            return inner(x)

        def loop(x):
            for _ in range(3):
                run(x)
        """
    )
    findings = lint(source)
    assert [(f.code, f.start.line, f.start.column) for f in findings] == [("TFF402", 5, 5)]


def test_outer_state_mutations_and_trace_time_values(lint):
    """side_effects: class state via `cls`, closures, dicts of Python values, tuple targets, messages."""
    source = textwrap.dedent(
        """
        import os
        import numpy as np
        import tensorflow as tf

        CACHE = {}
        history = []

        class Stats:
            @classmethod
            def reset(cls):
                cls.seen = []

            @classmethod
            @tf.function
            def record(cls, x):
                cls.seen.append(x)
                return x

        def outer():
            items = []

            @tf.function
            def step(x):
                items.append(x)
                return x

            return step

        @tf.function
        def f(x):
            history.append({"step": 1})
            history.append({"value": x})
            local = {}
            local["k"], CACHE["k"] = x, x
            CACHE["n"] = 1
            del CACHE["old"]
            home = os.environ["HOME"]
            text = open("f.txt").read()
            noise = np.random.uniform()
            return x
        """
    )
    findings = lint(source)
    lines = source.splitlines()

    def line(text):
        return next(number for number, content in enumerate(lines, 1) if text in content)

    expected = {
        "cls.seen.append(x)": ("TFF102", "(`cls.seen` is state of the object)"),
        "items.append(x)": ("TFF102", "(`items` is a variable of the enclosing function `outer`)"),
        'history.append({"value": x})': ("TFF102", "`history.append(...)` runs once"),
        'local["k"], CACHE["k"] = x, x': ("TFF102", "item assignment to `CACHE` runs once"),
        'del CACHE["old"]': ("TFF102", "deleting from `CACHE` runs once"),
        'os.environ["HOME"]': ("TFF104", "`os.environ[...]` reads the environment once"),
        'open("f.txt")': ("TFF104", "use `tf.io` ops or read the file outside the traced function"),
        "np.random.uniform()": ("TFF104", "`np.random.uniform(...)` reads NumPy randomness once"),
    }
    assert codes_and_lines(findings) == sorted((code, line(text)) for text, (code, _) in expected.items())
    messages = {f.start.line: f.message for f in findings}
    for text, (_, wording) in expected.items():
        assert wording in messages[line(text)], text


# --- the result cache, in process (tests/test_cache.py drives it through the command line) --


def _some_findings(tmp_path):
    from tests.conftest import lint_source

    source = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    print(x)  # noqa\n    return x\n"
    return lint_source(tmp_path, source)


def test_cache_keys_depend_on_every_part():
    """cache.cache_key: parts, their order and their boundaries all change the key."""
    from tflint_fn.cache import cache_key

    key = cache_key(["a", "b\udcff"])
    assert key == cache_key(["a", "b\udcff"]) and len(key) == 64 and int(key, 16) >= 0
    assert len({key, cache_key(["b\udcff", "a"]), cache_key(["ab\udcff"]), cache_key(["a", "b"])}) == 4


def test_cache_entries_round_trip_and_are_checked(tmp_path):
    """cache.ResultCache: store then load gives back the same result; a wrong key or a bad entry, None."""
    from tflint_fn.cache import ResultCache, cache_key, clean

    findings = _some_findings(tmp_path / "src")
    assert findings
    root = tmp_path / "project"
    root.mkdir()
    cache = ResultCache(root)
    key = cache_key(["one"])
    cache.store(key, findings, findings[:1], 3)
    entry = root / ".tflint-fn-cache" / "results" / f"{key}.json"
    assert entry.is_file() and not list(entry.parent.glob("*.tmp"))
    assert (root / ".tflint-fn-cache" / "CACHEDIR.TAG").is_file()
    assert (root / ".tflint-fn-cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert ResultCache(root).load(key) == (findings, findings[:1], 3)
    assert ResultCache(root).load(cache_key(["two"])) is None
    document = json.loads(entry.read_text())
    for field, bad in (("key", "0" * 64), ("files", None), ("format", -1)):
        entry.write_text(json.dumps({**document, field: bad}))
        assert ResultCache(root).load(key) is None, field
    entry.write_text(json.dumps(document))
    assert ResultCache(root).load(key) == (findings, findings[:1], 3)
    assert clean(root)
    assert not (root / ".tflint-fn-cache").exists()
    assert not clean(root)


def test_signature_shapes_by_keyword_and_alone(lint):
    """contexts._signature_entry: `TensorSpec(shape=[None, 3])` and `TensorSpec([None, 3])` (no dtype)."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32)])
        def by_keyword(x):
            return tf.reshape(x, [x.shape[0] * 3])

        @tf.function(input_signature=[tf.TensorSpec([None, 3])])
        def alone(x):
            return tf.reshape(x, [x.shape[0] * 3])

        @tf.function(input_signature=[tf.TensorSpec(shape=[2, 3])])
        def known(x):
            return tf.reshape(x, [x.shape[0] * 3])
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF206", 6), ("TFF206", 10)]


def test_concat_growth_needs_a_static_initial_shape(lint):
    """control_flow._static_shape_constructor, _has_tensor_part: `tf.zeros([n, 4])` with a tensor `n`."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def grow(x):
            acc = tf.zeros([0, 4])
            for i in tf.range(3):
                acc = tf.concat([acc, x], 0)
            n = tf.shape(x)[0]
            dyn = tf.zeros([n, 4])
            for i in tf.range(3):
                dyn = tf.concat([dyn, x], 0)
            return acc, dyn
        """
    )
    assert codes_and_lines(lint(source)) == [("TFF303", 8)]


def test_input_signature_of_a_wrapper_is_checked_where_it_is_written(lint):
    """contexts._tf_function_options: a wrapper's `input_signature` (and its node) reach `@wrapper` uses."""
    source = textwrap.dedent(
        """
        import tensorflow as tf

        def compiled(fn):
            return tf.function(fn, input_signature=[tf.TensorSpec([None]), tf.TensorSpec([None])])

        @compiled
        def step(x):
            return x
        """
    )
    findings = lint(source)
    assert [(f.code, f.start.line, f.start.column) for f in findings] == [("TFF403", 5, 44)]
    assert "`input_signature` has 2 specs but `step` takes 1 positional parameter" in findings[0].message
