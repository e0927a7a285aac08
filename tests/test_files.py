"""The one atomic writer and the one UTF-8/Windows-1252 decoder (catalogue/files.py)."""
from __future__ import annotations

import os
import stat

import pytest

from aidenum.catalogue.files import (NotRegularFileError, UndecodableError, atomic_write, detect_encoding,
                                     read_text_any, replacing)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_bytes_text_and_callback(tmp_path):
    target = tmp_path / "sub" / "rapport.csv"
    with pytest.raises(FileNotFoundError):  # a typo in -o is reported, not silently created
        atomic_write(target, b"a;b\n")
    atomic_write(target, b"a;b\n", make_parents=True)
    assert target.read_bytes() == b"a;b\n"
    atomic_write(target, "é;\r\n", newline="")
    assert target.read_bytes() == "é;\r\n".encode()
    atomic_write(target, lambda handle: handle.write("ligne 1\nligne 2\n"))
    assert target.read_text(encoding="utf-8") == "ligne 1\nligne 2\n"
    assert leftovers(target.parent) == []


def test_failure_keeps_the_previous_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "export.jsonl"
    target.write_text("ancien\n", encoding="utf-8")

    def broken(handle):
        handle.write("moitié")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, broken)
    with pytest.raises(KeyboardInterrupt):
        with replacing(target) as tmp:
            tmp.write_text("nouveau", encoding="utf-8")
            raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "ancien\n" and leftovers(tmp_path) == []


def test_new_files_follow_the_umask_and_replacements_keep_their_mode(tmp_path):
    previous = os.umask(0o022)
    try:
        fresh = atomic_write(tmp_path / "dossier.docx", b"x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not mkstemp's 0600
        os.umask(0o077)
        assert stat.S_IMODE(atomic_write(tmp_path / "prive.txt", b"x").stat().st_mode) == 0o600
        shared = tmp_path / "partage.txt"
        shared.write_bytes(b"old")
        shared.chmod(0o664)
        atomic_write(shared, b"new")
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    finally:
        os.umask(previous)


def test_a_secret_gets_its_mode_from_creation_whatever_the_umask(tmp_path):
    previous = os.umask(0o000)
    try:
        secret = tmp_path / "mot-de-passe"
        secret.write_text("ancien")
        os.chmod(secret, 0o644)
        seen = []
        atomic_write(secret, lambda handle: seen.append(stat.S_IMODE(os.stat(handle.name).st_mode)), mode=0o600)
        assert seen == [0o600]  # never readable by others, not even while being written
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_decoder_reads_utf8_bom_and_cp1252(tmp_path):
    plain, bom, legacy = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    plain.write_bytes("Intitulé\n".encode())
    bom.write_bytes("\ufeffIntitulé\n".encode())
    legacy.write_bytes("Intitulé ‘œ’\n".encode("cp1252"))
    assert read_text_any(plain) == read_text_any(bom) == "Intitulé\n"
    assert read_text_any(legacy) == "Intitulé ‘œ’\n"
    assert [detect_encoding(p) for p in (plain, bom, legacy)] == ["utf-8-sig", "utf-8-sig", "cp1252"]


def test_decoder_locates_unreadable_bytes_and_refuses_devices(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"ok\nok\n\x81\n")  # 0x81: invalid UTF-8, undefined in Windows-1252
    for call in (read_text_any, detect_encoding):
        with pytest.raises(UndecodableError) as caught:
            call(bad)
        assert caught.value.line == 3 and caught.value.offset == 6 and "ni UTF-8 ni Windows-1252" in str(caught.value)
    latin = tmp_path / "plan.yaml"
    latin.write_bytes("titre: Médiathèque\n".encode("cp1252"))
    with pytest.raises(UndecodableError):
        read_text_any(latin, encodings=("utf-8-sig",))
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(NotRegularFileError, match="pas un fichier ordinaire"):
            read_text_any(path)
        with pytest.raises(NotRegularFileError):
            detect_encoding(path)
