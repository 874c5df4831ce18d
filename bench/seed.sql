-- bench/seed.sql — the benchmark's data set, written as the owner role in one transaction:
-- organizations org001…, users benchNNNNN@example.com (all with the password hash of the
-- user :'hash_email', registered through the API first), memberships (1–3 organizations
-- per user, roles mixed, user N an admin of organization N), webtoons per organization
-- (published, draft, archived; tags), episodes per webtoon, episode_count exact.
-- psql variables: orgs, users, per_org, per_webtoon, hash_email.
\set ON_ERROR_STOP 1
BEGIN;

INSERT INTO organizations (name, subdomain, status, plan, created_at)
SELECT format('Bench Studio %s', lpad(i::text, 3, '0')), 'org' || lpad(i::text, 3, '0'),
       'active', (ARRAY['free', 'basic', 'professional', 'enterprise'])[1 + i % 4],
       now() - make_interval(days => i)
FROM generate_series(1, :orgs) i;

CREATE TEMP TABLE bench_org ON COMMIT DROP AS
SELECT substr(subdomain, 4)::int AS n, id FROM organizations WHERE subdomain ~ '^org[0-9]{3}$';

INSERT INTO users (email, password_hash, display_name, role, email_verified_at, created_at)
SELECT format('bench%s@example.com', lpad(i::text, 5, '0')),
       (SELECT password_hash FROM users WHERE email = :'hash_email'),
       format('Bench Reader %s', lpad(i::text, 5, '0')), 'org_user',
       now() - make_interval(hours => i), now() - make_interval(hours => i)
FROM generate_series(1, :users) i;

CREATE TEMP TABLE bench_user ON COMMIT DROP AS
SELECT substr(email, 6, 5)::int AS n, id FROM users WHERE email ~ '^bench[0-9]{5}@example\.com$';

-- user n belongs to organization (n-1) % orgs + 1, to a second one when n % 3 >= 1 and a
-- third when n % 3 = 2; users 1..orgs are the admins of their organization
INSERT INTO memberships (org_id, user_id, role, joined_at)
SELECT o.id, u.id,
       CASE WHEN m.n <= :orgs AND m.k = 0 THEN 'admin'
            ELSE (ARRAY['admin', 'moderator', 'moderator', 'user', 'user', 'user', 'user',
                        'user', 'user', 'user', 'user', 'user', 'user', 'user', 'viewer',
                        'viewer', 'viewer', 'viewer', 'viewer', 'viewer'])[1 + (m.n * 17 + m.org) % 20]
       END,
       now() - make_interval(hours => m.n)
FROM (SELECT DISTINCT ON (n, org) n, org, k FROM (
        SELECT n, k, CASE k WHEN 0 THEN (n - 1) % :orgs + 1
                            WHEN 1 THEN (n * 7) % :orgs + 1
                            ELSE (n * 13 + 5) % :orgs + 1 END AS org
        FROM generate_series(1, :users) n, generate_series(0, 2) k
        WHERE k = 0 OR (k = 1 AND n % 3 >= 1) OR (k = 2 AND n % 3 = 2)) c
      ORDER BY n, org, k) m
JOIN bench_org o ON o.n = m.org
JOIN bench_user u ON u.n = m.n;

-- webtoon i of an organization: 7 in 10 published, 2 drafts, 1 archived
INSERT INTO webtoons (org_id, title, description, cover_image, status, tags, categories,
                      created_by, published_at, created_at)
SELECT o.id, format('%s — Chapter Saga %s', 'Bench Studio ' || lpad(o.n::text, 3, '0'), i),
       repeat(format('A story of studio %s, number %s. ', o.n, i), 4),
       format('/media/bench/%s/%s/cover.jpg', o.n, i),
       CASE WHEN i % 10 < 7 THEN 'published' WHEN i % 10 < 9 THEN 'draft' ELSE 'archived' END,
       ARRAY[(ARRAY['action', 'romance', 'comedy', 'drama', 'fantasy', 'horror', 'slice-of-life',
                    'sci-fi'])[1 + i % 8],
             (ARRAY['weekly', 'completed', 'new', 'popular'])[1 + (i + o.n) % 4]],
       ARRAY[(ARRAY['manhwa', 'webcomic', 'manga'])[1 + i % 3]],
       (SELECT u.id FROM bench_user u WHERE u.n = o.n),
       CASE WHEN i % 10 < 7 OR i % 10 = 9
            THEN now() - make_interval(hours => o.n * :per_org + i) + interval '1 day' END,
       now() - make_interval(hours => o.n * :per_org + i) - interval '30 days'
FROM bench_org o, generate_series(1, :per_org) i;

-- episodes: the last two of a published webtoon are drafts; a draft webtoon's are drafts
ALTER TABLE episodes DISABLE TRIGGER episodes_count;
INSERT INTO episodes (org_id, webtoon_id, episode_number, title, description, content, images,
                      status, published_at, created_by, created_at)
SELECT w.org_id, w.id, e, format('Episode %s', e), format('Episode %s of %s', e, w.title),
       repeat('Panel text. ', 20),
       ARRAY(SELECT format('/media/bench/%s/%s/%s.jpg', w.id, e, k) FROM generate_series(1, 6) k),
       CASE WHEN w.status = 'draft' OR e > :per_webtoon - 2 THEN 'draft' ELSE 'published' END,
       CASE WHEN w.status <> 'draft' AND e <= :per_webtoon - 2
            THEN w.created_at + make_interval(days => e) END,
       w.created_by, w.created_at + make_interval(days => e)
FROM webtoons w, generate_series(1, :per_webtoon) e
WHERE w.org_id IN (SELECT id FROM bench_org);
ALTER TABLE episodes ENABLE TRIGGER episodes_count;

UPDATE webtoons w SET episode_count = c.n
FROM (SELECT webtoon_id, count(*) AS n FROM episodes GROUP BY webtoon_id) c
WHERE c.webtoon_id = w.id AND w.episode_count <> c.n;

COMMIT;

VACUUM ANALYZE organizations;
VACUUM ANALYZE users;
VACUUM ANALYZE memberships;
VACUUM ANALYZE webtoons;
VACUUM ANALYZE episodes;

SELECT format('seeded: %s organizations, %s users, %s memberships, %s webtoons, %s episodes',
              (SELECT count(*) FROM organizations), (SELECT count(*) FROM users),
              (SELECT count(*) FROM memberships), (SELECT count(*) FROM webtoons),
              (SELECT count(*) FROM episodes));
