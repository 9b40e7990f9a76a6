"""Stage 2, the module model: import aliases, one summary per module (defs, classes, imports, globals), name resolution."""
