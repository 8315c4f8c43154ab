"""Verbs on scheme files: verify, show, convert."""
import click

COMMANDS: list[click.Command] = []
