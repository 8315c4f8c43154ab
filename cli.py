"""Thin shim: ``python cli.py ...`` behaves exactly like the ``flipgraph`` command."""
from flipgraph.cli import main

if __name__ == "__main__":
    main()
