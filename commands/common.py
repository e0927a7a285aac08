"""What every command shares: error handling, the catalogue location, output helpers."""
from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import gc
import sys

import click


class UserError(click.ClickException):
    """A French message for the user, exit code 1 (bad input, nothing to do, partial failure)."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True)


def user_errors(func):
    """Turn the packages' French exceptions into clean messages instead of tracebacks."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import sqlite3

        from aidenum.catalogue.model import SchemeError
        from aidenum.catalogue.store import CatalogueError, sqlite_error_fr
        from aidenum.catalogue.territory import TerritoryError
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            raise UserError(os_error_fr(error)) from error
        except CatalogueError as error:
            raise UserError(str(error)) from None
        except sqlite3.Error as error:  # outside a run (a read): still the real cause, in French
            raise UserError(sqlite_error_fr(error)) from None
        except (SchemeError, TerritoryError, ValueError, LookupError) as error:
            raise UserError(str(error)) from error
        except KeyboardInterrupt:
            raise UserError("interrompu : rien n'a été modifié par l'opération en cours") from None
    return wrapper


_ERRNO_FR = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOSPC: "disque plein (plus de place pour écrire)",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EEXIST: "le fichier existe déjà",
    errno.EFBIG: "fichier trop gros pour la limite fixée par le système (ou disque plein)",
    errno.EDQUOT: "quota de disque atteint",
}


def os_error_fr(error: OSError, with_file: bool = True) -> str:
    """A French sentence for a system error; the packages' own French messages pass through."""
    if error.errno not in _ERRNO_FR:
        return str(error) if with_file or not error.strerror else error.strerror
    where = f"{error.filename} : " if error.filename and with_file else ""
    return f"{where}{_ERRNO_FR[error.errno]}"


# What a Latin-1 or ASCII terminal shows instead of characters it lacks (« € » is not in Latin-1).
_FALLBACKS = {"€": "EUR", "\u202f": " ", "\u00a0": " ", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"',
              "»": '"', "…": "...", "—": "-", "–": "-", "‑": "-", "œ": "oe", "Œ": "OE", "≥": ">=", "≤": "<=",
              "→": "->", "×": "x", "\u2009": " ", "═": "=", "─": "-", "•": "*", "✓": "v"}
ENCODING_ERRORS = "aidenum-degrade"


def _degrade(error: UnicodeEncodeError):
    from aidenum.catalogue.formatting import strip_accents
    out = []
    for char in error.object[error.start:error.end]:
        for candidate in (_FALLBACKS.get(char, ""), strip_accents(char)):
            try:
                candidate.encode(error.encoding)
            except UnicodeEncodeError:
                continue
            if candidate:
                out.append(candidate)
                break
        else:
            out.append("?")
    return "".join(out), error.end


# A command builds hundreds of thousands of objects that live until it ends (the territory
# referential, the index's side file, decoded postings). At CPython's default gen-0 threshold (700
# allocations) the cyclic collector runs thousands of times and re-scans them: a quarter of the
# referential's load and ≈ 0.1-0.2 s of a 30-action `aidenum match` (bench/bench_match_cli.py).
# Reference counting still frees every acyclic object at once; only reference cycles wait longer.
GC_THRESHOLDS = (50_000, 20, 20)


def collect_cycles_less_often() -> None:
    """Freeze what the imports created (never garbage) and raise the collector's thresholds."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def degrade_unencodable_output() -> None:
    """On a terminal whose encoding lacks some characters (Latin-1, ASCII), print an approximation
    (« EUR » for « € », « e » for « é » in ASCII, « ? » at worst) instead of failing with a codec
    error and printing nothing. A UTF-8 terminal, or errors chosen in PYTHONIOENCODING, are left alone."""
    codecs.register_error(ENCODING_ERRORS, _degrade)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding or getattr(stream, "errors", "strict") != "strict" or not hasattr(stream, "reconfigure"):
            continue
        try:
            "é€…\u202f’«".encode(encoding)
        except UnicodeEncodeError:
            stream.reconfigure(errors=ENCODING_ERRORS)


def is_terminal() -> bool:
    return sys.stderr.isatty()


def progress(iterable, label: str, length: int | None = None):
    """A progress bar on a terminal, silent otherwise (CI, pipes, files)."""
    return click.progressbar(iterable, label=label, length=length, file=sys.stderr,
                             show_pos=True) if is_terminal() else contextlib.nullcontext(iterable)


@contextlib.contextmanager
def file_progress(label: str):
    """A percentage bar for reading one file (silent off a terminal); yields ``advance(done, total)``."""
    with progress(None, f"{label} (%)", length=100) as bar:
        shown = [0]

        def advance(done: int, total: int) -> None:
            percent = min(100, done * 100 // total) if total else 0
            if bar is not None and percent > shown[0]:
                bar.update(percent - shown[0])
                shown[0] = percent
        yield advance


# Refused lines printed by an import; the others are counted (a file of 26,000 bad rows must not
# flood the terminal, and the first ones show the cause).
MAX_REFUSALS_SHOWN = 20


def echo_refusals(lines: list[str], what: str) -> None:
    """The first ``MAX_REFUSALS_SHOWN`` refusal lines on stderr, then « … et N autre(s) <what> »."""
    for line in lines[:MAX_REFUSALS_SHOWN]:
        click.echo(f"  {line}", err=True)
    if len(lines) > MAX_REFUSALS_SHOWN:
        click.echo(f"  … et {len(lines) - MAX_REFUSALS_SHOWN} autre(s) {what}", err=True)
