"""Secure by default: the password (set once, stored as a scrypt hash), CSRF tokens, headers.

- The password file ``$AIDENUM_HOME/web/mot-de-passe`` holds ``scrypt$n$r$p$salt$hash`` (hex),
  mode 0600; the password itself is never written anywhere.
- Every form carries the session's CSRF token; a POST without the right one is refused (400).
  JSON API writes need ``Content-Type: application/json``, which a cross-site form cannot send
  without a CORS preflight that this server never grants.
- Every answer carries a strict Content-Security-Policy: scripts and styles come from
  ``/static`` only (no inline code), nothing may frame the pages.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from aidenum.catalogue.files import atomic_write

# scrypt cost: n=2**14, r=8 (≈16 MiB, ~50 ms): the usual interactive-login setting
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD_CHARS = 10
PASSWORD_FILE = ("web", "mot-de-passe")
PASSWORD_FILE_MODE = 0o600  # the hash is for the server's account only, whatever the umask

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class PasswordError(ValueError):
    """French message about the password."""


def password_path(home: Path) -> Path:
    return Path(home).joinpath(*PASSWORD_FILE)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                   p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def set_password(home: Path, password: str) -> Path:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"mot de passe trop court : au moins {MIN_PASSWORD_CHARS} caractères")
    return atomic_write(password_path(home), hash_password(password) + "\n", encoding="ascii",
                        make_parents=True, mode=PASSWORD_FILE_MODE)


def stored_password(home: Path) -> str | None:
    path = password_path(home)
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given, expected)
