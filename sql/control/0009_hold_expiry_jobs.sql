-- A seat offered from a waiting list is held for hours: the transaction that offers it queues the
-- job that passes it on when the hold runs out (`community.expire_holds`, due at the hold's end), as
-- deliveries and messages are queued by the tenant's own transaction.
ALTER POLICY jobs_tenant_queues_deliveries ON itinera.jobs
    WITH CHECK (kind IN ('webhook.deliver', 'message.send', 'community.expire_holds')
                AND state IN ('waiting', 'queued')
                AND tenant_id = itinera.tenant_of_role(current_user::text));
