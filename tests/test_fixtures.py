"""Realistic modules in ``fixtures/``, each with its expected JSON output.

Regenerate after a deliberate change with ``python tests/test_fixtures.py``
and review the diff of every ``expected.json`` by hand.
"""

import json
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())
SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())


def lint_fixture(directory: Path) -> dict:
    """The fixture's findings, with its own pyproject.toml if it has one (as a user runs it)."""
    from tflint_fn.config import SettingsResolver
    from tflint_fn.engine import run
    from tflint_fn.reporters.json import to_document

    resolver = SettingsResolver()
    document = to_document(run(["."], resolver.for_path(directory), directory, resolver=resolver))
    document["tool"]["version"] = "<version>"
    return document


@pytest.mark.parametrize("directory", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixture_matches_expected_json(directory):
    document = lint_fixture(directory)
    jsonschema.validate(document, SCHEMA)
    expected = json.loads((directory / "expected.json").read_text())
    assert document == expected


def test_fixtures_cover_the_required_kinds():
    names = {p.name for p in FIXTURES}
    assert len(names) >= 8
    assert {"no_tensorflow", "clean_idiomatic"} <= names
    for quiet in ("no_tensorflow", "clean_idiomatic"):
        assert lint_fixture(REPO / "fixtures" / quiet)["findings"] == []


def test_every_static_rule_appears_in_a_fixture():
    from tflint_fn.checks import ALL_CHECKS, PROJECT_CHECKS

    seen = set()
    for directory in FIXTURES:
        expected = json.loads((directory / "expected.json").read_text())
        seen.update(expected["summary"]["by_code"])
    assert {check.code for check in ALL_CHECKS + PROJECT_CHECKS} <= seen


if __name__ == "__main__":
    # python tests/test_fixtures.py [fixture names]: rewrite expected.json (review the diff!)
    sys.path.insert(0, str(REPO))
    wanted = set(sys.argv[1:])
    for directory in FIXTURES:
        if wanted and directory.name not in wanted:
            continue
        text = json.dumps(lint_fixture(directory), indent=2) + "\n"
        (directory / "expected.json").write_text(text)
        print("wrote", directory / "expected.json")
