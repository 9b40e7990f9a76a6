"""Output formats. Each reporter turns a run's result into text."""

from tflint_fn.reporters.github import render_github
from tflint_fn.reporters.gitlab import render_gitlab
from tflint_fn.reporters.json import render_json, render_json_lines
from tflint_fn.reporters.junit import render_junit
from tflint_fn.reporters.sarif import render_sarif
from tflint_fn.reporters.text import render_text

REPORTERS = {
    "text": render_text,
    "json": render_json,
    "json-lines": render_json_lines,
    "github": render_github,
    "sarif": render_sarif,
    "gitlab": render_gitlab,
    "junit": render_junit,
}
