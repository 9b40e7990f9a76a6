"""The top-level planner of ``--dynamic`` (tflint_fn/dynamic/toplevel.py) and the loader that uses it.

Pure Python: no TensorFlow. A statement that must not run raises SystemExit,
so a planner that runs it fails the test at once instead of hanging it.
"""

import ast
import sys
import textwrap

import pytest

from tflint_fn.dynamic import toplevel
from tflint_fn.dynamic.loader import Loader


def plan_of(source: str, roots=("step",)):
    return toplevel.plan(ast.parse(textwrap.dedent(source)), list(roots))


def by_line(top) -> dict[int, bool]:
    return {s.first: s.run for s in top.statements}


LIBRARY = '''
    """A library: nothing to defer."""
    from __future__ import annotations
    import os
    try:
        import numpy as np
    except ImportError:
        np = None
    if os.name == "nt":
        SEP = "\\\\"
    else:
        SEP = "/"
    with open(os.devnull) as handle:
        EMPTY = handle.read()
    FACTOR = 2.0
    TABLE = {k: v for k, v in [("a", 1)]}
    __all__ = ["step"]
    __all__ += ["Model"]

    @decorate
    def step(x):
        return x * FACTOR

    class Model:
        size = FACTOR

    if __name__ == "__main__":
        for _ in range(10):
            step(1)
'''


def test_a_library_module_gets_no_plan():
    assert plan_of(LIBRARY) is None


def test_loops_effect_calls_and_training_assignments_are_deferred():
    top = plan_of('''
        import tensorflow as tf
        x = 1.0
        def step(x):
            return x * 2
        def train(n):
            for _ in range(n):
                step(x)
        for epoch in range(10**9):
            step(x)
        while True:
            pass
        history = model.fit(x, epochs=100)
        losses = train(100)
        trace = [step(i) for i in range(10**6)]
        print("done")
        with open("log") as handle:
            handle.write("x")
        if flag:
            step(x)
        total = x + 1
    ''')
    deferred = {s.first: s.deferred for s in top.statements if s.deferred}
    assert deferred == {
        9: "for loop",
        11: "while loop",
        13: "training call `model.fit(...)`",
        14: "training call `train(...)`",
        15: "training call `step(...)`",
        16: "call `print(...)`",
        17: "with block",
        19: "if block",
    }
    assert not any(s.run for s in top.statements if s.deferred)
    assert all(s.run for s in top.statements if not s.deferred)  # `total = x + 1` (line 21) included
    assert top.not_run_text() == "lines 9-20 (for loop, while loop, training call `model.fit(...)`, ...)"


def test_a_deferred_statement_runs_when_a_later_line_reads_what_only_it_binds():
    top = plan_of('''
        for i in range(3):
            warm = i
        scale = warm * 2
        for j in range(10**9):
            unused = j
        def step(x):
            return x * scale
    ''')
    assert by_line(top) == {2: True, 4: True, 5: False, 7: True}
    assert top.statements[0].needed == "`warm` is bound only here, and line 4 reads it"
    assert top.not_run_text() == "lines 5-6 (for loop)"


def test_a_root_needs_what_its_helpers_and_classes_read_when_called():
    top = plan_of('''
        def helper():
            return offset + Config().size
        class Config:
            def __init__(self):
                self.size = width
        def step(x):
            return helper()
        for a in range(2):
            offset = a
        for b in range(2):
            width = b
        for c in range(2):
            other = c
    ''')
    assert by_line(top) == {2: True, 4: True, 7: True, 9: True, 11: True, 13: False}
    assert top.statements[3].needed == "`offset` is bound only here, and `helper` reads it when called"


def test_class_bodies_and_comprehensions_read_when_they_run_function_bodies_when_called():
    top = plan_of('''
        for a in range(2):
            width = a
        for b in range(2):
            depth = b
        for c in range(2):
            unused = c
        class Config:
            size = width
            def method(self):
                return unused
        table = [depth for _ in range(2)]
        def step(x):
            return x
    ''')
    assert by_line(top) == {2: True, 4: True, 6: False, 8: True, 12: True, 13: True}


def test_a_name_an_always_run_statement_binds_does_not_pull_the_loop():
    top = plan_of('''
        loss = 0.0
        for epoch in range(10**9):
            loss = step(epoch)
        def step(x):
            return x + loss
    ''')
    assert by_line(top) == {2: True, 3: False, 5: True}


def test_a_call_that_assigns_a_global_a_root_reads_runs():
    top = plan_of('''
        def setup():
            global model
            model = 1
        def init():
            setup()
        init()
        print("unrelated")
        def step(x):
            return model
    ''')
    assert by_line(top) == {2: True, 5: True, 7: True, 8: False, 9: True}
    assert top.statements[2].needed == "`model` is bound only here, and `step` reads it when called"


def test_roots_are_named_by_their_first_component():
    source = '''
        class Trainer:
            def step(self, x):
                return x * rate
        for epoch in range(3):
            rate = epoch
    '''
    top = plan_of(source, ["Trainer.step"])
    assert by_line(top) == {2: True, 5: True} and top.not_run_text() == ""  # the loop binds `rate`
    top = plan_of(source, ["Other.step"])
    assert by_line(top) == {2: True, 5: False}


def test_wanted_names_come_from_subjects_and_findings():
    job = {"subjects": [{"qualname": "train_step"}],
           "findings": [{"subject": {"qualname": "Model.call", "class_qualname": "Model"}, "function": "Model.call"}]}
    assert toplevel.wanted_names(job) == ["train_step", "Model.call", "Model"]


def test_execute_skips_what_is_not_needed_and_keeps_the_module_semantics():
    source = textwrap.dedent('''
        """The docstring."""
        from __future__ import annotations
        def step(x: NotDefinedAnywhere) -> int:
            return x * scale
        for i in range(3):
            warm = i
        scale = warm + 1
        while True:
            raise SystemExit("the training loop ran")
        "a string later on"
    ''')
    top = toplevel.plan(ast.parse(source), ["step"])
    namespace = {"__name__": "probe"}
    said = []
    toplevel.execute(top, namespace, "probe.py", said.append)
    assert namespace["step"](2) == 6 and namespace["warm"] == 2
    assert namespace["__doc__"] == "The docstring."
    assert namespace["step"].__annotations__ == {"x": "NotDefinedAnywhere", "return": "int"}  # the future import
    assert namespace["step"].__code__.co_filename == "probe.py"
    assert namespace["step"].__code__.co_firstlineno == 4
    assert top.not_run_text() == "lines 9-10 (while loop)"
    assert said == ["running lines 6-7 (for loop): `warm` is bound only here, and line 8 reads it"]


def test_a_statement_that_fails_without_a_deferred_one_runs_it_after_all():
    source = textwrap.dedent('''
        table = {}
        def register():
            table["a"] = 1
        register()
        first = table["a"]
        def step():
            return first
    ''')
    top = toplevel.plan(ast.parse(source), ["step"])
    assert by_line(top)[5] is False  # nothing says `first = table["a"]` needs it
    namespace = {}
    said = []
    toplevel.execute(top, namespace, "probe.py", said.append)
    assert namespace["first"] == 1
    assert [s.first for s in top.caught_up] == [5] and top.not_run_text() == ""
    assert said == ["line 6 raised KeyError; running the top-level statements deferred before it: line 5"]


def test_a_method_call_that_sets_up_what_a_later_line_uses_runs():
    top = plan_of('''
        import argparse
        import sys
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        sys.path.insert(0, "lib")
        args = parser.parse_args()
        model = make(args.lr)
        model.compile("sgd")
        model.fit(data)
        model.summary()
        model.save("model.keras")
        size = model.count_params()
        def step(x):
            return model(x)
    ''')
    assert by_line(top) == {2: True, 3: True, 4: True, 5: True, 6: False, 7: True, 8: True,
                            9: True, 10: False, 11: True, 12: False, 13: True, 14: True}
    assert top.statements[3].needed == "it sets up `parser`, and line 7 reads it"
    assert top.statements[8].deferred == "training call `model.fit(...)`"


def test_an_error_the_deferred_statements_do_not_explain_is_raised():
    source = "print('hello')\nvalue = 1 / 0\ndef step():\n    return value\n"
    top = toplevel.plan(ast.parse(source), ["step"])
    with pytest.raises(ZeroDivisionError):
        toplevel.execute(top, {}, "probe.py")


# ---------------------------------------------------------------- the loader


SCRIPT = '''"""A training script."""
import sys
from tflint_fn_probe_pkg.helpers import decorate
ARGV = list(sys.argv)

@decorate
def step(x):
    return x * rate

rate = 2
for epoch in range(10**9):
    raise SystemExit("the training loop ran")
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = tmp_path / "tflint_fn_probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("def decorate(f):\n    return f\n")
    (package / "run.py").write_text(SCRIPT)
    (package / "lib.py").write_text(SCRIPT.split("for epoch")[0])
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("tflint_fn_probe_pkg")]:
        del sys.modules[name]


def test_the_loader_runs_a_script_as_planned(project):
    loader = Loader([str(project)])
    loader.wanted = ["step"]
    path = str(project / "tflint_fn_probe_pkg" / "run.py")
    module = loader.load("tflint_fn_probe_pkg.run", path)
    assert module.step(3) == 6 and module.__doc__ == "A training script."
    assert module.__file__ == path and sys.modules["tflint_fn_probe_pkg.run"] is module
    assert sys.modules["tflint_fn_probe_pkg"].run is module
    assert module.ARGV == [path] and sys.argv != [path]  # as `python run.py` has it, while it runs
    assert loader.not_run[path] == "lines 11-12 (for loop)"
    # An edited copy (an overlay) follows the same plan.
    edited = loader.load("tflint_fn_probe_pkg.run", path, (project / "tflint_fn_probe_pkg" / "run.py").read_text()
                         .replace("x * rate", "x * rate * 10"))
    assert edited.step(1) == 20 and loader.not_run[path] == "lines 11-12 (for loop)"


def test_without_roots_the_loader_imports_the_whole_script(project):
    loader = Loader([str(project)])
    with pytest.raises(SystemExit, match="the training loop ran"):
        loader.load("tflint_fn_probe_pkg.run", str(project / "tflint_fn_probe_pkg" / "run.py"))


def test_a_library_module_is_imported_as_before(project, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a library module must not be run statement by statement")

    monkeypatch.setattr(toplevel, "execute", never)
    loader = Loader([str(project)])
    loader.wanted = ["step"]
    path = str(project / "tflint_fn_probe_pkg" / "lib.py")
    module = loader.load("tflint_fn_probe_pkg.lib", path)
    assert module.step(3) == 6 and path not in loader.not_run
