"""The one way the web layer refuses a request: an HTTP error carrying a French message."""
from __future__ import annotations


def fail(code: int, message: str):
    """Abort with a French message shown on the error page (or in the API's JSON)."""
    from werkzeug.exceptions import InternalServerError, default_exceptions
    error = default_exceptions.get(code, InternalServerError)()
    error.aidenum_message = message
    raise error
