"""What the linter reports: findings with positions, traced-by chain and fix."""

from __future__ import annotations

from dataclasses import dataclass, field


def printable(text: str) -> str:
    """``text`` with the undecodable bytes of a file name (lone surrogates) as ``\\xff``.

    Python keeps such bytes in a ``str`` as lone surrogates, which are not
    valid in JSON, XML or UTF-8 output.
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name produced
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def printable_tree(value):
    """A JSON-ready document with every string made :func:`printable`."""
    if isinstance(value, str):
        return printable(value) if not value.isascii() else value
    if isinstance(value, dict):
        return {printable_tree(key): printable_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable_tree(item) for item in value]
    return value


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based

    def to_json(self) -> dict:
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class ChainLink:
    function: str
    path: str
    line: int
    cell: int | None = None  # in a notebook: the code cell (1-based) that holds ``line``

    def to_json(self) -> dict:
        data = {"function": self.function, "path": self.path, "line": self.line}
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    def location(self) -> str:
        """``model.py:12``, or ``nb.ipynb:cell 3:12`` in a notebook."""
        return f"{self.path}:cell {self.cell}:{self.line}" if self.cell is not None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class TraceContext:
    kind: str  # "tf.function" | "keras" | "tf.data" | "called-from"
    chain: tuple[ChainLink, ...]

    def to_json(self) -> dict:
        return {"kind": self.kind, "chain": [link.to_json() for link in self.chain]}

    def describe(self) -> str:
        """``helper <- train_step (tf.function, model.py:12)``."""
        names = " <- ".join(link.function for link in self.chain)
        root = self.chain[-1]
        root_kind = self.kind if len(self.chain) == 1 else "root"
        return f"{names} ({root_kind}, {root.location()})"


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    content: str
    cell: int | None = None  # in a notebook: the code cell the positions are in

    def to_json(self) -> dict:
        data = {"start": self.start.to_json(), "end": self.end.to_json(), "content": self.content}
        if self.cell is not None:
            data["cell"] = self.cell
        return data


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" | "unsafe"
    message: str
    edits: tuple[Edit, ...]
    # --dynamic with --fix/--diff: {"status", "evidence"}, what TensorFlow showed of this fix
    proof: dict | None = field(default=None, compare=False)

    def to_json(self) -> dict:
        data = {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }
        if self.proof is not None:
            data["proof"] = dict(self.proof)
        return data


@dataclass(frozen=True)
class Subject:
    """The traced function a finding is about, as the dynamic checker imports it.

    Not part of the JSON output: it only travels from the analysis to
    ``--dynamic`` in the same process.
    """

    module: str  # importable module name
    qualname: str  # Python ``__qualname__`` (``Model.call``, ``make.<locals>.step``)
    path: str  # display path
    line: int
    kind: str  # "tf.function" | "keras" | "tf.data"
    class_qualname: str | None = None  # for methods
    autograph: bool = True
    input_signature: bool = False  # declared on the tf.function
    parameter: str | None = None  # retracing findings: the parameter whose Python value varies
    # The module's name in this run, unique (``module`` is what Python imports, and two
    # script folders may both have a ``train``): how an examples module names it.
    key: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str  # "error" | "warning"
    message: str
    path: str
    start: Position
    end: Position
    function: str | None = None
    context: TraceContext | None = None
    fix: Fix | None = None
    dynamic: dict | None = field(default=None, compare=False)
    subject: Subject | None = field(default=None, compare=False)
    # In a notebook: the code cell (1-based, code cells only, as ruff counts
    # them); ``start``/``end`` are then lines and columns inside that cell.
    cell: int | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.start.line, self.start.column, self.code, self.message)

    def location(self) -> str:
        """``a.py:12:5``, or ``nb.ipynb:cell 3:12:5`` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.start.line}:{self.start.column}"

    @classmethod
    def from_json(cls, data: dict) -> "Finding":
        context = data.get("context")
        fix = data.get("fix")
        return cls(
            code=data["code"],
            name=data["name"],
            severity=data["severity"],
            message=data["message"],
            path=data["path"],
            start=Position(**data["start"]),
            end=Position(**data["end"]),
            function=data.get("function"),
            context=TraceContext(
                context["kind"], tuple(ChainLink(**link) for link in context["chain"])
            ) if context else None,
            fix=Fix(
                fix["applicability"],
                fix["message"],
                tuple(Edit(Position(**e["start"]), Position(**e["end"]), e["content"], e.get("cell")) for e in fix["edits"]),
            ) if fix else None,
            dynamic=data.get("dynamic"),
            cell=data.get("cell"),
        )

    def to_json(self) -> dict:
        data = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "start": self.start.to_json(),
            "end": self.end.to_json(),
            "function": self.function,
            "context": self.context.to_json() if self.context else None,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        if self.dynamic is not None:
            data["dynamic"] = self.dynamic
        return data


@dataclass
class Result:
    findings: list[Finding]
    files: int
    suppressed: list[Finding]
    sources: dict[str, str]  # display path -> text, for --show-source
    # Every traced root the analysis found, for --dynamic (empty from the cache).
    targets: list[Subject] = field(default_factory=list)
    # Why the result cache was not used, for one warning on stderr.
    cache_refused: str | None = None
    # display path -> its cells, for the notebooks checked (--show-source)
    notebooks: dict = field(default_factory=dict)  # of sources.notebooks.Notebook
    # --dynamic with --fix: every fix tried, with its proof (the JSON's `fixes`)
    fixes: list[dict] = field(default_factory=list)

    def source_of(self, finding: Finding) -> str | None:
        """The text ``finding``'s lines count in: its file's, or in a notebook its cell's."""
        notebook = self.notebooks.get(finding.path)
        if notebook is None:
            return self.sources.get(finding.path)
        return notebook.cell_source(finding.cell) if finding.cell is not None else None
