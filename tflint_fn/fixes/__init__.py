"""Fixes, a post-pass after the analysis: ``--fix``, ``--diff``, ``--add-noqa``.

units.py   a file's text (or each notebook cell) parsed again with positions, and its imports
edits.py   the fix of each rule, built from a finding's node: the edits, and safe or unsafe
apply.py   conflicting edits resolved, the new bytes (encoding, BOM, line endings, notebook JSON kept), atomic writes
runner.py  plans attached to findings (JSON `fix`, text `[*]`), and the lint -> fix rounds
noqa.py    `# noqa: TFFnnn` on every finding's line, merged with the comment there
diff.py    unified diffs of what --fix would change
command.py the fix modes of `tflint-fn check`
"""

# The rules with a fix (``edits.BUILDERS``; tests/test_fixes.py keeps the two equal). Known here so that
# a run without such findings imports nothing of the fix machinery.
FIXABLE_CODES = frozenset({"TFF101", "TFF104", "TFF201", "TFF203", "TFF204", "TFF205", "TFF206", "TFF401", "TFF402"})
