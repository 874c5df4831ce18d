-- 003 — one-time account tokens (email verification, password reset) and the outbox of
-- work to do after a commit (emails now; SMS and webhooks later).

CREATE TABLE account_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX account_tokens_hash_key ON account_tokens (token_hash);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Transactional outbox: written in the same transaction as the change it follows.
-- Workers claim rows with FOR UPDATE SKIP LOCKED; Redis only carries ids as a fast queue.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid REFERENCES organizations (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('email', 'sms', 'webhook')),
    template        text NOT NULL,
    recipient       text NOT NULL,
    locale          text NOT NULL DEFAULT 'en',
    payload         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'sent', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status IN ('pending', 'processing');

GRANT SELECT, INSERT, UPDATE ON account_tokens TO webix_app;
-- the API only adds to the outbox; the workers (same role for now) update status
GRANT SELECT, INSERT, UPDATE ON outbox TO webix_app;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
-- account emails have no organization; organization rows follow the tenant context
CREATE POLICY outbox_tenant ON outbox
    USING (org_id IS NULL OR org_id = (SELECT app_org_id()))
    WITH CHECK (org_id IS NULL OR org_id = (SELECT app_org_id()));
