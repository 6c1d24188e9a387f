-- The waiting list's voucher: an event with `hold_hours` offers a freed seat to the first waiting,
-- who confirms within that many hours (`offered` until `hold_until`) or the seat passes to the next.
-- An offered registration holds its seat (it is counted in `registered_count`).
ALTER TABLE community_events
    ADD COLUMN hold_hours integer CHECK (hold_hours BETWEEN 1 AND 168);
ALTER TABLE event_registrations
    DROP CONSTRAINT event_registrations_state_check,
    ADD CONSTRAINT event_registrations_state_check
        CHECK (state IN ('registered', 'offered', 'waitlisted', 'cancelled')),
    ADD COLUMN hold_until timestamptz,
    ADD COLUMN cancelled_reason text CHECK (length(cancelled_reason) <= 200),
    ADD CONSTRAINT event_registrations_hold_check CHECK ((state = 'offered') = (hold_until IS NOT NULL));
CREATE INDEX event_registrations_hold_idx ON event_registrations (hold_until) WHERE state = 'offered';
