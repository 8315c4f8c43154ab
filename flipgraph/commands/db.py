"""Verbs of the flipgraph CLI: db (not yet implemented)."""
import click

COMMANDS: list[click.Command] = []
