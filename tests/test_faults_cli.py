"""Fault matrix for the catalogue file and the files aidenum writes (issue 15, points 4, 8 and the
Latin-1 terminal of 10), each case run end to end in a subprocess: exit code, French message, no
Python traceback, catalogue intact.

How the faults are made, so that they hold when the tests run as root (as in CI), where chmod
stops nothing:
- read-only AIDENUM_HOME: a tmpfs remounted read-only (a real EROFS, root cannot write it) when
  this process may mount; and always a chmod'ed folder, which root reads through ``setpriv``
  with the capabilities that bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
  dropped: root then obeys the permission bits like anyone (switching to « nobody » would not
  do: the interpreter may live under /root);
- full disk: a small tmpfs filled up (a real ENOSPC) when we may mount, else a file-size limit
  (``RLIMIT_FSIZE``, EFBIG) set in the child only;
- locked catalogue: this process holds SQLite's write lock while the command runs, with the busy
  timeout shortened to 1 s in the child (it is 30 s in real use).
"""
from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "data" / "catalogue.jsonl"
SHIPPED = sum(1 for line in CATALOGUE.read_text(encoding="utf-8").splitlines() if line.strip())
MORE = ROOT / "tests" / "files" / "shared" / "aides-territoires" / "aides-territoires_periurbain.csv"
PLAN = ROOT / "data" / "plans" / "plan-exemple.yaml"
TIMEOUT = 120
IS_ROOT = os.geteuid() == 0
# root without the capabilities that ignore file permissions: chmod a-w then stops it
WITHOUT_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--"]
CHMOD_PREFIX = WITHOUT_OVERRIDE if IS_ROOT else []
# The child shortens the busy timeout (30 s in real use) so that the locked case takes 1 s.
SHORT_BUSY = ("import sys; import aidenum.catalogue.store as s; s.BUSY_TIMEOUT_SECONDS = 1; "
              "from aidenum.cli import main; main()")


def aidenum(*args, home: Path, code: str | None = None, env: dict | None = None, prefix=(), **options):
    command = [sys.executable, "-c", code, *map(str, args)] if code else [sys.executable, str(ROOT / "cli.py"),
                                                                          *map(str, args)]
    command = [*prefix, *command]
    environment = {**os.environ, "AIDENUM_HOME": str(home), "PYTHONIOENCODING": "utf-8",
                   "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=TIMEOUT, cwd=ROOT,
                          **options)


def assert_clean(result, code: int, message: str = "") -> None:
    out = result.stdout + result.stderr
    assert result.returncode == code, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in out and "sqlite3." not in out and "Error:" not in out
    if message:
        assert message in result.stderr, result.stderr


def fingerprint(home: Path) -> tuple[int, str, str]:
    """(schemes, integrity check, hash of the ids and contents) of the catalogue, read by SQLite itself."""
    path = home / "catalogue.sqlite"
    # immutable when no writer's journal is there: reading then creates no -shm in the folder
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    db = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True)
    try:
        rows = db.execute("SELECT id, content_hash FROM schemes ORDER BY id").fetchall()
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    return len(rows), integrity, hashlib.sha256(repr(rows).encode()).hexdigest()


def can_mount() -> bool:
    if not IS_ROOT or not shutil.which("mount"):
        return False
    with tempfile.TemporaryDirectory() as probe:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", probe], check=True)
        return ok


MOUNT = can_mount()


class Tmpfs:
    def __init__(self, size_kb: int):
        self.path = Path(tempfile.mkdtemp(prefix="aidenum-tmpfs-"))
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(self.path)],
                       check=True, capture_output=True)

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, capture_output=True)

    def fill(self) -> None:
        """Take every free byte, so the next write fails with ENOSPC."""
        try:
            with open(self.path / "remplissage", "wb") as handle:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
        except OSError:
            pass

    def remove(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A home with the shipped catalogue and its up-to-date index, copied by each test."""
    home = tmp_path_factory.mktemp("seeded")
    assert_clean(aidenum("catalogue", "import", CATALOGUE, home=home), 0)
    assert_clean(aidenum("index", home=home), 0)
    return home


def copy_home(seeded: Path, into: Path) -> Path:
    shutil.copytree(seeded, into, dirs_exist_ok=True)
    return into


# -- read-only AIDENUM_HOME (point 4) ------------------------------------------------------------

READING = [
    (("catalogue", "list", "--limite", "3"), "3 dispositif(s)"),
    (("catalogue", "show", "bdt:cnfs"), "Identifiant : bdt:cnfs"),
    (("catalogue", "runs",), "import"),
    (("search", "vidéoprotection", "--top", "2"), "Recherche « vidéoprotection »"),
    (("match", PLAN, "--top", "2"), "Action A1"),
]
METHODS = (["chmod"] if not IS_ROOT or shutil.which("setpriv") else []) + (["ro-mount"] if MOUNT else [])


def make_read_only(home: Path) -> None:
    for path in [home, *home.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable(home: Path) -> None:
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture(params=METHODS)
def read_only_home(request, seeded, tmp_path):
    """(home, extra subprocess options) for a home this process's commands cannot write."""
    if request.param == "ro-mount":
        fs = Tmpfs(16 * 1024)
        copy_home(seeded, fs.path)
        fs.read_only()
        yield fs.path, {}
        fs.remove()
        return
    home = copy_home(seeded, tmp_path / "home")
    make_read_only(home)
    yield home, {"prefix": CHMOD_PREFIX}
    make_writable(home)


@pytest.mark.parametrize("args, expected", READING, ids=lambda v: " ".join(map(str, v))[:30] if isinstance(v, tuple) else "")
def test_reading_commands_work_on_a_read_only_home(read_only_home, args, expected):
    home, options = read_only_home
    before = fingerprint(home)
    result = aidenum(*args, home=home, **options)
    assert_clean(result, 0)
    assert expected in result.stdout
    assert fingerprint(home) == before


def test_export_from_a_read_only_home(read_only_home, tmp_path):
    home, options = read_only_home
    result = aidenum("catalogue", "export", home=home, **options)  # to stdout: nothing to write at home
    assert_clean(result, 0, f"{SHIPPED} dispositif(s) exporté(s)")
    assert len(result.stdout.splitlines()) == SHIPPED


def test_writing_commands_say_read_only(read_only_home):
    home, options = read_only_home
    before = fingerprint(home)
    result = aidenum("catalogue", "import", CATALOGUE, home=home, **options)
    assert_clean(result, 1, "est en lecture seule : cette commande doit le modifier")
    assert fingerprint(home) == before


def test_stale_index_in_a_read_only_home_is_explained(seeded, tmp_path):
    home = copy_home(seeded, tmp_path / "home")
    assert_clean(aidenum("catalogue", "import", MORE, home=home), 0)  # the index is now older
    make_read_only(home)
    try:
        result = aidenum("search", "wifi public", home=home, prefix=CHMOD_PREFIX)
        assert_clean(result, 1, "est absent ou plus ancien que le catalogue, et ce dossier est en lecture seule")
    finally:
        make_writable(home)


def test_no_catalogue_in_a_read_only_folder(tmp_path):
    empty = tmp_path / "vide"
    empty.mkdir()
    empty.chmod(0o555)
    try:
        result = aidenum("catalogue", "list", home=empty, prefix=CHMOD_PREFIX)
        assert_clean(result, 1, "aucun catalogue dans")
        assert list(empty.iterdir()) == []
    finally:
        empty.chmod(0o755)


# -- full disk (points 4 and 8) ------------------------------------------------------------------

class _Limited:
    """Stand-in for a full tmpfs where mounting is impossible: the child may not grow any file past
    ``limit_kb`` (RLIMIT_FSIZE, set in the child only), so writing a large file fails with EFBIG."""

    def __init__(self, limit_kb: int):
        self.path = Path(tempfile.mkdtemp(prefix="aidenum-full-"))
        limit = limit_kb * 1024
        self.options = {"preexec_fn": lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))}

    def fill(self) -> None:
        pass

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def full_disk(tmpfs_kb: int, limit_kb: int):
    """A folder on a (nearly) full disk: a real tmpfs of ``tmpfs_kb`` when we may mount, else a
    per-child file-size limit of ``limit_kb``. ``.options`` go to the child's subprocess.run."""
    if MOUNT:
        fs = Tmpfs(tmpfs_kb)
        fs.options = {}
        return fs
    return _Limited(limit_kb)


def test_import_on_a_full_disk_says_so_and_keeps_the_catalogue(seeded):
    database = seeded / "catalogue.sqlite"
    # room for the catalogue and SQLite's 32 KB -shm, not for the journal of a 1 000-scheme import
    fs = full_disk(tmpfs_kb=database.stat().st_size // 1024 + 64, limit_kb=96)
    try:
        home = fs.path
        shutil.copy2(database, home / "catalogue.sqlite")
        before = fingerprint(home)
        result = aidenum("catalogue", "import", MORE, home=home, **fs.options)
        assert_clean(result, 1, "disque plein")
        assert "cannot rollback" not in result.stderr and "disk" not in result.stderr
        assert "le catalogue est inchangé" in result.stderr
        assert fingerprint(home) == before and before[1] == "ok"
        assert_clean(aidenum("catalogue", "list", "--limite", "1", home=home), 0)
    finally:
        fs.remove()


@pytest.mark.parametrize("what", ["match -o", "export -o"])
def test_reports_and_exports_on_a_full_disk_keep_the_previous_file(seeded, tmp_path, what):
    home = copy_home(seeded, tmp_path / "home")
    fs = full_disk(tmpfs_kb=64, limit_kb=40)  # less than a report (~100 KB) or an export (~1.3 MB)
    folder, options = fs.path, fs.options
    try:
        name = "rapport.html" if what.startswith("match") else "catalogue.jsonl"
        target = folder / name
        target.write_text("version précédente\n", encoding="utf-8")
        fs.fill()
        if what.startswith("match"):
            args = ("match", PLAN, "--format", "html", "-o", target)
        else:
            args = ("catalogue", "export", "-o", target)
        result = aidenum(*args, home=home, **options)
        assert_clean(result, 1, "disque plein")
        assert str(target) in result.stderr
        assert target.read_text(encoding="utf-8") == "version précédente\n"  # not a 4 KB fragment
        left = sorted(p.name for p in folder.iterdir() if p.name not in (name, "remplissage"))
        assert left == [], left  # no *.partiel, no temporary file
    finally:
        fs.remove()


# -- locked catalogue (point 4) ------------------------------------------------------------------

def test_a_writer_holding_the_catalogue_makes_others_wait_then_explains(seeded, tmp_path):
    home = copy_home(seeded, tmp_path / "home")
    before = fingerprint(home)
    writer = sqlite3.connect(home / "catalogue.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a long import or crawl commit holds
    try:
        started = time.monotonic()
        blocked = aidenum("catalogue", "import", MORE, home=home, code=SHORT_BUSY)
        waited = time.monotonic() - started
        assert_clean(blocked, 1, "une autre commande aidenum (import, collecte ou veille) est en train d'écrire")
        assert "attendu 1 s" in blocked.stderr and waited >= 1
        reading = aidenum("catalogue", "list", "--limite", "2", home=home, code=SHORT_BUSY)
        assert_clean(reading, 0)  # readers never wait for a writer
        assert "2 dispositif(s)" in reading.stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert fingerprint(home) == before
    assert_clean(aidenum("catalogue", "import", MORE, home=home, code=SHORT_BUSY), 0)


# -- Latin-1 terminal (point 10) -----------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (("catalogue", "show", "bdt:cnfs"), "EUR"),                # « 50 000 € »: neither U+202F nor € in Latin-1
    (("catalogue", "show", "ademe:1ec8f1be"), "l'Industrie"),  # ’ -> '
    (("match", PLAN, "--top", "1"), "====="),                  # the ═ underline
])
def test_a_latin1_terminal_gets_an_approximation_not_a_codec_error(seeded, args, expected):
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True,
                            env={**os.environ, "AIDENUM_HOME": str(seeded), "PYTHONIOENCODING": "latin-1"},
                            timeout=TIMEOUT, cwd=ROOT)
    stdout, stderr = result.stdout.decode("latin-1"), result.stderr.decode("latin-1")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stdout + stderr and "UnicodeEncodeError" not in stderr and "codec" not in stderr
    assert expected in stdout and "é" in stdout  # accents Latin-1 has are kept


# -- drafts follow the umask, not mkstemp's 0600 (point 10) ---------------------------------------

def with_umask(mask: int) -> list[str]:
    """A subprocess prefix running the command under ``mask`` (no preexec_fn: the suite has threads)."""
    return ["sh", "-c", f'umask {mask:03o} && exec "$@"', "sh"]


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["umask-022", "umask-002", "umask-077"])
@pytest.mark.parametrize("fmt, name", [("docx", "dossier.docx"), ("ds", "formulaire.json")], ids=["docx", "ds"])
def test_drafts_are_written_with_the_mode_the_umask_gives(seeded, tmp_path, mask, mode, fmt, name):
    home = copy_home(seeded, tmp_path / "home")
    out = tmp_path / name
    result = aidenum("draft", PLAN, "-a", "A1", "-s", "detr:22", "--format", fmt, "-o", out, home=home,
                     prefix=with_umask(mask))
    assert_clean(result, 0)
    written = [path for path in out.parent.iterdir() if path.is_file()]   # ds also writes its .csv twin
    assert out in written and not [path for path in written if path.name.endswith(".tmp")]
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {path.name: mode for path in written}


def test_a_replaced_draft_keeps_its_mode_and_a_draft_folder_follows_the_umask(seeded, tmp_path):
    home = copy_home(seeded, tmp_path / "home")
    out = tmp_path / "dossier.docx"
    assert_clean(aidenum("draft", PLAN, "-a", "A1", "-s", "detr:22", "-o", out, home=home), 0)
    out.chmod(0o640)                                   # shared with the group on purpose
    again = aidenum("draft", PLAN, "-a", "A1", "-s", "detr:22", "-o", out, "--ecraser", home=home,
                    prefix=with_umask(0o077))
    assert_clean(again, 0)
    assert out.stat().st_mode & 0o777 == 0o640
    folder = tmp_path / "dossiers"
    every = aidenum("draft", PLAN, "--all", "--top", "1", "-o", f"{folder}/", home=home, prefix=with_umask(0o022))
    assert_clean(every, 0)
    drafts = sorted(folder.glob("*.docx"))
    assert drafts and all(path.stat().st_mode & 0o777 == 0o644 for path in drafts)


# -- two `digest --envoyer` at once, in two processes (point 2) ----------------------------------

def test_two_digests_sent_at_once_by_two_processes_deliver_one_message(aidenum_home, tmp_path):
    from aidenum.catalogue.store import Catalogue
    from watch_helpers import RUN1_AT, load_snapshot, loopback_smtp, week1

    load_snapshot(Catalogue(), week1(), RUN1_AT)
    assert_clean(aidenum("index", home=aidenum_home), 0)
    # the server takes 2 s to accept: the first digest is still sending when the second starts
    controller, sink = loopback_smtp(data_delay=2.0)
    env = {"AIDENUM_SMTP_HOST": "127.0.0.1", "AIDENUM_SMTP_PORT": str(controller.port),
           "AIDENUM_SMTP_FROM": "veille@loudeac-communaute.bzh", "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, str(ROOT / "cli.py"), "digest", str(PLAN), "--date", "2025-01-06", "--envoyer",
               "--a", "chef.projet@loudeac-communaute.bzh"]
    try:
        processes = []
        for _ in range(2):
            processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                              env={**os.environ, "AIDENUM_HOME": str(aidenum_home), **env},
                                              cwd=tmp_path))
            time.sleep(0.3)
        outputs = [p.communicate(timeout=TIMEOUT) for p in processes]
        results = [subprocess.CompletedProcess(p.args, p.returncode, *out) for p, out in zip(processes, outputs)]
    finally:
        controller.stop()
    for result in results:
        assert_clean(result, 0)
    said = "".join(result.stderr for result in results)
    assert said.count("Résumé envoyé à chef.projet@loudeac-communaute.bzh") == 1, said
    assert said.count("Résumé déjà envoyé à chef.projet@loudeac-communaute.bzh") == 1, said
    assert "attente de sa fin" in said
    assert len(sink.envelopes) == 1
