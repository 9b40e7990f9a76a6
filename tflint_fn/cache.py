"""Results of unchanged projects, reused.

The key covers everything a result depends on: a digest of the tool's own
code, the settings of every file, the flags that change findings, and the
path and content hash of every file checked (cross-module analysis means any
file can change another's findings). Entries are written atomically; an entry
that cannot be read or does not match is ignored and recomputed, so a
corrupted or concurrently written cache never changes results.

Safety: the cache writes, prunes and deletes only inside a real directory
that it created itself (marked by its own ``CACHEDIR.TAG``), and only files
with names it gives them. A cache directory that is a symbolic link, or a
folder of that name that tflint-fn did not create, is left alone: the run
goes on without a cache and says why once on stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import stat
import sys
import time
from pathlib import Path

from tflint_fn import __version__
from tflint_fn.findings import Finding

CACHE_DIR_NAME = ".tflint-fn-cache"
_FORMAT = 1
_KEEP = 16  # entries kept; older ones are pruned
_TAG_NAME = "CACHEDIR.TAG"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file marks a cache directory created by tflint-fn.\n"
_GITIGNORE = "# Created by tflint-fn.\n*\n"
_ENTRY = re.compile(r"[0-9a-f]{64}\.json")
_PICKLE = re.compile(r"[0-9a-f]{64}\.pickle")
_TEMPORARY_PREFIX = "tflint-fn-"
_STALE_SECONDS = 3600


class CacheRefused(Exception):
    """The cache directory is not one tflint-fn may write to or delete."""


def cache_key(parts: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(f"tflint-fn {__version__} {code_digest()} cache {_FORMAT}\n".encode())
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """A digest of the package's own files: two builds of one version never share results."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        package = Path(__file__).parent
        digest = hashlib.sha256()
        for path in sorted(package.rglob("*")):
            if path.suffix == ".py" and "__pycache__" not in path.parts and path.is_file():
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(b"\0")
                digest.update(path.read_bytes())
                digest.update(b"\0")
        _CODE_DIGEST = digest.hexdigest()[:16]
    return _CODE_DIGEST


def _is_real_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_ours(directory: Path) -> bool:
    """A real directory (not a link) holding the tag tflint-fn writes."""
    if not _is_real_directory(directory):
        return False
    tag = directory / _TAG_NAME
    try:
        if not stat.S_ISREG(os.lstat(tag).st_mode):
            return False
        return tag.read_text(encoding="utf-8") == _TAG
    except (OSError, UnicodeDecodeError):
        return False


def refusal(directory: Path) -> str | None:
    """Why the cache at ``directory`` must not be used, or None when it may."""
    if os.path.islink(directory):
        return f"{directory} is a symbolic link; tflint-fn only uses a cache folder it created (remove the link, or use --no-cache)"
    if not os.path.lexists(directory):
        return None
    if not _is_real_directory(directory):
        return f"{directory} is not a folder; remove it, or use --no-cache"
    if _is_ours(directory):
        results = directory / "results"
        if os.path.lexists(results) and not _is_real_directory(results):
            return f"{results} is a symbolic link or not a folder; run `tflint-fn clean`, or use --no-cache"
        return None
    try:
        empty = not any(os.scandir(directory))
    except OSError:
        empty = False
    if empty:
        return None  # left empty by an interrupted first run: ours to take
    return f"{directory} was not created by tflint-fn (no {_TAG_NAME} of its own); remove it, or use --no-cache"


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME
        #: why the cache is not used (for one warning), or None
        self.refused: str | None = refusal(self.directory)

    def load(self, key: str) -> tuple[list[Finding], list[Finding], int] | None:
        if self.refused is not None or not _is_ours(self.directory):
            return None
        path = self.directory / "results" / f"{key}.json"
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return None
            document = json.loads(path.read_text(encoding="utf-8"))
            if document["key"] != key or document["version"] != __version__ or document["format"] != _FORMAT:
                return None
            findings = [Finding.from_json(item) for item in document["findings"]]
            suppressed = [Finding.from_json(item) for item in document["suppressed"]]
            files = int(document["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return findings, suppressed, files

    def store(self, key: str, findings: list[Finding], suppressed: list[Finding], files: int) -> None:
        if self.refused is not None:
            return
        document = {
            "format": _FORMAT,
            "version": __version__,
            "key": key,
            "files": files,
            "findings": [f.to_json() for f in findings],
            "suppressed": [f.to_json() for f in suppressed],
        }
        try:
            results = self._prepare()
            if results is None:
                return
            _write_atomically(results / f"{key}.json", json.dumps(document))
            self._prune(results)
        except OSError:
            return  # a read-only checkout or a full disk: run without a cache

    def _prepare(self) -> Path | None:
        """The results folder, inside a cache folder that is certainly ours; None if not."""
        os.makedirs(self.directory, exist_ok=True)
        if not _is_ours(self.directory):
            if refusal(self.directory) is not None:
                return None
            # The marks are written whole or not at all, the tag last: a folder
            # with the tag always has its .gitignore.
            _write_atomically(self.directory / ".gitignore", _GITIGNORE)
            _write_atomically(self.directory / _TAG_NAME, _TAG)
        results = self.directory / "results"
        if not os.path.lexists(results):
            os.mkdir(results)
        if not _is_real_directory(results):
            return None
        return results

    @staticmethod
    def _prune(results: Path) -> None:
        entries = []
        for entry in os.scandir(results):
            if _ENTRY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                entries.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
            elif entry.name.startswith(_TEMPORARY_PREFIX) and entry.name.endswith(".tmp"):
                # Left by a process killed mid-write (SIGKILL); a live writer's is younger.
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_SECONDS:
                    (results / entry.name).unlink(missing_ok=True)
        entries.sort(reverse=True)
        for _, name in entries[_KEEP:]:
            (results / name).unlink(missing_ok=True)


class _PickleStore:
    """One pickle per key (``<folder>/<sha256>.pickle``), beside the results.

    Same safety as the results: only inside a cache folder tflint-fn made,
    only names it gives, written atomically; an entry that cannot be read is
    built again. Entries not written for a while are pruned past a bound.
    """

    folder_name = ""

    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME
        self.refused: str | None = refusal(self.directory)
        self._folder: Path | None = None
        self._written = 0
        self.loaded = 0  # entries read back in this run
        self._used: set[str] = set()  # keys read or written in this run

    def load(self, key: str):
        if self.refused is not None:
            return None
        path = self.directory / self.folder_name / f"{key}.pickle"
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode) or not _is_ours(self.directory):
                return None
            with open(path, "rb") as stream:
                value = pickle.load(stream)
        except Exception:  # a torn or foreign entry: built again, never trusted
            return None
        self.loaded += 1
        self._used.add(key)
        return value

    def has(self, key: str) -> bool:
        return self.refused is None and os.path.isfile(self.directory / self.folder_name / f"{key}.pickle")

    def save(self, key: str, value) -> None:
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError):
            return
        self.save_pickled(key, data)

    def save_pickled(self, key: str, data: bytes) -> None:
        if self.refused is not None:
            return
        try:
            if self._folder is None:
                results = ResultCache(self.directory.parent)._prepare()
                if results is None:
                    self.refused = "not ours"
                    return
                folder = self.directory / self.folder_name
                if not os.path.lexists(folder):
                    os.mkdir(folder)
                if not _is_real_directory(folder):
                    self.refused = f"{folder} is not a folder"
                    return
                self._folder = folder
            _write_atomically(self._folder / f"{key}.pickle", data)
            self._written += 1
            self._used.add(key)
        except OSError:
            return

    def prune(self, keep: int) -> None:
        """Keep the entries this run read or wrote, and the ``keep`` newest of the others."""
        if self._folder is None or self._written == 0:
            return
        try:
            entries = [
                (entry.stat(follow_symlinks=False).st_mtime, entry.name)
                for entry in os.scandir(self._folder)
                if _PICKLE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                and entry.name[:-7] not in self._used
            ]
            entries.sort(reverse=True)
            for _, name in entries[keep:]:
                (self._folder / name).unlink(missing_ok=True)
        except OSError:
            return


class SummaryStore(_PickleStore):
    """One module summary per file content (``summaries/``): an edit re-summarises the edited file only."""

    folder_name = "summaries"

    def key(self, request) -> str:
        from tflint_fn.model.loading import summary_key

        return summary_key(request, f"{__version__} {code_digest()}")


class TreeStore(_PickleStore):
    """LibCST trees by the exact text they parse (``trees/``): a chunk or a method (model/summary.py).

    With ``--jobs``, the trees that the parsing children send the fixpoint
    (project/prefetch.py) arrive pickled; they are written here as they are, at
    no cost of pickling, and the next run takes each from here for about half a
    parse instead of parsing it again. The key covers the text, tflint-fn's
    code, LibCST's version and Python's: a tree read back is the one a parse gives.
    """

    folder_name = "trees"
    # A smaller unit parses in about the time its file takes to create (up to 0.8 ms on the
    # machine measured; 1 kB takes 2.5 ms to parse): it is parsed again each time.
    SMALLEST = 300
    _prefix: bytes | None = None
    #: also pickle the trees parsed in this process (a run of a project seen before: the next
    #: run reads them back); otherwise only the children's, which come pickled
    keep_parsed = False

    def key(self, text: str) -> str:
        if TreeStore._prefix is None:
            TreeStore._prefix = f"tflint-fn {__version__} {code_digest()} libcst {_libcst_version()} python {sys.version}\0".encode()
        digest = hashlib.sha256(TreeStore._prefix)
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def kept(self, text: str) -> bool:
        """Whether a tree of ``text`` is stored."""
        return len(text) >= self.SMALLEST and self.has(self.key(text))

    def tree(self, text: str):
        """The stored tree of ``text``, or None."""
        if len(text) < self.SMALLEST:
            return None
        import libcst  # here, where the analysis has imported it: a run served from the cache does not

        found = self.load(self.key(text))
        return found if isinstance(found, libcst.Module) else None

    def parsed(self, text: str, tree) -> None:
        """``tree`` was just parsed from ``text`` here."""
        if self.keep_parsed and len(text) >= self.SMALLEST:
            self.save(self.key(text), tree)

    def sent(self, text: str, data: bytes) -> None:
        """A parsing child sent this pickle of ``text``'s tree."""
        if len(text) >= self.SMALLEST:
            self.save_pickled(self.key(text), data)


def _libcst_version() -> str:
    try:
        from libcst._version import __version__ as version
    except ImportError:
        from importlib.metadata import version as installed

        version = installed("libcst")
    return version


def _write_atomically(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    Whatever stops the write (an error, a full disk, Ctrl-C), the temporary
    file is removed and ``path`` is either untouched or complete.
    """
    import tempfile  # here: a run that writes no cache (pre-commit's --no-cache) never pays its import

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY_PREFIX, suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as stream:
                stream.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def clean(root: Path) -> str | None:
    """Remove the cache below ``root``: what was removed, or None when there was none.

    A symbolic link in the cache's place is removed as a link (its target is
    never touched); a folder that tflint-fn did not create is refused.
    """
    directory = root / CACHE_DIR_NAME
    if os.path.islink(directory):
        os.unlink(directory)
        return f"removed the link {directory} (its target was left alone)"
    if not os.path.lexists(directory):
        return None
    if not _is_ours(directory):
        if _is_real_directory(directory) and not any(os.scandir(directory)):
            os.rmdir(directory)
            return f"removed {directory}"
        raise CacheRefused(f"{directory} was not created by tflint-fn (no {_TAG_NAME} of its own): not removing it")
    import shutil

    # rmtree removes links inside as links, never what they point to.
    shutil.rmtree(directory)
    return f"removed {directory}"
