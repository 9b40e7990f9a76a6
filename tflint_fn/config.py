"""``[tool.tflint-fn]`` in pyproject.toml, validated, merged with the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tflint_fn.registry import RULES, lookup
from tflint_fn.sources.discovery import compile_patterns

if TYPE_CHECKING:
    import pathspec


# Rules that run only when named explicitly (by code or with their flag).
OPT_IN_RULES = frozenset({"TFF002", "TFF108"})


class ConfigError(Exception):
    """Bad configuration: reported as a usage error (exit 2)."""


_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude", "graph-decorators", "fixable", "unfixable")
_FIX_FLAGS = ("fix", "unsafe-fixes")  # --fix, --unsafe-fixes on every run
MAX_SECONDS = 86400  # a day: a longer limit is a typo (and overflows the timers)
MAX_MEGABYTES = 1 << 23  # 8 TiB: more does not fit the address-space limit


def _is_seconds(value) -> bool:
    # NaN fails both comparisons; inf fails the upper bound.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= MAX_SECONDS


def _is_env_name(name) -> bool:
    """``NAME``, or ``PREFIX*`` for every name that starts with PREFIX."""
    body = name[:-1] if isinstance(name, str) and name.endswith("*") else name
    return isinstance(body, str) and body.isascii() and body.isidentifier()


# key -> (is the value right?, what it must be)
_DYNAMIC_KEYS = {
    "timeout": (_is_seconds, f"a positive number of seconds, at most {MAX_SECONDS}"),
    "total-timeout": (_is_seconds, f"a positive number of seconds, at most {MAX_SECONDS}"),
    "memory-limit-mb": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_MEGABYTES,
                        f"0 (no limit) or a positive number of megabytes, at most {MAX_MEGABYTES}"),
    "examples": (lambda v: isinstance(v, str) and v != "", "the path of a Python file (a string)"),
    "jobs": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a positive integer"),
    "pass-env": (lambda v: isinstance(v, list) and all(_is_env_name(n) for n in v),
                 "a list of environment variable names (`NAME`, or `PREFIX*`)"),
}


def _quoted(text: str) -> str:
    """A string as TOML (and JSON) would write it: one line, escapes shown."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def dynamic_problem(key: str, value) -> str | None:
    """What is wrong with ``dynamic.KEY = value``, in one line for the user; None when it is right."""
    if key not in _DYNAMIC_KEYS:
        return f"unknown key `dynamic.{key}` (known: {', '.join(f'dynamic.{k}' for k in _DYNAMIC_KEYS)})"
    check, expected = _DYNAMIC_KEYS[key]
    if check(value):
        return None
    if isinstance(value, bool):
        shown = str(value).lower()
    elif isinstance(value, (int, float)):
        shown = repr(value)
    elif isinstance(value, list) and all(isinstance(n, str) for n in value):
        shown = _quoted(next(n for n in value if not _is_env_name(n)))
    else:
        shown = _quoted(value) if isinstance(value, str) else _type_name(value)
    return f"`dynamic.{key}` must be {expected}, not {shown}"
KNOWN_KEYS = frozenset(_LIST_KEYS) | frozenset(_FIX_FLAGS) | {"per-file-ignores", "dynamic", "project-context"}


@dataclass
class FileConfig:
    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    extend_exclude: list[str] = field(default_factory=list)
    graph_decorators: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    dynamic: dict = field(default_factory=dict)
    project_context: bool = True
    fix: bool | None = None
    unsafe_fixes: bool | None = None
    fixable: list[str] | None = None
    unfixable: list[str] = field(default_factory=list)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.tflint-fn]`` table.

    As in ruff, a pyproject.toml without the tool's table is not a
    configuration file: it does not hide a parent's settings.
    """
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if _is_file(pyproject) and has_table(pyproject):
            return pyproject
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may not search (EACCES): no configuration there
        return False


def has_table(pyproject: Path) -> bool:
    """Does this file configure tflint-fn? A broken file that mentions it is an error."""
    try:
        data = pyproject.read_bytes()
    except OSError:
        return False
    if b"tflint-fn" not in data and b"tflint_fn" not in data:
        return False  # most pyproject.toml files: no need to parse them
    tool = _parse_toml(data, pyproject).get("tool")
    return isinstance(tool, dict) and "tflint-fn" in tool


def _parse_toml(data: bytes, path: Path) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not valid UTF-8 (line {line}); TOML files are UTF-8") from None
    # Imported here, as difflib below: a run without a config file (or a typo in it) never pays for them.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not readable as TOML: nested too deeply") from None


def load(path: Path | None) -> FileConfig:
    if path is None:
        return FileConfig()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    document = _parse_toml(data, path)
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table ([tool.tflint-fn]), not {_type_name(tool)}")
    table = tool.get("tflint-fn")
    if table is None:
        if "tflint_fn" in tool:
            raise ConfigError(f"{path}: the table is spelled [tool.tflint-fn] (with a hyphen), not [tool.tflint_fn]")
        return FileConfig(path=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.tflint-fn` must be a table ([tool.tflint-fn]), not {_type_name(table)}")
    return parse_table(table, path)


def _type_name(value) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _unknown_key(where: str, key: str, known) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(sorted(known))})"
    return ConfigError(f"{where}: unknown key `{key}`{hint}")


def parse_table(table: dict, path: Path | None) -> FileConfig:
    where = f"{path}: [tool.tflint-fn]" if path else "[tool.tflint-fn]"
    config = FileConfig(path=path)
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise _unknown_key(where, key, KNOWN_KEYS)
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of strings, not {_type_name(value)}")
            setattr(config, key.replace("-", "_"), list(value))
            if key in ("exclude", "extend-exclude"):
                for pattern in value:
                    _check_pattern(pattern, f"{where}: `{key}`")
        elif key in _FIX_FLAGS:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: `{key}` must be true or false, not {_type_name(value)}")
            setattr(config, key.replace("-", "_"), value)
        elif key == "project-context":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: `project-context` must be true or false, not {_type_name(value)}")
            config.project_context = value
        elif key == "per-file-ignores":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
            ):
                raise ConfigError(f"{where}: `per-file-ignores` must map patterns to lists of codes")
            for pattern in value:
                _check_pattern(pattern, f"{where}: `per-file-ignores`")
            config.per_file_ignores = {k: list(v) for k, v in value.items()}
        else:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: `dynamic` must be a table")
            for dynamic_key, dynamic_value in value.items():
                if dynamic_key not in _DYNAMIC_KEYS:
                    raise _unknown_key(where, f"dynamic.{dynamic_key}", [f"dynamic.{k}" for k in _DYNAMIC_KEYS])
                problem = dynamic_problem(dynamic_key, dynamic_value)
                if problem is not None:
                    raise ConfigError(f"{where}: {problem}")
            config.dynamic = dict(value)
    for key in ("select", "ignore", "extend_select", "fixable", "unfixable"):
        for selector in getattr(config, key) or []:
            expand_selector(selector, where)
    for codes in config.per_file_ignores.values():
        for selector in codes:
            expand_selector(selector, where)
    return config


def _check_pattern(pattern: str, where: str) -> None:
    try:
        compile_patterns([pattern])
    except (ValueError, TypeError) as error:  # pathspec's GitWildMatchPatternError is a ValueError
        raise ConfigError(f"{where}: invalid pattern `{pattern}`: {error}") from None


def expand_selector(selector: str, where: str = "command line") -> frozenset[str]:
    """Codes matched by a code, a prefix (``TFF1``), a rule name, or ``ALL``."""
    text = selector.strip()
    if text.upper() == "ALL":
        return frozenset(RULES)
    rule = lookup(text)
    if rule is not None:
        return frozenset({rule.code})
    upper = text.upper()
    matched = frozenset(code for code in RULES if code.startswith(upper)) if upper.startswith("TFF") else frozenset()
    if not matched:
        raise ConfigError(f"{where}: unknown rule selector `{selector}`")
    return matched


def expand_all(selectors: list[str], where: str = "command line") -> frozenset[str]:
    codes: frozenset[str] = frozenset()
    for selector in selectors:
        codes |= expand_selector(selector, where)
    return codes


@dataclass
class Settings:
    enabled: frozenset[str]
    exclude: pathspec.PathSpec | None
    per_file_ignores: list[tuple[pathspec.PathSpec, frozenset[str]]]
    graph_decorators: frozenset[str]
    config_path: Path | None
    exclude_patterns: list[str] = field(default_factory=list)
    per_file_patterns: list[tuple[str, list[str]]] = field(default_factory=list)
    dynamic: dict = field(default_factory=dict)
    root: Path | None = None  # patterns are relative to this (the config's folder)
    project_context: bool = True  # files named one by one are checked in their whole project
    fix: bool = False  # `fix = true`: apply the safe fixes, as --fix
    unsafe_fixes: bool = False
    fixable: frozenset[str] = frozenset(RULES)  # `fixable` minus `unfixable`

    def relative(self, path: Path) -> str:
        base = self.root or Path.cwd()
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return path.as_posix()

    def excluded(self, path: Path, is_dir: bool) -> bool:
        if self.exclude is None:
            return False
        relative = self.relative(path)
        return self.exclude.match_file(relative + "/" if is_dir else relative)

    def ignored_for(self, path: Path, code: str) -> bool:
        relative = self.relative(path)
        return any(spec.match_file(relative) and code in codes for spec, codes in self.per_file_ignores)


class SettingsResolver:
    """The settings of each file: its nearest ``pyproject.toml`` (or ``--config``), flags on top."""

    def __init__(self, forced: Path | None = None, **overrides) -> None:
        self.forced = forced
        self.overrides = overrides
        self._by_config: dict[Path | None, Settings] = {}
        self._config_of_dir: dict[Path, Path | None] = {}

    def for_path(self, path: Path) -> Settings:
        config_path = self.forced if self.forced is not None else self._nearest(path if path.is_dir() else path.parent)
        settings = self._by_config.get(config_path)
        if settings is None:
            settings = resolve_settings(load(config_path), **self.overrides)
            settings.root = config_path.parent.absolute() if config_path is not None else Path.cwd()
            self._by_config[config_path] = settings
        return settings

    def _nearest(self, directory: Path) -> Path | None:
        if directory not in self._config_of_dir:
            self._config_of_dir[directory] = find_pyproject(directory)
        return self._config_of_dir[directory]


def command_line_resolver(
    config_path: str | None, cwd: Path, select=None, ignore=None, extend_select=None
) -> SettingsResolver:
    """The resolver for ``--config``, ``--select``, ``--ignore``, ``--extend-select``.

    ``tflint-fn`` builds it from its flags and the language server from the
    client's settings, so a buffer is configured as ``--stdin-filename`` would.
    """
    forced = None
    if config_path is not None:
        forced = (cwd / config_path).absolute()
        if not forced.is_file():
            raise ConfigError(f"--config {config_path}: no such file")
    return SettingsResolver(forced, select=select, ignore=ignore, extend_select=list(extend_select or []))


def _selected(selectors: list[str]) -> frozenset[str]:
    """Codes selected; an opt-in rule only when named by its own code or name."""
    codes: frozenset[str] = frozenset()
    for selector in selectors:
        expanded = expand_selector(selector)
        if len(expanded) != 1 or lookup(selector.strip()) is None:
            expanded -= OPT_IN_RULES
        codes |= expanded
    return codes


def describe(settings: Settings) -> str:
    """What ``--show-settings`` prints."""
    from tflint_fn.registry import RULES

    lines = [f"config file: {settings.config_path or '(none: defaults)'}"]
    lines.append("enabled rules:")
    lines += [f"  {code} {RULES[code].name}" for code in sorted(settings.enabled)]
    lines.append("exclude: " + (", ".join(settings.exclude_patterns) or "(defaults only)"))
    lines.append("per-file-ignores:" + ("" if settings.per_file_ignores else " (none)"))
    for pattern, codes in settings.per_file_patterns:
        lines.append(f"  {pattern}: {', '.join(codes)}")
    lines.append("graph-decorators: " + (", ".join(sorted(settings.graph_decorators)) or "(none)"))
    lines.append(f"dynamic: {settings.dynamic or '(defaults)'}")
    lines.append(f"project-context: {'true' if settings.project_context else 'false'}")
    lines.append(f"fix: {str(settings.fix).lower()}; unsafe-fixes: {str(settings.unsafe_fixes).lower()}")
    lines.append("unfixable: " + (", ".join(sorted(set(RULES) - settings.fixable)) or "(none)"))
    return "\n".join(lines) + "\n"


def resolve_settings(
    file_config: FileConfig,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    extend_select: list[str] | None = None,
) -> Settings:
    """Merge the file's settings with command-line flags (flags win)."""
    chosen_select = select if select is not None else file_config.select
    if chosen_select is None:
        enabled = frozenset(RULES) - OPT_IN_RULES
    else:
        enabled = _selected(chosen_select)
    enabled |= _selected(file_config.extend_select) | _selected(extend_select or [])
    chosen_ignore = ignore if ignore is not None else file_config.ignore
    enabled -= expand_all(chosen_ignore)
    patterns = file_config.exclude + file_config.extend_exclude
    exclude = compile_patterns(patterns) if patterns else None
    per_file = [
        (compile_patterns([pattern]), expand_all(codes))
        for pattern, codes in file_config.per_file_ignores.items()
    ]
    return Settings(
        enabled,
        exclude,
        per_file,
        frozenset(file_config.graph_decorators),
        file_config.path,
        patterns,
        sorted(file_config.per_file_ignores.items()),
        dict(file_config.dynamic),
        project_context=file_config.project_context,
        fix=bool(file_config.fix),
        unsafe_fixes=bool(file_config.unsafe_fixes),
        fixable=expand_all(file_config.fixable if file_config.fixable is not None else ["ALL"])
        - expand_all(file_config.unfixable),
    )
