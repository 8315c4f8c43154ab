"""Verbs of the flipgraph CLI: reduce (not yet implemented)."""
import click

COMMANDS: list[click.Command] = []
