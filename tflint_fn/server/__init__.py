"""``tflint-fn server``: a language server (LSP over stdio) for editors.

Built on pygls, from the ``lsp`` extra; this module imports neither, so
the command line can say what to install when they are missing.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = ('pip install "pygls>=2,<3", or pip install -e ".[lsp]" in a clone of tflint-fn '
                '(after the first release: pip install "tflint-fn[lsp]")')


def available() -> bool:
    """Are pygls 2 and lsprotocol installed? (Imports neither server nor protocol types.)"""
    try:
        if importlib.util.find_spec("lsprotocol") is None or importlib.util.find_spec("pygls") is None:
            return False
        return importlib.util.find_spec("pygls.lsp.server") is not None  # pygls 2's layout (1.x has none)
    except (ImportError, ValueError):  # a broken or shadowed installation
        return False


def serve() -> None:
    """Speak LSP on stdin/stdout until the client says exit (or closes stdin)."""
    from tflint_fn.server.lsp import serve as serve_stdio

    serve_stdio()
