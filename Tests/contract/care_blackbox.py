#!/usr/bin/env python3
"""Trip care seen from outside, against a running server with a real SMTP server
(Tests/support/smtp_server.py writing to SMTP_DIR).

- Touchpoint rules schedule an order's touchpoints on the tenant's clock, out of the quiet hours;
  a cancellation withdraws them.
- A destination risk alert finds exactly the overlapping bookings and e-mails the travellers who
  consented; the others are counted unreachable.
- A complaint is answered in time.
- A detractor's NPS answer opens a complaint, and the NPS figures count it.

Usage: care_blackbox.py URL SMTP_DIR."""
import datetime
import email
import email.policy
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from blackbox import checker, client, sign_up

url, smtp_dir = sys.argv[1], Path(sys.argv[2])
call = client(url)
check = checker("care")
zone = ZoneInfo("Asia/Shanghai")  # the tenant's time zone (the sign-up default)
today = datetime.datetime.now(zone).date()

mails_before = set(smtp_dir.glob("*.eml"))
token = sign_up(call, check, "care")
for name in ("risk-email", "trip-guide"):
    status, _, body = call("PUT", f"/v1/message-templates/{name}", {
        "channel": "email", "purpose": "service", "subject": "Travel warning" if name == "risk-email" else "Your trip",
        "body": "{{alert.severity}}: {{alert.message}} (your trip to {{order.destination}} on {{order.travel_start}})"},
        token=token)
    check(status == 201, f"the template {name} answered {status}: {body!r}")
status, _, body = call("PUT", "/v1/touchpoint-rules", {
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "rules": [{"code": "guide", "phase": "pre", "offset_hours": -72, "channel": "email", "template": "trip-guide"},
              {"code": "welcome", "phase": "in", "offset_hours": 10, "channel": "email", "template": "trip-guide"}]},
    token=token)
check(status == 200, f"the touchpoint rules answered {status}: {body!r}")

# 30 travellers to Dali with e-mail consent, 10 without; 10 more to Sanya.
orders = {}
for i in range(50):
    consent = {"email": {"granted": True, "purpose": "service"}} if i < 30 or i >= 40 else {}
    status, _, body = call("POST", "/v1/customers", {"email": f"care{i}@example.com", "consents": consent}, token=token)
    check(status == 201, f"a customer answered {status}: {body!r}")
    start = today + datetime.timedelta(days=10 + i % 3)
    status, _, body = call("POST", "/v1/orders", {
        "customer": {"email": f"care{i}@example.com"}, "external_id": f"trip-{i}", "amount_minor": 300000,
        "currency": "CNY", "product": {"name": "Yunnan", "category": "tour"},
        "destination": "Dali" if i < 40 else "Sanya", "ordered_at": datetime.datetime.now(zone).isoformat(),
        "travel_start": start.isoformat(), "travel_end": (start + datetime.timedelta(days=3)).isoformat()},
        token=token, headers={"Idempotency-Key": f"trip-{i}"})
    check(status == 201, f"an order answered {status}: {body!r}")
    orders[i] = json.loads(body)["id"]

status, _, body = call("GET", f"/v1/touchpoints?order_id={orders[0]}", token=token)
touchpoints = {t["rule"]: t for t in json.loads(body)["items"]}
guide_day = (today + datetime.timedelta(days=7)).isoformat()
check(touchpoints["guide"]["due_local"] == f"{guide_day}T08:00", f"the guide is due {touchpoints['guide']}")
check(touchpoints["welcome"]["due_local"] == f"{(today + datetime.timedelta(days=10)).isoformat()}T10:00",
      f"the welcome is due {touchpoints['welcome']}")
status, _, body = call("POST", f"/v1/orders/{orders[45]}/cancel", token=token)
check(status == 200, f"the cancellation answered {status}: {body!r}")
status, _, body = call("GET", f"/v1/touchpoints?order_id={orders[45]}", token=token)
check({t["state"] for t in json.loads(body)["items"]} == {"withdrawn"}, f"after the cancellation: {body!r}")

# Snow at Dali from day 11 to day 12: travellers starting on days 10, 11 and 12 are all there.
starts = datetime.datetime.combine(today + datetime.timedelta(days=11), datetime.time(15), zone)
status, _, body = call("POST", "/v1/risk-alerts", {
    "destination": "dali", "starts_at": starts.isoformat(), "ends_at": (starts + datetime.timedelta(days=1)).isoformat(),
    "severity": "severe", "message": "Snow closes the Cangshan road.", "templates": ["risk-email"]}, token=token)
check(status == 202, f"the alert answered {status}: {body!r}")
alert = json.loads(body)
check(alert["bookings"] == 40, f"the alert found {alert['bookings']} bookings, not 40")
deadline = time.time() + 120
while time.time() < deadline and alert["state"] != "done":
    time.sleep(0.5)
    alert = json.loads(call("GET", f"/v1/risk-alerts/{alert['id']}", token=token)[2])
report = alert["report"]
check(alert["state"] == "done" and report["reached"] == 30 and report["reached_48h"] == 30, f"the report is {alert}")
check(report["unreachable"] == {"no_consent": 10}, f"the unreachable are {report['unreachable']}")
deadline = time.time() + 60
mails = []
while time.time() < deadline:
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
             for path in set(smtp_dir.glob("*.eml")) - mails_before]
    if len(mails) >= 30:
        break
    time.sleep(0.5)
warned = {str(mail["To"]).strip("<>") for mail in mails if str(mail["Subject"]) == "Travel warning"}
check(warned == {f"care{i}@example.com" for i in range(30)}, f"warned {sorted(warned)}")
sample = next(mail for mail in mails if str(mail["Subject"]) == "Travel warning")
check("severe: Snow closes the Cangshan road." in sample.get_content(), f"the text is {sample.get_content()!r}")

# A complaint answered in time.
customer = json.loads(call("GET", f"/v1/orders/{orders[0]}", token=token)[2])["customer_id"]
status, _, body = call("POST", "/v1/complaints", {
    "customer_id": customer, "order_id": orders[0], "channel": "phone", "category": "guide", "severity": "high",
    "summary": "The guide was late."}, token=token)
check(status == 201, f"the complaint answered {status}: {body!r}")
complaint = json.loads(body)
status, _, body = call("PATCH", f"/v1/complaints/{complaint['id']}", {"state": "responded", "note": "Sorry."},
                       token=token)
answered = json.loads(body)
check(status == 200 and answered["first_responded_at"] and not answered["first_response_breached"],
      f"the answer gave {status}: {body!r}")

# A detractor opens a complaint; the figures count the answer.
status, _, body = call("PUT", "/v1/care-settings", {
    "complaint_policies": [], "detractor_complaints": {"enabled": True, "severity": "normal"}}, token=token)
check(status == 200, f"the care settings answered {status}: {body!r}")
status, _, body = call("POST", "/v1/surveys/nps/responses", {
    "customer": {"email": "care1@example.com"}, "order_id": orders[1], "score": 4, "comment": "Cold hotel."},
    token=token)
check(status == 201 and json.loads(body).get("complaint_id"), f"the answer gave {status}: {body!r}")
status, _, body = call("GET", "/v1/insight/nps", token=token)
overall = json.loads(body)["overall"]
check(overall == {"responses": 1, "promoters": 0, "passives": 0, "detractors": 1, "nps": -100.0},
      f"the figures are {overall}")
print(f"care: touchpoints on the tenant's clock, an alert over 40 bookings reached {report['reached']} "
      f"(all 48 h ahead) and named 10 unreachable, a complaint answered in time, a detractor's complaint")
