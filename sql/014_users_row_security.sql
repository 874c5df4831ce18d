-- 014 — row-level security on the account tables, which had none: users, sessions and
-- account_tokens; and account emails in the outbox. On users a transaction now sees:
--   * its own account (app.user_id);
--   * the accounts of the members of the organization it acts in (through memberships,
--     whose own policy shows only that organization's rows), read-only;
--   * every account only in the account flows, which set app.accounts = 'on' for their
--     transaction alone: log in, refresh, one-time tokens (verify, reset), forgot password,
--     and the list of deactivated accounts pushed to Redis (fcgi-app/auth.c, authn.c;
--     lib/db.c db_begin_accounts).
-- On sessions and account_tokens: its own user's rows, and every row in the account flows.
-- A handler that forgets a WHERE can then no longer read the accounts (emails, password
-- hashes), sessions or tokens of other tenants' users; tests/e2e/e2e_orgs.c probes it.

CREATE FUNCTION app_accounts() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.accounts', true), '') = 'on' $$;
GRANT EXECUTE ON FUNCTION app_accounts() TO webix_app;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_accounts ON users
    USING ((SELECT app_accounts())) WITH CHECK ((SELECT app_accounts()));
CREATE POLICY users_self ON users
    USING (id = (SELECT app_user_id())) WITH CHECK (id = (SELECT app_user_id()));
CREATE POLICY users_members ON users FOR SELECT
    USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));
CREATE POLICY users_owner ON users TO CURRENT_USER USING (true) WITH CHECK (true);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_own ON sessions
    USING (user_id = (SELECT app_user_id()) OR (SELECT app_accounts()))
    WITH CHECK (user_id = (SELECT app_user_id()) OR (SELECT app_accounts()));
CREATE POLICY sessions_owner ON sessions TO CURRENT_USER USING (true) WITH CHECK (true);

ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY account_tokens_own ON account_tokens
    USING (user_id = (SELECT app_user_id()) OR (SELECT app_accounts()))
    WITH CHECK (user_id = (SELECT app_user_id()) OR (SELECT app_accounts()));
CREATE POLICY account_tokens_owner ON account_tokens TO CURRENT_USER
    USING (true) WITH CHECK (true);

-- Account emails (outbox rows without an organization) carry verification and reset links:
-- only the account flows read them (003 let every transaction read them). Registration
-- queues one in the new account's own context. Organization rows still follow the tenant.
DROP POLICY outbox_tenant ON outbox;
CREATE POLICY outbox_tenant ON outbox
    USING (org_id = (SELECT app_org_id()) OR (org_id IS NULL AND (SELECT app_accounts())))
    WITH CHECK (org_id = (SELECT app_org_id()) OR (org_id IS NULL AND
        ((SELECT app_accounts()) OR (SELECT app_user_id()) IS NOT NULL)));
CREATE POLICY outbox_owner ON outbox TO CURRENT_USER USING (true) WITH CHECK (true);

-- Adding a member names any active account by its email, member or not yet: this one
-- lookup reads past the policies (as the owner), and returns only the id.
CREATE FUNCTION user_id_by_email(p_email text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM users WHERE email = p_email AND is_active
$$;
REVOKE ALL ON FUNCTION user_id_by_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_id_by_email(text) TO webix_app;

-- 005's member_add, with the lookup above (the rest unchanged).
CREATE OR REPLACE FUNCTION member_add(p_email text, p_role text) RETURNS memberships
    LANGUAGE plpgsql AS $$
DECLARE
    caller text := org_lock_and_role();
    target uuid;
    m memberships;
BEGIN
    IF p_role = 'admin' AND caller NOT IN ('admin', 'super_admin') THEN
        RAISE EXCEPTION 'Only an admin can grant the admin role' USING ERRCODE = 'WX403';
    END IF;
    target := user_id_by_email(p_email);
    IF target IS NULL THEN
        RAISE EXCEPTION 'User not found' USING ERRCODE = 'WX404';
    END IF;
    INSERT INTO memberships (org_id, user_id, role) VALUES (app_org_id(), target, p_role)
        ON CONFLICT (org_id, user_id) DO NOTHING RETURNING * INTO m;
    IF m.id IS NULL THEN
        RAISE EXCEPTION 'User is already in this organization' USING ERRCODE = 'WX409';
    END IF;
    RETURN m;
END
$$;

-- 006's creator_view as the owner: a webtoon still names its creator after they left the
-- organization (the original's populate did). It returns only {_id, displayName, email}.
CREATE OR REPLACE FUNCTION creator_view(p_user uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object('_id', u.id, 'displayName', u.display_name, 'email', u.email)
    FROM users u WHERE u.id = p_user
$$;
