"""Click commands, one module per area; ``cli.py`` assembles them.

Each module imports its package's machinery inside the command functions, so that
``aidenum match`` never pays for Scrapy or python-docx at start-up.
"""

from . import french

# Before any command module builds its click types: click.Path names itself « file » at
# construction time, so the French catalogue must be bound first.
french.install()
