"""An examples module that cannot be imported."""

raise RuntimeError("examples are broken")
