"""Jupyter notebooks: read as notebooks, IPython syntax neutralised, every position in its cell."""

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, run_cli
from tflint_fn.sources.notebooks import load_notebook, neutralise

SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())

TRACED_PRINT = "@tf.function\ndef step(x):\n    print(x)\n    return x\n"


def notebook(*cells, language="python", kind="code"):
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"language_info": {"name": language}},
            "cells": [
                {"cell_type": kind if not isinstance(c, tuple) else c[0], "metadata": {},
                 "source": c if not isinstance(c, tuple) else c[1], "outputs": [], "execution_count": None}
                for c in cells
            ],
        }
    )


def write(tmp_path, text, name="nb.ipynb"):
    (tmp_path / name).write_text(text)
    return name


def findings(tmp_path, *args):
    result = run_cli(*args, "--format", "json", "--no-cache", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    return document["findings"]


def where(found):
    return [(f["code"], f.get("cell"), f["start"]["line"], f["start"]["column"]) for f in found]


def test_directory_runs_include_notebooks_and_positions_are_in_cells(tmp_path):
    write(tmp_path, notebook(("markdown", "# Title"), "import tensorflow as tf\n", TRACED_PRINT))
    assert where(findings(tmp_path, ".")) == [("TFF101", 2, 3, 5)]


def test_a_notebook_named_explicitly_is_read_as_a_notebook(tmp_path):
    # Notebook JSON is a valid Python expression: it used to pass as "No findings".
    name = write(tmp_path, notebook("import tensorflow as tf\n" + TRACED_PRINT))
    assert where(findings(tmp_path, name)) == [("TFF101", 1, 4, 5)]


def test_text_format_names_the_cell_and_show_source_shows_its_line(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", "x = 1\n", TRACED_PRINT))
    result = run_cli(".", "--show-source", "--show-context", "--no-cache", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 3:3:5: TFF101 [print-in-graph]")
    assert lines[1] == "    traced: step (tf.function, nb.ipynb:cell 3:2)"
    assert lines[2] == "  3 |     print(x)"
    assert lines[3] == "    |     ^^^^^^^^"


MAGIC_CELL = (
    "%matplotlib inline\n"
    "!pip install -q tensorflow\n"
    "files = !ls\n"
    "tf.function?\n"
    "??tf.function\n"
    "%time out = step(tf.constant(1.0))\n"
    "%timeit -n 10 -r 3 step(tf.constant(1.0))\n"
)


def test_ipython_lines_are_neutralised_without_moving_positions(tmp_path):
    write(tmp_path, notebook(
        "import tensorflow as tf\nimport numpy as np\n",
        MAGIC_CELL + "@tf.function\ndef other(x):\n    return np.mean(x)\n",
        "%%time\n" + TRACED_PRINT,
        "%%bash\necho 'print(x) is not Python here'\nif then fi\n",
        "%%writefile helper.py\ndef broken(:\n",
    ))
    assert where(findings(tmp_path, ".")) == [("TFF203", 2, 10, 12), ("TFF101", 3, 4, 5)]


def test_a_line_magic_keeps_its_code_and_its_columns():
    lines, shifts = neutralise(["%time y = f(x)", "if ok:", "    %timeit -n 5 z = g(y)", "    !echo hi"])
    assert lines == ["y = f(x)", "if ok:", "    z = g(y)", "    pass"]
    # a column in the module + the shift = the column in the cell as written
    assert lines[0].index("f") + 1 + shifts[0] == "%time y = f(x)".index("f") + 1
    assert lines[2].index("g") + 1 + shifts[2] == "    %timeit -n 5 z = g(y)".index("g") + 1


def test_magic_lookalikes_inside_strings_and_brackets_are_left_alone():
    cell = ['s = """', "%not a magic", '"""', "t = (1 +", "     2)", "print(x % 2)", "u = a != b"]
    assert neutralise(cell)[0] == cell


def test_an_indented_cell_is_dedented_as_ipython_does(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", "    @tf.function\n    def step(x):\n        return x.numpy()\n"))
    assert where(findings(tmp_path, ".")) == [("TFF201", 2, 3, 16)]


def test_a_cell_that_does_not_parse_is_tff001_and_the_others_are_checked(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", "def broken(:\n    pass\n", TRACED_PRINT))
    found = findings(tmp_path, ".")
    assert where(found) == [("TFF001", 2, 1, 12), ("TFF101", 3, 3, 5)]
    assert found[0]["message"].startswith("syntax error")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{not json", "not a notebook: invalid JSON"),
        ("[1, 2]", "not a notebook: the JSON is not an object"),
        ('{"nbformat": 4, "metadata": {}}', "not a notebook: no `cells` list"),
        ('{"nbformat": 3, "worksheets": []}', "not a notebook of format 4"),
        (b"\xff\xfe{}", "not valid UTF-8"),
    ],
)
def test_what_is_not_a_notebook_is_tff001(tmp_path, text, reason):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    [finding] = findings(tmp_path, ".")
    assert finding["code"] == "TFF001" and reason in finding["message"] and "cell" not in finding


def test_a_cell_whose_source_is_not_text(tmp_path):
    document = json.loads(notebook("import tensorflow as tf\n", "x = 1\n", TRACED_PRINT))
    document["cells"][1]["source"] = [1, 2, 3]
    write(tmp_path, json.dumps(document))
    assert where(findings(tmp_path, ".")) == [("TFF001", 2, 1, 1), ("TFF101", 3, 3, 5)]


def test_huge_outputs_do_not_stop_the_check(tmp_path):
    document = json.loads(notebook("import tensorflow as tf\n", TRACED_PRINT))
    image = "A" * (20 * 1024 * 1024)  # 20 MiB of base64: larger than a module may be
    document["cells"][0]["outputs"] = [{"output_type": "display_data", "data": {"image/png": image}, "metadata": {}}]
    write(tmp_path, json.dumps(document))
    assert where(findings(tmp_path, ".")) == [("TFF101", 2, 3, 5)]


def test_a_notebook_in_another_language_is_not_checked(tmp_path):
    write(tmp_path, notebook("library(tensorflow)\nprint(x)\n", language="R"))
    assert findings(tmp_path, ".") == []


def test_suppressions_work_in_cells_and_skip_file_in_any_cell(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT.replace("print(x)", "print(x)  # noqa: TFF101")))
    assert findings(tmp_path, ".") == []
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT, "# tflint-fn: skip-file\n"))
    assert findings(tmp_path, ".") == []


def test_exclude_patterns_apply_to_notebooks(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT))
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nexclude = ["*.ipynb"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 0 and "No Python files found" in result.stderr


def test_the_cache_keeps_cells(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT))
    cold = run_cli(".", "--format", "json", cwd=tmp_path).stdout
    assert list((tmp_path / ".tflint-fn-cache" / "results").glob("*.json"))
    warm = run_cli(".", "--format", "json", cwd=tmp_path).stdout
    assert warm == cold and '"cell": 2' in warm


def test_stdin_reads_notebook_json_for_editors(tmp_path):
    text = notebook("import tensorflow as tf\n", TRACED_PRINT)
    result = run_cli("--format", "json", "--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, stdin=text)
    assert where(json.loads(result.stdout)["findings"]) == [("TFF101", 2, 3, 5)]


def test_sarif_and_github_point_at_the_notebook_and_name_the_cell(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT))
    sarif = json.loads(run_cli(".", "--format", "sarif", "--no-cache", cwd=tmp_path).stdout)
    [entry] = sarif["runs"][0]["results"]
    location = entry["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "nb.ipynb" and "region" not in location
    assert entry["message"]["text"].startswith("cell 2, line 3, column 5: ")
    github = run_cli(".", "--format", "github", "--no-cache", cwd=tmp_path).stdout
    assert github.startswith("::error file=nb.ipynb,title=TFF101 [print-in-graph]::cell 2, line 3, column 5: ")


FRAGMENTS = st.sampled_from([
    "%time x = 1", "%timeit -n 3 f()", "!ls", "y = !ls", "%%time", "%%bash", "obj?", "??obj", "    indented = 1",
    "def f(x):", "    return x.numpy()", "@tf.function", "print(x)", "import tensorflow as tf", "s = '''",
    "'''", "(", ")", "%matplotlib inline", "# comment", "", "x = [1,", "2]", "\t", "%", "!", "?",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(FRAGMENTS, max_size=8).map("\n".join), max_size=5))
def test_any_cells_load_and_every_position_maps_into_its_cell(cells):
    loaded = load_notebook(notebook(*cells).encode())
    text, notebook_map = loaded
    module_lines = text.splitlines()
    for line_number, line in enumerate(module_lines, 1):
        cell, line_in_cell, column = notebook_map.locate(line_number, 1)
        source = notebook_map.cell_source(cell)
        assert source is not None and 1 <= line_in_cell <= len(source.splitlines())
        assert column >= 1
    for failure in notebook_map.failures:
        assert 1 <= failure.cell <= len(cells)


def test_gitlab_and_junit_name_the_cell(tmp_path):
    write(tmp_path, notebook("import tensorflow as tf\n", TRACED_PRINT))
    [issue] = json.loads(run_cli(".", "--format", "gitlab", "--no-cache", cwd=tmp_path).stdout)
    assert issue["location"] == {"path": "nb.ipynb", "lines": {"begin": 1, "end": 1}}
    assert issue["description"].startswith("cell 2, line 3, column 5: TFF101")
    junit = run_cli(".", "--format", "junit", "--no-cache", cwd=tmp_path).stdout
    assert "nb.ipynb:cell 2:3:5: TFF101" in junit


def test_a_shell_line_continued_with_a_backslash_is_one_command(tmp_path):
    # IPython joins `!cmd \` with the lines that follow (79 false TFF001s in tutorial notebooks).
    cell = "!curl -sSL \\\n    https://example.invalid/data.zip \\\n    -o /tmp/data.zip\nfiles = !ls \\\n  /tmp\n"
    write(tmp_path, notebook(cell, "import tensorflow as tf\n" + TRACED_PRINT))
    assert where(findings(tmp_path, ".")) == [("TFF101", 2, 4, 5)]
    lines, _ = neutralise(["%time y = f(1, \\", "  2)"])
    assert lines == ["y = f(1, \\", "  2)"]  # a magic that keeps its code keeps the Python continuation


def test_automagic_lines_are_neutralised_only_where_the_cell_is_no_python():
    """IPython runs `ls ./data`, `pip install x`, `time y = f()` without `%` (automagic):
    the corpus's last notebook TFF001 false positive. Python that merely starts with such
    a name (`ls = [...]`, `cd = 3 +`) stays Python, errors included."""
    from tflint_fn.sources.notebooks import load_notebook

    cells = [
        ["import tensorflow as tf\n", "ls ./data/train/\n", "pip install -q tensorflow-hub\n",
         "time y = tf.ones([2])\n", "z = y + 1\n"],
        ["ls = [1, 2]\n", "print(ls)\n"],
        ["cd = 3 +\n"],
    ]
    document = {
        "cells": [{"cell_type": "code", "source": source} for source in cells],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
    }
    text, notebook = load_notebook(json.dumps(document).encode())
    lines = text.splitlines()
    assert lines[1].strip() == "pass" and lines[2].strip() == "pass"
    assert lines[3] == "y = tf.ones([2])" and lines[5:7] == ["ls = [1, 2]", "print(ls)"]
    assert [(f.cell, f.line) for f in notebook.failures] == [(3, 1)]
    # A position after an automagic `time` maps back to its column in the cell as written.
    assert notebook.cells[0].shifts[3] == len("time ")
