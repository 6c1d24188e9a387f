-- An order's transaction queues the sending of its trip's touchpoints at their due times
-- (`care.touchpoints`), and a risk alert the notification of its travellers (`care.risk_alert`).
ALTER POLICY jobs_tenant_queues_deliveries ON itinera.jobs
    WITH CHECK (kind IN ('webhook.deliver', 'message.send', 'community.expire_holds', 'campaign.send', 'campaign.run',
                         'care.sla_check', 'care.touchpoints', 'care.risk_alert')
                AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));
-- The touchpoints' jobs are queued once per due time (`ON CONFLICT … DO NOTHING` on the queued
-- jobs' key), which needs the key's columns readable, and the new row visible to the role that
-- inserts it: a tenant role sees these four columns of its own tenant's jobs, nothing else.
GRANT SELECT (tenant_id, kind, dedupe_key, state) ON itinera.jobs TO PUBLIC;
CREATE POLICY jobs_tenant_sees_own_keys ON itinera.jobs FOR SELECT TO PUBLIC
    USING (tenant_id = itinera.tenant_of_role(current_user::text));
