-- A campaign's own transactions queue its work: the send to the treated (`campaign.send`, by the
-- launch, a resume or a rerun) and its next run (`campaign.run`: a scheduled start, a recurring
-- rerun, or the completion when the attribution window ends), as deliveries and messages are queued.
ALTER POLICY jobs_tenant_queues_deliveries ON itinera.jobs
    WITH CHECK (kind IN ('webhook.deliver', 'message.send', 'community.expire_holds', 'campaign.send', 'campaign.run')
                AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));
