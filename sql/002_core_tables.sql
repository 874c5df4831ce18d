-- 002 — core tables: organizations, users, memberships, sessions, audit log.
-- Tenant tables (those with org_id) have row-level security ENABLEd and FORCEd.

CREATE TABLE organizations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    subdomain    text NOT NULL CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{1,28})[a-z0-9]$'),
    domain       text,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'active', 'inactive', 'suspended')),
    settings     jsonb NOT NULL DEFAULT '{"theme":"light","language":"mn","timezone":"Asia/Ulaanbaatar","features":{"webtoons":true,"analytics":true,"payments":true,"notifications":true}}',
    plan         text NOT NULL DEFAULT 'free'
                 CHECK (plan IN ('free', 'basic', 'professional', 'enterprise')),
    plan_active  boolean NOT NULL DEFAULT true,
    plan_start   timestamptz,
    plan_end     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (lower(subdomain));
CREATE INDEX organizations_created_idx ON organizations (created_at DESC);
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE users (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email              text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    password_hash      text NOT NULL,
    display_name       text NOT NULL,
    photo_url          text,
    role               text NOT NULL DEFAULT 'org_user'
                       CHECK (role IN ('super_admin', 'org_admin', 'org_moderator', 'org_user', 'viewer')),
    is_active          boolean NOT NULL DEFAULT true,
    two_factor_enabled boolean NOT NULL DEFAULT false,
    email_verified_at  timestamptz,
    last_login_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE memberships (
    id         uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin', 'moderator', 'user', 'viewer')),
    is_active  boolean NOT NULL DEFAULT true,
    joined_at  timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX memberships_org_role_idx ON memberships (org_id, role);
CREATE TRIGGER memberships_touch BEFORE UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE sessions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash       text NOT NULL,
    prev_refresh_hash  text,
    rotated_at         timestamptz,
    expires_at         timestamptz NOT NULL,
    ip_address         text,
    user_agent         text,
    revoked_at         timestamptz,
    revoke_reason      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sessions_refresh_key ON sessions (refresh_hash);
CREATE INDEX sessions_prev_refresh_idx ON sessions (prev_refresh_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE TRIGGER sessions_touch BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE audit_log (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES organizations (id) ON DELETE SET NULL,
    user_id     uuid,
    action      text NOT NULL,
    resource    text NOT NULL,
    resource_id text NOT NULL,
    metadata    jsonb,
    ip_address  text,
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, created_at DESC);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, created_at DESC);

-- Row-level security: a transaction sees the rows of the organization it acts in.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
-- a user also sees their own memberships (profile, organization list)
CREATE POLICY memberships_tenant ON memberships
    USING (org_id = (SELECT app_org_id()) OR user_id = (SELECT app_user_id()))
    WITH CHECK (org_id = (SELECT app_org_id()));

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
    USING (org_id = (SELECT app_org_id()));
-- the schema owner (operators, reports) reads every row, account events included
CREATE POLICY audit_log_owner_read ON audit_log FOR SELECT TO CURRENT_USER USING (true);
-- account events (register, login) have no organization
CREATE POLICY audit_log_write ON audit_log FOR INSERT
    WITH CHECK (org_id IS NULL OR org_id = (SELECT app_org_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, memberships, sessions TO webix_app;
-- the audit log is append-only for the application
GRANT SELECT, INSERT ON audit_log TO webix_app;
