-- 005 — organizations as tenants: who may act in one, and how members change.
-- Refusals are raised with SQLSTATE class WX (WX404, WX403, WX409, WX400) and a message
-- meant for the client; the application maps them to the HTTP status of the same number.
-- Because the access check runs first in the request's pipelined transaction, a refusal
-- aborts every statement queued behind it: nothing a refused request sent is executed.

ALTER TABLE organizations ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;

-- a deleted organization's subdomain is free again at once (its rows wait for the purge)
DROP INDEX organizations_subdomain_key;
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (lower(subdomain))
    WHERE deleted_at IS NULL;
CREATE INDEX organizations_created_by_idx ON organizations (created_by) WHERE deleted_at IS NULL;

-- The registry of tenants is readable (public subdomain lookup, lists filter by membership);
-- a transaction may change only the organization it acts in. Rows are never deleted by the
-- application: DELETE is a soft delete, `webixctl org purge` removes them as the owner.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_read ON organizations FOR SELECT USING (true);
CREATE POLICY organizations_create ON organizations FOR INSERT
    WITH CHECK (id = (SELECT app_org_id()) AND created_by = (SELECT app_user_id()));
CREATE POLICY organizations_update ON organizations FOR UPDATE
    USING (id = (SELECT app_org_id())) WITH CHECK (id = (SELECT app_org_id()));
-- the owner (webixctl, operators) is not bound by the policies above
CREATE POLICY organizations_owner ON organizations TO CURRENT_USER USING (true) WITH CHECK (true);
REVOKE DELETE ON organizations FROM webix_app;
CREATE POLICY memberships_owner ON memberships TO CURRENT_USER USING (true) WITH CHECK (true);

CREATE FUNCTION app_is_super_admin() RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM users
                   WHERE id = app_user_id() AND role = 'super_admin' AND is_active)
$$;

-- The settings document after a partial update: top-level keys replace, `features` merges.
CREATE FUNCTION org_settings_merge(old jsonb, new jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN new IS NULL THEN old ELSE
        old || (new - 'features') || jsonb_build_object('features',
            coalesce(old -> 'features', '{}'::jsonb) || coalesce(new -> 'features', '{}'::jsonb))
    END
$$;

/*
 * The access check of every organization route. It runs in the transaction whose
 * app.org_id is p_org and whose app.user_id is the caller:
 *   - the organization exists and is not deleted, and on a tenant host (p_tenant <> '')
 *     its subdomain is that tenant — else 404 (never reveal another tenant's objects);
 *   - the caller is an active member, or a super admin — else 404;
 *   - a suspended or inactive organization refuses its data routes (p_data) — 403;
 *   - the member's role grants p_perm (NULL: membership is enough) — else 403.
 * A super admin passes every check; each of their requests in an organization they are
 * not a member of is written to the audit log. Returns the caller's role there.
 */
CREATE FUNCTION app_require_org(p_org uuid, p_tenant text, p_perm text, p_data boolean,
    p_request text, p_ip text, p_ua text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    o_status text;
    o_sub text;
    m_role text;
    super boolean;
BEGIN
    IF p_org IS DISTINCT FROM app_org_id() THEN
        RAISE EXCEPTION 'tenant context does not match the organization checked';
    END IF;
    SELECT status, subdomain INTO o_status, o_sub
        FROM organizations WHERE id = p_org AND deleted_at IS NULL;
    IF NOT FOUND OR (coalesce(p_tenant, '') <> '' AND o_sub <> lower(p_tenant)) THEN
        RAISE EXCEPTION 'Organization not found' USING ERRCODE = 'WX404';
    END IF;
    SELECT role INTO m_role FROM memberships
        WHERE org_id = p_org AND user_id = app_user_id() AND is_active;
    super := app_is_super_admin();
    IF super THEN
        IF m_role IS NULL THEN
            INSERT INTO audit_log (org_id, user_id, action, resource, resource_id, metadata,
                                   ip_address, user_agent)
            VALUES (p_org, app_user_id(), 'super_admin_access', 'organization', p_org::text,
                    jsonb_build_object('request', p_request), p_ip, left(p_ua, 512));
        END IF;
        RETURN 'super_admin';
    END IF;
    IF m_role IS NULL THEN
        RAISE EXCEPTION 'Organization not found' USING ERRCODE = 'WX404';
    END IF;
    IF p_data AND o_status IN ('suspended', 'inactive') THEN
        RAISE EXCEPTION 'Organization is %', o_status USING ERRCODE = 'WX403';
    END IF;
    IF p_perm IS NOT NULL AND NOT (p_perm = ANY (role_permissions(m_role))) THEN
        RAISE EXCEPTION 'Insufficient permissions' USING ERRCODE = 'WX403';
    END IF;
    RETURN m_role;
END
$$;

-- The caller's role in the organization of the transaction ('super_admin' overrides).
CREATE FUNCTION app_org_role() RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN app_is_super_admin() THEN 'super_admin' ELSE
        (SELECT role FROM memberships
         WHERE org_id = app_org_id() AND user_id = app_user_id() AND is_active) END
$$;

/*
 * Member changes, with the rules of spec/README.md §7: only an admin (or a super admin)
 * grants, changes or removes the admin role; the last admin can be neither removed nor
 * demoted. The organization row is locked first so two concurrent changes cannot both
 * see "another admin remains".
 */
-- The caller's role is read again once the lock is held: one who stopped being a member
-- while waiting (removed by a concurrent request) may do nothing — a NULL role would
-- otherwise slip through every "caller NOT IN (…)" test below.
CREATE FUNCTION org_lock_and_role() RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    PERFORM 1 FROM organizations WHERE id = app_org_id() FOR UPDATE;
    r := app_org_role();
    IF r IS NULL THEN
        RAISE EXCEPTION 'Organization not found' USING ERRCODE = 'WX404';
    END IF;
    RETURN r;
END
$$;

CREATE FUNCTION member_add(p_email text, p_role text) RETURNS memberships
    LANGUAGE plpgsql AS $$
DECLARE
    caller text := org_lock_and_role();
    target uuid;
    m memberships;
BEGIN
    IF p_role = 'admin' AND caller NOT IN ('admin', 'super_admin') THEN
        RAISE EXCEPTION 'Only an admin can grant the admin role' USING ERRCODE = 'WX403';
    END IF;
    SELECT id INTO target FROM users WHERE email = p_email AND is_active;
    IF NOT FOUND THEN
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

CREATE FUNCTION member_set_role(p_user uuid, p_role text) RETURNS memberships
    LANGUAGE plpgsql AS $$
DECLARE
    caller text := org_lock_and_role();
    m memberships;
BEGIN
    SELECT * INTO m FROM memberships WHERE org_id = app_org_id() AND user_id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'User is not in this organization' USING ERRCODE = 'WX404';
    END IF;
    IF (p_role = 'admin' OR m.role = 'admin') AND caller NOT IN ('admin', 'super_admin') THEN
        RAISE EXCEPTION 'Only an admin can grant or change the admin role'
            USING ERRCODE = 'WX403';
    END IF;
    IF m.role = 'admin' AND p_role <> 'admin' AND NOT EXISTS (
        SELECT 1 FROM memberships WHERE org_id = app_org_id() AND role = 'admin'
            AND is_active AND user_id <> p_user) THEN
        RAISE EXCEPTION 'The last admin of an organization cannot be demoted'
            USING ERRCODE = 'WX409';
    END IF;
    UPDATE memberships SET role = p_role WHERE org_id = app_org_id() AND user_id = p_user
        RETURNING * INTO m;
    RETURN m;
END
$$;

-- Removes p_user; a member may always remove themselves (leave), anyone else needs the
-- user:delete permission (checked here, since leaving needs none). Returns the old role.
CREATE FUNCTION member_remove(p_user uuid) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    caller text := org_lock_and_role();
    old text;
BEGIN
    IF p_user <> app_user_id() AND caller <> 'super_admin' AND NOT ('user:delete' = ANY (
        role_permissions(caller))) THEN
        RAISE EXCEPTION 'Insufficient permissions' USING ERRCODE = 'WX403';
    END IF;
    SELECT role INTO old FROM memberships WHERE org_id = app_org_id() AND user_id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'User is not in this organization' USING ERRCODE = 'WX404';
    END IF;
    IF old = 'admin' AND p_user <> app_user_id() AND caller NOT IN ('admin', 'super_admin') THEN
        RAISE EXCEPTION 'Only an admin can remove an admin' USING ERRCODE = 'WX403';
    END IF;
    IF old = 'admin' AND NOT EXISTS (
        SELECT 1 FROM memberships WHERE org_id = app_org_id() AND role = 'admin'
            AND is_active AND user_id <> p_user) THEN
        RAISE EXCEPTION 'The last admin of an organization cannot be removed'
            USING ERRCODE = 'WX409';
    END IF;
    DELETE FROM memberships WHERE org_id = app_org_id() AND user_id = p_user;
    RETURN old;
END
$$;

-- A membership with its user expanded (the member list of the original API).
CREATE FUNCTION member_view(m memberships, u users) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT membership_view(m, NULL) || jsonb_build_object('userId', jsonb_strip_nulls(
        jsonb_build_object('_id', u.id, 'displayName', u.display_name, 'email', u.email,
            'photoURL', u.photo_url, 'role', u.role, 'isActive', u.is_active)))
$$;


-- {page, limit, total, pages} of a paginated answer (spec/README.md §3)
CREATE FUNCTION page_info(p_total bigint, p_page bigint, p_limit bigint) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('page', p_page, 'limit', p_limit, 'total', p_total,
        'pages', ceil(p_total::numeric / p_limit)::bigint)
$$;

-- An audit row in the organization and by the user of the transaction, from inside a
-- statement (so an id the statement creates can be recorded in the same round trip).
CREATE FUNCTION audit_write(p_action text, p_resource text, p_resource_id text,
    p_meta jsonb, p_ip text, p_ua text) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO audit_log (org_id, user_id, action, resource, resource_id, metadata,
                           ip_address, user_agent)
    VALUES (app_org_id(), app_user_id(), p_action, p_resource, p_resource_id, p_meta, p_ip,
            left(p_ua, 512))
$$;

-- A user may create at most p_max organizations (not deleted); super admins any number.
-- Serialised per user so two concurrent creates cannot both pass at the limit.
CREATE FUNCTION org_check_create_limit(p_max int) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF app_is_super_admin() THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('webix:org-create:' || app_user_id()::text));
    IF (SELECT count(*) FROM organizations
        WHERE created_by = app_user_id() AND deleted_at IS NULL) >= p_max THEN
        RAISE EXCEPTION 'You have reached the limit of % organizations', p_max
            USING ERRCODE = 'WX409';
    END IF;
END
$$;

-- The status an update may move an organization to (only a super admin calls this path):
-- pending → active | suspended | inactive; active ⇄ suspended; any → inactive; inactive →
-- active. Nothing returns to pending.
CREATE FUNCTION org_next_status(p_old text, p_new text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_new IS NULL OR p_new = p_old THEN
        RETURN p_old;
    END IF;
    IF p_new = 'pending' THEN
        RAISE EXCEPTION 'An organization cannot return to pending (it is %)', p_old
            USING ERRCODE = 'WX409';
    END IF;
    RETURN p_new;
END
$$;

GRANT EXECUTE ON FUNCTION page_info(bigint, bigint, bigint),
    audit_write(text, text, text, jsonb, text, text), org_check_create_limit(int),
    org_next_status(text, text) TO webix_app;
GRANT EXECUTE ON FUNCTION app_is_super_admin(), org_settings_merge(jsonb, jsonb),
    app_require_org(uuid, text, text, boolean, text, text, text), app_org_role(),
    org_lock_and_role(), member_add(text, text), member_set_role(uuid, text),
    member_remove(uuid), member_view(memberships, users) TO webix_app;
