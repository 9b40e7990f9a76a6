"""Trees parsed ahead in a forked process while the fixpoint walks: never a different result."""

import os
import signal
import time
from pathlib import Path

import libcst as cst
import pytest

from tflint_fn.model import summary
from tflint_fn.model.loading import Request, build
from tflint_fn.model.summary import WHOLE_CHUNK
from tflint_fn.processes import can_fork
from tflint_fn.project import prefetch
from tflint_fn.project.traces import Project

pytestmark = pytest.mark.skipif(not can_fork(), reason="no fork without exec here")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Only a guard against a hung child: the tests wait for the child, they do not time it.
_HUNG = 300

SOURCE = """import tensorflow as tf


@tf.function
def step(x):
    print(x)
    return helper(x) + 1


def helper(y):
    return y * 2


class Block(tf.keras.layers.Layer):
    def build(self, shape):
        self.w = self.add_weight(shape=shape)

    def call(self, inputs):
        return inputs * self.w
"""


def module_of(text: str, name: str = "pkg.mod"):
    module = build(Request(Path(f"{name}.py"), f"{name}.py", name, False, text))
    assert not isinstance(module, summary.ChunkParseError)
    return module


def wait_for(ahead, unit) -> bytes | None:
    """What the child sent for ``unit`` (b"" for a failure), or None once the child is gone."""
    deadline = time.monotonic() + _HUNG
    while unit not in ahead._received:
        if not ahead.running:
            return None
        assert time.monotonic() < deadline, "the child sent nothing"
        ahead._receive()
        time.sleep(0.005)
    return ahead._received[unit]


def test_a_tree_from_the_child_is_the_parse_of_the_same_text():
    module = module_of(SOURCE)
    ahead = prefetch._fork([module])
    try:
        block = next(i for i, chunk in enumerate(module.chunks) if chunk.pieces)
        units = [(0, 1, WHOLE_CHUNK), (0, block, 1)]  # `step`, and the method `call` of the class alone
        for unit in units:
            ahead.ask(module, *unit[1:])
        for unit in units:
            assert wait_for(ahead, unit)
            tree = ahead.tree(module, *unit[1:])
            assert isinstance(tree, cst.Module)
            fresh = cst.parse_module(module.unit_text(*unit[1:]))
            assert tree.code == fresh.code and tree.deep_equals(fresh)
        assert ahead.used == 2
    finally:
        ahead.stop()


def test_a_child_that_cannot_parse_sends_a_failure_and_the_parent_parses():
    module = module_of(SOURCE)
    chunk = module.chunks[1]
    # Forked with a text LibCST rejects in the unit's place; the parent then gets its source back.
    good = module.source
    module.source = good[: chunk.begin] + "def (:\n" + " " * (chunk.end - chunk.begin - 7) + good[chunk.end :]
    ahead = prefetch._fork([module])
    module.source = good
    try:
        ahead.ask(module, 1, WHOLE_CHUNK)
        assert wait_for(ahead, (0, 1, WHOLE_CHUNK)) == b""
        assert ahead.tree(module, 1, WHOLE_CHUNK) is None
        assert module.chunk_tree(1).code == good[chunk.begin : chunk.end]
        assert ahead.used == 0
    finally:
        ahead.stop()


def test_a_child_that_dies_leaves_the_parsing_to_the_parent():
    module = module_of(SOURCE)
    ahead = prefetch._fork([module])
    pid = ahead._children[0].pid
    os.kill(pid, signal.SIGKILL)
    ahead.ask(module, 1, WHOLE_CHUNK)
    assert wait_for(ahead, (0, 1, WHOLE_CHUNK)) is None  # the parent saw the pipe close
    assert ahead.tree(module, 1, WHOLE_CHUNK) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left
    ahead.stop()


def test_with_two_children_the_living_one_gets_the_requests():
    module = module_of(SOURCE)
    ahead = prefetch._fork([module], 2)
    try:
        first, second = ahead._children
        os.kill(first.pid, signal.SIGKILL)
        os.waitpid(first.pid, 0)
        ahead._receive()  # sees the closed pipe
        assert not first.pid and second.pid
        for chunk in (1, 2):
            ahead.ask(module, chunk, WHOLE_CHUNK)
            assert ahead._asked[(0, chunk, WHOLE_CHUNK)] is second
            assert wait_for(ahead, (0, chunk, WHOLE_CHUNK))
    finally:
        ahead.stop()


def test_the_child_takes_the_newest_request_and_skips_what_the_parent_parsed():
    text = "import tensorflow as tf\n" + "".join(f"\n\n@tf.function\ndef f{i}(x):\n    return x + {i}\n" for i in range(6))
    module = module_of(text)
    ahead = prefetch._fork([module])
    try:
        ahead.ask(module, 1, WHOLE_CHUNK)
        assert wait_for(ahead, (0, 1, WHOLE_CHUNK))  # the child is idle again
        # One write, so that the child reads them together: asks for 2 to 6, and 5 parsed here.
        child = ahead._children[0]
        for index in range(2, 6):
            ahead._asked[(0, index, WHOLE_CHUNK)] = child
            child.outgoing += prefetch._REQUEST.pack(prefetch._ASK, 0, index, WHOLE_CHUNK)
        child.outgoing += prefetch._REQUEST.pack(prefetch._TAKEN, 0, 5, WHOLE_CHUNK)
        ahead.ask(module, 6, WHOLE_CHUNK)
        assert wait_for(ahead, (0, 2, WHOLE_CHUNK))
        assert [chunk for _, chunk, _ in ahead._received] == [1, 6, 4, 3, 2]
    finally:
        ahead.stop()


def test_a_fork_that_fails_leaves_the_parsing_to_the_parent(monkeypatch):
    project = Project([module_of(SOURCE)])
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 0)
    opened = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with prefetch.parsing_ahead(project, 2) as ahead:
        assert ahead is None and summary.trees_parsed_ahead is None
    if opened is not None:
        assert len(os.listdir("/proc/self/fd")) == opened  # its pipes are closed again


def test_likely_parsed_lists_the_roots_units_in_order():
    module = module_of(SOURCE)
    project = Project([module])
    likely = project.likely_parsed()
    names = [what.qualname for _, what in likely]
    assert names == ["step", "Block.call"]  # not `helper` (not a root), nor `Block.build`


def test_nothing_is_forked_for_one_job_a_small_project_or_beside_another_thread(monkeypatch):
    import threading

    project = Project([module_of(SOURCE)])
    with prefetch.parsing_ahead(project, 1) as ahead:
        assert ahead is None
    with prefetch.parsing_ahead(project, 2) as ahead:
        assert ahead is None  # below PREFETCH_FROM
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 0)
    with prefetch.parsing_ahead(project, 2) as ahead:
        assert ahead is not None and summary.trees_parsed_ahead is ahead
    assert summary.trees_parsed_ahead is None and not ahead.running
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with prefetch.parsing_ahead(project, 2) as ahead:
            assert ahead is None
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("jobs", [2, 3])
def test_every_tree_from_the_children_gives_the_findings_of_one_process(monkeypatch, jobs):
    """The fixtures checked with each unit the fixpoint asks for taken from a child (the
    parent waits for it): the same findings, in the same order, as one process parsing all.
    With ``--jobs 3`` two children parse, taking the requests in turn."""
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    settings = resolve_settings(FileConfig())
    alone = [f.to_json() for f in run(["."], settings, FIXTURES, jobs=1).findings]
    taken = []
    original = prefetch.TreesParsedAhead.tree

    def patient(self, module, chunk, at):
        unit = (self._index.get(id(module)), chunk, at)
        if unit in self._asked and self.running:
            wait_for(self, unit)
        tree = original(self, module, chunk, at)
        taken.append(tree is not None)
        return tree

    monkeypatch.setattr(prefetch.TreesParsedAhead, "tree", patient)
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 0)
    forks = []
    original_fork = prefetch._fork
    monkeypatch.setattr(prefetch, "_fork", lambda modules, count, store: forks.append(count) or original_fork(modules, count, store))
    shared = [f.to_json() for f in run(["."], settings, FIXTURES, jobs=jobs).findings]
    assert forks and set(forks) == {jobs - 1}
    assert shared == alone
    assert sum(taken) >= 20  # most of what the fixpoint parsed came from the child
