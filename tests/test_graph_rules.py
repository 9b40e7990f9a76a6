"""TFF3xx and TFF4xx beyond the rule docs: resolution across modules and the
look-alikes that must stay quiet."""

import textwrap

import pytest

from tests.conftest import lint_paths


def write(tmp_path, files: dict[str, str]) -> list:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return lint_paths(tmp_path, ["."])


def codes_and_lines(findings) -> list[tuple[str, str, int]]:
    return sorted((f.code, f.path, f.start.line) for f in findings)


def test_retracing_call_resolved_across_modules(tmp_path):
    findings = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/steps.py": """
                import tensorflow as tf

                @tf.function
                def train_step(x, step):
                    return x * tf.cast(step, tf.float32)

                def _scale(x):
                    return x * 2.0

                scale = tf.function(_scale)
                """,
            "pkg/loop.py": """
                from pkg import steps
                from pkg.steps import train_step

                def fit(x, epochs):
                    for epoch in range(epochs):
                        train_step(x, epoch * 2)
                        steps.scale(x)
                        steps.train_step(x, f"epoch-{epoch}")
                """,
        },
    )
    assert codes_and_lines(findings) == [("TFF401", "pkg/loop.py", 7), ("TFF401", "pkg/loop.py", 9)]
    first = min(findings, key=lambda f: f.start.line)
    assert first.context.kind == "tf.function" and first.context.chain[0].function == "train_step"
    assert first.function == "fit"
    assert first.subject.module == "pkg.steps" and first.subject.parameter == "step"


def test_retracing_through_self_attribute_and_decorated_method(tmp_path):
    findings = write(
        tmp_path,
        {
            "trainer.py": """
                import tensorflow as tf

                class Trainer:
                    def __init__(self):
                        self._step = tf.function(self._step_fn)

                    def _step_fn(self, x, step):
                        return x * tf.cast(step, tf.float32)

                    @tf.function
                    def evaluate(self, x, index):
                        return x + tf.cast(index, tf.float32)

                    def run(self, x):
                        for step, batch in enumerate(x):
                            self._step(batch, step)
                            self.evaluate(batch, step + 1)
                """,
        },
    )
    assert codes_and_lines(findings) == [("TFF401", "trainer.py", 17), ("TFF401", "trainer.py", 18)]


@pytest.mark.parametrize(
    "loop",
    [
        # converted to a tensor before the call
        """
        for step in range(10):
            step = tf.constant(step)
            train_step(x, step)
        """,
        # the counter starts as a tensor
        """
        step = tf.constant(0)
        while step < 10:
            step += 1
            train_step(x, step)
        """,
        # elements of data, not the index
        """
        for i in range(len(values)):
            train_step(x, values[i])
        """,
        # a boolean flag: two values, two traces
        """
        for i in range(10):
            train_step(x, i == 0)
        """,
        # arithmetic with a name that may hold a tensor
        """
        for i in range(10):
            train_step(x, i * scale)
        """,
        # the loop iterates data: the loop variable is not a counter
        """
        for batch in dataset:
            train_step(batch, x)
        """,
    ],
)
def test_retracing_look_alikes_are_quiet(tmp_path, loop):
    source = (
        "import tensorflow as tf\n\n\n@tf.function\ndef train_step(x, step):\n    return x\n\n\n"
        "def fit(x, values, scale, dataset):\n" + textwrap.indent(textwrap.dedent(loop), "    ")
    )
    assert write(tmp_path, {"loop.py": source}) == []


def test_calls_inside_traced_code_are_not_retracing_sites(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                @tf.function
                def inner(x, k):
                    return x * k

                @tf.function
                def outer(x):
                    for k in range(3):
                        x = inner(x, k)
                    return x
                """,
        },
    )
    assert findings == []


def test_tf_function_made_in_a_helper_called_once_is_quiet(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                def scale(x):
                    return x * 2.0

                def predict(x):
                    return tf.function(scale)(x)

                def main(x):
                    predict(x)
                """,
        },
    )
    assert findings == []


def test_tf_function_created_once_under_a_guard_is_quiet(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                _cache = {}

                def scale(x):
                    return x * 2.0

                def predict(x):
                    fast = _cache.get("scale")
                    if fast is None:
                        fast = tf.function(scale)
                        _cache["scale"] = fast
                    return fast(x)

                def run(batches):
                    step = None
                    for batch in batches:
                        if step is None:
                            step = tf.function(scale)
                        step(batch)
                        predict(batch)
                """,
        },
    )
    assert findings == []


def test_signature_checks_handle_methods_varargs_and_defaults(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                SPEC = tf.TensorSpec([], tf.float32)

                class M(tf.Module):
                    @tf.function(input_signature=[SPEC])
                    def ok(self, x):
                        return x

                    @tf.function(input_signature=[SPEC, SPEC])
                    def extra(self, x):
                        return x

                @tf.function(input_signature=[SPEC])
                def varargs(*xs):
                    return xs[0]

                @tf.function(input_signature=[SPEC])
                def keyword_only(x, *, flag):
                    return x

                signature = [SPEC]

                @tf.function(input_signature=signature)
                def not_literal(x, y):
                    return x
                """,
        },
    )
    assert codes_and_lines(findings) == [("TFF403", "m.py", 11), ("TFF403", "m.py", 19)]


def test_mutated_default_of_a_wrapped_function(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                def record(x, seen=set(), log=None):
                    seen.add(1)
                    return x

                fast_record = tf.function(record)
                """,
        },
    )
    assert codes_and_lines(findings) == [("TFF404", "m.py", 4)]


@pytest.mark.parametrize(
    "body",
    [
        # reassigned before any read after the if
        """
        if tf.reduce_sum(x) > 0:
            y = x * 2
        y = x
        return y
        """,
        # redefined on every path of a later if before it is read
        """
        if tf.reduce_sum(x) > 0:
            y = x * 2
        if tf.reduce_sum(x) > 1:
            y = x
        else:
            y = -x
        return y
        """,
        # the other branch leaves (a `raise` there would be TFF306: both branches are traced)
        """
        if tf.reduce_sum(x) > 0:
            y = x * 2
        else:
            return -x
        return y
        """,
        # a Python condition (a parameter with a default)
        """
        if scale:
            y = x * 2
        return y
        """,
        # a Python loop's own variables, bound again by the next loop before use
        """
        if tf.reduce_sum(x) > 0:
            for src, dest in zip(x, x):
                dest.assign(src)
        if tf.reduce_sum(x) > 1:
            for src, dest in zip(x, x):
                dest.assign(src)
        return x
        """,
        # None before, but tested as a Python value: narrowed on both paths
        """
        y = None
        if y is None:
            y = x
        return y
        """,
    ],
)
def test_one_branch_look_alikes_are_quiet(tmp_path, body):
    source = "import tensorflow as tf\n\n\n@tf.function\ndef f(x, scale=True):\n" + textwrap.indent(
        textwrap.dedent(body), "    "
    )
    assert write(tmp_path, {"m.py": source}) == []


def test_one_branch_through_elif_and_in_a_loop(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                @tf.function
                def f(x, n):
                    for i in tf.range(n):
                        if tf.reduce_sum(x) > 0:
                            y = x
                        elif tf.reduce_sum(x) < -1:
                            y = -x
                        x = x + y
                    return x
                """,
        },
    )
    # the elif has no else: `y` is unset when both conditions are false
    assert codes_and_lines(findings) == [("TFF302", "m.py", 10)]


def test_autograph_off_does_not_report_graph_loop_rules(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                @tf.function(autograph=False)
                def f(x):
                    out = []
                    i = tf.constant(0)
                    while i < 3:
                        out.append(x)
                        i += 1
                    return out
                """,
        },
    )
    assert "TFF301" not in {f.code for f in findings}


def test_container_from_a_parameter_or_an_outer_scope_is_not_tff301(tmp_path):
    findings = write(
        tmp_path,
        {
            "m.py": """
                import tensorflow as tf

                @tf.function
                def f(x, n, items):
                    for i in tf.range(n):
                        items.append(x)
                    return x
                """,
        },
    )
    assert "TFF301" not in {f.code for f in findings}
