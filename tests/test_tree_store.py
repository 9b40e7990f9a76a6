"""LibCST trees kept in the cache (``cache.TreeStore``): a tree read back is the parse it replaces."""

import os
import pickle
import shutil
import time
from pathlib import Path

import pytest

from tflint_fn import cache
from tflint_fn.cache import TreeStore
from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run
from tflint_fn.processes import can_fork
from tflint_fn.project import prefetch
from tflint_fn.sources.parsing import parse_chunk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_HUNG = 300  # only a guard against a hung child: nothing here is timed
SETTINGS = resolve_settings(FileConfig())
METHOD = "class _:\n    def call(self, inputs):\n        total = inputs\n" + "".join(
    f"        total = total + {i} * inputs  # step {i}\n" for i in range(12)
) + "        return total\n"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("expected.json"))
    return root


def findings(result) -> list:
    return [f.to_json() for f in result.findings]


def counting(monkeypatch) -> dict:
    """How many trees the store gave back, and how many it wrote, in this process."""
    counts = {"read": 0, "written": 0}
    tree, save = TreeStore.tree, cache._PickleStore.save_pickled

    def counted_tree(self, text):
        found = tree(self, text)
        counts["read"] += found is not None
        return found

    def counted_save(self, key, data):
        counts["written"] += isinstance(self, TreeStore)
        return save(self, key, data)

    monkeypatch.setattr(TreeStore, "tree", counted_tree)
    monkeypatch.setattr(cache._PickleStore, "save_pickled", counted_save)
    return counts


def test_a_stored_tree_is_the_parse_of_its_text(tmp_path):
    store = TreeStore(tmp_path)
    parsed = parse_chunk(METHOD)
    store.keep_parsed = True
    store.parsed(METHOD, parsed)
    again = TreeStore(tmp_path).tree(METHOD)
    assert again is not parsed and again.deep_equals(parsed) and again.code == METHOD
    assert TreeStore(tmp_path).tree(METHOD.replace("step 3", "step three")) is None  # another text


def test_a_torn_or_foreign_entry_is_parsed_again(tmp_path):
    store = TreeStore(tmp_path)
    store.keep_parsed = True
    store.parsed(METHOD, parse_chunk(METHOD))
    (entry,) = (tmp_path / ".tflint-fn-cache" / "trees").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    assert TreeStore(tmp_path).tree(METHOD) is None
    entry.write_bytes(pickle.dumps(["not", "a", "tree"]))
    assert TreeStore(tmp_path).tree(METHOD) is None


def test_small_units_are_not_stored(tmp_path):
    store = TreeStore(tmp_path)
    store.keep_parsed = True
    small = "def f(x):\n    return x\n"
    store.parsed(small, parse_chunk(small))
    assert not (tmp_path / ".tflint-fn-cache" / "trees").exists()
    assert not store.kept(small)


def test_a_first_run_stores_nothing_it_parsed_itself_a_second_one_does(tmp_path, monkeypatch):
    """Pickling what it parsed costs a run half a parse: a project seen for the first time
    is not worth it; once its summaries are in the cache, it is run again, and it is."""
    root = project(tmp_path)
    monkeypatch.setattr(TreeStore, "SMALLEST", 0)
    counts = counting(monkeypatch)
    cold = run(["."], SETTINGS, root, cache_root=root, jobs=1)
    assert counts == {"read": 0, "written": 0}
    edited = root / "custom_training_loop" / "train.py"
    edited.write_text(edited.read_text() + "# edited\n")
    second = run(["."], SETTINGS, root, cache_root=root, jobs=1)
    assert counts["written"] > 20
    stored, read = counts["written"], counts["read"]
    edited.write_text(edited.read_text() + "# edited again\n")
    third = run(["."], SETTINGS, root, cache_root=root, jobs=1)
    # Only the edited module's units are parsed (and stored) again; the rest is read back.
    assert counts["read"] - read > 20 and counts["written"] - stored < 10
    edited.write_text(edited.read_text().replace("# edited\n# edited again\n", ""))
    for result in (cold, second, third):
        assert findings(result) == findings(run(["."], SETTINGS, root, jobs=1))


@pytest.mark.skipif(not can_fork(), reason="no fork without exec here")
def test_the_parsing_childrens_trees_are_stored_and_read_back_instead_of_parsed(tmp_path, monkeypatch):
    root = project(tmp_path)
    monkeypatch.setattr(TreeStore, "SMALLEST", 0)
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 0)
    asked = []  # units a child was asked to parse
    send = prefetch._Child.send
    monkeypatch.setattr(
        prefetch._Child, "send", lambda self, kind, unit: (asked.append(unit) if kind == prefetch._ASK else None) or send(self, kind, unit),
    )
    expected = findings(run(["."], SETTINGS, root, jobs=1))
    counts = counting(monkeypatch)
    original_tree = prefetch.TreesParsedAhead.tree

    def patient(self, module, chunk, at):
        """The parent waits for what it asked the child for: the child's trees are used."""
        unit = (self._index.get(id(module)), chunk, at)
        deadline = time.monotonic() + _HUNG
        while unit in self._asked and unit not in self._received and self.running:
            assert time.monotonic() < deadline, "the child sent nothing"
            self._receive()
            time.sleep(0.005)
        return original_tree(self, module, chunk, at)

    monkeypatch.setattr(prefetch.TreesParsedAhead, "tree", patient)
    first = run(["."], SETTINGS, root, cache_root=root, jobs=2)
    assert findings(first) == expected
    assert counts["written"] > 20  # the trees the child sent
    stored = len(os.listdir(root / ".tflint-fn-cache" / "trees"))
    asked_first = len(asked)
    edited = root / "gan" / "gan.py"
    original = edited.read_text()
    edited.write_text(original + "# edited\n")
    second = run(["."], SETTINGS, root, cache_root=root, jobs=2)
    edited.write_text(original)
    assert findings(second) == expected
    assert counts["read"] >= stored - 10  # all but the edited module's are read back
    assert len(asked) - asked_first <= asked_first - stored + 10  # and no child parses them again


def test_a_symlinked_trees_folder_is_never_written_through(tmp_path, monkeypatch):
    root = project(tmp_path)
    monkeypatch.setattr(TreeStore, "SMALLEST", 0)
    run(["."], SETTINGS, root, cache_root=root, jobs=1)  # makes the cache folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    trees = root / ".tflint-fn-cache" / "trees"
    shutil.rmtree(trees, ignore_errors=True)
    trees.symlink_to(elsewhere, target_is_directory=True)
    edited = root / "custom_training_loop" / "train.py"
    edited.write_text(edited.read_text() + "# edited\n")
    result = run(["."], SETTINGS, root, cache_root=root, jobs=1)
    assert sorted(os.listdir(elsewhere)) == ["keep.txt"]
    assert result.findings


def test_pruning_keeps_what_the_run_used(tmp_path):
    store = TreeStore(tmp_path)
    store.keep_parsed = True
    texts = [METHOD.replace("step 0", f"step 0 of {i}") for i in range(6)]
    for text in texts:
        store.parsed(text, parse_chunk(text))
    later = TreeStore(tmp_path)
    later.keep_parsed = True
    assert later.tree(texts[0]) is not None  # read by this run: kept, however old
    later.parsed(texts[5] + "# new\n", parse_chunk(texts[5] + "# new\n"))
    later.prune(keep=2)
    assert later.tree(texts[0]) is not None
    assert sum(TreeStore(tmp_path).tree(text) is not None for text in texts[1:]) == 2

