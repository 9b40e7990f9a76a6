"""What an editor session costs per re-check: `tflint-fn server` on a 500-line traced module.

    python bench/lsp_latency.py [--lines 500] [--changes 21] [--debounce 0]

Starts the server (needs the `lsp` extra), opens a generated module of
tf.functions and their helpers, then sends ``--changes`` didChange
notifications one after the other, each waiting for its diagnostics, and
prints the median time from sending a change to receiving its diagnostics
(with the given debounce; 0 measures the check itself, the editor adds its
pause). `tests/test_server.py` checks the generated module's findings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

_HEADER = "import numpy as np\nimport tensorflow as tf\n\n\n"
_BLOCK = '''\
@tf.function
def step_{i}(x, y):
    total = tf.zeros_like(x)
    for k in tf.range(3):
        total += x * tf.cast(k, x.dtype)
    if tf.reduce_sum(total) > 0:
        total = total - y
    print(total)
    return helper_{i}(total, scale={i})


def helper_{i}(t, scale=1):
    return t * scale + tf.constant(np.float32({i}))


'''


def traced_module(lines: int = 500) -> tuple[str, int]:
    """A module of about ``lines`` lines (at least that many) and how many TFF101 it holds (one per block)."""
    text, blocks = _HEADER, 0
    while text.count("\n") < lines:
        text += _BLOCK.format(i=blocks)
        blocks += 1
    return text, blocks


async def measure(lines: int, changes: int, debounce: int) -> list[float]:
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    text, expected = traced_module(lines)
    root = Path(tempfile.mkdtemp(prefix="tflint-fn-lsp-"))
    # A project of its own: the buffer is checked in its project, as in an editor.
    (root / "pyproject.toml").write_text("[tool.tflint-fn]\n")
    uri = (root / "model.py").as_uri()
    arrived: dict[int, float] = {}
    event = asyncio.Event()
    client = LanguageClient("lsp-latency", "1")

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params):
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            assert len(params.diagnostics) == expected, (len(params.diagnostics), expected)
        event.set()

    async def wait_for(version: int) -> float:
        while version not in arrived:
            event.clear()
            await asyncio.wait_for(event.wait(), 600)
        return arrived[version]

    await client.start_io(sys.executable, "-m", "tflint_fn", "server", cwd=str(root))
    await client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), root.name)],
        initialization_options={"debounce": debounce}))
    client.initialized(lsp.InitializedParams())
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text)))
    await wait_for(1)
    latencies = []
    for version in range(2, changes + 2):
        text += f"# edit {version}\n"  # a keystroke's worth: the module is checked again in full
        sent = time.perf_counter()
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        latencies.append(await wait_for(version) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--changes", type=int, default=21)
    parser.add_argument("--debounce", type=int, default=0, help="the server's pause after a change, in ms")
    args = parser.parse_args()
    text, expected = traced_module(args.lines)
    latencies = asyncio.run(measure(args.lines, args.changes, args.debounce))
    print(f"{text.count(chr(10))} lines, {expected} tf.functions, {expected} TFF101 per check; "
          f"{len(latencies)} didChange re-checks with debounce {args.debounce} ms: "
          f"median {statistics.median(latencies) * 1000:.0f} ms, "
          f"min {min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
