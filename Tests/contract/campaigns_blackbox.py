#!/usr/bin/env python3
"""A win-back campaign seen from outside, against a running server with a real SMTP server
(Tests/support/smtp_server.py writing to SMTP_DIR). 1,000 lapsed customers with consent and 50
without are created, their trips imported; a campaign holding out 10% is previewed and launched; the treated (and only
they) receive the e-mail; 30% of the treated and 10% of the hold-out (by the CSV export's groups)
order again; the results show exactly those counts and rates, and the uplift's 95% interval is the
one statsmodels computes for the difference of two independent proportions (Wald).
Usage: campaigns_blackbox.py URL SMTP_DIR."""
import csv
import datetime
import email
import email.policy
import io
import json
import sys
import time
from pathlib import Path

from blackbox import checker, client, sign_up
from statsmodels.stats.proportion import confint_proportions_2indep

url, smtp_dir = sys.argv[1], Path(sys.argv[2])
call = client(url)
check = checker("campaigns")


def ndjson(lines):
    return "\n".join(json.dumps(line) for line in lines).encode()


mails_before = set(smtp_dir.glob("*.eml"))
token = sign_up(call, check, "winback")
status, _, _ = call("PUT", "/v1/message-templates/back", {
    "channel": "email", "purpose": "marketing", "subject": "{{customer.first_name}}, {{trip.destination}} misses you",
    "body": "Remember {{trip.destination}} ({{trip.start}})? {{gift}} is yours when you come back."}, token=token)
check(status == 201, f"the template answered {status}")

count, unconsenting = 1000, 50
address = {i: f"traveller{i}@example.com" for i in range(count + unconsenting)}
# Consents are not imported: the consenting customers are created one by one with theirs, the others
# imported.
for i in range(count):
    status, _, body = call("POST", "/v1/customers", {
        "email": address[i], "name": f"Traveller{i} Li",
        "consents": {"email": {"granted": True, "purpose": "marketing"}}}, token=token)
    check(status == 201, f"creating a customer answered {status}: {body!r}")
customers = [{"email": address[i], "name": f"Traveller{i} Li"} for i in range(count, count + unconsenting)]
status, _, body = call("POST", "/v1/imports?kind=customers", raw=ndjson(customers), token=token,
                       content_type="application/octet-stream")
check(status == 201 and json.loads(body)["customers_created"] == unconsenting,
      f"the customer import answered {status}: {body[:300]!r}")
long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=120)
orders = [{"customer": {"email": address[i]}, "external_id": f"old-{i}", "amount_minor": 40000, "currency": "CNY",
           "product": {"name": "Lijiang 4 days", "category": "tour"}, "destination": "Lijiang",
           "ordered_at": long_ago.isoformat(timespec="seconds"), "travel_start": long_ago.date().isoformat()}
          for i in address]
status, _, body = call("POST", "/v1/imports?kind=orders", raw=ndjson(orders), token=token,
                       content_type="application/octet-stream")
check(status == 201 and json.loads(body)["orders_created"] == count + unconsenting,
      f"the order import answered {status}: {body[:300]!r}")

status, _, body = call("POST", "/v1/campaigns", {
    "name": "Back to Lijiang", "audience": {"lapsed_days_min": 90, "lapsed_days_max": 365},
    "offer": {"gift": "A free airport pick-up"}, "channel": "email", "template": "back",
    "holdout_percent": 10, "attribution_days": 30}, token=token)
check(status == 201, f"creating the campaign answered {status}: {body!r}")
campaign = json.loads(body)["id"]
status, _, body = call("POST", f"/v1/campaigns/{campaign}/preview", token=token)
preview = json.loads(body)
check(preview["audience"] == count and preview["excluded"]["no_consent"] == unconsenting, f"the preview is {preview}")
status, _, body = call("POST", f"/v1/campaigns/{campaign}/launch", token=token)
check(status == 200 and json.loads(body)["state"] == "running", f"the launch answered {status}: {body!r}")
status, _, _ = call("POST", f"/v1/campaigns/{campaign}/launch", token=token)
check(status == 200, f"a second launch answered {status}")

status, headers, body = call("GET", f"/v1/campaigns/{campaign}/recipients.csv", token=token)
check(status == 200 and headers.get("content-type", "").startswith("text/csv"), f"the export answered {status}")
rows = list(csv.DictReader(io.StringIO(body.decode())))
check(len(rows) == count, f"the export has {len(rows)} recipients")
treated = [row["customer_id"] for row in rows if row["group"] == "treated"]
holdout = [row["customer_id"] for row in rows if row["group"] == "holdout"]
check(0 < len(holdout) < len(treated), f"{len(treated)} treated, {len(holdout)} held out")

# The treated, and only they, receive the e-mail.
deadline = time.time() + 120
results = {}
while time.time() < deadline:
    status, _, body = call("GET", f"/v1/campaigns/{campaign}/results", token=token)
    results = json.loads(body)
    if results["treated"]["sent"] >= len(treated):
        break
    time.sleep(0.5)
check(results["treated"]["sent"] == len(treated) and results["holdout"]["sent"] == 0, f"the results are {results}")
mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
         for path in set(smtp_dir.glob("*.eml")) - mails_before]
recipients = {str(mail["To"]).strip("<>") for mail in mails}
check(len(mails) == len(treated), f"{len(mails)} e-mails arrived for {len(treated)} treated")
check(all(address[i] not in recipients for i in range(count, count + unconsenting)), "one without consent got mail")
sample = mails[0]
check("Lijiang misses you" in str(sample["Subject"]), f"the subject is {sample['Subject']!r}")
check("A free airport pick-up is yours" in sample.get_content(), f"the text is {sample.get_content()!r}")

# 30% of the treated and 10% of the hold-out order again.
buyers = treated[:len(treated) * 3 // 10] + holdout[:len(holdout) // 10]
now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
for index, customer in enumerate(buyers):
    status, _, body = call("POST", "/v1/orders", {
        "customer": {"id": customer}, "external_id": f"back-{index}", "amount_minor": 47200, "currency": "CNY",
        "product": {"name": "Lijiang 4 days", "category": "tour"}, "ordered_at": now},
        token=token, headers={"Idempotency-Key": f"back-{index}"})
    check(status == 201, f"an order answered {status}: {body!r}")

status, _, body = call("GET", f"/v1/campaigns/{campaign}/results", token=token)
results = json.loads(body)
t, h = results["treated"], results["holdout"]
t_buyers, h_buyers = len(treated) * 3 // 10, len(holdout) // 10
check(t["recipients"] == len(treated) and h["recipients"] == len(holdout), f"the recipients are {results}")
check(t["recovered"] == t_buyers and h["recovered"] == h_buyers, f"the recoveries are {results}")
check(t["rate"] == t_buyers / len(treated) and h["rate"] == h_buyers / len(holdout), f"the rates are {results}")
check(t["revenue_minor"] == t_buyers * 47200, f"the revenue is {t['revenue_minor']}")
low, high = confint_proportions_2indep(t_buyers, len(treated), h_buyers, len(holdout), method="wald",
                                       compare="diff", alpha=0.05)
uplift = results["uplift"]
check(abs(uplift["value"] - (t["rate"] - h["rate"])) < 1e-12, f"the uplift is {uplift}")
check(abs(uplift["lower"] - low) < 1e-9 and abs(uplift["upper"] - high) < 1e-9,
      f"the interval is [{uplift['lower']}, {uplift['upper']}], statsmodels says [{low}, {high}]")
print(f"campaigns: {len(treated)} treated mailed, {len(holdout)} held out; uplift {uplift['value']:.4f} "
      f"[{uplift['lower']:.4f}, {uplift['upper']:.4f}] agrees with statsmodels")
