"""Stage 1, input: find the files, read and decode them, turn notebooks into one module of their code cells."""
