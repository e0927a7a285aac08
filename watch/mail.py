"""Send a digest by SMTP: one multipart message (plain text + HTML) per run.

Settings come from the environment only (the weekly job holds them, never the plan file):
``AIDENUM_SMTP_HOST`` (required), ``AIDENUM_SMTP_PORT`` (default 587 with STARTTLS, else 25),
``AIDENUM_SMTP_STARTTLS`` (oui/non, default non), ``AIDENUM_SMTP_USER`` and
``AIDENUM_SMTP_PASSWORD`` (both or neither), ``AIDENUM_SMTP_FROM`` (default: the user).
Every failure is a ``MailError`` with a French sentence naming the setting or the server.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid

TIMEOUT_SECONDS = 20
_TRUE = {"1", "oui", "o", "yes", "y", "true", "vrai"}
_FALSE = {"0", "non", "n", "no", "false", "faux", ""}
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class MailError(RuntimeError):
    """Sending failed or cannot be attempted; ``str()`` is French."""


@dataclass
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str

    @classmethod
    def from_env(cls, env=None) -> "SmtpSettings":
        env = os.environ if env is None else env
        host = env.get("AIDENUM_SMTP_HOST", "").strip()
        if not host:
            raise MailError("envoi impossible : la variable AIDENUM_SMTP_HOST (serveur SMTP) n'est pas définie")
        flag = env.get("AIDENUM_SMTP_STARTTLS", "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise MailError(f"AIDENUM_SMTP_STARTTLS : valeur « {flag} » non comprise (attendu : oui ou non)")
        starttls = flag in _TRUE
        raw_port = env.get("AIDENUM_SMTP_PORT", "").strip() or ("587" if starttls else "25")
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise MailError(f"AIDENUM_SMTP_PORT : port « {raw_port} » invalide (nombre entre 1 et 65535 attendu)")
        user = env.get("AIDENUM_SMTP_USER", "").strip()
        password = env.get("AIDENUM_SMTP_PASSWORD", "")
        if bool(user) != bool(password):
            missing = "AIDENUM_SMTP_PASSWORD" if user else "AIDENUM_SMTP_USER"
            raise MailError(f"identifiants SMTP incomplets : {missing} n'est pas définie")
        sender = env.get("AIDENUM_SMTP_FROM", "").strip() or (user if "@" in user else "")
        if not sender:
            raise MailError("envoi impossible : définissez AIDENUM_SMTP_FROM (adresse de l'expéditeur)")
        check_address(sender, "AIDENUM_SMTP_FROM")
        return cls(host, int(raw_port), starttls, user, password, sender)


def check_address(address: str, where: str) -> str:
    if not _ADDRESS.match(address or ""):
        raise MailError(f"{where} : adresse e-mail invalide « {address} »")
    return address


def build_message(sender: str, recipients: list[str], subject: str, text: str, html: str,
                  digest_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(localtime())
    domain = sender.rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(idstring=f"aidenum-{digest_id}", domain=domain)
    message["X-Aidenum-Digest"] = digest_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage, settings: SmtpSettings) -> dict[str, str]:
    """Deliver ``message``; raise MailError (French) when nobody received it.

    Returns the recipients the server refused while accepting the others (address -> reply),
    so the caller records as sent only those who did receive it. Once the server has accepted
    the message (250 after DATA) it is sent: a QUIT that fails afterwards (error reply, reset,
    timeout) changes nothing, or the next run would send it a second time."""
    where = f"{settings.host}:{settings.port}"
    smtp = None
    try:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        refused = _transmit(smtp, message, settings, where)
        _quit_quietly(smtp)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"identifiants SMTP refusés par {where} (vérifiez AIDENUM_SMTP_USER et "
                        "AIDENUM_SMTP_PASSWORD)") from None
    except smtplib.SMTPRecipientsRefused as error:
        names = ", ".join(error.recipients)
        raise MailError(f"destinataire(s) refusé(s) par le serveur SMTP {where} : {names}") from None
    except smtplib.SMTPSenderRefused:
        raise MailError(f"expéditeur « {settings.sender} » refusé par le serveur SMTP {where} "
                        "(vérifiez AIDENUM_SMTP_FROM)") from None
    except ssl.SSLError as error:
        raise MailError(f"échec de la négociation TLS avec {where} : {error.reason or error}") from None
    except socket.gaierror:
        raise MailError(f"serveur SMTP introuvable : « {settings.host} » (vérifiez AIDENUM_SMTP_HOST)") from None
    except (ConnectionRefusedError, socket.timeout, TimeoutError):
        raise MailError(f"serveur SMTP injoignable : {where} (connexion refusée ou délai dépassé ; "
                        "vérifiez AIDENUM_SMTP_HOST et AIDENUM_SMTP_PORT)") from None
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"échec de l'envoi par {where} : {error}") from None
    finally:
        if smtp is not None:
            smtp.close()   # after an error, no QUIT: the session is already broken or refused
    return {address: f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in (refused or {}).items()}


def _transmit(smtp: smtplib.SMTP, message: EmailMessage, settings: SmtpSettings, where: str) -> dict:
    smtp.ehlo()
    if settings.starttls:
        if not smtp.has_extn("starttls"):
            raise MailError(f"le serveur SMTP {where} ne propose pas STARTTLS ; "
                            "mettez AIDENUM_SMTP_STARTTLS=non ou changez de port")
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if settings.user:
        if not smtp.has_extn("auth"):
            raise MailError(f"le serveur SMTP {where} n'accepte pas d'identification "
                            "(AUTH) ; retirez AIDENUM_SMTP_USER/AIDENUM_SMTP_PASSWORD ou activez STARTTLS")
        smtp.login(settings.user, settings.password)
    return smtp.send_message(message)


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """End the session; whatever the server says to QUIT, the message's fate is already known."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
