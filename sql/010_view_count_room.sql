-- 010 — room in each page for new versions of webtoon and episode rows.
-- Views raise view_count once a second for every object read (fcgi-app/views.c). A row
-- whose page has room takes that update as a heap-only tuple: no index is touched (the
-- tables have four and five indexes, one of them GIN). In full pages (fillfactor 100)
-- five of six such updates had to insert into every index. Pages written from now on
-- keep a fifth free; existing full pages gain room as VACUUM clears them, or at once
-- with VACUUM FULL webtoons, episodes in a quiet moment (docs/operations.md).
ALTER TABLE webtoons SET (fillfactor = 80);
ALTER TABLE episodes SET (fillfactor = 80);
