"""The language server: diagnostics, hover and code actions over LSP (pygls 2).

Every check is the command line's stdin route (``check_buffer``: the
settings it resolves for the file, then the engine on the buffer's bytes),
run in one worker thread so the server keeps answering; ``didChange`` waits
for the typing to pause (``debounce``) first. Only Python files are checked:
a notebook (``.ipynb``, or a notebook document) is left alone.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from tflint_fn import __version__
from tflint_fn.findings import Position
from tflint_fn.server.text import (
    LineEdit,
    buffer_bytes,
    buffer_text,
    from_lsp,
    noqa_edit,
    replacement,
    split_lines,
    to_lsp,
)

SOURCE = "tflint-fn"
FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.tflint-fn"  # what `codeActionsOnSave: source.fixAll` runs
# Not under source.fixAll: an editor's fix-all-on-save never applies unsafe fixes.
UNSAFE_FIX_ALL_KIND = f"{lsp.CodeActionKind.Source.value}.tflint-fn.unsafeFixAll"
DEFAULT_DEBOUNCE_MS = 300
_PYTHON_SUFFIXES = (".py", ".pyi")
# Codes a `# noqa` is not offered for: a syntax error is fixed, an unused suppression removed.
_NO_NOQA = frozenset({"TFF001", "TFF002"})


@dataclass
class Options:
    """What the client may set (``initializationOptions``, or ``didChangeConfiguration``
    under ``tflint-fn``): the command line's ``--config``, ``--select``,
    ``--ignore``, ``--extend-select``, and the pause after typing."""

    config: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    debounce_ms: int = DEFAULT_DEBOUNCE_MS

    @classmethod
    def parse(cls, raw, previous: "Options | None" = None) -> tuple["Options", list[str]]:
        """Options from the client's JSON; unknown or ill-typed keys are named in the problems."""
        options = cls() if previous is None else cls(**vars(previous))
        problems: list[str] = []
        if isinstance(raw, dict) and isinstance(raw.get("tflint-fn"), dict):
            raw = raw["tflint-fn"]
        if not isinstance(raw, dict):
            return options, problems if raw is None else [f"settings must be an object, not {type(raw).__name__}"]
        for key, value in raw.items():
            if key == "config":
                if value is None or isinstance(value, str):
                    options.config = value or None
                else:
                    problems.append("`config` must be the path of a pyproject.toml")
            elif key in ("select", "ignore", "extendSelect"):
                codes = _codes(value)
                if codes is None:
                    problems.append(f"`{key}` must be a list of rule codes, prefixes or names")
                elif key == "extendSelect":
                    options.extend_select = codes
                else:
                    setattr(options, key, codes)
            elif key == "debounce":
                if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 60000:
                    options.debounce_ms = int(value)
                else:
                    problems.append("`debounce` must be a number of milliseconds from 0 to 60000")
            else:
                problems.append(f"unknown setting `{key}` (known: config, select, ignore, extendSelect, debounce)")
        return options, problems


def _codes(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return [item.strip() for item in value if item.strip()]


@dataclass
class Checked:
    """A document's last check: the text it saw, and what it found there."""

    source: str
    lines: list[str]
    findings: list  # tflint_fn.findings.Finding
    diagnostics: list[lsp.Diagnostic]
    # What the fixes need, attached only when code actions are asked for (not per keystroke).
    where: tuple | None = None  # (path, cwd, options)
    fixed: bool = False

    def with_fixes(self) -> list:
        if not self.fixed and self.where is not None:
            from tflint_fn import engine

            path, cwd, options = self.where
            resolver, _settings_unused = _settings(path, cwd, options)
            self.findings = engine.attach_fixes(
                self.findings, cwd, resolver.for_path, stdin=(str(path), buffer_bytes(self.source))
            )
        self.fixed = True
        return self.findings


def check_buffer(path: Path, cwd: Path, data: bytes, options: Options):
    """The engine's result for ``data`` as the file ``path``: what `tflint-fn --stdin-filename PATH -` runs.

    Settings come from the command line's resolver (``config.command_line_resolver``)
    with the client's options as its flags; the engine is given what the command
    line gives it for stdin (the buffer in its whole project, with the caches),
    so a buffer and its saved file get the same findings. One process: a
    server's threads make forking worker processes unsafe.
    """
    resolver, settings = _settings(path, cwd, options)
    return _run(path, cwd, data, resolver, settings, fixes=False)  # fixes: when code actions are asked for


def _settings(path: Path, cwd: Path, options: Options):
    from tflint_fn import config

    resolver = config.command_line_resolver(
        options.config, cwd, select=options.select, ignore=options.ignore, extend_select=options.extend_select
    )
    return resolver, resolver.for_path(path if path.exists() else cwd)


def _run(path: Path, cwd: Path, data: bytes, resolver, settings, overlay=None, fixes=True):
    from tflint_fn import engine

    return engine.run(
        ["-"], settings, cwd, stdin=(str(path), data), resolver=resolver, cache_root=settings.root or cwd,
        jobs=1, project_context=settings.project_context, overlay=overlay, fixes=fixes,
    )


def fixed_buffer(path: Path, cwd: Path, data: bytes, options: Options, unsafe: bool) -> bytes | None:
    """``data`` with every fix that applies, as `tflint-fn --fix [--unsafe-fixes] --stdin-filename PATH -`
    makes it (fixes/: lint, fix, lint again until no fix applies); None when nothing changes."""
    from tflint_fn.fixes.runner import FixPolicy, Sources, absolute, fix_rounds

    resolver, settings = _settings(path, cwd, options)
    name = absolute(cwd, str(path))

    def lint(overlay):  # the buffer, as fixed in the rounds before
        return _run(path, cwd, overlay.get(name, data), resolver, settings, overlay)

    def policy(display: str) -> FixPolicy:
        return FixPolicy(resolver.for_path(absolute(cwd, display)).fixable, unsafe)

    return fix_rounds(lint, Sources(cwd, stdin=(str(path), data)), policy).fixed.get(name)


class TflintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.options = self.initial_options = Options()
        # Per workspace folder: the client's `tflint-fn` settings for that folder
        # (workspace/configuration), over the options above.
        self.folder_options: dict[Path, Options] = {}
        self.configuring: asyncio.Task | None = None
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task] = {}
        # One analysis at a time: the engine is single-threaded, the machine may be small.
        self.analysis_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tflint-fn-check")
        self.shown: dict[str, str] = {}  # uri -> the problem its last check met (shown to the user once)

    # -- where a document lives ------------------------------------------------

    def locate(self, uri: str) -> tuple[Path, Path] | None:
        """(path, the folder its display path is relative to), or None for what is not a Python file."""
        path_text = to_fs_path(uri)
        document = self.workspace.text_documents.get(uri)
        language = document.language_id if document is not None else None
        if path_text is None:  # untitled: checked as a new file in the first folder
            if language != "python":
                return None
            base = self._folders()[0] if self._folders() else Path.cwd()
            return base / "untitled.py", base
        path = Path(path_text)
        if path.suffix == ".ipynb" or (path.suffix not in _PYTHON_SUFFIXES and language != "python"):
            return None
        containing = [folder for folder in self._folders() if folder == path or folder in path.parents]
        cwd = max(containing, key=lambda folder: len(folder.parts)) if containing else path.parent
        return path, cwd

    def _folders(self) -> list[Path]:
        folders = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                folders.append(Path(path))
        if not folders and self.workspace.root_path:
            folders.append(Path(self.workspace.root_path))
        return folders

    # -- checking ----------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds, replacing a check not yet started."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check(uri, delay))

    def schedule_all(self, delay: float) -> None:
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, delay)

    async def _check(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            document = self.workspace.text_documents.get(uri)
            if document is None:
                return
            source, version = document.source, document.version
            where = self.locate(uri)
            if where is None:
                return
            path, cwd = where
            while self.configuring is not None and not self.configuring.done():
                await asyncio.wait({self.configuring})  # the folders' settings first (a newer request may replace it)
            options = self.options_for(cwd)
            loop = asyncio.get_running_loop()
            try:
                result = await loop.run_in_executor(
                    self.analysis_pool, check_buffer, path, cwd, buffer_bytes(source), options
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - reported to the client, the server goes on
                self._analysis_failed(uri, path, error)
                result = None
            current = self.workspace.text_documents.get(uri)
            if current is None or current.source != source:
                return  # edited meanwhile: the check scheduled by that edit publishes
            if result is None:
                self.checked.pop(uri, None)
                self._publish(uri, version, [])
                return
            self.shown.pop(uri, None)
            if result.cache_refused:
                self.log(lsp.MessageType.Warning, f"tflint-fn: not using the cache: {result.cache_refused}")
            try:
                lines = split_lines(source)
                display = _display_names(path, cwd)
                findings = [f for f in result.findings if f.path in display and f.cell is None]
                diagnostics = [self._diagnostic(finding, lines, cwd) for finding in findings]
            except Exception as error:  # noqa: BLE001 - as for the engine: said, and the server goes on
                self._analysis_failed(uri, path, error)
                self.checked.pop(uri, None)
                self._publish(uri, version, [])
                return
            self.checked[uri] = Checked(source, lines, findings, diagnostics, where=(path, cwd, options))
            self._publish(uri, version, diagnostics)
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    def reconfigure(self) -> None:
        """Ask the client for each folder's settings (when it can tell), then re-check every open document."""
        capabilities = getattr(self.client_capabilities, "workspace", None)
        if not getattr(capabilities, "configuration", False):
            self.schedule_all(0)
            return
        previous = self.configuring
        if previous is not None:
            previous.cancel()
        self.configuring = asyncio.ensure_future(self._pull_folder_options())
        self.schedule_all(0)  # each check waits for the settings

    async def _pull_folder_options(self) -> None:
        folders = self._folders()
        try:
            answers = await self.workspace_configuration_async(lsp.ConfigurationParams(items=[
                lsp.ConfigurationItem(scope_uri=from_fs_path(str(folder)), section="tflint-fn") for folder in folders
            ]))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a client that cannot tell: its initialization options hold
            self.log(lsp.MessageType.Info, f"tflint-fn: no folder settings: {error}")
            answers = []
        options = {}
        for folder, raw in zip(folders, answers or []):
            options[folder], problems = Options.parse(raw, self.options)
            for problem in problems:
                self._show_once(f"tflint-fn: settings of {folder.name}: {problem}", lsp.MessageType.Warning)
        self.folder_options = options

    def _show_once(self, message: str, kind: lsp.MessageType) -> None:
        if message not in self.shown.values():
            self.say(kind, message)
        self.shown[message] = message

    def _analysis_failed(self, uri: str, path: Path, error: Exception) -> None:
        from tflint_fn.config import ConfigError

        said = " ".join(str(error).split())  # one line
        if isinstance(error, ConfigError):
            message, kind = f"tflint-fn: {said}", lsp.MessageType.Warning
        else:
            message = (f"tflint-fn: internal error while checking {path.name}: {type(error).__name__}: {said}; "
                       "the server goes on (please report this with the file; the traceback is in the server's log)")
            kind = lsp.MessageType.Error
            details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            self.log(lsp.MessageType.Error, f"{message}\n{details}")
        if message not in self.shown.values():  # once, however many documents it concerns
            self.say(kind, message)
        self.shown[uri] = message

    def log(self, kind: lsp.MessageType, message: str) -> None:
        """A line in the client's log of this server."""
        self.window_log_message(lsp.LogMessageParams(kind, message))

    def say(self, kind: lsp.MessageType, message: str) -> None:
        """A message the user sees."""
        self.window_show_message(lsp.ShowMessageParams(kind, message))

    def _publish(self, uri: str, version: int | None, diagnostics: list[lsp.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    @property
    def encoding(self) -> str:
        value = self.workspace.position_encoding
        return getattr(value, "value", value) or "utf-16"

    def _range(self, lines: list[str], start, end) -> lsp.Range:
        start_line, start_char = to_lsp(lines, start.line, start.column, self.encoding)
        end_line, end_char = to_lsp(lines, end.line, end.column, self.encoding)
        return lsp.Range(lsp.Position(start_line, start_char), lsp.Position(end_line, end_char))

    def _diagnostic(self, finding, lines: list[str], cwd: Path) -> lsp.Diagnostic:
        from tflint_fn.reporters.rule_docs import doc_path

        related = []
        if finding.context is not None:
            for link in finding.context.chain:
                target = Path(link.path) if Path(link.path).is_absolute() else cwd / link.path
                if target.suffix == ".ipynb":
                    continue
                position = lsp.Position(max(link.line - 1, 0), 0)
                related.append(lsp.DiagnosticRelatedInformation(
                    lsp.Location(from_fs_path(str(target)), lsp.Range(position, position)),
                    f"`{link.function}`: the traced root" if link is finding.context.chain[-1]
                    else f"`{link.function}`: traced, as the root calls it",
                ))
        return lsp.Diagnostic(
            range=self._range(lines, finding.start, finding.end),
            message=finding.message,
            severity=lsp.DiagnosticSeverity.Error if finding.severity == "error" else lsp.DiagnosticSeverity.Warning,
            code=finding.code,
            code_description=lsp.CodeDescription(href=doc_path(finding.code).absolute().as_uri()),
            source=SOURCE,
            tags=[lsp.DiagnosticTag.Unnecessary] if finding.code == "TFF002" else None,
            related_information=related or None,
            data={"name": finding.name},
        )

    def current(self, uri: str) -> Checked | None:
        """The last check of ``uri``, if the text has not changed since."""
        checked = self.checked.get(uri)
        document = self.workspace.text_documents.get(uri)
        if checked is None or document is None or document.source != checked.source:
            return None
        return checked

    # -- code actions --------------------------------------------------------------

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        checked = self.current(uri)
        if checked is None:
            return []
        lines, encoding = checked.lines, self.encoding
        first = from_lsp(lines, params.range.start.line, params.range.start.character, encoding)
        last = from_lsp(lines, params.range.end.line, params.range.end.character, encoding)
        only = params.context.only
        actions: list[lsp.CodeAction] = []
        wants_quickfix = _wanted(lsp.CodeActionKind.QuickFix.value, only)
        for finding, diagnostic in zip(checked.with_fixes(), checked.diagnostics):
            outside = (finding.end.line, finding.end.column) < first or (finding.start.line, finding.start.column) > last
            if not wants_quickfix or outside:
                continue
            if finding.fix is not None:
                safe = finding.fix.applicability == "safe"
                actions.append(lsp.CodeAction(
                    title=f"{finding.fix.message} ({finding.code}{'' if safe else ', unsafe'})",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=safe or None,
                    edit=self._edit(uri, lines, [(e.start, e.end, e.content) for e in finding.fix.edits]),
                ))
            noqa = self.noqa_action(uri, checked, finding, diagnostic)
            if noqa is not None:
                actions.append(noqa)
        actions.extend(self.fix_all_actions(uri, checked, only))
        return actions

    def noqa_action(self, uri: str, checked: Checked, finding, diagnostic) -> lsp.CodeAction | None:
        if finding.code in _NO_NOQA:
            return None
        from tflint_fn.registry import RULES_BY_NAME

        edit = noqa_edit(checked.source, finding.code, (finding.start.line, finding.end.line), RULES_BY_NAME)
        if edit is None:
            return None
        return lsp.CodeAction(
            title=f"Add `# noqa: {finding.code}` on line {edit.line}",
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=self._edit(uri, checked.lines, [_line_edit(edit)]),
        )

    def fix_all_actions(self, uri: str, checked: Checked, only) -> list[lsp.CodeAction]:
        """"Fix all" (safe fixes) and "fix all, unsafe too", when the document has such fixes.

        Their edit is the fixes' rounds on the buffer (``fixed_buffer``), run only when the
        action is chosen (codeAction/resolve), or at once for a client that cannot resolve
        and asked for exactly this kind (`codeActionsOnSave`)."""
        fixes = [finding.fix for finding in checked.with_fixes() if finding.fix is not None]
        actions = []
        for unsafe, kind, title in (
            (False, FIX_ALL_KIND, "Fix all: every safe tflint-fn fix"),
            (True, UNSAFE_FIX_ALL_KIND, "Fix all: every tflint-fn fix, unsafe ones too"),
        ):
            if not _wanted(kind, only) or not any(unsafe or fix.applicability == "safe" for fix in fixes):
                continue
            if unsafe and all(fix.applicability == "safe" for fix in fixes):
                continue  # the same as the safe one
            action = lsp.CodeAction(title=title, kind=kind, data={"uri": uri, "unsafe": unsafe})
            if self.resolves_edits():
                actions.append(action)
            elif only:
                actions.append(self.resolve_fix_all_now(action))
        return actions

    def resolves_edits(self) -> bool:
        support = getattr(getattr(getattr(self.client_capabilities, "text_document", None), "code_action", None),
                          "resolve_support", None)
        return support is not None and "edit" in (support.properties or [])

    def resolve_fix_all_now(self, action: lsp.CodeAction) -> lsp.CodeAction:
        where, source, data = self._fix_all_input(action)
        if where is None:
            return action
        fixed = fixed_buffer(*where, data, self.options_for(where[1]), bool(action.data.get("unsafe")))
        return self._with_whole_edit(action, source, fixed)

    async def resolve_code_action(self, action: lsp.CodeAction) -> lsp.CodeAction:
        where, source, data = self._fix_all_input(action)
        if where is None:
            return action
        loop = asyncio.get_running_loop()
        try:
            fixed = await loop.run_in_executor(self.analysis_pool, fixed_buffer, *where, data,
                                               self.options_for(where[1]), bool(action.data.get("unsafe")))
        except Exception as error:  # noqa: BLE001 - said, and the server goes on; the action does nothing
            self._analysis_failed(action.data["uri"], where[0], error)
            return action
        document = self.workspace.text_documents.get(action.data["uri"])
        if document is None or document.source != source:
            return action  # edited meanwhile: the edit would not fit
        return self._with_whole_edit(action, source, fixed)

    def _fix_all_input(self, action: lsp.CodeAction):
        data = action.data if isinstance(action.data, dict) else {}
        document = self.workspace.text_documents.get(data.get("uri", ""))
        where = self.locate(data["uri"]) if document is not None else None
        if where is None:
            return None, None, None
        return where, document.source, buffer_bytes(document.source)

    def _with_whole_edit(self, action: lsp.CodeAction, source: str, fixed: bytes | None) -> lsp.CodeAction:
        change = replacement(source, buffer_text(fixed)) if fixed is not None else None
        if change is not None:
            (start_line, start_column), (end_line, end_column), text = change
            action.edit = self._edit(action.data["uri"], split_lines(source), [
                (Position(start_line, start_column), Position(end_line, end_column), text)])
        return action

    def options_for(self, cwd: Path) -> Options:
        return self.folder_options.get(cwd, self.options)

    def _edit(self, uri: str, lines: list[str], edits) -> lsp.WorkspaceEdit:
        text_edits = [lsp.TextEdit(self._range(lines, start, end), text) for start, end, text in edits]
        return lsp.WorkspaceEdit(changes={uri: text_edits})

    # -- hover -----------------------------------------------------------------------

    def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        checked = self.current(params.text_document.uri)
        if checked is None:
            return None
        at = from_lsp(checked.lines, params.position.line, params.position.character, self.encoding)
        hits = [
            (finding, diagnostic) for finding, diagnostic in zip(checked.findings, checked.diagnostics)
            if (finding.start.line, finding.start.column) <= at <= (finding.end.line, finding.end.column)
        ]
        if not hits:
            return None
        sections = []
        for code in dict.fromkeys(finding.code for finding, _ in hits):
            context = next((f.context for f, _ in hits if f.code == code and f.context is not None), None)
            traced = f"*Traced:* {context.describe()}\n\n" if context is not None else ""
            sections.append(traced + rule_page(code))
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)),
            range=hits[0][1].range,
        )


def rule_page(code: str) -> str:
    """``tflint-fn rule CODE``'s text."""
    from tflint_fn.registry import lookup
    from tflint_fn.reporters.rule_docs import page

    return page(lookup(code))


def _wanted(kind: str, only) -> bool:
    return not only or any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _line_edit(edit: LineEdit):
    return Position(edit.line, edit.start), Position(edit.line, edit.end), edit.text


def _display_names(path: Path, cwd: Path) -> set[str]:
    from tflint_fn.sources.discovery import display_path

    return {display_path(path.absolute(), cwd), str(path)}


def build() -> TflintServer:
    server = TflintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: TflintServer, params: lsp.InitializeParams) -> None:
        ls.options, problems = Options.parse(params.initialization_options)
        ls.initial_options = ls.options
        for problem in problems:
            ls.say(lsp.MessageType.Warning, f"tflint-fn: initializationOptions: {problem}")

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: TflintServer, params: lsp.InitializedParams) -> None:
        ls.reconfigure()
        dynamic = getattr(getattr(getattr(ls.client_capabilities, "workspace", None), "did_change_watched_files", None),
                          "dynamic_registration", None)
        if not dynamic:
            return
        watchers = [lsp.FileSystemWatcher(glob_pattern=glob) for glob in ("**/pyproject.toml", "**/*.py", "**/*.pyi")]
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="tflint-fn-watched-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )]))
        except Exception as error:  # noqa: BLE001 - refused: a changed pyproject.toml is read at the next check
            ls.log(lsp.MessageType.Info, f"tflint-fn: no file watching: {error}")

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TflintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TflintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.options.debounce_ms / 1000)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TflintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TflintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        ls.checked.pop(uri, None)
        ls.shown.pop(uri, None)
        ls._publish(uri, None, [])

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: TflintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        # A pyproject.toml changes the settings; another module, what the buffer's code calls.
        ls.schedule_all(ls.options.debounce_ms / 1000)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: TflintServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and ("tflint-fn" in settings or not settings):
            # The client's settings as a whole, over the initialization options.
            ls.options, problems = Options.parse(settings.get("tflint-fn"), ls.initial_options)
            for problem in problems:
                ls.say(lsp.MessageType.Warning, f"tflint-fn: settings: {problem}")
        ls.reconfigure()

    @server.feature(lsp.WORKSPACE_DID_RENAME_FILES, lsp.FileOperationRegistrationOptions(
        filters=[lsp.FileOperationFilter(pattern=lsp.FileOperationPattern(glob="**/*"))]))
    def did_rename_files(ls: TflintServer, params: lsp.RenameFilesParams) -> None:
        # Module names follow paths: a rename can change what an open document imports.
        ls.schedule_all(0)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: TflintServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        ls.reconfigure()

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND, UNSAFE_FIX_ALL_KIND], resolve_provider=True))
    def code_action(ls: TflintServer, params: lsp.CodeActionParams):
        return ls.code_actions(params)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: TflintServer, action: lsp.CodeAction):
        return await ls.resolve_code_action(action)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: TflintServer, params: lsp.HoverParams):
        return ls.hover(params)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: TflintServer, params) -> None:
        for task in ls.pending.values():
            task.cancel()
        ls.pending.clear()
        ls.analysis_pool.shutdown(wait=False, cancel_futures=True)

    return server


def serve() -> None:
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never reach the protocol stream
    build().start_io(sys.stdin.buffer, protocol_out)
