"""Reading and writing the user's files: one atomic writer, one decoder for UTF-8/Windows-1252 text.

Atomic writing: the data goes to a temporary file beside the target, is flushed to disk, then
renamed over the target (``os.replace``, atomic on POSIX and Windows). A full disk, a crash or a
Ctrl-C leaves the previous file untouched and no temporary file behind. The new file gets the
permissions the user's umask gives (or those of the file it replaces), unlike ``mkstemp``'s 0600,
so a report or a draft stays readable by the colleagues who could read the old one.

Decoding: what colleagues send is UTF-8 (with or without the BOM Excel adds) or, from older
Windows tools, Windows-1252. The whole text must decode one way or the other; nothing is
silently replaced.
"""
from __future__ import annotations

import codecs
import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Callable, Iterator, Union

CHUNK = 1 << 20  # bytes read at a time when only the encoding is wanted (large imports)
ENCODINGS = ("utf-8-sig", "cp1252")

Writer = Callable[["object"], None]


class UndecodableError(ValueError):
    """Bytes that none of the accepted encodings reads; ``line`` and ``offset`` locate the first one."""

    def __init__(self, path: Path, offset: int, line: int, byte: int, encodings: tuple[str, ...]):
        self.path, self.offset, self.line, self.byte, self.encodings = Path(path), offset, line, byte, encodings
        names = " ni ".join("UTF-8" if e.startswith("utf-8") else "Windows-1252" for e in encodings)
        super().__init__(f"encodage illisible : ni {names} (octet 0x{byte:02X} à la position {offset}, "
                         f"ligne {line})")


class NotRegularFileError(ValueError):
    """A device, FIFO or socket given as an input file: reading it could block or never end."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.reason = ("ce n'est pas un fichier ordinaire (périphérique, tube ou socket) ; indiquez un "
                       "fichier enregistré sur le disque")
        super().__init__(f"{path} : {self.reason}")


def check_regular(path: str | Path) -> Path:
    """``path`` if it is a regular file (after links); raise NotRegularFileError for /dev/zero, a FIFO…"""
    path = Path(path)
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFileError(path)
    return path


# -- reading ------------------------------------------------------------------------------------

def decode_any(data: bytes, path: str | Path = "", encodings: tuple[str, ...] = ENCODINGS) -> tuple[str, str]:
    """(text, encoding) of ``data``, trying ``encodings`` in order."""
    for encoding in encodings[:-1]:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(encodings[-1]), encodings[-1]
    except UnicodeDecodeError as error:
        raise UndecodableError(Path(path), error.start, data[:error.start].count(b"\n") + 1,
                               data[error.start], encodings) from None


def read_text_any(path: str | Path, encodings: tuple[str, ...] = ENCODINGS) -> str:
    """The text of ``path``: UTF-8 (BOM dropped) or else Windows-1252; ``encodings=("utf-8-sig",)``
    for formats that must be UTF-8 (YAML)."""
    path = check_regular(path)
    return decode_any(path.read_bytes(), path, encodings)[0]


def detect_encoding(path: str | Path) -> str:
    """'utf-8-sig' when the whole file decodes as UTF-8 (BOM or not), else 'cp1252'; streamed, for
    files too large to read at once. Raises UndecodableError when neither reads it."""
    path = check_regular(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
    offset, lines = 0, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as error:
                raise UndecodableError(path, offset + error.start, lines + chunk[:error.start].count(b"\n") + 1,
                                       chunk[error.start], ENCODINGS) from None
            offset, lines = offset + len(chunk), lines + chunk.count(b"\n")
    return "cp1252"


# -- writing ------------------------------------------------------------------------------------

def _new_file_mode(path: Path) -> int | None:
    """The mode to give the replacement: the replaced file's, else None (umask decides)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


@contextlib.contextmanager
def replacing(path: str | Path, make_parents: bool = False, mode: int | None = None) -> Iterator[Path]:
    """A fresh temporary path beside ``path``: write it inside the block; on success it replaces
    ``path`` atomically, on any error (or Ctrl-C) it is removed and ``path`` is untouched.
    A missing folder is an error (a typo in ``-o``) unless ``make_parents``.

    ``mode`` (e.g. 0o600 for a secret) is the file's permissions from its creation on, never
    wider; without it the replaced file's are kept, else 0o666 & ~umask."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    if mode is None:
        mode = _new_file_mode(path)
        created = 0o666  # & ~umask, like open(): mkstemp's 0600 would hide the file from colleagues
    else:
        created = mode
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, created))
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        with open(tmp, "rb+") as handle:  # on disk before the rename: a crash leaves old or new
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.filename is None or error.filename == str(tmp):
            error.filename = str(path)  # name the user's file, not our temporary one
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: Union[bytes, str, Writer], encoding: str = "utf-8",
                 newline: str | None = None, make_parents: bool = False, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring).

    ``data`` is bytes, text (written with ``encoding``/``newline``), or a callback that receives
    an open text handle and writes to it (an export streaming thousands of records). ``mode``:
    see ``replacing``."""
    path = Path(path)
    with replacing(path, make_parents, mode) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding=encoding, newline=newline) as handle:
                if isinstance(data, str):
                    handle.write(data)
                else:
                    data(handle)
    return path
