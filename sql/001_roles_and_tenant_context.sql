-- 001 — the application role's rights and the tenant-context helpers every policy uses.
-- The application role `webix_app` is created by the installer (it needs a password or a
-- peer mapping, which a migration cannot know): see docs/operations.md.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webix_app') THEN
        RAISE EXCEPTION 'the application role webix_app does not exist: create it first with '
            'CREATE ROLE webix_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ''…'' (docs/operations.md)';
    END IF;
    IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'webix_app') THEN
        RAISE EXCEPTION 'webix_app must not be a superuser nor have BYPASSRLS';
    END IF;
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO webix_app;

-- The organization and user of the current transaction, set with
-- set_config('app.org_id', …, true). After COMMIT the setting reads '' (not NULL), hence NULLIF.
-- STABLE so the planner evaluates it once and can use (org_id, …) indexes.
CREATE FUNCTION app_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

CREATE FUNCTION app_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

GRANT EXECUTE ON FUNCTION app_org_id(), app_user_id() TO webix_app;

-- keeps updated_at current on every UPDATE
CREATE FUNCTION touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

-- ISO 8601 UTC with milliseconds, as the original API wrote times: 2025-01-31T12:34:56.789Z
CREATE FUNCTION iso_time(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
GRANT EXECUTE ON FUNCTION iso_time(timestamptz) TO webix_app;
