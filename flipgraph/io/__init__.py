"""Readers and writers of scheme files (native JSON and the field's public formats)."""
