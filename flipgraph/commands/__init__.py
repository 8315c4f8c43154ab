"""Sub-commands of the ``flipgraph`` CLI, one module per group of verbs."""
