"""Command line: ``tflint-fn [check] PATHS...`` and ``tflint-fn rule CODE``.

Exit codes: 0 no findings, 1 findings, 2 usage or internal error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from tflint_fn import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _DefaultToCheck(click.Group):
    """``tflint-fn src/`` means ``tflint-fn check src/``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split(values: tuple[str, ...]) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="tflint-fn")
def cli() -> None:
    """Find code that breaks or misbehaves under tf.function.

    Run `tflint-fn PATHS...` (the `check` command) or `tflint-fn rule CODE`.
    """


@cli.command()
@click.argument("paths", nargs=-1)
@click.option(
    "--format", "output_format",
    type=click.Choice(["text", "json", "json-lines", "github", "sarif", "gitlab", "junit"]), default="text", show_default=True,
)
@click.option("--select", multiple=True, help="Rules to run: codes, prefixes (TFF1), names or ALL. Comma-separated.")
@click.option("--ignore", multiple=True, help="Rules to skip, in the same forms as --select.")
@click.option("--extend-select", multiple=True, help="Rules to add to the selection.")
@click.option("--show-context", is_flag=True, help="Show which chain of calls makes each function traced.")
@click.option("--show-source", is_flag=True, help="Show the offending line with a caret (text format).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only: no summary line.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the output to this file.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Read settings from this pyproject.toml.")
@click.option("--stdin-filename", help="With `-` as the path: report the buffer read from stdin under this name.")
@click.option("--force-exclude", is_flag=True, help="Apply exclude patterns to files named on the command line too.")
@click.option("--show-suppressed", is_flag=True, help="Also list the findings that suppression comments hid.")
@click.option("--report-unused-suppressions", is_flag=True, help="Report suppression comments that hide nothing (TFF002).")
@click.option("--show-settings", is_flag=True, help="Print the settings in force and exit.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--no-project-context", is_flag=True,
              help="Check files named one by one (or stdin) alone, not as part of their project.")
@click.option("--dynamic", is_flag=True, help="Also trace the traced functions with TensorFlow (runs the project's code).")
@click.option("--jobs", "-j", type=int, default=None,
              help="Processes in parallel: summarising files (default: the number of cores); with --dynamic, "
                   "tracing workers (default 1).")
@click.option("--examples", "examples_path", type=click.Path(dir_okay=False),
              help="With --dynamic: the examples module (overrides `dynamic.examples`).")
@click.option("--fix/--no-fix", "fix", default=None, help="Apply the fixes and write the files (config: `fix`).")
@click.option("--unsafe-fixes/--no-unsafe-fixes", "unsafe_fixes", default=None,
              help="Also apply unsafe fixes with --fix (config: `unsafe-fixes`).")
@click.option("--fix-only", is_flag=True, help="Apply the fixes; report nothing that remains (exit 0).")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a diff of what --fix would change, write nothing (exit 1 when there is one).")
@click.option("--show-fixes", is_flag=True, help="With --fix, --fix-only or --diff: list the fixes per file and rule.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to the line of every finding (merged with one there).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix: exit 1 when a fix was applied.")
def check(
    paths, output_format, select, ignore, extend_select, show_context, show_source, statistics, quiet,
    exit_zero, output_file, config_path, stdin_filename, force_exclude, show_suppressed,
    report_unused_suppressions, show_settings, no_cache, no_project_context, dynamic, jobs, examples_path,
    fix, unsafe_fixes, fix_only, show_diff, show_fixes, add_noqa, exit_non_zero_on_fix,
) -> None:
    """Check Python files and directories (default: the current directory)."""
    from tflint_fn import config as config_module
    from tflint_fn.dynamic import DynamicError
    from tflint_fn.engine import run
    from tflint_fn.fixes import command as fix_command
    from tflint_fn.reporters import reporter
    from tflint_fn.reporters.json import statistics_document
    from tflint_fn.reporters.text import render_statistics_text
    from tflint_fn.sources.discovery import DiscoveryError

    cwd = Path.cwd()
    paths = list(paths) or ["."]
    stdin = None
    if paths == ["-"]:
        if not stdin_filename:
            _fail("reading from stdin (`-`) needs --stdin-filename PATH")
        # Bytes, decoded below exactly as a file is (BOM, coding cookie).
        stdin = (stdin_filename, _read_stdin())
    elif "-" in paths:
        _fail("`-` (stdin) cannot be combined with other paths")
    elif stdin_filename:
        _fail("--stdin-filename needs `-` as the path (`tflint-fn --stdin-filename x.py -`)")
    if statistics and output_format not in ("text", "json"):
        _fail(f"--statistics prints `text` or `json`, not `{output_format}`")
    if not dynamic and examples_path is not None:
        _fail("--examples only applies with --dynamic")
    if jobs is not None and jobs < 1:
        _fail(f"--jobs {jobs}: give a positive number of processes")
    if dynamic and stdin is not None:
        _fail("--dynamic cannot check stdin: the worker imports modules from files")
    if dynamic and add_noqa:
        _fail("--add-noqa cannot be combined with --dynamic")
    if add_noqa and stdin is not None:
        _fail("--add-noqa writes files; it cannot take stdin (`-`)")
    try:
        extend = _split(extend_select) or []
        if report_unused_suppressions:
            extend.append("TFF002")
        resolver = config_module.command_line_resolver(
            config_path, cwd, select=_split(select), ignore=_split(ignore), extend_select=extend
        )
        anchor = cwd / (stdin_filename if stdin is not None else paths[0])
        if show_settings and stdin is None and not anchor.exists():
            _fail(f"{paths[0]}: no such file or directory")
        settings = resolver.for_path(anchor if anchor.exists() else cwd)
        if show_settings:
            click.echo(config_module.describe(settings), nl=False)
            return
        mode = fix_command.choose_mode(fix, fix_only, show_diff, add_noqa, settings)
        unsafe = unsafe_fixes if unsafe_fixes is not None else settings.unsafe_fixes
        if dynamic:
            # Settings first: a bad `dynamic` table is reported with or without TensorFlow.
            from tflint_fn.dynamic import runner as dynamic_runner
            from tflint_fn.fixes.proof import FixProver

            options = dynamic_runner.options_from(
                settings.dynamic, settings.root or cwd, jobs, examples_path,
                progress=output_format == "text" and not output_file and sys.stderr.isatty(),
            )
            if not dynamic_runner.tensorflow_available():
                _fail(f"--dynamic needs TensorFlow, from the `dynamic` extra: {dynamic_runner.INSTALL_HINT}")
            # --fix/--diff: only fixes TensorFlow proves are made; the input_signature proposals.
            prover = FixProver(cwd, options, settings.root)
        if mode is not None:
            def lint(overlay):
                given = stdin
                if stdin is not None:  # the buffer, fixed in the rounds before
                    given = (stdin[0], overlay.get(Path(os.path.abspath(cwd / stdin[0])), stdin[1]))
                return run(
                    paths, settings, cwd, stdin=given, resolver=resolver, force_exclude=force_exclude,
                    jobs=None if dynamic else jobs, collect_targets=dynamic,
                    project_context=settings.project_context and not no_project_context, overlay=overlay,
                )

            if dynamic and unsafe:  # what the retracing check observes makes the input_signature proposals
                prover.observe(lint({}), settings.enabled)
            fixed = fix_command.run_mode(
                mode, lint, cwd, resolver.for_path, unsafe, stdin, show_fixes, output_format == "text" and not statistics,
                prover=prover if dynamic else None,
            )
            for line in fixed.stderr:
                click.echo(line, err=True)
            result = fixed.result
            if result is None:  # --fix-only, --diff, --add-noqa: nothing more to report
                _write_stdout(fixed.stdout)
                sys.exit(fixed.exit_code)
            result.fixes = fixed.fixes
        if mode is None:
            result = run(
                paths, settings, cwd, stdin=stdin, resolver=resolver, force_exclude=force_exclude,
                cache_root=None if no_cache or dynamic else (settings.root or cwd), collect_targets=dynamic,
                jobs=None if dynamic else jobs, project_context=settings.project_context and not no_project_context,
            )
        if dynamic:
            # The findings left (with --fix, in the files as written), each with its verdict.
            observed = {} if mode is None else None
            result = dynamic_runner.run_dynamic(result, cwd, options, settings.root, settings.enabled,
                                                observed=observed)
            if observed:
                result.findings = prover.propose(result.findings, observed)
    except (config_module.ConfigError, DiscoveryError, DynamicError, fix_command.FixError) as error:
        _fail(str(error))
    if result.cache_refused is not None:
        _warn(f"not using the cache: {result.cache_refused}")
    if result.files == 0 and stdin is None:
        _warn(f"No Python files found under {', '.join(paths)}")
    if statistics:
        if output_format == "json":
            output = json.dumps(statistics_document(result), indent=2) + "\n"
        else:
            output = render_statistics_text(result)
    else:
        output = reporter(output_format)(
            result, show_context=show_context, show_source=show_source, quiet=quiet, show_suppressed=show_suppressed,
            unsafe_fixes=unsafe,
        )
    if mode is not None:  # --fix: what was fixed, after the report of what remains
        if fixed.stdout_bytes is not None:  # stdin: the fixed source on stdout, the report on stderr
            click.echo(output, nl=False, err=True)
            output = ""
            sys.stdout.flush()
            sys.stdout.buffer.write(fixed.stdout_bytes)
            sys.stdout.flush()
        elif not quiet:
            output += fixed.stdout
    if output_file:
        try:
            # Text output names files by their bytes, undecodable ones included.
            Path(output_file).write_bytes(output.encode("utf-8", "surrogateescape"))
        except OSError as error:
            _fail(f"--output-file {output_file}: {error.strerror or error}")
    else:
        _write_stdout(output)
    if mode is not None and fixed.exit_code is not None:
        sys.exit(fixed.exit_code)
    if mode is not None and exit_non_zero_on_fix and fixed.fixed:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN if exit_zero or not result.findings else EXIT_FINDINGS)


def _write_stdout(output: str) -> None:
    """Like ``--output-file``: a file name that is not UTF-8 is written as its bytes, even to a strict stdout."""
    try:
        click.echo(output, nl=False)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        try:
            data = output.encode(encoding, "surrogateescape")
        except UnicodeEncodeError:  # characters the console cannot show
            data = output.encode(encoding, "backslashreplace")
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stream swapped in: show the names escaped
            click.echo(output.encode("ascii", "backslashreplace").decode("ascii"), nl=False)
            return
        sys.stdout.flush()
        stream.write(data)
        stream.flush()


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "list_all", is_flag=True, help="List every rule.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rule(code, list_all, output_format) -> None:
    """Show a rule's documentation (by code or name), or list all rules."""
    from tflint_fn.registry import RULES, lookup
    from tflint_fn.reporters.rule_docs import doc_path, page

    if list_all or code is None:
        rules = sorted(RULES.values(), key=lambda r: r.code)
        if output_format == "json":
            click.echo(json.dumps([_rule_json(r) for r in rules], indent=2))
        else:
            for info in rules:
                click.echo(f"{info.code}  {info.name:<30} {info.severity:<8} {info.summary}")
        return
    info = lookup(code)
    if info is None:
        _fail(f"unknown rule `{code}`; `tflint-fn rule --all` lists them")
    path = doc_path(info.code)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if output_format == "json":
        click.echo(json.dumps({**_rule_json(info), "documentation": text}, indent=2))
    else:
        click.echo(page(info))


@cli.command()
@click.option("--stdio", is_flag=True, help="Speak LSP on stdin/stdout (the default and only transport).")
def server(stdio) -> None:
    """Run the language server (LSP over stdio) for editors; needs the `lsp` extra."""
    from tflint_fn import server as language_server

    if not language_server.available():
        _fail(f"`tflint-fn server` needs pygls 2 (the `lsp` extra): {language_server.INSTALL_HINT}")
    language_server.serve()


@cli.command()
def clean() -> None:
    """Remove the result cache (.tflint-fn-cache) of the project here."""
    from tflint_fn import config as config_module
    from tflint_fn.cache import CacheRefused
    from tflint_fn.cache import clean as remove_cache

    cwd = Path.cwd()
    try:
        pyproject = config_module.find_pyproject(cwd)
    except config_module.ConfigError as error:
        _fail(str(error))
    roots = {cwd, pyproject.parent.absolute()} if pyproject is not None else {cwd}
    removed = []
    for root in sorted(roots):
        try:
            what = remove_cache(root)
        except CacheRefused as error:
            _fail(str(error))
        except OSError as error:
            _fail(f"cannot remove {root / '.tflint-fn-cache'}: {error.strerror or error}")
        if what is not None:
            removed.append(what)
            click.echo(what)
    if not removed:
        click.echo("no cache to remove")


def _rule_json(info) -> dict:
    return {"code": info.code, "name": info.name, "severity": info.severity, "summary": info.summary}


def _read_stdin() -> bytes:
    from tflint_fn.sources.parsing import MAX_FILE_BYTES

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream that was swapped in (tests, embedding)
        return sys.stdin.read().encode("utf-8", "surrogateescape")
    return stream.read(MAX_FILE_BYTES + 1)


def _warn(message: str) -> None:
    click.echo(f"tflint-fn: warning: {message}", err=True)


def _fail(message: str) -> None:
    click.echo(f"tflint-fn: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except click.UsageError as error:
        error.show()
        sys.exit(EXIT_ERROR)
    except click.Abort:  # click's name for Ctrl-C (it has ended the ^C line already)
        click.echo("tflint-fn: interrupted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("tflint-fn: interrupted", err=True)
        sys.exit(EXIT_ERROR)
    except SystemExit:
        raise
    except BaseException as error:  # never a traceback for the user
        click.echo(f"tflint-fn: internal error: {type(error).__name__}: {error}", err=True)
        click.echo("Please report this with the file that caused it.", err=True)
        sys.exit(EXIT_ERROR)


def entry() -> None:
    """The console script and ``python -m tflint_fn``: ``main``, then an exit without teardown."""
    try:
        main()
    except SystemExit as exit_:
        exit_without_teardown(exit_.code)
    exit_without_teardown(0)


def exit_without_teardown(code: int | str | None) -> None:
    """Exit as Python would, but without freeing every module and object one by one.

    Tearing a run down (its modules, summaries and trees) costs as much as a
    tenth of a cold run: 0.9 of 8 CPU seconds on tf-models-official, 0.03 of a
    pre-commit-sized run. The operating system takes the memory back at once.
    What an exit must still do is done: the ``atexit`` handlers run and the
    output streams are flushed. While another thread runs (Python's exit waits
    for it), or a profiler or tracer is set (``python -m cProfile`` writes its
    output after the run returns), Python's own exit is kept.
    """
    import atexit
    import threading

    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    if code is None:
        status = EXIT_CLEAN
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()  # what Python's own exit runs (no public name does it)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream
            status = 120  # Python's status when it cannot flush at exit
    os._exit(status)
