"""Stage 4, the project: which functions are traced and why (the fixpoint), script top-level order, calls from Python loops."""
