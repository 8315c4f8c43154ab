"""Verbs of the flipgraph CLI: lift (not yet implemented)."""
import click

COMMANDS: list[click.Command] = []
