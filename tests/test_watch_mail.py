"""SMTP sending against a real aiosmtpd server on loopback."""
from __future__ import annotations

import pytest

from aidenum.watch import mail
from watch_helpers import free_port, loopback_smtp


@pytest.fixture
def smtp():
    controller, sink = loopback_smtp()
    yield controller, sink
    controller.stop()


@pytest.fixture
def smtp_auth():
    controller, sink = loopback_smtp(users={"veille@loudeac-communaute.bzh": "s3cret"})
    yield controller, sink
    controller.stop()


def settings(port, **env):
    values = {"AIDENUM_SMTP_HOST": "127.0.0.1", "AIDENUM_SMTP_PORT": str(port),
              "AIDENUM_SMTP_FROM": "veille@loudeac-communaute.bzh"}
    values.update(env)
    return mail.SmtpSettings.from_env({k: v for k, v in values.items() if v is not None})


def message(to=("chef.projet@loudeac-communaute.bzh",)):
    return mail.build_message("veille@loudeac-communaute.bzh", list(to), "Veille des aides – test",
                              "Rien à signaler.\n", "<p>Rien à <strong>signaler</strong>.</p>", "abc123")


def test_multipart_message_reaches_the_server(smtp):
    controller, sink = smtp
    refused = mail.send(message(), settings(controller.port))
    assert refused == {}
    assert len(sink.envelopes) == 1
    assert sink.envelopes[0].rcpt_tos == ["chef.projet@loudeac-communaute.bzh"]
    received = sink.messages()[0]
    assert received.get_content_type() == "multipart/alternative"
    assert received["X-Aidenum-Digest"] == "abc123"
    assert received["Subject"] == "Veille des aides – test"
    text = received.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = received.get_body(preferencelist=("html",)).get_content()
    assert text == "Rien à signaler.\n"
    assert "<strong>signaler</strong>" in html


def test_login_with_good_and_bad_credentials(smtp_auth):
    controller, sink = smtp_auth
    good = settings(controller.port, AIDENUM_SMTP_USER="veille@loudeac-communaute.bzh", AIDENUM_SMTP_PASSWORD="s3cret")
    mail.send(message(), good)
    assert len(sink.envelopes) == 1
    bad = settings(controller.port, AIDENUM_SMTP_USER="veille@loudeac-communaute.bzh", AIDENUM_SMTP_PASSWORD="faux")
    with pytest.raises(mail.MailError, match="identifiants SMTP refusés par 127.0.0.1:"):
        mail.send(message(), bad)
    assert len(sink.envelopes) == 1


def test_unreachable_server_is_a_french_error():
    port = free_port()
    with pytest.raises(mail.MailError, match=f"serveur SMTP injoignable : 127.0.0.1:{port}"):
        mail.send(message(), settings(port))


def test_unknown_host_is_a_french_error(monkeypatch):
    """The resolver's answer for an unknown name is simulated: no test makes a DNS query."""
    import socket

    def unknown_name(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", unknown_name)
    with pytest.raises(mail.MailError, match="serveur SMTP introuvable : « smtp.invalid »"):
        mail.send(message(), settings(25, AIDENUM_SMTP_HOST="smtp.invalid"))


def test_starttls_asked_but_not_offered(smtp):
    controller, sink = smtp
    with pytest.raises(mail.MailError, match="ne propose pas STARTTLS"):
        mail.send(message(), settings(controller.port, AIDENUM_SMTP_STARTTLS="oui"))
    assert sink.envelopes == []


def test_credentials_on_a_server_without_auth(smtp):
    controller, sink = smtp
    with pytest.raises(mail.MailError, match="n'accepte pas d'identification"):
        mail.send(message(), settings(controller.port, AIDENUM_SMTP_USER="u@x.fr", AIDENUM_SMTP_PASSWORD="p"))
    assert sink.envelopes == []


def test_partly_refused_recipients_are_returned():
    controller, sink = loopback_smtp(refuse={"inconnu@loudeac-communaute.bzh"})
    try:
        refused = mail.send(message(to=("chef.projet@loudeac-communaute.bzh", "inconnu@loudeac-communaute.bzh")),
                            settings(controller.port))
    finally:
        controller.stop()
    assert list(refused) == ["inconnu@loudeac-communaute.bzh"]
    assert refused["inconnu@loudeac-communaute.bzh"].startswith("550")
    assert sink.envelopes[0].rcpt_tos == ["chef.projet@loudeac-communaute.bzh"]


def test_all_recipients_refused():
    controller, sink = loopback_smtp(refuse={"inconnu@loudeac-communaute.bzh"})
    try:
        with pytest.raises(mail.MailError, match="destinataire\\(s\\) refusé\\(s\\).*inconnu@"):
            mail.send(message(to=("inconnu@loudeac-communaute.bzh",)), settings(controller.port))
    finally:
        controller.stop()
    assert sink.envelopes == []


@pytest.mark.parametrize("env, expected", [
    ({"AIDENUM_SMTP_HOST": None}, "AIDENUM_SMTP_HOST"),
    ({"AIDENUM_SMTP_PORT": "vingt-cinq"}, "AIDENUM_SMTP_PORT : port « vingt-cinq » invalide"),
    ({"AIDENUM_SMTP_PORT": "70000"}, "AIDENUM_SMTP_PORT"),
    ({"AIDENUM_SMTP_STARTTLS": "peut-être"}, "AIDENUM_SMTP_STARTTLS"),
    ({"AIDENUM_SMTP_USER": "veille"}, "AIDENUM_SMTP_PASSWORD n'est pas définie"),
    ({"AIDENUM_SMTP_FROM": None}, "AIDENUM_SMTP_FROM"),
    ({"AIDENUM_SMTP_FROM": "pas une adresse"}, "adresse e-mail invalide"),
])
def test_bad_settings(env, expected):
    with pytest.raises(mail.MailError, match=expected):
        settings(25, **env)


def test_default_port_follows_starttls():
    assert settings(None, AIDENUM_SMTP_PORT=None).port == 25
    assert settings(None, AIDENUM_SMTP_PORT=None, AIDENUM_SMTP_STARTTLS="oui").port == 587


@pytest.mark.parametrize("on_quit", ["error", "reset"])
def test_message_accepted_then_quit_fails_is_sent(on_quit):
    """250 after DATA means delivered: a failing QUIT must not turn it into a failure (or the
    next run would send it again)."""
    controller, sink = loopback_smtp(on_quit=on_quit)
    try:
        refused = mail.send(message(), settings(controller.port))
    finally:
        controller.stop()
    assert refused == {}
    assert len(sink.envelopes) == 1
