-- 004 — the JSON shapes of the original API, built in one place. Unset optional fields
-- are omitted (jsonb_strip_nulls), secrets never appear.

CREATE FUNCTION user_auth_view(u users) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        '_id', u.id, 'email', u.email, 'displayName', u.display_name,
        'photoURL', u.photo_url, 'role', u.role, 'isActive', u.is_active,
        'twoFactorEnabled', u.two_factor_enabled,
        'emailVerified', u.email_verified_at IS NOT NULL,
        'lastLoginAt', iso_time(u.last_login_at),
        'createdAt', iso_time(u.created_at), 'updatedAt', iso_time(u.updated_at)))
$$;

CREATE FUNCTION org_view(o organizations) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        '_id', o.id, 'name', o.name, 'subdomain', o.subdomain, 'domain', o.domain,
        'status', o.status, 'settings', o.settings,
        'subscription', jsonb_build_object('plan', o.plan, 'isActive', o.plan_active,
            'startDate', iso_time(o.plan_start), 'endDate', iso_time(o.plan_end)),
        'createdAt', iso_time(o.created_at), 'updatedAt', iso_time(o.updated_at)))
$$;

-- the permission set of a membership role (original-api.md §2.5)
CREATE FUNCTION role_permissions(role text) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE role
        WHEN 'admin' THEN ARRAY['org:read','org:write','org:delete','user:read','user:write',
            'user:delete','content:read','content:write','content:delete','analytics:read',
            'reports:read','reports:write','payments:read','payments:write']
        WHEN 'moderator' THEN ARRAY['org:read','user:read','user:write','content:read',
            'content:write','content:delete','analytics:read','reports:read']
        WHEN 'user' THEN ARRAY['org:read','content:read','content:write','analytics:read']
        WHEN 'viewer' THEN ARRAY['org:read','content:read','analytics:read']
        ELSE ARRAY[]::text[] END
$$;

CREATE FUNCTION membership_view(m memberships, org jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        '_id', m.id, 'userId', m.user_id, 'organizationId', coalesce(org, to_jsonb(m.org_id)),
        'role', m.role, 'permissions', to_jsonb(role_permissions(m.role)),
        'isActive', m.is_active, 'joinedAt', iso_time(m.joined_at),
        'createdAt', iso_time(m.created_at), 'updatedAt', iso_time(m.updated_at))
$$;

GRANT EXECUTE ON FUNCTION user_auth_view(users), org_view(organizations),
    role_permissions(text), membership_view(memberships, jsonb) TO webix_app;
