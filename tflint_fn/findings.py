"""What the linter reports: findings with positions, traced-by chain and fix."""

from __future__ import annotations

from dataclasses import dataclass, field


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

    def to_json(self) -> dict:
        return {"function": self.function, "path": self.path, "line": self.line}


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
        return f"{names} ({root_kind}, {root.path}:{root.line})"


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    content: str

    def to_json(self) -> dict:
        return {"start": self.start.to_json(), "end": self.end.to_json(), "content": self.content}


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" | "unsafe"
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


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

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.start.line, self.start.column, self.code, self.message)

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
                tuple(Edit(Position(**e["start"]), Position(**e["end"]), e["content"]) for e in fix["edits"]),
            ) if fix else None,
            dynamic=data.get("dynamic"),
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
        if self.dynamic is not None:
            data["dynamic"] = self.dynamic
        return data
