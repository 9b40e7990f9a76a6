"""``--dynamic``: trace the traced functions with real TensorFlow.

``runner`` runs in the linter's process and never imports TensorFlow; it
starts ``worker`` subprocesses, which import the user's modules, trace them
and send back a verdict and evidence for every finding.
"""


class DynamicError(Exception):
    """A usage problem with --dynamic: the message is for the user (exit 2)."""
