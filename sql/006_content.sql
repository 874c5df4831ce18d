-- 006 — content: webtoons, their episodes, and the analytics rows that count views.
-- Every table carries org_id with row-level security forced; an episode's (webtoon_id,
-- org_id) references its webtoon's, so an episode can never sit in another tenant.

CREATE TABLE webtoons (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   text CHECK (length(description) <= 1000),
    cover_image   text CHECK (length(cover_image) <= 2048),
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    tags          text[] NOT NULL DEFAULT '{}',
    categories    text[] NOT NULL DEFAULT '{}',
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at  timestamptz,
    view_count    bigint NOT NULL DEFAULT 0,
    episode_count integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, org_id)
);
CREATE INDEX webtoons_org_created_idx ON webtoons (org_id, created_at DESC, id);
CREATE INDEX webtoons_org_status_idx ON webtoons (org_id, status, published_at DESC);
CREATE INDEX webtoons_tags_idx ON webtoons USING gin (tags);
-- updatedAt follows the content, not the counters a read or an episode moves
CREATE FUNCTION touch_content_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'view_count' - 'episode_count' - 'like_count' - 'updated_at')
       IS DISTINCT FROM
       (to_jsonb(OLD) - 'view_count' - 'episode_count' - 'like_count' - 'updated_at') THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER webtoons_touch BEFORE UPDATE ON webtoons
    FOR EACH ROW EXECUTE FUNCTION touch_content_updated_at();

CREATE TABLE episodes (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL,
    webtoon_id     uuid NOT NULL,
    episode_number integer NOT NULL CHECK (episode_number >= 1),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description    text,
    content        text,
    images         text[] NOT NULL DEFAULT '{}',
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at   timestamptz,
    view_count     bigint NOT NULL DEFAULT 0,
    like_count     bigint NOT NULL DEFAULT 0,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (webtoon_id, org_id) REFERENCES webtoons (id, org_id) ON DELETE CASCADE,
    CONSTRAINT episodes_number_key UNIQUE (webtoon_id, episode_number)
);
CREATE INDEX episodes_webtoon_status_idx ON episodes (webtoon_id, status, episode_number);
CREATE INDEX episodes_org_idx ON episodes (org_id);
CREATE TRIGGER episodes_touch BEFORE UPDATE ON episodes
    FOR EACH ROW EXECUTE FUNCTION touch_content_updated_at();

-- episodeCount stays exact: every insert and delete of an episode adjusts its webtoon
CREATE FUNCTION episodes_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE webtoons SET episode_count = episode_count + 1 WHERE id = NEW.webtoon_id;
    ELSE
        UPDATE webtoons SET episode_count = episode_count - 1 WHERE id = OLD.webtoon_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER episodes_count AFTER INSERT OR DELETE ON episodes
    FOR EACH ROW EXECUTE FUNCTION episodes_count();

-- publishedAt is set when content first becomes published, and kept after that
CREATE FUNCTION content_published_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
        NEW.published_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER webtoons_published_at BEFORE INSERT OR UPDATE ON webtoons
    FOR EACH ROW EXECUTE FUNCTION content_published_at();
CREATE TRIGGER episodes_published_at BEFORE INSERT OR UPDATE ON episodes
    FOR EACH ROW EXECUTE FUNCTION content_published_at();

-- Metrics (original-api.md §3.7). Views carry the webtoon and the episode (D22); a
-- deleted webtoon's rows stay (no foreign key on webtoon_id / episode_id).
CREATE TABLE analytics (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id      uuid,
    webtoon_id   uuid,
    episode_id   uuid,
    metric_type  text NOT NULL CHECK (metric_type IN ('user_activity', 'content_views',
                 'organization_growth', 'revenue', 'system_performance', 'webtoon_views',
                 'episode_views', 'user_registration', 'login_attempts')),
    metric_value numeric NOT NULL,
    metadata     jsonb,
    date         timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_org_metric_idx ON analytics (org_id, metric_type, date DESC);
CREATE INDEX analytics_webtoon_idx ON analytics (webtoon_id, metric_type, date DESC);
CREATE INDEX analytics_user_idx ON analytics (user_id, metric_type, date DESC);

ALTER TABLE webtoons ENABLE ROW LEVEL SECURITY;
ALTER TABLE webtoons FORCE ROW LEVEL SECURITY;
CREATE POLICY webtoons_tenant ON webtoons
    USING (org_id = (SELECT app_org_id())) WITH CHECK (org_id = (SELECT app_org_id()));
CREATE POLICY webtoons_owner ON webtoons TO CURRENT_USER USING (true) WITH CHECK (true);
ALTER TABLE episodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE episodes FORCE ROW LEVEL SECURITY;
CREATE POLICY episodes_tenant ON episodes
    USING (org_id = (SELECT app_org_id())) WITH CHECK (org_id = (SELECT app_org_id()));
CREATE POLICY episodes_owner ON episodes TO CURRENT_USER USING (true) WITH CHECK (true);
ALTER TABLE analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics FORCE ROW LEVEL SECURITY;
CREATE POLICY analytics_tenant ON analytics
    USING (org_id = (SELECT app_org_id())) WITH CHECK (org_id = (SELECT app_org_id()));
CREATE POLICY analytics_owner ON analytics TO CURRENT_USER USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON webtoons, episodes TO webix_app;
GRANT SELECT, INSERT ON analytics TO webix_app;

-- {_id, displayName, email} of a creator (the original's populate), NULL when gone
CREATE FUNCTION creator_view(p_user uuid) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('_id', u.id, 'displayName', u.display_name, 'email', u.email)
    FROM users u WHERE u.id = p_user
$$;

-- The JSON of a webtoon; p_expand adds the creator's object in place of the id,
-- p_public leaves out what readers need not see (creator, the moving view counter).
CREATE FUNCTION webtoon_view(w webtoons, p_expand boolean, p_public boolean) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        '_id', w.id, 'organizationId', w.org_id, 'title', w.title,
        'description', w.description, 'coverImage', w.cover_image, 'status', w.status,
        'tags', to_jsonb(w.tags), 'categories', to_jsonb(w.categories),
        'createdBy', CASE WHEN p_public THEN NULL WHEN p_expand
                     THEN coalesce(creator_view(w.created_by), to_jsonb(w.created_by))
                     ELSE to_jsonb(w.created_by) END,
        'publishedAt', iso_time(w.published_at),
        'viewCount', CASE WHEN p_public THEN NULL ELSE w.view_count END,
        'episodeCount', w.episode_count,
        'createdAt', iso_time(w.created_at), 'updatedAt', iso_time(w.updated_at)))
$$;

CREATE FUNCTION episode_view(e episodes, p_expand boolean, p_public boolean) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        '_id', e.id, 'webtoonId', e.webtoon_id, 'organizationId', e.org_id,
        'episodeNumber', e.episode_number, 'title', e.title, 'description', e.description,
        'content', e.content, 'images', to_jsonb(e.images), 'status', e.status,
        'createdBy', CASE WHEN p_public THEN NULL WHEN p_expand
                     THEN coalesce(creator_view(e.created_by), to_jsonb(e.created_by))
                     ELSE to_jsonb(e.created_by) END,
        'publishedAt', iso_time(e.published_at),
        'viewCount', CASE WHEN p_public THEN NULL ELSE e.view_count END,
        'likeCount', e.like_count,
        'createdAt', iso_time(e.created_at), 'updatedAt', iso_time(e.updated_at)))
$$;

-- Public reading on <subdomain>.<base domain>: the transaction enters the organization of
-- the host (active, not deleted) so row-level security scopes what follows; else 404.
CREATE FUNCTION app_enter_tenant(p_subdomain text) RETURNS uuid
    LANGUAGE plpgsql AS $$
DECLARE
    o uuid;
BEGIN
    SELECT id INTO o FROM organizations
        WHERE lower(subdomain) = lower(p_subdomain) AND deleted_at IS NULL AND status = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Organization not found' USING ERRCODE = 'WX404';
    END IF;
    PERFORM set_config('app.org_id', o::text, true);
    RETURN o;
END
$$;

-- a JSON array of strings (validated by the API) as text[], each trimmed of exactly the
-- characters the validator trims (C isspace: space \t \n \v \f \r), so what is stored is
-- what was checked
CREATE FUNCTION text_array(j jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL THEN NULL ELSE
        ARRAY(SELECT btrim(x, E' \t\n\x0B\f\r') FROM jsonb_array_elements_text(j) x) END
$$;

GRANT EXECUTE ON FUNCTION text_array(jsonb) TO webix_app;
GRANT EXECUTE ON FUNCTION creator_view(uuid), webtoon_view(webtoons, boolean, boolean),
    episode_view(episodes, boolean, boolean), app_enter_tenant(text) TO webix_app;
