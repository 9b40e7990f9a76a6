"""The rule catalogue: ``rules/TFFnnn.md``, shipped inside the package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PACKAGED = Path(__file__).parent.parent / "rules"
_SOURCE_TREE = Path(__file__).parent.parent.parent / "rules"


def rules_dir() -> Path:
    """``tflint_fn/rules`` in a wheel; the repository's ``rules/`` in a checkout."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


def doc_path(code: str) -> Path:
    return rules_dir() / f"{code}.md"


def page(info) -> str:
    """A rule's page, as `tflint-fn rule CODE` prints it (its one-line summary when the page is missing)."""
    path = doc_path(info.code)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return text or f"{info.code} {info.name}: {info.summary}"


@dataclass(frozen=True)
class Example:
    kind: str  # "bad" | "good"
    code: str
    first_line: int  # line of the fence in the Markdown file
    # A notebook (fence info "python notebook"): its code cells, split at `# %%` lines.
    notebook: bool = False

    def cells(self) -> list[str]:
        cells, current = [], []
        for line in self.code.splitlines():
            if line.strip() == NOTEBOOK_CELL_MARK:
                cells.append("".join(current))
                current = []
            else:
                current.append(line + "\n")
        cells.append("".join(current))
        return [cell for cell in cells if cell.strip()]


NOTEBOOK_CELL_MARK = "# %%"


_HEADING = re.compile(r"^##\s+(.*)$")
_FENCE = re.compile(r"^```(\w*)(?:\s+(notebook))?\s*$")


def examples(text: str) -> list[Example]:
    """Python code blocks under ``## Bad`` / ``## Good`` headings (and their subsections)."""
    found = []
    section = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        if heading and not line.startswith("###"):
            title = heading.group(1).strip().lower()
            section = "bad" if title.startswith("bad") else "good" if title.startswith("good") else None
        fence = _FENCE.match(line)
        if fence:
            start = index
            body = []
            index += 1
            while index < len(lines) and not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            if section is not None and fence.group(1) in ("python", "py"):
                found.append(Example(section, "\n".join(body) + "\n", start + 1, fence.group(2) is not None))
        index += 1
    return found
