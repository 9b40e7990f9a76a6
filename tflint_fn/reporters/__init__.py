"""Output formats. Each reporter turns a run's result into text."""

from tflint_fn.reporters.json import render_json
from tflint_fn.reporters.text import render_text

REPORTERS = {"text": render_text, "json": render_json}
