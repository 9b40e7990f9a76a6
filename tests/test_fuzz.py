"""Property-based fuzzing: the analyzer never raises, whatever the program.

Bounded for CI; set TFLINT_FN_FUZZ_EXAMPLES for a longer run.
"""

import os
import random
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run
from tflint_fn.project.traces import Project, TfFunctionOptions

EXAMPLES = int(os.environ.get("TFLINT_FN_FUZZ_EXAMPLES", "60"))
REPO = Path(__file__).resolve().parent.parent
REAL_FILES = sorted(REPO.glob("fixtures/*/**/*.py")) + sorted(REPO.glob("examples/**/*.py"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def everything_traced(monkeypatch):
    """Make every function a tf.function root, so walker and checks see all code."""
    original = Project.find_roots

    def find_roots(self):
        roots = original(self)
        for module in self.modules.values():
            for function in module.functions.values():
                roots.append(self._tf_function_root(function, TfFunctionOptions()))
        return roots

    monkeypatch.setattr(Project, "find_roots", find_roots)


def lint_text(directory: Path, text: str) -> None:
    (directory / "fuzzed.py").write_text("import tensorflow as tf\n" + text, encoding="utf-8", errors="surrogatepass")
    run(["fuzzed.py"], resolve_settings(FileConfig(), extend_select=["TFF002"]), directory)


@FUZZ
@given(source=hypothesmith.from_grammar())
def test_generated_programs(tmp_path_factory, everything_traced, source):
    lint_text(tmp_path_factory.mktemp("fuzz"), source)


@FUZZ
@given(source=hypothesmith.from_node())
def test_generated_syntax_trees(tmp_path_factory, everything_traced, source):
    lint_text(tmp_path_factory.mktemp("fuzz"), source)


@FUZZ
@given(
    file_index=st.integers(min_value=0, max_value=len(REAL_FILES) - 1),
    seed=st.integers(min_value=0, max_value=2**32),
    edits=st.integers(min_value=1, max_value=8),
)
def test_mutated_real_files(tmp_path_factory, everything_traced, file_index, seed, edits):
    lines = REAL_FILES[file_index].read_text().splitlines(keepends=True)
    rng = random.Random(seed)
    for _ in range(edits):
        choice = rng.randrange(5)
        at = rng.randrange(len(lines)) if lines else 0
        if choice == 0 and lines:
            del lines[at]
        elif choice == 1 and lines:
            lines.insert(at, lines[rng.randrange(len(lines))])
        elif choice == 2 and lines:
            line = lines[at]
            cut = rng.randrange(len(line) + 1)
            lines[at] = line[:cut] + rng.choice(["(", ")", ":", "    ", "\n", "yield ", "x.", "[", "'", "#"]) + line[cut:]
        elif choice == 3 and len(lines) > 1:
            other = rng.randrange(len(lines))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            lines.insert(at, rng.choice(["global x\n", "    nonlocal y\n", "print(x)\n", "x.numpy()\n", "assert x\n"]))
    lint_text(tmp_path_factory.mktemp("fuzz"), "".join(lines))
