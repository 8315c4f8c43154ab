"""Verbs of the flipgraph CLI: search (not yet implemented)."""
import click

COMMANDS: list[click.Command] = []
