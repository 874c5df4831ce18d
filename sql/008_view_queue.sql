-- 008 — views written in batches from the Redis queue (fcgi-app/views.c).
-- Each view carries the id the worker gave it when it was counted; the unique index makes
-- writing a batch twice (a flush that died after its commit) a no-op, and only the rows
-- actually inserted raise the view counts.
ALTER TABLE analytics ADD COLUMN event_id uuid;
CREATE UNIQUE INDEX analytics_event_idx ON analytics (event_id);

-- p_orgs: organizations; p_events[k]: the views in p_orgs[k], one per line,
-- "<event id> <user|-> <webtoon> <episode|-> <unix ms>" (validated by the caller). Per
-- organization, in its own tenant context: the analytics rows (webtoon_views, or
-- episode_views when there is an episode), then view_count of the webtoons and episodes that
-- still exist. Views of an organization that is gone are dropped. Returns the new view_count
-- of every webtoon ('w:<id>') and episode ('e:<id>') it raised.
CREATE FUNCTION views_record(p_orgs uuid[], p_events text[]) RETURNS TABLE (field text, total bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    o uuid;
BEGIN
    FOR k IN 1 .. coalesce(array_length(p_orgs, 1), 0) LOOP
        o := p_orgs[k];
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM organizations WHERE id = o);
        PERFORM set_config('app.org_id', o::text, true);
        RETURN QUERY
        WITH ev AS (
            SELECT a[1]::uuid AS id, nullif(a[2], '-')::uuid AS u, a[3]::uuid AS w,
                   nullif(a[4], '-')::uuid AS ep, to_timestamp(a[5]::bigint / 1000.0) AS t
            FROM (SELECT string_to_array(e, ' ') AS a
                  FROM unnest(string_to_array(p_events[k], chr(10))) e) s),
        ins AS (
            INSERT INTO analytics (org_id, user_id, webtoon_id, episode_id, metric_type,
                                   metric_value, date, event_id)
            SELECT o, ev.u, ev.w, ev.ep,
                   CASE WHEN ev.ep IS NULL THEN 'webtoon_views' ELSE 'episode_views' END,
                   1, ev.t, ev.id
            FROM ev
            ON CONFLICT (event_id) DO NOTHING
            RETURNING webtoon_id, episode_id),
        wc AS (
            UPDATE webtoons x SET view_count = x.view_count + c.n
            FROM (SELECT webtoon_id, count(*) AS n FROM ins WHERE episode_id IS NULL
                  GROUP BY webtoon_id) c
            WHERE x.id = c.webtoon_id AND x.org_id = o
            RETURNING 'w:' || x.id, x.view_count),
        ec AS (
            UPDATE episodes x SET view_count = x.view_count + c.n
            FROM (SELECT episode_id, count(*) AS n FROM ins WHERE episode_id IS NOT NULL
                  GROUP BY episode_id) c
            WHERE x.id = c.episode_id AND x.org_id = o
            RETURNING 'e:' || x.id, x.view_count)
        SELECT * FROM wc UNION ALL SELECT * FROM ec;
    END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION views_record(uuid[], text[]) TO webix_app;

-- A view only raises view_count: updatedAt cannot move, so the trigger that compares the
-- whole row (two to_jsonb of it) need not run — a third of the cost of writing views.
DROP TRIGGER webtoons_touch ON webtoons;
CREATE TRIGGER webtoons_touch BEFORE UPDATE ON webtoons
    FOR EACH ROW WHEN (OLD.view_count IS NOT DISTINCT FROM NEW.view_count)
    EXECUTE FUNCTION touch_content_updated_at();
DROP TRIGGER episodes_touch ON episodes;
CREATE TRIGGER episodes_touch BEFORE UPDATE ON episodes
    FOR EACH ROW WHEN (OLD.view_count IS NOT DISTINCT FROM NEW.view_count)
    EXECUTE FUNCTION touch_content_updated_at();
