"""LibCST trees parsed ahead in forked processes while the fixpoint walks (``--jobs``).

The fixpoint (``Project.trace_all``) runs in one process: each walk's result
feeds the next. Most of its time is LibCST parsing the units it walks (a
chunk, or a method of a class: model/summary.py). With ``--jobs`` 2 or more,
forked children parse units the parent will ask for and send each tree back
pickled: taking one costs the parent about half a parse (on tf-models-official:
0.7 s of unpickling for 620 kB of chunks that take 1.3 s to parse), sending it
costs the child about 1.8 parses.

The parent tells the children what it expects to parse (``likely_parsed``:
the roots' units, in the order ``find_roots`` asks for them), then each
traced function's unit as the trace is queued, and which units it parsed
itself (they are skipped). A child takes its newest request first: the
parent works from the front of its lists, so the newest is the furthest from
being asked for, and parent and child seldom parse the same unit.

The trees are what the parent's own parse gives (a pickle of LibCST's tree
of the same text), so findings never depend on the children: one that is
slow, fails or dies only leaves more parsing to the parent.

With a cache, the pickles the children sent are kept in it as they came
(``cache.TreeStore``), and a unit whose tree is stored there is not asked for:
the parent reads it back.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
from contextlib import contextmanager

from tflint_fn.model import summary
from tflint_fn.model.summary import WHOLE_CHUNK, FunctionInfo, ModuleInfo
from tflint_fn.processes import can_fork, other_threads
from tflint_fn.sources.parsing import parse_chunk

# Parent -> child: (kind, module, chunk, piece); child -> parent: (module, chunk, piece, size) + the pickle.
_ASK, _TAKEN = 0, 1
_REQUEST = struct.Struct("<biii")
_RESULT = struct.Struct("<iiiI")
# Below this much text to parse for the roots, forking costs more than it saves (a guess:
# 100 kB take about 0.3 s to parse here; forking a 130 MiB process and reaping it, 10 ms).
PREFETCH_FROM = 100_000
# Parsing processes beside the parent (``--jobs`` - 1, at most this many): by the costs above,
# three could send about every tree the parent asks for; more would only wait.
MAX_PARSERS = 3
_READ = 1 << 20
_PIPE_SIZE = 1 << 20


class _Child:
    """One parsing process, seen from the parent: its pid and the two ends of its pipes."""

    def __init__(self, pid: int, requests: int, results: int) -> None:
        self.pid = pid
        self.requests = requests  # written here, non-blocking: what does not fit waits in outgoing
        self.results = results  # read here, non-blocking
        self.outgoing = bytearray()
        self.incoming = bytearray()

    def send(self, kind: int, unit: tuple[int, int, int]) -> None:
        if not self.pid:
            return
        self.outgoing += _REQUEST.pack(kind, *unit)
        try:
            written = os.write(self.requests, self.outgoing)
        except BlockingIOError:
            return  # the child is busy writing to us: the rest goes with the next request
        except OSError:  # the child is gone
            self.end()
            return
        del self.outgoing[:written]

    def receive(self, into: dict) -> None:
        """Every complete tree the child has sent so far, into ``into``, without waiting."""
        while self.pid:
            try:
                data = os.read(self.results, _READ)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:  # the child is gone: the parent parses its units from now on
                self.end()
                break
            self.incoming += data
        offset = 0
        while len(self.incoming) - offset >= _RESULT.size:
            number, chunk, at, size = _RESULT.unpack_from(self.incoming, offset)
            end = offset + _RESULT.size + size
            if end > len(self.incoming):
                break
            into[(number, chunk, at)] = bytes(self.incoming[offset + _RESULT.size : end])
            offset = end
        del self.incoming[:offset]

    def end(self) -> None:
        if not self.pid:
            return
        pid, self.pid = self.pid, 0
        for descriptor in (self.requests, self.results):
            try:
                os.close(descriptor)
            except OSError:
                pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


class TreesParsedAhead:
    """The parent's end: asks the children for units (in turn), and takes the trees they sent."""

    def __init__(self, modules: list[ModuleInfo], children: list[_Child], store=None) -> None:
        self._modules = modules
        self._index = {id(module): number for number, module in enumerate(modules)}
        self._children = children
        self._store = store  # cache.TreeStore, or None
        self._taken: list[tuple[tuple[int, int, int], bytes]] = []  # for the store
        self._asked: dict[tuple[int, int, int], _Child] = {}  # unit -> the child asked for it
        self._received: dict[tuple[int, int, int], bytes] = {}  # b"": the child could not parse it
        self.used = 0  # trees taken from the children (for tests and measurements)

    @property
    def running(self) -> bool:
        return any(child.pid for child in self._children)

    def ask(self, module: ModuleInfo, chunk: int, at: int) -> None:
        number = self._index.get(id(module))
        if number is None:
            return  # not a module of the project the children were forked with
        unit = (number, chunk, at)
        running = [child for child in self._children if child.pid]
        if unit not in self._asked and running and not _stored(self._store, module, chunk, at):
            child = running[len(self._asked) % len(running)]
            self._asked[unit] = child
            child.send(_ASK, unit)

    def ask_for(self, function: FunctionInfo) -> None:
        """The unit a walk of ``function`` will parse, unless it is parsed already."""
        unit = function.module.unparsed_unit(function)
        if unit is not None:
            self.ask(function.module, *unit)
        self._receive()  # often: a child waits while the pipe it writes to is full

    def tree(self, module: ModuleInfo, chunk: int, at: int):
        """A child's tree of this unit, or None (then the caller parses it, and the child skips it)."""
        number = self._index.get(id(module))
        if number is None:
            return None
        unit = (number, chunk, at)
        self._receive()
        data = self._received.pop(unit, None)
        if data:
            try:
                tree = pickle.loads(data)
            except Exception:  # a torn message: parse here, as if it had not come
                return None
            self.used += 1
            if self._store is not None:
                self._taken.append((unit, data))
            return tree
        if data is None and unit in self._asked:
            self._asked[unit].send(_TAKEN, unit)
        return None

    def stop(self) -> None:
        """End the children; the trees they already sent stay usable (the checks parse too)."""
        self._receive()
        for child in self._children:
            child.end()

    def keep(self) -> None:
        """Write every tree the children sent, taken or not, to the store (once they are stopped)."""
        if self._store is None:
            return
        for (number, chunk, at), data in [*self._taken, *self._received.items()]:
            if data:
                self._store.sent(self._modules[number].unit_text(chunk, at), data)
        self._taken.clear()
        self._received.clear()

    def _receive(self) -> None:
        for child in self._children:
            child.receive(self._received)


@contextmanager
def parsing_ahead(project, jobs: int, store=None):
    """While the block runs, forked children parse the units ``project.trace_all`` will walk.

    Yields the parent's end (``None`` when nothing is forked: one job, a small
    project, its units already in ``store``, no fork, other threads, a fork that fails).
    Trees are taken from it through ``summary.trees_parsed_ahead`` until the block
    ends; then the trees the children sent go to ``store`` (a ``cache.TreeStore``).
    """
    if jobs < 2 or not can_fork() or other_threads() or summary.trees_parsed_ahead is not None:
        yield None
        return
    modules = list(project.modules.values())
    first = [unit for unit in _units(project.likely_parsed()) if not _stored(store, *unit)]
    if sum(len(module.unit_text(chunk, at)) for module, chunk, at in first) < PREFETCH_FROM:
        yield None
        return
    ahead = _fork(modules, min(jobs - 1, MAX_PARSERS), store)
    if ahead is None:
        yield None
        return
    for unit in first:
        ahead.ask(*unit)
    summary.trees_parsed_ahead = ahead
    try:
        yield ahead
    finally:
        summary.trees_parsed_ahead = None
        ahead.stop()
        ahead.keep()


def _stored(store, module: ModuleInfo, chunk: int, at: int) -> bool:
    return store is not None and store.kept(module.unit_text(chunk, at))


def _units(likely) -> list[tuple[ModuleInfo, int, int]]:
    units = []
    for module, what in likely:
        if isinstance(what, FunctionInfo):
            unit = what.module.unparsed_unit(what)
            if unit is not None:
                units.append((what.module, *unit))
        elif module.chunks[what].tree is None:
            units.append((module, what, WHOLE_CHUNK))
    return list(dict.fromkeys(units))


def _fork(modules: list[ModuleInfo], count: int = 1, store=None) -> TreesParsedAhead | None:
    children = []
    for _ in range(count):
        child = _fork_one(modules, children)
        if child is None:
            break
        children.append(child)
    if not children:
        return None
    return TreesParsedAhead(modules, children, store)


def _fork_one(modules: list[ModuleInfo], siblings: list[_Child]) -> _Child | None:
    try:
        ask_read, ask_write = os.pipe()
        tree_read, tree_write = os.pipe()
    except OSError:
        return None
    _widen(tree_write)
    try:
        pid = os.fork()
    except OSError:  # no process to spare (a limit on processes, or on memory): the parent parses all
        for descriptor in (ask_read, ask_write, tree_read, tree_write):
            os.close(descriptor)
        return None
    if pid:
        os.close(ask_read)
        os.close(tree_write)
        os.set_blocking(ask_write, False)
        os.set_blocking(tree_read, False)
        return _Child(pid, ask_write, tree_read)
    # The child: it never returns, and leaves without the parent's exit handlers and buffers.
    try:
        os.close(ask_write)
        os.close(tree_read)
        for sibling in siblings:  # their pipes are the parent's: a child holding them would keep them open
            os.close(sibling.requests)
            os.close(sibling.results)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _serve(modules, ask_read, tree_write)
    finally:
        os._exit(0)


def _widen(pipe: int) -> None:
    """A pipe that holds a large tree whole (Linux: up to 1 MiB), so that its child seldom waits."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass  # another system, or a lower limit: the default size works, with more waiting


def _serve(modules: list[ModuleInfo], requests: int, results: int) -> None:
    """Parse the newest wanted unit, send it, again, until the parent closes the pipe."""
    os.set_blocking(requests, False)
    wanted: list[tuple[int, int, int]] = []  # newest last
    skipped: set[tuple[int, int, int]] = set()  # parsed by the parent, or sent already
    pending = bytearray()
    while True:
        if not wanted:
            select.select([requests], [], [])
        while True:
            try:
                data = os.read(requests, _READ)
            except BlockingIOError:
                break
            if not data:
                return  # the parent is done
            pending += data
        whole = len(pending) - len(pending) % _REQUEST.size
        for offset in range(0, whole, _REQUEST.size):
            kind, *unit = _REQUEST.unpack_from(pending, offset)
            if kind == _TAKEN:
                skipped.add(tuple(unit))
            else:
                wanted.append(tuple(unit))
        del pending[:whole]
        while wanted and wanted[-1] in skipped:
            wanted.pop()
        if not wanted:
            continue
        unit = wanted.pop()
        skipped.add(unit)
        number, chunk, at = unit
        try:
            data = pickle.dumps(parse_chunk(modules[number].unit_text(chunk, at)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # not parsable, too deep to pickle: the parent parses it and reports
            data = b""
        _write_all(results, _RESULT.pack(number, chunk, at, len(data)) + data)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
