-- 012 — views_record returns the view count of every object of a batch, not only of those
-- it raised. A batch written again after a flush died between its commit and its count
-- steps (fcgi-app/views.c) inserts nothing for the rows already in: their objects' counts
-- were not returned, so the written counts in Redis (webix:views:db:*) kept their old value
-- while the steps lowered the pending counts, and a cached read showed a count too low by
-- that batch until its entry expired. Such objects (the batch's objects with no row
-- inserted now; normally none, found without touching the tables) now return their
-- view_count as it stands. Otherwise as 009.
CREATE OR REPLACE FUNCTION views_record(p_orgs uuid[], p_events text[])
    RETURNS TABLE (field text, total bigint)
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
                   nullif(a[4], '-')::uuid AS ep, to_timestamp(a[5]::bigint / 1000.0) AS t,
                   coalesce(a[6]::integer, 1) AS n
            FROM (SELECT string_to_array(e, ' ') AS a
                  FROM unnest(string_to_array(p_events[k], chr(10))) e) s),
        ins AS (
            INSERT INTO analytics (org_id, user_id, webtoon_id, episode_id, metric_type,
                                   metric_value, date, event_id)
            SELECT o, ev.u, ev.w, ev.ep,
                   CASE WHEN ev.ep IS NULL THEN 'webtoon_views' ELSE 'episode_views' END,
                   ev.n, ev.t, ev.id
            FROM ev
            WHERE ev.n > 0
            ON CONFLICT (event_id) DO NOTHING
            RETURNING webtoon_id, episode_id, metric_value),
        wc AS (
            UPDATE webtoons x SET view_count = x.view_count + c.n
            FROM (SELECT webtoon_id, sum(metric_value)::bigint AS n FROM ins
                  WHERE episode_id IS NULL GROUP BY webtoon_id) c
            WHERE x.id = c.webtoon_id AND x.org_id = o
            RETURNING 'w:' || x.id, x.view_count),
        ec AS (
            UPDATE episodes x SET view_count = x.view_count + c.n
            FROM (SELECT episode_id, sum(metric_value)::bigint AS n FROM ins
                  WHERE episode_id IS NOT NULL GROUP BY episode_id) c
            WHERE x.id = c.episode_id AND x.org_id = o
            RETURNING 'e:' || x.id, x.view_count),
        -- objects of the batch none of whose rows went in now (written before): their
        -- count is the one committed, which this statement's snapshot reads
        wk AS (
            SELECT 'w:' || x.id, x.view_count FROM webtoons x
            WHERE x.org_id = o AND x.id IN (
                SELECT ev.w FROM ev WHERE ev.ep IS NULL AND ev.n > 0
                EXCEPT SELECT ins.webtoon_id FROM ins WHERE ins.episode_id IS NULL)),
        ek AS (
            SELECT 'e:' || x.id, x.view_count FROM episodes x
            WHERE x.org_id = o AND x.id IN (
                SELECT ev.ep FROM ev WHERE ev.ep IS NOT NULL AND ev.n > 0
                EXCEPT SELECT ins.episode_id FROM ins WHERE ins.episode_id IS NOT NULL))
        SELECT * FROM wc UNION ALL SELECT * FROM ec
        UNION ALL SELECT * FROM wk UNION ALL SELECT * FROM ek;
    END LOOP;
END
$$;
