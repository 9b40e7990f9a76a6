"""The rule catalogue is an executable specification.

Every ``rules/TFFnnn.md`` has ``## Bad`` and ``## Good`` Python examples. A bad
example must give findings of exactly that rule, on exactly the lines marked
with a trailing ``# TFFnnn`` comment; a good example must give none at all.
"""

import json
import re

import pytest

from tests.conftest import REPO, lint_source
from tflint_fn.checks import RULES
from tflint_fn.reporters.rule_docs import examples

RULE_DIR = REPO / "rules"
DOCS = sorted(RULE_DIR.glob("TFF*.md"))
CASES = [
    pytest.param(doc.stem, example, id=f"{doc.stem}-{example.kind}{'-notebook' if example.notebook else ''}-line{example.first_line}")
    for doc in DOCS
    for example in examples(doc.read_text(encoding="utf-8"))
]


def test_every_rule_has_a_doc_and_every_doc_a_rule():
    assert {doc.stem for doc in DOCS} == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_doc_header_matches_registry(code):
    text = (RULE_DIR / f"{code}.md").read_text(encoding="utf-8")
    rule = RULES[code]
    assert text.splitlines()[0] == f"# {code} {rule.name}"
    assert f"**Severity:** {rule.severity}" in text


@pytest.mark.parametrize("code", sorted(RULES))
def test_doc_has_bad_and_good_examples(code):
    kinds = [e.kind for e in examples((RULE_DIR / f"{code}.md").read_text(encoding="utf-8"))]
    assert "bad" in kinds
    if code != "TFF001":
        assert kinds.count("good") >= 2, "every rule needs good look-alikes"


def _marked_lines(source: str, code: str) -> set[int]:
    marker = re.compile(rf"#.*\b{code}\b")
    return {number for number, line in enumerate(source.splitlines(), 1) if marker.search(line)}


# Opt-in rules: the flag that turns each on.
OPT_IN_FLAGS = {"TFF002": {"report_unused_suppressions": True}, "TFF108": {"extend_select": ["TFF108"]}}
# Reported by --dynamic only: statically, every example is quiet; the
# TensorFlow tests (test_dynamic_tf.py) run these examples for real.
DYNAMIC_ONLY = {"TFF900"}


def _notebook(cells: list[str]) -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"language_info": {"name": "python"}},
        "cells": [{"cell_type": "code", "metadata": {}, "source": cell, "outputs": [], "execution_count": None}
                  for cell in cells],
    })


def _marked_cell_lines(cells: list[str], code: str) -> set[tuple[int, int]]:
    return {(number, line) for number, cell in enumerate(cells, 1) for line in _marked_lines(cell, code)}


@pytest.mark.parametrize("code, example", CASES)
def test_example(tmp_path, code, example):
    if example.notebook:
        # A notebook example: its cells, lint as a notebook; markers give (cell, line).
        cells = example.cells()
        findings = lint_source(tmp_path, _notebook(cells), "example.ipynb", **OPT_IN_FLAGS.get(code, {}))
        if example.kind == "good" or code in DYNAMIC_ONLY:
            assert findings == [], [f"cell {f.cell}:{f.start.line}: {f.code} {f.message}" for f in findings]
            return
        assert findings and {f.code for f in findings} == {code}, [f"{f.cell}:{f.start.line}: {f.code}" for f in findings]
        assert {(f.cell, f.start.line) for f in findings} == _marked_cell_lines(cells, code)
        return
    findings = lint_source(tmp_path, example.code, **OPT_IN_FLAGS.get(code, {}))
    if code in DYNAMIC_ONLY:
        assert findings == [], [f"{f.start.line}: {f.code} {f.message}" for f in findings]
        return
    if example.kind == "good":
        assert findings == [], [f"{f.start.line}: {f.code} {f.message}" for f in findings]
        return
    assert findings, "a bad example must produce a finding"
    assert {f.code for f in findings} == {code}, [f"{f.start.line}: {f.code}" for f in findings]
    assert {f.start.line for f in findings} == _marked_lines(example.code, code)


def test_readme_lists_every_rule_with_registry_data():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.name} | {rule.severity} | {rule.summary} |" in readme
