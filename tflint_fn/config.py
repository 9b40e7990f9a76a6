"""``[tool.tflint-fn]`` in pyproject.toml, validated, merged with the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from tflint_fn.checks import RULES, lookup

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# Rules that run only when named explicitly (by code or with their flag).
OPT_IN_RULES = frozenset({"TFF002"})


class ConfigError(Exception):
    """Bad configuration: reported as a usage error (exit 2)."""


_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude", "graph-decorators")
_DYNAMIC_KEYS = {"timeout": (int, float), "memory-limit-mb": int, "examples": str, "jobs": int}
KNOWN_KEYS = frozenset(_LIST_KEYS) | {"per-file-ignores", "dynamic"}


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


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.tflint-fn] table, else the nearest one."""
    directory = start if start.is_dir() else start.parent
    nearest = None
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            nearest = nearest or pyproject
            try:
                if "tflint-fn" in pyproject.read_text(encoding="utf-8", errors="replace"):
                    return pyproject
            except OSError:
                continue
    return nearest


def load(path: Path | None) -> FileConfig:
    if path is None:
        return FileConfig()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    table = document.get("tool", {}).get("tflint-fn")
    if table is None:
        return FileConfig(path=path)
    return parse_table(table, path)


def parse_table(table: dict, path: Path | None) -> FileConfig:
    where = f"{path}: [tool.tflint-fn]" if path else "[tool.tflint-fn]"
    config = FileConfig(path=path)
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key `{key}` (known: {', '.join(sorted(KNOWN_KEYS))})")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of strings")
            setattr(config, key.replace("-", "_"), list(value))
        elif key == "per-file-ignores":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
            ):
                raise ConfigError(f"{where}: `per-file-ignores` must map patterns to lists of codes")
            config.per_file_ignores = {k: list(v) for k, v in value.items()}
        else:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: `dynamic` must be a table")
            for dynamic_key, dynamic_value in value.items():
                expected = _DYNAMIC_KEYS.get(dynamic_key)
                if expected is None:
                    raise ConfigError(f"{where}: unknown key `dynamic.{dynamic_key}`")
                if not isinstance(dynamic_value, expected) or isinstance(dynamic_value, bool):
                    raise ConfigError(f"{where}: `dynamic.{dynamic_key}` has the wrong type")
            config.dynamic = dict(value)
    for key in ("select", "ignore", "extend_select"):
        for selector in getattr(config, key) or []:
            expand_selector(selector, where)
    for codes in config.per_file_ignores.values():
        for selector in codes:
            expand_selector(selector, where)
    return config


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
    from tflint_fn.checks import RULES

    lines = [f"config file: {settings.config_path or '(none: defaults)'}"]
    lines.append("enabled rules:")
    lines += [f"  {code} {RULES[code].name}" for code in sorted(settings.enabled)]
    lines.append("exclude: " + (", ".join(settings.exclude_patterns) or "(defaults only)"))
    lines.append("per-file-ignores:" + ("" if settings.per_file_ignores else " (none)"))
    for pattern, codes in settings.per_file_patterns:
        lines.append(f"  {pattern}: {', '.join(codes)}")
    lines.append("graph-decorators: " + (", ".join(sorted(settings.graph_decorators)) or "(none)"))
    lines.append(f"dynamic: {settings.dynamic or '(defaults)'}")
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
    exclude = pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None
    per_file = [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), expand_all(codes))
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
    )
