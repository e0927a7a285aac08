"""`aidenum catalogue …`: import, export, list and show funding schemes."""
from __future__ import annotations

import click


@click.group()
def catalogue():
    """Gérer le catalogue des dispositifs d'aide (import, export, consultation)."""
