"""``--dynamic`` on scripts: verdicts for their traced functions without running their training loops.

The scripts in tests/data/dynamic/scripts/ train for ever at their top level
(``for step in range(10**9)``, ``while True``, ``fit(epochs=10**9)``): imported
whole, each would hit any time limit. Their pyproject.toml gives a generous
300 s per module, so a verdict shows the loop was not run, whatever the
machine's speed. The planner itself is tested without TensorFlow in
tests/test_toplevel.py.
"""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tensorflow

from tests.conftest import REPO  # noqa: E402

SCRIPTS = REPO / "tests" / "data" / "dynamic" / "scripts"


def _line(name: str, text: str) -> int:
    return next(n for n, line in enumerate((SCRIPTS / name).read_text().splitlines(), 1) if line.startswith(text))


@pytest.fixture(scope="module")
def verdicts():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-m", "tflint_fn", "--dynamic", "--format", "json", "."],
                            cwd=SCRIPTS, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    return {(f["path"], f["code"]): f["dynamic"] for f in findings}


def test_a_script_that_trains_for_ever_gets_verdicts(verdicts):
    verdict = verdicts[("train_forever.py", "TFF101")]
    assert verdict["status"] == "confirmed", verdict
    assert "ran 1 time for 3 calls" in verdict["evidence"]
    first = _line("train_forever.py", "for step in range")
    last = _line("train_forever.py", "while True") + 1
    assert verdict["evidence"].endswith(f"; top-level statements not run: lines {first}-{last} (for loop, while loop)")


def test_a_loop_that_binds_what_a_traced_function_needs_runs(verdicts):
    verdict = verdicts[("needs_after_loop.py", "TFF101")]
    assert verdict["status"] == "confirmed", verdict
    # scale = warmup + 1.0 after `for step in range(3)`; offset from the last turn of the second loop
    assert "printed 'scale 3.0 20.0 Tensor(" in verdict["evidence"]
    first = _line("needs_after_loop.py", "while True")
    assert verdict["evidence"].endswith(f"; top-level statements not run: lines {first}-{first + 1} (while loop)")


def test_a_script_in_a_package_skips_its_fit(verdicts):
    verdict = verdicts[("jobs/nightly.py", "TFF101")]
    assert verdict["status"] == "confirmed", verdict
    first, last = _line("jobs/nightly.py", "model.compile"), _line("jobs/nightly.py", "history = model.fit")
    assert verdict["evidence"].endswith(
        f"; top-level statements not run: lines {first}-{last} (call `model.compile(...)`, "
        "training call `model.fit(...)`)")


def test_a_tutorial_style_script_with_argparse_and_a_save(verdicts):
    verdict = verdicts[("custom_loop.py", "TFF102")]
    assert verdict["status"] == "confirmed", verdict  # `args.lr` was there: the add_argument calls ran
    gpu, epochs = _line("custom_loop.py", "for gpu in"), _line("custom_loop.py", "for epoch in")
    save = _line("custom_loop.py", "model.save")
    assert verdict["evidence"].endswith(
        f"; top-level statements not run: lines {gpu}-{gpu + 1} (for loop), "
        f"lines {epochs}-{save} (for loop, call `model.save(...)`)")
    assert not (SCRIPTS / "model.keras").exists()


def test_a_library_module_runs_whole(verdicts):
    verdict = verdicts[("library.py", "TFF102")]
    assert verdict["status"] == "confirmed", verdict
    assert "not run" not in verdict["evidence"]


def test_a_superseded_definition_is_skipped_with_its_reason_and_the_last_is_traced(verdicts):
    first = verdicts[("redefined.py", "TFF101")]
    assert first["status"] == "skipped" and "a later one of the same name replaces" in first["evidence"]
    last = verdicts[("redefined.py", "TFF201")]
    assert last["status"] == "confirmed", last
