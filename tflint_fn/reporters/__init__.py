"""Output formats. Each reporter turns a run's result into text.

A run imports only the reporter it prints with (start-up time counts in a
pre-commit hook).
"""

from importlib import import_module

# format -> (module in this package, function)
REPORTERS = {
    "text": ("text", "render_text"),
    "json": ("json", "render_json"),
    "json-lines": ("json", "render_json_lines"),
    "github": ("github", "render_github"),
    "sarif": ("sarif", "render_sarif"),
    "gitlab": ("gitlab", "render_gitlab"),
    "junit": ("junit", "render_junit"),
}


def reporter(output_format: str):
    """The render function of ``output_format`` (one of ``REPORTERS``)."""
    module, function = REPORTERS[output_format]
    return getattr(import_module(f"tflint_fn.reporters.{module}"), function)
