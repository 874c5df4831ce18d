-- 009 — views written in batches, counted per second (fcgi-app/views.c).
-- The flusher groups a batch's views of the same object by the same reader (or the same
-- anonymous readers) in the same second into one analytics row whose metric_value is the
-- number of views; an event line may so carry a sixth field, that number (1 when absent,
-- as every worker before this migration sends). Sums of metric_value over any window, the
-- view counts and distinct readers are what they were with one row per view; only the
-- times are those of the first view of each second. A batch written twice is the same
-- rows with the same event ids (the flusher keeps a batch's size until it is trimmed), so
-- it still counts once.
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
            RETURNING 'e:' || x.id, x.view_count)
        SELECT * FROM wc UNION ALL SELECT * FROM ec;
    END LOOP;
END
$$;
