#!/usr/bin/env python3
"""A webhook receiver for Itinera, written from the Standard Webhooks specification alone.

Run it, point an endpoint at it, and it prints each event it accepts:

    python3 docs/examples/webhook_receiver.py --port 8088 --secret whsec_...

(An endpoint at http://127.0.0.1:8088/ needs the server's `ITINERA_WEBHOOK_ALLOW_PRIVATE=1`;
in production the receiver sits behind HTTPS.) `verify` is the whole check; the rest is plumbing.
"""
import argparse
import base64
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def verify(secrets, headers, body, now=None):
    """True when the request carries a valid signature by one of `secrets` (`whsec_…`).

    The signed content is `<webhook-id>.<webhook-timestamp>.<body>`; the key is the base64 after
    `whsec_`; `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256>` entries (two while
    a secret is being rotated). A timestamp more than five minutes away is refused (replays).
    """
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "").split(" ")
    if not message_id or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    content = f"{message_id}.{timestamp}.".encode() + body
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return True
    return False


def serve(port, secrets, on_event=None, respond=None):
    """Serves on 127.0.0.1:`port` until interrupted; returns the server (its thread is the caller's)."""
    seen = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            if not verify(secrets, headers, body):
                self.send_response(401)
                self.end_headers()
                return
            status = respond(headers, body) if respond else 204
            if 200 <= status < 300:
                event = json.loads(body)
                # At least once: the same webhook-id may come again after a lost answer; skip it.
                if headers["webhook-id"] not in seen:
                    seen.add(headers["webhook-id"])
                    (on_event or print_event)(event)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def print_event(event):
    print(event["type"], event["entity"], json.dumps(event["data"], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--secret", action="append", required=True, help="whsec_…; repeat during a rotation")
    arguments = parser.parse_args()
    server = serve(arguments.port, arguments.secret)
    print(f"listening on http://127.0.0.1:{arguments.port}/", flush=True)
    server.serve_forever()
