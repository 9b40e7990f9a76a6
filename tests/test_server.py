"""`tflint-fn server`: the language server against a real LSP client (pygls's) in a subprocess.

The client starts `python -m tflint_fn server`, speaks LSP over its stdio,
and waits on the server's notifications (generous deadlines, never sleeps).
Without pygls (the `lsp` extra) the client tests are skipped; the text
helpers (positions, `# noqa` edits) and the missing-extra message are
tested either way.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tflint_fn.server.text import (
    buffer_bytes,
    buffer_text,
    code_units,
    from_lsp,
    noqa_edit,
    replacement,
    split_lines,
    to_lsp,
)

HAS_PYGLS = importlib.util.find_spec("pygls") is not None and importlib.util.find_spec("lsprotocol") is not None
needs_pygls = pytest.mark.skipif(not HAS_PYGLS, reason="needs pygls, from the `lsp` extra")
WAIT = 180.0  # seconds: a deadline for a loaded machine, not a performance limit

TRACED = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        return x + 1
    """
)


# -- positions and edits, without pygls ------------------------------------------------------


def test_columns_are_converted_to_utf16_code_units():
    lines = split_lines('s = "😋é"; print(x)\n')
    # code points: `print` is the 11th character (1-based column 11); in UTF-16 the emoji takes two units
    assert to_lsp(lines, 1, 11, "utf-16") == (0, 11)
    assert to_lsp(lines, 1, 11, "utf-32") == (0, 10)
    assert to_lsp(lines, 1, 11, "utf-8") == (0, 14)  # 5 + 4 (emoji) + 2 (é) + 3
    assert from_lsp(lines, 0, 11, "utf-16") == (1, 11)
    assert code_units("😋", "utf-16") == 2


def test_lines_end_as_lsp_says():
    assert split_lines("a\r\nb\rc\nd\x0ce") == ["a", "b", "c", "d\x0ce"]


def test_buffer_bytes_follow_the_coding_cookie():
    text = "# -*- coding: latin-1 -*-\nname = 'é'\n"
    assert buffer_bytes(text) == text.encode("latin-1")
    assert buffer_text(buffer_bytes(text)) == text
    assert buffer_bytes("x = 'é'\n") == "x = 'é'\n".encode()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\nprint(x)\nb\n", "import sys\na\ntf.print(x, output_stream=sys.stdout)\nb\n"),
        ("a\r\nb\r\n", "a\r\nc\r\nb\r\n"),
        ("x = '😋'; y\n", "x = '😋'; z\n"),
        ("abc", ""),
        ("", "abc"),
    ],
)
def test_replacement_is_one_edit_of_what_differs(old, new):
    (start_line, start_column), (end_line, end_column), text = replacement(old, new)
    lines = old.split("\n")  # no bare \r in these

    def offset(line, column):
        return sum(len(part) + 1 for part in lines[: line - 1]) + column - 1

    assert old[: offset(start_line, start_column)] + text + old[offset(end_line, end_column):] == new
    assert len(text) <= len(new) - len(old) + (offset(end_line, end_column) - offset(start_line, start_column))
    assert replacement(old, old) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    print(x)", "    print(x)  # noqa: TFF101"),
        ("    print(x)   ", "    print(x)  # noqa: TFF101"),
        ("    print(x)  # shows the shape", "    print(x)  # shows the shape  # noqa: TFF101"),
        ("    print(x)  # noqa: TFF102", "    print(x)  # noqa: TFF102, TFF101"),
        ("    print(x)  # noqa: TFF102 -- on purpose", "    print(x)  # noqa: TFF102, TFF101 -- on purpose"),
        ("    print(x)  # NOQA:TFF102,print-in-graph ok", "    print(x)  # NOQA:TFF102,print-in-graph, TFF101 ok"),
    ],
)
def test_noqa_edit_merges_with_the_line(line, expected):
    from tflint_fn.checks import RULES_BY_NAME

    source = f"def f(x):\n{line}\n"
    edit = noqa_edit(source, "TFF101", (2, 2), RULES_BY_NAME)
    text = source.splitlines()[1]
    assert text[: edit.start - 1] + edit.text + text[edit.end - 1 :] == expected


def test_noqa_edit_avoids_strings_and_continuations():
    source = 'print("""a\nb""")\nx = 1 + \\\n    2\n'
    # the node starts on line 1, inside the triple-quoted string's first line: the comment goes on its last line
    assert noqa_edit(source, "TFF101", (1, 2)).line == 2
    # after a backslash continuation a comment is a syntax error: the node's last line takes it
    assert noqa_edit(source, "TFF101", (3, 4)).line == 4
    assert noqa_edit(source, "TFF101", (3, 3)) is None
    assert noqa_edit("print(x)  # noqa\n", "TFF101", (1, 1)) is None  # a bare noqa hides everything already


@needs_pygls
def test_client_settings_are_validated():
    from tflint_fn.server.lsp import Options

    raw = {"tflint-fn": {"select": "TFF1, TFF2", "extendSelect": ["TFF002"], "debounce": 50}}
    options, problems = Options.parse(raw)
    assert (options.select, options.extend_select, options.debounce_ms, problems) == (["TFF1", "TFF2"], ["TFF002"], 50, [])
    options, problems = Options.parse({"selct": ["ALL"], "ignore": [3], "debounce": True, "config": 1}, options)
    assert options.select == ["TFF1", "TFF2"] and options.ignore is None and options.debounce_ms == 50  # kept
    assert problems == [
        "unknown setting `selct` (known: config, select, ignore, extendSelect, debounce)",
        "`ignore` must be a list of rule codes, prefixes or names",
        "`debounce` must be a number of milliseconds from 0 to 60000",
        "`config` must be the path of a pyproject.toml",
    ]
    assert Options.parse(None) == (Options(), [])
    assert Options.parse([1])[1] == ["settings must be an object, not list"]


def test_server_without_pygls_exits_2_naming_the_extra():
    script = "import sys; sys.modules['pygls'] = None; sys.argv = ['tflint-fn', 'server']; " \
             "from tflint_fn.cli import main; main()"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1 and "`lsp` extra" in lines[0] and 'pip install -e ".[lsp]"' in lines[0], completed.stderr


# -- a real client ------------------------------------------------------------------------------


class Session:
    """A pygls client driving `tflint-fn server` in a subprocess, recording what the server sends."""

    def __init__(self, client, root: Path) -> None:
        self.client = client
        self.root = root
        self.published: dict[str, list] = {}  # uri -> every PublishDiagnosticsParams, in order
        self.messages: list = []  # ShowMessageParams
        self.logs: list = []  # LogMessageParams
        self.registrations: list = []  # what the server asked the client to watch
        self.configuration_requests: list = []
        self.event = asyncio.Event()
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def notified(self) -> None:
        self.event.set()

    async def until(self, predicate, what: str):
        """Wait (up to WAIT seconds) until ``predicate()`` is true; returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            value = predicate()
            if value:
                return value
            self.event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {WAIT:.0f} s; messages: {[m.message for m in self.messages]}")
            try:
                await asyncio.wait_for(self.event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def uri(self, relative: str) -> str:
        return (self.root / relative).as_uri()

    def open(self, relative: str, text: str) -> str:
        from lsprotocol import types as lsp

        uri = self.uri(relative)
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text (the incremental form is tested in test_incremental_changes)."""
        from lsprotocol import types as lsp

        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)],
        ))
        return self.versions[uri]

    async def diagnostics(self, uri: str, version: int | None = None, after: int = 0):
        """The diagnostics of the first publication for ``uri`` (of ``version``) after the ``after``-th."""
        def found():
            for params in self.published.get(uri, [])[after:]:
                if version is None or params.version == version:
                    return params
            return None

        return list((await self.until(found, f"diagnostics for {uri} version {version}")).diagnostics)

    def count(self, uri: str) -> int:
        return len(self.published.get(uri, []))


def server_command(*patch: str) -> list[str]:
    """`python -m tflint_fn server`, or with ``patch`` (Python lines) run first in the server process."""
    if not patch:
        return [sys.executable, "-m", "tflint_fn", "server"]
    script = "\n".join([*patch, "import sys", "sys.argv = ['tflint-fn', 'server']", "from tflint_fn.cli import main",
                        "main()"])
    return [sys.executable, "-c", script]


async def start(root: Path, command=None, options=None, folders=None, encodings=None, watch=False,
                folder_settings=None, resolve=False):
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("tflint-fn-tests", "1")
    session = Session(client, root)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params):
        session.published.setdefault(params.uri, []).append(params)
        session.notified()

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def show(params):
        session.messages.append(params)
        session.notified()

    if folder_settings is not None:
        @client.feature(lsp.WORKSPACE_CONFIGURATION)
        def configuration(params):
            session.configuration_requests.append(params)
            return [folder_settings(item.scope_uri) for item in params.items]

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        session.registrations.extend(params.registrations)
        session.notified()

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def log(params):
        session.logs.append(params)
        session.notified()

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    await client.start_io(*(command or server_command()), cwd=str(root), env=env)
    folders = folders or [root]
    capabilities = lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
        text_document=lsp.TextDocumentClientCapabilities(code_action=lsp.CodeActionClientCapabilities(
            resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None)),
        workspace=lsp.WorkspaceClientCapabilities(
            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
            file_operations=lsp.FileOperationClientCapabilities(did_rename=True),
            workspace_folders=True,
            configuration=folder_settings is not None,
        ),
    )
    result = await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(
        capabilities=capabilities,
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(folder.as_uri(), folder.name) for folder in folders],
        initialization_options=options,
    )), WAIT)
    client.initialized(lsp.InitializedParams())
    return session, result


async def stop(session: Session) -> int:
    await asyncio.wait_for(session.client.shutdown_async(None), WAIT)
    session.client.exit(None)
    server = session.client._server
    code = await asyncio.wait_for(server.wait(), WAIT)
    await session.client.stop()
    return code


def cli_fix(cwd: Path, name: str, text: str, *flags: str) -> str:
    """What `tflint-fn --fix [flags] --stdin-filename NAME -` makes of ``text``."""
    completed = run_cli("--fix", *flags, "--stdin-filename", name, "-", cwd=cwd, stdin=text)
    assert completed.returncode in (0, 1), completed.stderr
    return completed.stdout


def apply_edits(text: str, edits) -> str:
    """Apply LSP TextEdits (UTF-16 positions) to ``text``, as an editor does."""
    lines = text.split("\n")

    def offset(position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def run_session(coroutine):
    return asyncio.run(coroutine)


@needs_pygls
def test_diagnostics_change_noqa_hover_and_shutdown(tmp_path):
    from lsprotocol import types as lsp

    async def scenario():
        session, result = await start(tmp_path)
        capabilities = result.capabilities
        assert result.server_info.name == "tflint-fn"
        assert capabilities.hover_provider and capabilities.code_action_provider
        uri = session.open("train.py", TRACED)

        # didOpen: TFF101 on `print(x)`, line 6, columns 5..13 (1-based) -> LSP 5:4..5:12
        [diagnostic] = await session.diagnostics(uri, version=1)
        assert diagnostic.code == "TFF101"
        assert diagnostic.source == "tflint-fn"
        assert diagnostic.severity == lsp.DiagnosticSeverity.Error
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (5, 4)
        assert (diagnostic.range.end.line, diagnostic.range.end.character) == (5, 12)
        assert diagnostic.code_description.href == (REPO / "rules" / "TFF101.md").as_uri()
        assert "tf.print" in diagnostic.message

        # hover on the diagnostic: the rule's page, as `tflint-fn rule TFF101` prints it
        hover = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(5, 6))), WAIT)
        page = run_cli("rule", "TFF101").stdout.strip()
        assert page.startswith("# TFF101 print-in-graph")
        assert page in hover.contents.value
        assert hover.range == diagnostic.range
        outside = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(6, 6))), WAIT)
        assert outside is None

        # the code actions on it: tflint-fn's fix (the one `--fix` makes) and `# noqa: TFF101`
        actions = await asyncio.wait_for(session.client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), diagnostic.range, lsp.CodeActionContext(diagnostics=[diagnostic]))), WAIT)
        quickfixes = [action for action in actions if action.kind == lsp.CodeActionKind.QuickFix]
        noqa = next(action for action in quickfixes if "noqa" in action.title)
        assert noqa.title == "Add `# noqa: TFF101` on line 6"
        [fix] = [action for action in quickfixes if action is not noqa]
        assert "(TFF101" in fix.title and list(fix.diagnostics) == [diagnostic]
        assert bool(fix.is_preferred) == ("unsafe" not in fix.title)  # the safe fix is the preferred one
        fixed = cli_fix(tmp_path, "train.py", TRACED, "--unsafe-fixes")
        assert fixed != TRACED and apply_edits(TRACED, fix.edit.changes[uri]) == fixed
        suppressed = apply_edits(TRACED, noqa.edit.changes[uri])
        assert suppressed == TRACED.replace("    print(x)\n", "    print(x)  # noqa: TFF101\n")

        # the edit applied (as the editor sends it): the finding is suppressed, the diagnostics cleared
        version = session.change(uri, suppressed)
        assert await session.diagnostics(uri, version=version) == []

        # didChange back to the print, then removing it: diagnostics come and go
        version = session.change(uri, TRACED)
        assert [d.code for d in await session.diagnostics(uri, version=version)] == ["TFF101"]
        version = session.change(uri, TRACED.replace("    print(x)\n", ""))
        assert await session.diagnostics(uri, version=version) == []

        assert not [m for m in session.messages if m.type == lsp.MessageType.Error]
        return await stop(session)

    assert run_session(scenario()) == 0


FIXABLE = textwrap.dedent(
    """\
    import numpy as np
    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        return x - np.mean(x)
    """
)


@needs_pygls
@pytest.mark.parametrize("resolves", [True, False], ids=["resolved", "at-once"])
def test_fix_all_makes_what_fix_makes(tmp_path, resolves):
    """`source.fixAll.tflint-fn` gives `--fix`'s buffer, the unsafe one `--fix --unsafe-fixes`'s.

    A client that resolves code actions gets the edit when it resolves the action; another,
    at once when it asks for that kind only (as an editor's fix-on-save does)."""
    from lsprotocol import types as lsp

    from tflint_fn.server.lsp import FIX_ALL_KIND, UNSAFE_FIX_ALL_KIND

    async def scenario():
        session, _ = await start(tmp_path, resolve=resolves)
        uri = session.open("step.py", FIXABLE)
        diagnostics = await session.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["TFF101", "TFF203"]
        texts = {}
        for kind in (FIX_ALL_KIND, UNSAFE_FIX_ALL_KIND):
            [action] = await asyncio.wait_for(session.client.text_document_code_action_async(lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(uri), diagnostics[0].range,
                lsp.CodeActionContext(diagnostics=diagnostics, only=[kind]))), WAIT)
            assert action.kind == kind
            if resolves:
                assert action.edit is None  # computed only when chosen
                action = await asyncio.wait_for(session.client.code_action_resolve_async(action), WAIT)
            texts[kind] = apply_edits(FIXABLE, action.edit.changes[uri])
        assert texts[FIX_ALL_KIND] == cli_fix(tmp_path, "step.py", FIXABLE)
        assert texts[UNSAFE_FIX_ALL_KIND] == cli_fix(tmp_path, "step.py", FIXABLE, "--unsafe-fixes")
        assert len({FIXABLE, *texts.values()}) == 3
        # the lightbulb's plain request: quick fixes, and the fix-all only for a client that resolves it later
        actions = await asyncio.wait_for(session.client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), diagnostics[0].range, lsp.CodeActionContext(diagnostics=diagnostics))), WAIT)
        assert (FIX_ALL_KIND in [a.kind for a in actions]) == resolves
        assert all(a.edit is not None for a in actions if a.kind == lsp.CodeActionKind.QuickFix)
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_a_helper_is_checked_in_its_project(tmp_path):
    """The buffer of a helper that mentions no TensorFlow, traced because another module's tf.function calls it."""
    from lsprotocol import types as lsp

    (tmp_path / ".git").mkdir()  # the repository root is the project's root
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    helper = "def show(x):\n    return x\n"
    (package / "helpers.py").write_text(helper)
    (package / "train.py").write_text(
        "import tensorflow as tf\n\nfrom .helpers import show\n\n\n@tf.function\ndef step(x):\n    return show(x) * 2\n"
    )

    async def scenario():
        session, _ = await start(tmp_path)
        uri = session.open("pkg/helpers.py", helper)
        assert await session.diagnostics(uri, version=1) == []
        # typed, not saved: the buffer replaces the file on disk
        version = session.change(uri, "def show(x):\n    print(x)\n    return x\n")
        [diagnostic] = await session.diagnostics(uri, version=version)
        assert diagnostic.code == "TFF101"
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (1, 4)
        # the chain that makes it traced, as related information: `show` here, `step` in train.py
        related = [(info.location.uri, info.location.range.start.line) for info in diagnostic.related_information]
        assert related == [(uri, 0), ((package / "train.py").as_uri(), 6)]
        hover = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(1, 5))), WAIT)
        assert "show <- step (root, pkg/train.py:7)" in hover.contents.value
        # the caller changes on disk (no longer a tf.function): the open helper is checked again
        (package / "train.py").write_text("from .helpers import show\n\n\ndef step(x):\n    return show(x) * 2\n")
        seen = session.count(uri)
        session.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent((package / "train.py").as_uri(), lsp.FileChangeType.Changed)]))
        assert await session.diagnostics(uri, after=seen) == []
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_each_folder_uses_its_configuration_and_changes_are_picked_up(tmp_path):
    from lsprotocol import types as lsp

    strict, plain = tmp_path / "strict", tmp_path / "plain"
    for folder in (strict, plain):
        folder.mkdir()
    pyproject = strict / "pyproject.toml"
    pyproject.write_text('[tool.tflint-fn]\nignore = ["TFF101"]\n')

    async def scenario():
        session, _ = await start(tmp_path, folders=[strict, plain], watch=True)
        [watching] = await session.until(lambda: session.registrations, "a file-watching registration")
        assert watching.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = [watcher["globPattern"] for watcher in watching.register_options["watchers"]]  # LSPAny: JSON
        assert "**/pyproject.toml" in globs and "**/*.py" in globs
        quiet = session.open("strict/m.py", TRACED)
        loud = session.open("plain/m.py", TRACED)
        assert await session.diagnostics(quiet, version=1) == []
        assert [d.code for d in await session.diagnostics(loud, version=1)] == ["TFF101"]

        def changed(path: Path):
            seen = session.count(quiet)
            session.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(path.as_uri(), lsp.FileChangeType.Changed)]))
            return seen

        # the folder's pyproject.toml changes: its documents are checked again with the new settings
        pyproject.write_text('[tool.tflint-fn]\nselect = ["ALL"]\n')
        seen = changed(pyproject)
        assert [d.code for d in await session.diagnostics(quiet, after=seen)] == ["TFF101"]

        # a broken configuration is said once, in one line naming the key; the other folder is still served
        pyproject.write_text('[tool.tflint-fn]\nselct = ["ALL"]\n')
        seen = changed(pyproject)
        assert await session.diagnostics(quiet, after=seen) == []
        warning = await session.until(lambda: [m for m in session.messages if "selct" in m.message], "a warning")
        assert len(warning) == 1 and warning[0].type == lsp.MessageType.Warning
        assert "pyproject.toml" in warning[0].message and "did you mean `select`" in warning[0].message
        assert "\n" not in warning[0].message
        version = session.change(loud, TRACED + "\n")
        assert [d.code for d in await session.diagnostics(loud, version=version)] == ["TFF101"]

        # client settings (didChangeConfiguration) apply like command-line flags
        seen = session.count(loud)
        session.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
            settings={"tflint-fn": {"ignore": ["print-in-graph"]}}))
        assert await session.diagnostics(loud, after=seen) == []
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_client_settings_per_folder(tmp_path):
    from lsprotocol import types as lsp

    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
    settings = {first.as_uri(): {"ignore": ["TFF1"]}, second.as_uri(): None}

    async def scenario():
        session, _ = await start(tmp_path, folders=[first, second], folder_settings=lambda scope: settings[scope])
        quiet = session.open("first/m.py", TRACED)
        loud = session.open("second/m.py", TRACED)
        assert await session.diagnostics(quiet, version=1) == []
        assert [d.code for d in await session.diagnostics(loud, version=1)] == ["TFF101"]
        # the client's settings change: the server asks again, per folder
        settings[second.as_uri()] = {"select": ["TFF2"]}
        asked, seen = len(session.configuration_requests), session.count(loud)
        session.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        assert await session.diagnostics(loud, after=seen) == []
        assert len(session.configuration_requests) == asked + 1
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_a_crash_in_analysis_is_reported_and_the_server_goes_on(tmp_path):
    from lsprotocol import types as lsp

    # The engine, patched in the server process only: its first run raises.
    patch = (
        "import tflint_fn.engine as engine",
        "real, calls = engine.run, []",
        "def run(*args, **kwargs):",
        "    calls.append(1)",
        "    if len(calls) == 1:",
        "        raise RuntimeError('boom in the engine')",
        "    return real(*args, **kwargs)",
        "engine.run = run",
    )

    async def scenario():
        session, _ = await start(tmp_path, command=server_command(*patch))
        uri = session.open("train.py", TRACED)
        [error] = await session.until(
            lambda: [m for m in session.messages if m.type == lsp.MessageType.Error], "an error message")
        assert "internal error while checking train.py: RuntimeError: boom in the engine" in error.message
        assert "\n" not in error.message
        assert any("Traceback" in log.message and "boom" in log.message for log in session.logs)
        assert await session.diagnostics(uri, version=1) == []
        version = session.change(uri, TRACED + "\n")
        assert [d.code for d in await session.diagnostics(uri, version=version)] == ["TFF101"]
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_incremental_changes_and_utf16_columns(tmp_path):
    from lsprotocol import types as lsp

    async def scenario():
        session, result = await start(tmp_path)
        assert result.capabilities.position_encoding in (None, lsp.PositionEncodingKind.Utf16)
        text = TRACED.replace("    print(x)", '    label = "😋"; print(x)')
        uri = session.open("train.py", text)
        [diagnostic] = await session.diagnostics(uri, version=1)
        line = text.splitlines()[5]
        start16 = len(line[: line.index("print")].encode("utf-16-le")) // 2
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (5, start16)
        assert diagnostic.range.end.character == start16 + len("print(x)")
        assert start16 == line.index("print") + 1  # the emoji is two UTF-16 units

        # an incremental edit: insert a line above the function; the diagnostic moves down one line
        session.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [lsp.TextDocumentContentChangePartial(
                range=lsp.Range(lsp.Position(2, 0), lsp.Position(2, 0)), text="LIMIT = 3\n")],
        ))
        [moved] = await session.diagnostics(uri, version=2)
        assert (moved.range.start.line, moved.range.start.character) == (6, start16)
        return await stop(session)

    assert run_session(scenario()) == 0


DEBOUNCE_MS = 5000  # long next to the 0.4 s of typing, so that a loaded machine keeps the keystrokes inside it


@needs_pygls
def test_typing_is_debounced_and_notebooks_are_left_alone(tmp_path):
    async def scenario():
        session, _ = await start(tmp_path, options={"debounce": DEBOUNCE_MS})
        notebook = session.open("nb.ipynb", '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}')
        uri = session.open("train.py", TRACED)
        await session.diagnostics(uri, version=1)
        for _ in range(4):  # keystrokes 0.1 s apart: together well inside the pause
            version = session.change(uri, session.texts[uri] + "\n")
            await asyncio.sleep(0.1)
        assert [d.code for d in await session.diagnostics(uri, version=version)] == ["TFF101"]
        assert [p.version for p in session.published[uri]] == [1, version]
        assert notebook not in session.published
        return await stop(session)

    assert run_session(scenario()) == 0


@needs_pygls
def test_renamed_files_recheck_open_documents(tmp_path):
    from lsprotocol import types as lsp

    async def scenario():
        session, result = await start(tmp_path)
        assert result.capabilities.workspace.file_operations.did_rename is not None
        uri = session.open("train.py", TRACED)
        await session.diagnostics(uri, version=1)
        seen = session.count(uri)
        session.client.workspace_did_rename_files(lsp.RenameFilesParams(
            [lsp.FileRename((tmp_path / "old.py").as_uri(), (tmp_path / "new.py").as_uri())]))
        assert [d.code for d in await session.diagnostics(uri, after=seen)] == ["TFF101"]
        return await stop(session)

    assert run_session(scenario()) == 0


def _latency_bench():
    spec = importlib.util.spec_from_file_location("lsp_latency", REPO / "bench" / "lsp_latency.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_pygls
def test_the_latency_benchmarks_module(tmp_path):
    """bench/lsp_latency.py's 500-line module: one TFF101 per tf.function, each on its `print` line."""
    text, expected = _latency_bench().traced_module(500)
    assert text.count("\n") >= 500 and expected >= 30
    prints = [index for index, line in enumerate(text.splitlines()) if line == "    print(total)"]
    assert len(prints) == expected

    async def scenario():
        session, _ = await start(tmp_path)
        uri = session.open("model.py", text)
        diagnostics = await session.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["TFF101"] * expected
        assert [(d.range.start.line, d.range.start.character, d.range.end.character) for d in diagnostics] == [
            (line, 4, 16) for line in prints]
        return await stop(session)

    assert run_session(scenario()) == 0


# -- the README's editor recipes ------------------------------------------------------------------


def readme_block(language: str, needle: str) -> str:
    """The README's ```language block that contains ``needle``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(rf"^```{language}\n(.*?)^```$", text, re.S | re.M) if needle in b]
    assert len(blocks) == 1, f"README: {len(blocks)} {language} blocks with {needle!r}"
    return blocks[0]


def _tool_path() -> dict:
    """The environment with this interpreter's scripts (the installed `tflint-fn`) first on PATH."""
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=os.pathsep.join([scripts, os.environ.get("PATH", "")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


@needs_pygls
@pytest.mark.parametrize("editor", ["vscode", "helix", "pycharm"])
def test_readme_recipes_start_the_server_they_name(tmp_path, editor):
    """The command line each recipe gives (and its initialization options) starts a working server.

    The editors themselves are not run here (Neovim is, below)."""
    import json

    if editor == "vscode":
        settings = json.loads(readme_block("json", "glspc.server.command"))
        command = [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]]
        options = settings["glspc.server.initializationOptions"]
        assert settings["glspc.server.languageId"] == ["python"]
    elif editor == "helix":
        try:
            import tomllib
        except ImportError:  # Python 3.10: the dependency config.py uses there
            import tomli as tomllib

        config = tomllib.loads(readme_block("toml", "[language-server.tflint-fn]"))
        server = config["language-server"]["tflint-fn"]
        command, options = [server["command"], *server["args"]], None
        assert "tflint-fn" in config["language"][0]["language-servers"]
        assert len(config["language"][0]["language-servers"]) > 1  # beside the others, not instead
    else:
        text = (REPO / "README.md").read_text(encoding="utf-8")
        found = re.search(r"command `(tflint-fn [^`]*)`.*?initialization options: `(\{[^`]*\})`", text, re.S)
        assert found, "README: the PyCharm (LSP4IJ) recipe's command and options"
        command, options = found.group(1).split(), json.loads(found.group(2))
    assert command[0] == "tflint-fn"
    executable = shutil.which("tflint-fn", path=_tool_path()["PATH"])
    if executable is None:
        pytest.skip("no `tflint-fn` script next to this interpreter")

    async def scenario():
        session, _ = await start(tmp_path, command=[executable, *command[1:]], options=options)
        uri = session.open("train.py", TRACED)
        assert [d.code for d in await session.diagnostics(uri, version=1)] == ["TFF101"]
        return await stop(session)

    assert run_session(scenario()) == 0


NEOVIM_CHECK = """
local result_path, file = ...
vim.cmd.edit(file)
local function names()
  local found = {}
  for _, client in ipairs(vim.lsp.get_clients({ bufnr = 0 })) do found[#found + 1] = client.name end
  table.sort(found)
  return found
end
local ok = vim.wait(%(wait)d, function()
  return #names() == 2 and #vim.diagnostic.get(0) == 2
end, 50)
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  diagnostics[#diagnostics + 1] = { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
                                    code = d.code, source = d.source }
end
vim.fn.writefile({ vim.json.encode({ ok = ok, clients = names(), diagnostics = diagnostics }) }, result_path)
vim.cmd("qa!")
"""

# The user's own Python server, enabled before the recipe (here: a second tflint-fn under another name).
NEOVIM_USERS_SERVER = """
vim.lsp.config("users_server", { cmd = { "tflint-fn", "server" }, filetypes = { "python" } })
vim.lsp.enable("users_server")
"""


@needs_pygls
@pytest.mark.parametrize("recipe", ["0.11", "0.8"])
def test_readme_neovim_recipe_in_headless_neovim(tmp_path, recipe):
    import json

    nvim = shutil.which("nvim", path=_tool_path()["PATH"])
    if nvim is None:
        pytest.skip("no `nvim` (CI installs one: .ci/run)")
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=60).stdout.split()[1]
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < (0, 11):
        pytest.skip(f"Neovim {version}: the test's own set-up needs 0.11")
    block = readme_block("lua", 'vim.lsp.config("tflint_fn"' if recipe == "0.11" else "vim.lsp.start(")
    (tmp_path / "pyproject.toml").write_text("[tool.tflint-fn]\n")
    (tmp_path / "train.py").write_text(TRACED)
    (tmp_path / "init.lua").write_text(NEOVIM_USERS_SERVER + block)
    (tmp_path / "check.lua").write_text(NEOVIM_CHECK % {"wait": int(WAIT * 1000)})
    result = tmp_path / "result.json"
    completed = subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {tmp_path / 'init.lua'}",
         "-c", f"lua loadfile([[{tmp_path / 'check.lua'}]])([[{result}]], [[{tmp_path / 'train.py'}]])"],
        cwd=tmp_path, env=dict(_tool_path(), HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data")),
        capture_output=True, text=True, timeout=WAIT + 60, stdin=subprocess.DEVNULL,
    )
    assert result.exists(), completed.stderr + completed.stdout
    found = json.loads(result.read_text())
    assert found["ok"], found
    assert found["clients"] == ["tflint_fn", "users_server"]  # the recipe added a server, it replaced none
    [ours, theirs] = found["diagnostics"]
    assert ours == theirs
    assert ours == {"lnum": 5, "col": 4, "end_lnum": 5, "end_col": 12, "code": "TFF101", "source": "tflint-fn"}
