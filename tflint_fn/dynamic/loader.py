"""Importing the user's modules by name, fresh for every job.

``Loader`` puts the project's roots on ``sys.path``, forgets the user's
modules between jobs, and can load a module from an edited copy of its
file (an overlay), and the modules it imports from theirs (``edited``: a
fix proven in a helper module of the tf.function); ``module_of`` finds the
loaded module of a file.

Given the job's traced roots (``wanted``), a script is not run whole: its
top level follows a ``toplevel`` plan (imports and definitions run, the
training loop only if a root needs a name that only it binds), and
``not_run`` says, per file, which lines of the last load did not run.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import os
import sys

from tflint_fn.dynamic import toplevel

_EDITED = " (edited by tflint-fn)"


def _run_edited(module, path: str, text: str) -> None:
    # The edited text must be what AutoGraph reads back as the source. AutoGraph re-reads the
    # file of any loaded module whose __file__ matches the function's, which would undo the
    # edit: also while the module runs (a tf.data pipeline at its top level converts its
    # function then). The folder stays the same.
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
    module.__file__ = path + _EDITED
    exec(compile(text, path, "exec"), module.__dict__)
    module.__file__ = path + _EDITED


class _EditedLoader(importlib.abc.Loader):
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        _run_edited(module, self.path, self.text)


class _EditedFiles(importlib.abc.MetaPathFinder):
    """On ``sys.meta_path``: a user's module whose file has edited text (``texts``) is imported from it."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}  # absolute path -> text

    def find_spec(self, name, path=None, target=None):
        if not self.texts:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        text = self.texts.get(os.path.abspath(spec.origin)) if spec is not None and spec.origin else None
        if text is None:
            return None
        return importlib.util.spec_from_file_location(
            name, spec.origin, loader=_EditedLoader(spec.origin, text),
            submodule_search_locations=spec.submodule_search_locations)


_EDITED_FILES = _EditedFiles()


class Loader:
    """Imports the user's modules fresh, optionally from an edited copy of a file."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self.baseline = set(sys.modules)
        self._user: dict[str, bool] = {}
        # Qualified names of the job's traced roots; None: every module runs whole, as imported.
        self.wanted: list[str] | None = None
        self.not_run: dict[str, str] = {}  # path -> the top-level lines its last load did not run
        self.edited: dict[str, str] = {}  # absolute path -> the edited text its module is imported from

    def is_user_file(self, path: str) -> bool:
        known = self._user.get(path)
        if known is None:
            absolute = os.path.abspath(path)
            known = (
                not path.startswith("<")  # <frozen abc>, <string>
                and any(absolute.startswith(root + os.sep) for root in self.roots)
                and "site-packages" not in absolute
                and os.sep + "tflint_fn" + os.sep + "dynamic" + os.sep not in absolute
            )
            self._user[path] = known
        return known

    def purge(self) -> None:
        """Forget every user module imported since the worker started.

        Not only this job's: two projects checked together may both have a
        module named ``model``.
        """
        installed = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(__file__))})
        for name in [n for n in sys.modules if n not in self.baseline]:
            path = os.path.abspath(getattr(sys.modules[name], "__file__", None) or "/")
            if path != "/" and "site-packages" not in path and not path.startswith(installed):
                del sys.modules[name]

    def use_roots(self) -> None:
        """Put the project's roots first on sys.path, as the user would have them, and serve this
        loader's ``edited`` texts (not an earlier job's or load's) to the imports that follow."""
        for root in reversed(self.roots):
            if root in sys.path:
                sys.path.remove(root)
            sys.path.insert(0, root)
        _EDITED_FILES.texts = self.edited
        if _EDITED_FILES not in sys.meta_path:
            sys.meta_path.insert(0, _EDITED_FILES)
        importlib.invalidate_caches()

    def load(self, name: str, path: str, overlay: str | None = None):
        self.purge()
        self.use_roots()
        self.not_run.pop(os.path.abspath(path), None)
        if overlay is None:
            linecache.checkcache(path)
            script = self._script(name, path)
            if script is None:
                return importlib.import_module(name)
            spec, top = script
            module = importlib.util.module_from_spec(spec)
            self._run_planned(name, module, top, spec.origin)
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, sys.modules[name])
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        top = self._plan(overlay, path)
        if top is None:
            _run_edited(module, path, overlay)
        else:
            linecache.cache[path] = (len(overlay), None, overlay.splitlines(keepends=True), path)
            module.__file__ = path + _EDITED
            self._run_planned(name, module, top, path)
        module.__file__ = path + _EDITED
        return module

    def _plan(self, source, path: str) -> toplevel.TopLevel | None:
        """The top-level plan of a script, or None to run the module whole."""
        if self.wanted is None:
            return None
        try:
            tree = compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            return toplevel.plan(tree, self.wanted)
        except (SyntaxError, ValueError):
            return None  # the import reports it
        except Exception:  # noqa: BLE001 - a planner bug must not lose the module: import it whole
            return None

    def _script(self, name: str, path: str):
        """(spec, plan) when the module ``name`` found on sys.path is ``path`` and a script."""
        if self.wanted is None or name in sys.modules:
            return None
        try:
            spec = importlib.util.find_spec(name)  # imports the parent packages, as the import would
        except Exception:
            return None  # the import gives the same error
        loader = getattr(spec, "loader", None)
        if spec is None or not isinstance(loader, importlib.machinery.SourceFileLoader) or not spec.origin:
            return None
        if os.path.abspath(spec.origin) != os.path.abspath(path):
            return None
        try:
            source = loader.get_data(spec.origin)
        except OSError:
            return None
        top = self._plan(source, spec.origin)
        return None if top is None else (spec, top)

    def _run_planned(self, name: str, module, top: toplevel.TopLevel, filename: str) -> None:
        sys.modules[name] = module
        # As `python script.py` would have it: an argparse parser at the top level gets its
        # defaults, not the worker's own arguments.
        argv, sys.argv = sys.argv, [filename]
        try:
            toplevel.execute(top, module.__dict__, filename, toplevel.say_on_stderr(os.path.relpath(filename)))
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.argv = argv
            text = top.not_run_text()
            if text:
                self.not_run[os.path.abspath(filename)] = text

    def restore(self, path: str) -> None:
        for edited in (path, *self.edited):
            linecache.cache.pop(edited, None)


def module_of(path: str) -> str | None:
    absolute = os.path.abspath(path)
    for name, module in list(sys.modules.items()):
        if os.path.abspath(getattr(module, "__file__", None) or "") in (absolute, absolute + _EDITED):
            return name
    return None
