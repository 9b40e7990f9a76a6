"""The bug-report corpus, bench/bug_reports/ (issue 13).

Every program's recorded symptom really happens with TensorFlow (one subprocess for
the whole corpus), every program is labelled the way score.py reads it, and score.py
counts what it should on small corpora written here.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CORPUS = REPO / "bench" / "bug_reports"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bug_reports_{name}", CORPUS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


score = _load("score")
run_all = _load("run_all")
PROGRAMS = score.corpus_programs(CORPUS)


def test_the_corpus_has_forty_programs_and_eight_per_family():
    families = [score.family(score.parse_markers(p.read_text())[0][1]) for p in PROGRAMS]
    assert len(PROGRAMS) >= 40
    assert all(families.count(name) >= 8 for name in score.FAMILIES), families


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.name)
def test_every_program_is_labelled(path):
    text = path.read_text(encoding="utf-8")
    header = text.split("\nimport ", 1)[0]
    assert re.search(r"^# Source: https://\S+$", header, re.MULTILINE), "no source URL"
    assert re.search(r"^# Reported: \S", header, re.MULTILINE)
    assert re.search(r"^# Observed \(TensorFlow 2\.21", header, re.MULTILINE)
    marks = score.parse_markers(text)
    assert marks, "no `# expect:` marker"
    family = re.search(r"^# Family: (TFF\dxx)", header, re.MULTILINE).group(1)
    assert {score.family(code) for _, code in marks} == {family}
    assert run_all.parse_symptom(text) is not None, "no machine-readable `# symptom:` line"
    assert f"`{path.name}`" in (CORPUS / "README.md").read_text(encoding="utf-8")


@pytest.mark.tensorflow
def test_every_recorded_symptom_happens_with_tensorflow():
    pytest.importorskip("tensorflow")
    done = subprocess.run(
        [sys.executable, str(CORPUS / "run_all.py")],
        cwd=CORPUS, capture_output=True, text=True, timeout=900, check=False,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["program"] for r in results] == [p.name for p in PROGRAMS], done.stderr[-2000:]
    failed = [(r["program"], r["symptom"], r["exception"], r["message"][-300:], r["stdout"][-300:])
              for r in results if not r["happened"]]
    assert not failed
    assert done.returncode == 0


def test_run_all_checks_output_and_exceptions_without_tensorflow(tmp_path):
    printed = tmp_path / "001_prints.py"
    printed.write_text('# symptom: stdout "calls: 1"\nprint("calls:", 1)\n')
    raised = tmp_path / "002_raises.py"
    raised.write_text('# symptom: raises LookupError "no key"\nraise KeyError("no key here")\n')
    wrong = tmp_path / "003_wrong.py"
    wrong.write_text('# symptom: raises ValueError "x"\nprint("fine")\n')
    assert run_all.run_one(printed)["happened"]
    result = run_all.run_one(raised)
    assert result["happened"] and result["exception"] == "KeyError"
    assert not run_all.run_one(wrong)["happened"]
    assert run_all.parse_symptom("print(1)\n") is None


def _write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text("import tensorflow as tf\n\n\n" + body, encoding="utf-8")


CAUGHT = '''@tf.function
def f(x):
    return x.numpy()  # expect: TFF201
'''
MISSED = '''@tf.function
def f(x):
    y = x + 1  # expect: TFF104
    return y
'''
FALSE_POSITIVE = '''@tf.function
def f(x):
    a = x * 2  # expect: TFF2xx
    return x.numpy()
'''
FAMILY_WILDCARD = '''@tf.function
def f(x):
    return x.numpy()  # expect: TFF2xx
'''


def test_score_counts_recall_false_positives_and_misses_from_a_real_run(tmp_path):
    _write(tmp_path, "001_caught.py", CAUGHT)
    _write(tmp_path, "002_missed.py", MISSED)
    _write(tmp_path, "003_false_positive.py", FALSE_POSITIVE)
    _write(tmp_path, "004_family.py", FAMILY_WILDCARD)
    (tmp_path / "helper.py").write_text("x = 1\n")  # not a corpus program: no number
    result = score.score(tmp_path, score.run_linter(tmp_path, []))
    assert result["families"]["TFF2xx"] == {"programs": 3, "caught": 2, "recall": 2 / 3}
    assert result["families"]["TFF1xx"] == {"programs": 1, "caught": 0, "recall": 0.0}
    assert result["families"]["TFF3xx"]["recall"] is None
    assert (result["programs"], result["caught"], result["recall"]) == (4, 2, 0.5)
    assert result["false_positives"] == [
        {"program": "003_false_positive.py", "line": 7, "code": "TFF201"}]
    assert [m["program"] for m in result["missed"]] == ["002_missed.py", "003_false_positive.py"]
    assert result["missed"][0] == {"program": "002_missed.py", "expected": ["TFF104"], "lines": [6]}


def test_score_reads_saved_findings_and_keeps_other_codes_apart(tmp_path, capsys):
    _write(tmp_path, "001_two_lines.py", "x = 1  # expect: TFF401\ny = 2  # expect: TFF401\n")
    _write(tmp_path, "002_unmarked_code.py", "z = 3  # expect: TFF303\n")
    report = {"findings": [
        {"path": "001_two_lines.py", "start": {"line": 5, "column": 1}, "code": "TFF401"},
        {"path": "002_unmarked_code.py", "start": {"line": 4, "column": 1}, "code": "TFF302"},
        {"path": str(tmp_path / "002_unmarked_code.py"), "start": {"line": 1, "column": 1},
         "code": "TFF101"},
    ]}
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report))
    assert score.main([str(tmp_path), "--json", "--findings", str(saved)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["families"]["TFF4xx"]["caught"] == 1  # one of the two marked lines is enough
    assert result["families"]["TFF3xx"]["caught"] == 0
    assert result["other_codes_on_marked_lines"] == [
        {"program": "002_unmarked_code.py", "line": 4, "code": "TFF302"}]
    assert result["false_positives"] == [
        {"program": "002_unmarked_code.py", "line": 1, "code": "TFF101"}]
    assert score.main([str(tmp_path), "--findings", str(saved)]) == 0
    text = capsys.readouterr().out
    assert "TFF4xx: 1/1 caught, recall 1.00" in text and "false positives (findings on unmarked lines): 1" in text


def test_score_refuses_a_program_without_a_marker_and_a_linter_that_fails(tmp_path, capsys):
    _write(tmp_path, "001_unlabelled.py", "x = 1\n")
    saved = tmp_path / "report.json"
    saved.write_text('{"findings": []}')
    assert score.main([str(tmp_path), "--findings", str(saved)]) == 2
    assert "001_unlabelled.py" in capsys.readouterr().out
    assert score.main([str(tmp_path), "--", "--select", "NO-SUCH-RULE"]) == 2
    assert "tflint-fn exited 2" in capsys.readouterr().err
