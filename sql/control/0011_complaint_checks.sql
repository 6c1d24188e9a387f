-- A complaint's transaction queues the check of its service level for each due time
-- (`care.sla_check`), as deliveries, messages and campaign runs are queued.
ALTER POLICY jobs_tenant_queues_deliveries ON itinera.jobs
    WITH CHECK (kind IN ('webhook.deliver', 'message.send', 'community.expire_holds', 'campaign.send', 'campaign.run',
                         'care.sla_check')
                AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));
