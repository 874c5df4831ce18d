-- 008 — views written in batches from the Redis queue (fcgi-app/views.c).
-- Each view carries the id the worker gave it when it was counted; the unique index makes
-- writing a batch twice (a flush that died after its commit) a no-op, and only the rows
-- actually inserted raise the view counts.
ALTER TABLE analytics ADD COLUMN event_id uuid;
CREATE UNIQUE INDEX analytics_event_idx ON analytics (event_id);

-- p_events: "<event id> <org> <user|-> <webtoon> <episode|-> <unix ms>" each (validated by
-- the caller). Per organization, in its own tenant context: the analytics rows (webtoon_views,
-- or episode_views when there is an episode), then view_count of the webtoons and episodes
-- that still exist. Views of an organization that is gone are dropped. Returns the new
-- view_count of every webtoon ('w:<id>') and episode ('e:<id>') it raised.
CREATE FUNCTION views_record(p_events text[]) RETURNS TABLE (field text, total bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    o uuid;
BEGIN
    FOR o IN SELECT DISTINCT split_part(e, ' ', 2)::uuid FROM unnest(p_events) e LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM organizations WHERE id = o);
        PERFORM set_config('app.org_id', o::text, true);
        RETURN QUERY
        WITH ev AS (
            SELECT split_part(e, ' ', 1)::uuid AS id,
                   nullif(split_part(e, ' ', 3), '-')::uuid AS u,
                   split_part(e, ' ', 4)::uuid AS w,
                   nullif(split_part(e, ' ', 5), '-')::uuid AS ep,
                   to_timestamp(split_part(e, ' ', 6)::bigint / 1000.0) AS t
            FROM unnest(p_events) e
            WHERE split_part(e, ' ', 2)::uuid = o),
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

GRANT EXECUTE ON FUNCTION views_record(text[]) TO webix_app;
