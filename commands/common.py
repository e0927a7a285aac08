"""What every command shares: error handling, the catalogue location, output helpers."""
from __future__ import annotations

import contextlib
import errno
import functools
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
        from aidenum.catalogue.model import SchemeError
        from aidenum.catalogue.territory import TerritoryError
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as error:
            raise UserError(os_error_fr(error)) from error
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
    errno.ENOSPC: "plus de place sur le disque",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EEXIST: "le fichier existe déjà",
}


def os_error_fr(error: OSError, with_file: bool = True) -> str:
    """A French sentence for a system error; the packages' own French messages pass through."""
    if error.errno not in _ERRNO_FR:
        return str(error) if with_file or not error.strerror else error.strerror
    where = f"{error.filename} : " if error.filename and with_file else ""
    return f"{where}{_ERRNO_FR[error.errno]}"


def is_terminal() -> bool:
    return sys.stderr.isatty()


def progress(iterable, label: str, length: int | None = None):
    """A progress bar on a terminal, silent otherwise (CI, pipes, files)."""
    return click.progressbar(iterable, label=label, length=length, file=sys.stderr,
                             show_pos=True) if is_terminal() else contextlib.nullcontext(iterable)
