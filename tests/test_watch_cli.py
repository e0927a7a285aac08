"""`aidenum digest` and `aidenum calendar` through the CLI: the weekly flow, sending once,
and every bad input. The matcher is the stand-in of watch_helpers (real hard filters); the
end-to-end test with the real matcher is in test_watch_e2e.py."""
from __future__ import annotations

import json

import icalendar
import pytest
from click.testing import CliRunner

from aidenum.commands import watch as watch_commands
from aidenum.catalogue import territory
from aidenum.catalogue.store import Catalogue
from aidenum.cli import cli
from watch_helpers import smtp  # noqa: F401  (fixture)
from watch_helpers import (PLAN_YAML, RUN1_AT, RUN2_AT, FakeMatcher, free_port, load_snapshot, loopback_smtp,
                           week1, week2)

TO = "chef.projet@loudeac-communaute.bzh"


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def fake_matcher(monkeypatch):
    monkeypatch.setattr(watch_commands, "make_matcher", lambda: FakeMatcher(Catalogue(), territory.load()))


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def state(home):
    return json.loads((home / "watch" / "state.json").read_text(encoding="utf-8"))


def test_weekly_flow_sends_once(plan, smtp, aidenum_home, tmp_path):
    catalogue = Catalogue()
    load_snapshot(catalogue, week1(), RUN1_AT)
    first = run("digest", plan, "--last-run", "--date", "2025-01-06", "--format", "markdown", "-o", str(tmp_path / "s1.md"))
    assert first.exit_code == 0, first.output
    assert "Première veille pour ce plan : ce résumé sert de point de départ." in first.stderr
    assert (tmp_path / "s1.md").read_text(encoding="utf-8").startswith("# Veille des aides – Loudéac")
    [recorded] = next(iter(state(aidenum_home)["plans"].values()))["digests"]
    assert recorded["date"] == "2025-01-06"

    load_snapshot(catalogue, week2(), RUN2_AT)
    sent = run("digest", plan, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout == ""
    assert f"Résumé envoyé à {TO} (1 nouveau, 2 modifiés, 1 clôture proche, 2 clôturés)." in sent.stderr
    [message] = smtp.messages()
    assert message["To"] == TO
    assert message["Subject"] == ("Veille des aides – Loudéac Communauté - Bretagne Centre – 13/01/2025 : "
                                  "1 nouveau, 2 modifiés, 1 clôture proche, 2 clôturés")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Résumé du 13/01/2025, depuis la veille du 06/01/2025" in text
    assert "- Date de clôture : 31/01/2025 → 28/02/2025" in text
    assert "- Taux d'aide : jusqu'à 50 % → jusqu'à 60 %" in text
    assert "DSIL 2025 – Ain" not in text and "Médiation numérique associative" not in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<h3 style=\"font-size: 15px;\">Clôture dans moins de 30 jours</h3>" in html

    # the job runs again: same digest, not sent twice
    again = run("digest", plan, "--last-run", "--date", "2025-01-13", "--envoyer", "--a", TO)
    assert again.exit_code == 0, again.output
    assert "Aucune nouvelle collecte depuis le résumé de ce jour : même résumé." in again.stderr
    assert f"Résumé déjà envoyé à {TO} le " in again.stderr and "--renvoyer" in again.stderr
    assert len(smtp.envelopes) == 1

    forced = run("digest", plan, "--last-run", "--date", "2025-01-13", "--envoyer", "--destinataire", TO, "--renvoyer")
    assert forced.exit_code == 0, forced.output
    assert len(smtp.envelopes) == 2
    assert smtp.messages()[1]["X-Aidenum-Digest"] == message["X-Aidenum-Digest"]

    # next week, nothing crawled in between: the closing-soon scheme is all there is to say
    quiet = run("digest", plan, "--date", "2025-01-20")
    assert quiet.exit_code == 0
    assert "Bilan : 1 clôture proche." in quiet.stdout
    assert "Rien à signaler pour cette action." in quiet.stdout   # A2


def test_unreachable_server_marks_nothing_sent(plan, aidenum_home, monkeypatch):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    monkeypatch.setenv("AIDENUM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AIDENUM_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("AIDENUM_SMTP_FROM", "veille@loudeac-communaute.bzh")
    result = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
    assert result.exit_code == 1
    assert "Erreur : serveur SMTP injoignable : 127.0.0.1:" in result.stderr
    assert "Le résumé n'est pas marqué comme envoyé." in result.stderr
    assert "Traceback" not in result.output
    assert not (aidenum_home / "watch" / "state.json").exists()


def test_wrong_credentials_then_right_ones(plan, aidenum_home, monkeypatch):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    controller, sink = loopback_smtp(users={"veille": "bon-mot-de-passe"})
    try:
        for name, value in {"HOST": "127.0.0.1", "PORT": str(controller.port), "USER": "veille",
                            "PASSWORD": "mauvais", "FROM": "veille@loudeac-communaute.bzh"}.items():
            monkeypatch.setenv(f"AIDENUM_SMTP_{name}", value)
        refused = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
        assert refused.exit_code == 1
        assert "identifiants SMTP refusés" in refused.stderr
        assert not (aidenum_home / "watch" / "state.json").exists()
        monkeypatch.setenv("AIDENUM_SMTP_PASSWORD", "bon-mot-de-passe")
        accepted = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
        assert accepted.exit_code == 0, accepted.output
        assert len(sink.envelopes) == 1
        assert [list(recipients) for recipients in state(aidenum_home)["sent"].values()] == [[TO]]
    finally:
        controller.stop()


def test_smtp_settings_checked_before_any_work(plan, monkeypatch):
    monkeypatch.delenv("AIDENUM_SMTP_HOST", raising=False)
    result = run("digest", plan, "--envoyer", "--a", TO)   # empty catalogue too: settings come first
    assert result.exit_code == 1
    assert "Erreur : envoi impossible : la variable AIDENUM_SMTP_HOST (serveur SMTP) n'est pas définie" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--since", "2025-01-01", "--last-run"], "--since et --last-run s'excluent"),
    (["--envoyer"], "--envoyer demande au moins un destinataire"),
    (["--a", TO], "--a n'a de sens qu'avec --envoyer"),
    (["--since", "13/01/2025"], "13/01/2025"),
])
def test_usage_errors(plan, args, message):
    result = run("digest", plan, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_empty_catalogue(plan):
    result = run("digest", plan)
    assert result.exit_code == 1
    assert "Erreur : le catalogue est vide" in result.stderr


def test_missing_plan(tmp_path):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    result = run("digest", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1
    assert "fichier introuvable" in result.stderr and "absent.yaml" in result.stderr


def test_unreadable_state(plan, aidenum_home):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    (aidenum_home / "watch").mkdir()
    (aidenum_home / "watch" / "state.json").write_text("{pas du json", encoding="utf-8")
    result = run("digest", plan)
    assert result.exit_code == 1
    assert "état de la veille illisible" in result.stderr and "state.json" in result.stderr


def test_consultation_is_not_recorded_but_last_run_is(plan, aidenum_home):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    result = run("digest", plan, "--date", "2025-01-06")
    assert result.exit_code == 0
    assert result.stdout.startswith("Veille des aides – Loudéac Communauté - Bretagne Centre\n")
    assert not (aidenum_home / "watch" / "state.json").exists()
    weekly = run("digest", plan, "--last-run", "--date", "2025-01-06")   # as deploy/weekly.sh does
    assert weekly.exit_code == 0 and weekly.stdout == result.stdout
    [recorded] = next(iter(state(aidenum_home)["plans"].values()))["digests"]
    assert recorded["date"] == "2025-01-06" and recorded["since"] == "2025-01-06" and recorded["baseline"]


def test_calendar_command(plan, tmp_path):
    catalogue = Catalogue()
    load_snapshot(catalogue, week1(), RUN1_AT)
    load_snapshot(catalogue, week2(), RUN2_AT)
    out = tmp_path / "echeances.ics"
    result = run("calendar", plan, "-o", str(out), "--rappel-jours", "7", "--date", "2025-01-13")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("4 échéance(s) écrite(s) dans " + str(out) + ", rappel 7 jour(s) avant. "
                             "1 dispositif(s) permanent(s) ou sans date limite non inscrit(s).\n")
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    assert len(calendar.walk("VEVENT")) == 4
    assert {a.decoded("TRIGGER").days for a in calendar.walk("VALARM")} == {-7}


def test_calendar_without_deadline_writes_nothing(plan, tmp_path):
    load_snapshot(Catalogue(), [r for r in week1() if r["id"] == "bdt:pret-long-terme"], RUN1_AT)
    out = tmp_path / "echeances.ics"
    result = run("calendar", plan, "-o", str(out), "--date", "2025-01-13")
    assert result.exit_code == 1
    assert "aucun dispositif retenu pour ce plan n'a de date limite à venir (1 dispositif(s) permanent(s)" in result.stderr
    assert not out.exists()


def test_calendar_bad_reminder(plan, tmp_path):
    result = run("calendar", plan, "-o", str(tmp_path / "x.ics"), "--rappel-jours", "-3")
    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["digest", "calendar"])
def test_help_in_french(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "PLAN" in result.output and ("Résumé" in result.output or "Calendrier" in result.output)


# -- delivered once (issue 15.2) -------------------------------------------------------------------
def _smtp_env(monkeypatch, port):
    monkeypatch.setenv("AIDENUM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AIDENUM_SMTP_PORT", str(port))
    monkeypatch.setenv("AIDENUM_SMTP_FROM", "veille@loudeac-communaute.bzh")


def test_quit_error_after_acceptance_counts_as_sent(plan, aidenum_home, monkeypatch):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    controller, sink = loopback_smtp(on_quit="error")
    try:
        _smtp_env(monkeypatch, controller.port)
        first = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
        assert first.exit_code == 0, first.output
        assert f"Résumé envoyé à {TO}" in first.stderr
        again = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
        assert again.exit_code == 0, again.output
        assert f"Résumé déjà envoyé à {TO}" in again.stderr
    finally:
        controller.stop()
    assert len(sink.envelopes) == 1


def _hold_lock(home, seconds, held):
    """Another digest holding the watch state's lock for ``seconds``."""
    import threading

    from aidenum.watch.state import locked_state

    def hold():
        with locked_state(home / "watch" / "state.json"):
            held.set()
            threading.Event().wait(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    held.wait(5)
    return thread


def test_second_digest_waits_for_the_lock_then_sends(plan, smtp, aidenum_home):
    import threading
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    held = threading.Event()
    thread = _hold_lock(aidenum_home, 1.0, held)
    result = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
    thread.join()
    assert result.exit_code == 0, result.output
    assert "Un autre résumé de veille est en cours d'envoi ou d'enregistrement : attente de sa fin…" in result.stderr
    assert len(smtp.envelopes) == 1


def test_lock_held_too_long_gives_up_in_french(plan, smtp, aidenum_home, monkeypatch):
    import threading

    from aidenum.watch import state as watch_state
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    monkeypatch.setattr(watch_state, "LOCK_WAIT_SECONDS", 0.5)
    held = threading.Event()
    thread = _hold_lock(aidenum_home, 2.0, held)
    result = run("digest", plan, "--date", "2025-01-06", "--envoyer", "--a", TO)
    thread.join()
    assert result.exit_code == 1
    assert "Erreur : un autre résumé de veille est en cours d'envoi ou d'enregistrement depuis plus de 1 s" in result.stderr
    assert "rien n'a été envoyé" in result.stderr and "Traceback" not in result.output
    assert smtp.envelopes == []


def test_consultation_needs_no_lock(plan, aidenum_home, monkeypatch):
    import threading

    from aidenum.watch import state as watch_state
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    monkeypatch.setattr(watch_state, "LOCK_WAIT_SECONDS", 0.2)
    held = threading.Event()
    thread = _hold_lock(aidenum_home, 1.0, held)
    result = run("digest", plan, "--date", "2025-01-06")
    thread.join()
    assert result.exit_code == 0 and "attente" not in result.stderr


@pytest.mark.parametrize("command, extra", [("digest", []), ("calendar", ["-o", "echeances.ics"])])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_without_bounds_are_french_errors(plan, command, extra, day):
    load_snapshot(Catalogue(), week1(), RUN1_AT)
    result = run(command, plan, "--date", day, *extra)
    assert result.exit_code == 1
    assert f"Erreur : --date : date hors limites « {day} » (attendu entre le 01/01/2000 et le 31/12/2099)" in result.stderr


def test_calendar_with_a_deadline_in_year_9999(plan, tmp_path):
    records = week1()
    for record in records:
        record["deadline"] = "9999-12-31" if record["id"] == "dsil:22-2025" else record.get("deadline")
    load_snapshot(Catalogue(), records, RUN1_AT)
    result = run("calendar", plan, "-o", str(tmp_path / "e.ics"), "--date", "2025-01-06")
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical((tmp_path / "e.ics").read_bytes())
    assert all(e.decoded("DTSTART").year < 9999 for e in calendar.walk("VEVENT"))
