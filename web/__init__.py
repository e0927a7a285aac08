"""aidenum in the browser: a local web application over the same packages as the command line.

``web.app.create_app`` builds the Flask application; ``aidenum web`` serves it with waitress.
The web layer only parses requests and renders pages: matching, eligibility, drafting, the
calendar and the digest are the packages' own functions.
"""
