"""Verbs of the flipgraph CLI: files (not yet implemented)."""
import click

COMMANDS: list[click.Command] = []
