#!/usr/bin/env python3
"""Drives a deployment of two API instances and a worker (deploy/compose-equivalent --check) as a
partner would, crossing instances on purpose:

- sign-up on api-1; an API key made there posts an order on api-2, and the same Idempotency-Key
  retried on api-1 answers the first order (one database, one idempotency record);
- the customer the order made is read on api-1;
- an insight refresh queued on api-2 is run by the worker (the API instances run no workers);
- a session ended on api-2 is refused on api-1, and a key revoked on api-1 is refused on api-2;
- /metrics answers the platform operator's token.

Usage: smoke.py URL_API_1 URL_API_2 (the platform token in ITINERA_PLATFORM_TOKEN)."""
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "contract"))
from blackbox import checker, client, sign_up  # noqa: E402

one, two = client(sys.argv[1]), client(sys.argv[2])
check = checker("deployment")

token = sign_up(one, check, "deployed")
status, _, body = one("POST", "/v1/api-keys", {"name": "booking engine", "scopes": ["orders:write", "customers:read"]},
                      token=token)
check(status == 201, f"making a key on api-1 answered {status}: {body!r}")
created = json.loads(body)
key, key_id = created["secret"], created["id"]

order = {"customer": {"email": "guest@example.com", "name": "Guest"}, "amount_minor": 388_000, "currency": "CNY",
         "product": {"name": "Lijiang 4 days"}, "ordered_at": "2026-11-01T10:00:00Z", "external_id": "BK-1"}
status, _, first = two("POST", "/v1/orders", order, token=key, headers={"Idempotency-Key": "bk-1"})
check(status == 201, f"the order on api-2 answered {status}: {first!r}")
status, _, again = one("POST", "/v1/orders", order, token=key, headers={"Idempotency-Key": "bk-1"})
check(status == 201 and again == first, f"the retried key on api-1 answered {status}, not the first order")
customer = json.loads(first)["customer_id"]
status, _, body = one("GET", f"/v1/customers/{customer}", token=key)
check(status == 200 and json.loads(body)["value"]["order_count"] == 1, f"reading the customer on api-1: {status}")

status, _, body = two("POST", "/v1/insight/refresh", token=token)
check(status == 202, f"queuing a refresh on api-2 answered {status}: {body!r}")
job = json.loads(body)["id"]
state = None
for _ in range(120):
    status, _, body = one("GET", f"/v1/jobs/{job}", token=token)
    state = json.loads(body)["state"]
    if state in ("succeeded", "failed", "cancelled"):
        break
    time.sleep(0.25)
check(state == "succeeded", f"the worker left the refresh {state}")

status, _, _ = two("DELETE", "/v1/sessions/current", token=token)
check(status == 204, f"signing out on api-2 answered {status}")
status, _, _ = one("GET", "/v1/customers?limit=1", token=token)
check(status == 401, f"the ended session on api-1 answered {status}")
owner = sign_up(one, check, "deployed-again")
status, _, body = one("POST", "/v1/api-keys", {"name": "gate", "scopes": ["customers:read"]}, token=owner)
gate = json.loads(body)
status, _, _ = two("GET", "/v1/customers?limit=1", token=gate["secret"])
check(status == 200, f"a fresh key on api-2 answered {status}")
status, _, _ = one("DELETE", f"/v1/api-keys/{gate['id']}", token=owner)
check(status == 204, f"revoking on api-1 answered {status}")
status, _, _ = two("GET", "/v1/customers?limit=1", token=gate["secret"])
check(status == 401, f"the revoked key on api-2 answered {status}")

status, _, body = one("GET", "/metrics", token=os.environ["ITINERA_PLATFORM_TOKEN"])
check(status == 200 and b"hb_requests" in body and b"itinera_db_connections" in body, f"/metrics answered {status}")
print("deployment: an order across the two instances with one idempotency record, the worker ran the "
      "refresh, a session ended and a key revoked on one instance are refused on the other, metrics answer")
