#!/usr/bin/env python3
"""A real SMTP server for Itinera's e-mail tests (aiosmtpd): writes each message it accepts to
DIRECTORY as <n>.eml, with the envelope in <n>.json; prints its port when it listens.

    smtp_server.py DIRECTORY [--user NAME --password SECRET] [--starttls CERT KEY] [--smtps CERT KEY]
                   [--refuse TEXT]

With --user, AUTH (PLAIN, LOGIN) is required before MAIL; with --starttls, STARTTLS is offered and
required before AUTH; with --smtps, the whole connection is TLS; with --refuse, a recipient whose
address contains TEXT is refused with 550 (a bounce)."""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--refuse")
arguments = parser.parse_args()
directory = Path(arguments.directory)
directory.mkdir(parents=True, exist_ok=True)


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if arguments.refuse and arguments.refuse in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        name = directory / f"{Handler.count:05d}"
        name.with_suffix(".eml").write_bytes(envelope.original_content or envelope.content)
        name.with_suffix(".json").write_text(json.dumps({
            "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(getattr(session, "authenticated", False)),
            "tls": session.ssl is not None, "connection": id(session)}))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == arguments.user \
            and auth_data.password.decode() == arguments.password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def context(pair):
    if not pair:
        return None
    made = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    made.load_cert_chain(pair[0], pair[1])
    return made


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
options = {"hostname": "127.0.0.1", "port": port, "enable_SMTPUTF8": True}
if arguments.user:
    options.update(authenticator=authenticator, auth_required=True,
                   auth_require_tls=bool(arguments.starttls or arguments.smtps))
else:
    options.update(auth_require_tls=False)
if arguments.starttls:
    options.update(tls_context=context(arguments.starttls), require_starttls=True)
if arguments.smtps:
    options.update(ssl_context=context(arguments.smtps))
# Stopped by the tests with a signal: leave at once (the controller's threads would outlive a
# default SIGTERM).
for stop_signal in (signal.SIGTERM, signal.SIGINT):
    signal.signal(stop_signal, lambda *_: os._exit(0))
controller = Controller(Handler(), **options)
controller.start()
print(f"PORT {port}", flush=True)
while True:
    time.sleep(3600)
