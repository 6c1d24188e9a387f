-- Message templates, per tenant: Mustache text for a channel and a purpose (marketing messages need
-- the customer's marketing consent; service messages, about a booking, need no opt-in but respect
-- an opt-out). The subject is for e-mail only.
CREATE TABLE message_templates (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,59}$'),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'wechat')),
    purpose     text NOT NULL CHECK (purpose IN ('marketing', 'service')),
    subject     text CHECK (length(subject) <= 200),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((channel = 'email') = (subject IS NOT NULL))
);
