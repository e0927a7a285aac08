"""Click commands, one module per area; ``cli.py`` assembles them.

Each module imports its package's machinery inside the command functions, so that
``aidenum match`` never pays for Scrapy or python-docx at start-up.
"""
