"""Schemathesis hooks for Itinera's contract run (scripts/contract-test).

Every operation is called with the credential it declares: the platform operator's token for
/v1/platform/..., the tenant owner's session for the rest, and a session of its own for signing out
(so the owner's stays valid for the operations that follow).
"""
import os
import uuid

import requests
import schemathesis

BASE = os.environ["ITINERA_CONTRACT_URL"]
OWNER = os.environ["ITINERA_CONTRACT_TOKEN"]
TENANT_ID = os.environ["ITINERA_CONTRACT_TENANT_ID"]
PLATFORM = os.environ["ITINERA_CONTRACT_PLATFORM_TOKEN"]


def fresh_session() -> str:
    """A session of a new user of the tenant, invited and accepted: signing in by password would soon
    be throttled, as the run's own failed sign-ins count against the address they all come from."""
    headers = {"Authorization": f"Bearer {OWNER}"}
    invited = requests.post(
        f"{BASE}/v1/users", headers=headers, verify=False, timeout=30,
        json={"email": f"signout-{uuid.uuid4().hex[:12]}@example.com", "name": "Sign-out", "role": "analyst"},
    )
    invited.raise_for_status()
    accepted = requests.post(
        f"{BASE}/v1/invitations/accept", verify=False, timeout=30,
        json={"token": invited.json()["invitation"]["token"], "password": "a long enough password"},
    )
    accepted.raise_for_status()
    return accepted.json()["token"]


@schemathesis.auth(refresh_interval=None)
class ItineraAuth:
    def get(self, case, ctx):
        if case.operation.path.startswith("/v1/platform"):
            return PLATFORM
        if case.operation.definition.raw.get("operationId") == "deleteCurrentSession":
            return fresh_session()
        return OWNER

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """A page cursor is an opaque token the server hands out, and a made-up one is refused (422) by
    design: a request meant to be valid asks for the first page instead."""
    # The run's own tenant is not suspended or deleted under it (a stateful step can find its id
    # in the platform's tenant list); the platform operations act on another id then.
    if case.operation.path.startswith("/v1/platform/tenants/") and (case.path_parameters or {}).get("id") == TENANT_ID:
        case.path_parameters["id"] = str(uuid.uuid4())
    meta = case.meta
    if case.query and "cursor" in case.query and meta is not None and meta.generation.mode.is_positive:
        del case.query["cursor"]
