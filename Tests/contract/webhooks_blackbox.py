#!/usr/bin/env python3
"""Webhooks seen from outside: a running server, a tenant of its own, a receiver that verifies with
docs/examples/webhook_receiver.py (the spec's check, not the server's code) and fails one request in
ten. Orders of four customers must all arrive, verified, once each as accepted, in each customer's
order. Usage: webhooks_blackbox.py URL (the server runs with ITINERA_WEBHOOK_ALLOW_PRIVATE=1)."""
import json
import random
import socket
import ssl
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "examples"))
import webhook_receiver  # noqa: E402

url = sys.argv[1]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def call(method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, context=context) as response:
        return json.loads(response.read() or b"{}")


slug = f"hooks-{int(time.time())}"
signed_up = call("POST", "/v1/signup", {
    "tenant": {"name": "Hooks", "slug": slug, "kind": "agency"},
    "owner": {"email": f"owner@{slug}.example", "password": "correct horse battery staple", "name": "Owner"}})
token = signed_up["session"]["token"]

accepted = []
random.seed(7)
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
endpoint = call("POST", "/v1/webhook-endpoints",
                {"url": f"http://127.0.0.1:{port}/", "event_types": ["order.created"]}, token=token)
# The receiver verifies with the secret the server showed once.
server = webhook_receiver.serve(
    port, [endpoint["secret"]], on_event=accepted.append,
    respond=lambda headers, body: 503 if random.random() < 0.1 else 200)
threading.Thread(target=server.serve_forever, daemon=True).start()

placed = {}
for index in range(20):
    phone = f"1380013800{index % 4}"
    order = call("POST", "/v1/orders", {
        "customer": {"phone": phone}, "amount_minor": 1000 + index, "currency": "CNY",
        "product": {"name": "Tea garden day"}, "ordered_at": "2026-10-01T09:30:00+08:00",
        "external_id": f"bb-{index}"}, token=token, headers={"idempotency-key": f"bb-{index}"})
    placed.setdefault(order["customer_id"], []).append(order["id"])

deadline = time.time() + 120
while len(accepted) < 20 and time.time() < deadline:
    time.sleep(0.2)
server.shutdown()
got = {}
for event in accepted:
    got.setdefault(event["data"]["customer_id"], []).append(event["data"]["id"])
if got != placed:
    sys.exit(f"webhooks: expected {placed}, accepted {got}")
log = call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?limit=200", token=token)
states = {item["state"] for item in log["items"]}
if len(log["items"]) != 20 or states != {"delivered"}:
    sys.exit(f"webhooks: delivery log {states}, {len(log['items'])} items")
print(f"webhooks: 20 orders of 4 customers delivered, verified by the spec's check, in order per customer "
      f"({sum(item['attempts'] for item in log['items'])} attempts)")
