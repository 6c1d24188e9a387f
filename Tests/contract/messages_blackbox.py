#!/usr/bin/env python3
"""Messages seen from outside: a running server configured with a real SMTP server (aiosmtpd,
Tests/support/smtp_server.py writing to SMTP_DIR). A marketing e-mail is refused without consent and
sent with it; it arrives with List-Unsubscribe and List-Unsubscribe-Post (RFC 8058); its tracked link
redirects; the one-click POST a mail provider would send withdraws the consent, which the customer's
view and timeline show, and the next message is refused.
Usage: messages_blackbox.py URL SMTP_DIR (the server's ITINERA_PUBLIC_URL is URL)."""
import email
import email.policy
import json
import sys
import time
from pathlib import Path

from blackbox import checker, client, sign_up

url, smtp_dir = sys.argv[1], Path(sys.argv[2])
call = client(url)
check = checker("messages")
token = sign_up(call, check, "mail")
status, _, _ = call("PUT", "/v1/message-templates/back", {
    "channel": "email", "purpose": "marketing", "subject": "{{customer.first_name}}, 想念您",
    "body": "Lijiang is waiting: https://example.com/lijiang"}, token=token)
check(status == 201, f"template answered {status}")
status, _, body = call("POST", "/v1/customers", {"email": "wei@example.com", "name": "Wei Zhang"}, token=token)
customer = json.loads(body)["id"]

status, _, body = call("POST", "/v1/messages", {"customer_id": customer, "template": "back"}, token=token)
check(status == 422 and json.loads(body)["field"] == "template", f"a send without consent answered {status}")
call("PATCH", f"/v1/customers/{customer}", {"consents": {"email": {"granted": True, "purpose": "marketing"}}},
     token=token)
status, _, body = call("POST", "/v1/messages", {"customer_id": customer, "template": "back"}, token=token)
check(status == 202, f"a send with consent answered {status}: {body!r}")
message = json.loads(body)["id"]

deadline = time.time() + 30
while time.time() < deadline and not list(smtp_dir.glob("*.eml")):
    time.sleep(0.2)
files = sorted(smtp_dir.glob("*.eml"))
check(len(files) == 1, f"{len(files)} e-mails arrived, not 1")
mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
check(str(mail["Subject"]) == "Wei, 想念您", f"the subject is {mail['Subject']!r}")
check(mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", "no List-Unsubscribe-Post")
unsubscribe = str(mail["List-Unsubscribe"]).strip("<>")
check(unsubscribe.startswith(url + "/u/"), f"List-Unsubscribe is {mail['List-Unsubscribe']!r}")
text = mail.get_content()
tracked = [word.rstrip(".,)") for word in text.split() if word.startswith(url + "/r/")]
check(len(tracked) == 1 and "https://example.com/lijiang" not in text, f"the text is {text!r}")

status, headers, _ = call("GET", tracked[0])
check(status == 302 and headers.get("location") == "https://example.com/lijiang", f"the click answered {status}")

# What a mail provider sends for one-click unsubscribe (RFC 8058 section 3.2).
status, _, _ = call("POST", unsubscribe, raw=b"List-Unsubscribe=One-Click",
                    content_type="application/x-www-form-urlencoded")
check(status == 200, f"the one-click POST answered {status}")
status, _, body = call("GET", f"/v1/customers/{customer}", token=token)
consents = {(c["channel"], c["purpose"]): c["granted"] for c in json.loads(body)["consents"]}
check(consents.get(("email", "marketing")) is False, f"the consents are {consents}")
status, _, body = call("GET", f"/v1/customers/{customer}/timeline", token=token)
kinds = [entry["kind"] for entry in json.loads(body)["items"]]
check("message" in kinds and kinds.count("consent") == 2, f"the timeline has {kinds}")
status, _, body = call("GET", f"/v1/messages/{message}", token=token)
sent = json.loads(body)
check(sent["state"] == "sent" and sent["clicks"] == 1, f"the message is {sent}")
status, _, _ = call("POST", "/v1/messages", {"customer_id": customer, "template": "back"}, token=token)
check(status == 422, f"a send after unsubscribing answered {status}")
print("messages: consent, one-click unsubscribe, tracked click and timeline hold from outside")
