-- 015 — the owner may delete audit rows: `webixctl expire` keeps the audit log to its
-- retention (`--audit-days`, 365 by default; the original's one-year TTL, spec D43). The
-- application role still may only read and add them.
CREATE POLICY audit_log_owner_delete ON audit_log FOR DELETE TO CURRENT_USER USING (true);
