"""Importing the user's modules by name, fresh for every job.

``Loader`` puts the project's roots on ``sys.path``, forgets the user's
modules between jobs, and can load a module from an edited copy of its
file (an overlay); ``module_of`` finds the loaded module of a file.
"""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import os
import sys

_EDITED = " (edited by tflint-fn)"


class Loader:
    """Imports the user's modules fresh, optionally from an edited copy of a file."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self.baseline = set(sys.modules)
        self._user: dict[str, bool] = {}

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
        """Put the project's roots first on sys.path, as the user would have them."""
        for root in reversed(self.roots):
            if root in sys.path:
                sys.path.remove(root)
            sys.path.insert(0, root)
        importlib.invalidate_caches()

    def load(self, name: str, path: str, overlay: str | None = None):
        self.purge()
        self.use_roots()
        if overlay is None:
            linecache.checkcache(path)
            return importlib.import_module(name)
        # The edited text must be what AutoGraph reads back as the source.
        lines = overlay.splitlines(keepends=True)
        linecache.cache[path] = (len(overlay), None, lines, path)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        exec(compile(overlay, path, "exec"), module.__dict__)
        # AutoGraph re-reads the file of any loaded module whose __file__ matches
        # the function's, which would undo the edit.
        module.__file__ = path + _EDITED
        return module

    def restore(self, path: str) -> None:
        linecache.cache.pop(path, None)


def module_of(path: str) -> str | None:
    absolute = os.path.abspath(path)
    for name, module in list(sys.modules.items()):
        if os.path.abspath(getattr(module, "__file__", None) or "") in (absolute, absolute + _EDITED):
            return name
    return None
