"""Names resolve as Python imports them: a top-level module is found from its own folder only.

A project file named like a library (``numpy.py``) in one folder must not
hide the library from the rest of the tree, and linting a folder or its
parent gives the same findings for the files in both.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def findings(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-m", "tflint_fn", "--no-cache", "--format", "json", *args],
        cwd=cwd, capture_output=True, text=True, env=env,
    )
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    return sorted((f["path"], f["code"], f["start"]["line"]) for f in json.loads(result.stdout)["findings"])


TRACED_MEAN = "import numpy as np\nimport tensorflow as tf\n\n\n@tf.function\ndef f(x):\n    return np.mean(x)\n"


def test_a_numpy_py_in_another_folder_does_not_hide_numpy(tmp_path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "train.py").write_text(TRACED_MEAN)
    (tmp_path / "tools" / "numpy.py").write_text("def mean(x):\n    return x\n")
    (tmp_path / "tools" / "local.py").write_text(TRACED_MEAN)  # beside numpy.py: imports that one
    whole = findings(".", cwd=tmp_path)
    assert whole == [("train.py", "TFF203", 7)]
    # tools/ on its own: its files get the same (no) findings.
    assert findings("tools", cwd=tmp_path) == []
    assert findings(".", cwd=tmp_path / "tools") == []


def test_each_script_folder_imports_its_own_helpers(tmp_path):
    for lesson, body in (("lesson1", "    return x\n"), ("lesson2", "    print(tf.reduce_sum(x))\n    return x\n")):
        (tmp_path / lesson).mkdir()
        (tmp_path / lesson / "utils.py").write_text(f"import tensorflow as tf\n\n\ndef helper(x):\n{body}")
    (tmp_path / "lesson2" / "train.py").write_text(
        "import tensorflow as tf\nfrom utils import helper\n\n\n@tf.function\ndef step(x):\n    return helper(x)\n"
    )
    expected = [("lesson2/utils.py", "TFF101", 5)]
    assert findings(".", cwd=tmp_path) == expected
    assert findings("lesson2", cwd=tmp_path) == expected
    # lesson1's helper of the same name is not the one lesson2 imports: it stays quiet even if it prints.
    (tmp_path / "lesson1" / "utils.py").write_text("import tensorflow as tf\n\n\ndef helper(x):\n    print(tf.reduce_sum(x))\n")
    assert findings(".", cwd=tmp_path) == expected


def test_a_package_under_a_script_folder(tmp_path):
    package = tmp_path / "examples" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text("import tensorflow as tf\n\n\ndef show(x):\n    print(tf.reduce_sum(x))\n")
    (tmp_path / "examples" / "run.py").write_text(
        "import tensorflow as tf\nfrom pkg.layers import show\n\n\n@tf.function\ndef step(x):\n    show(x)\n"
    )
    (tmp_path / "main.py").write_text("x = 1\n")  # the top folder holds a script too
    expected = [("examples/pkg/layers.py", "TFF101", 5)]
    assert findings(".", cwd=tmp_path) == expected
    assert [(p.removeprefix("examples/"), c, n) for p, c, n in expected] == findings(".", cwd=tmp_path / "examples")


def test_sibling_folders_without_a_top_folder(tmp_path):
    """No script at the top: ``tools/numpy.py`` must still not hide NumPy from ``other/``."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "tools" / "numpy.py").write_text("def mean(x):\n    return x\n")
    (tmp_path / "tools" / "local.py").write_text(TRACED_MEAN)
    (tmp_path / "other" / "train.py").write_text(TRACED_MEAN)
    assert findings(".", cwd=tmp_path) == [("other/train.py", "TFF203", 7)]
    assert findings("other", cwd=tmp_path) == [("other/train.py", "TFF203", 7)]
    assert findings("tools", cwd=tmp_path) == []


def test_scripts_in_a_subfolder_see_the_top_folders_modules(tmp_path):
    """``python -m tools.run`` / PYTHONPATH=.: the top folder's modules are seen from everywhere."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "helpers.py").write_text("import tensorflow as tf\n\n\ndef show(x):\n    print(tf.reduce_sum(x))\n")
    (tmp_path / "tools" / "run.py").write_text(
        "import tensorflow as tf\nfrom helpers import show\n\n\n@tf.function\ndef step(x):\n    show(x)\n"
    )
    assert findings(".", cwd=tmp_path) == [("helpers.py", "TFF101", 5)]
