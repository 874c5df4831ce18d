-- 007 — let PostgreSQL inline the small SQL helpers every JSON answer calls.
-- iso_time() and page_info() were declared IMMUTABLE while calling STABLE functions
-- (to_char depends on settings), which forbids inlining them: every call was a function
-- call of its own. STABLE is what they are; the planner can now fold them into the query.
ALTER FUNCTION iso_time(timestamptz) STABLE;
ALTER FUNCTION page_info(bigint, bigint, bigint) STABLE;
