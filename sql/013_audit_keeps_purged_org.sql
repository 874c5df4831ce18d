-- 013 — audit rows keep the id of their organization when it is purged.
-- `webixctl org purge` deletes soft-deleted organizations for good; their audit rows stay,
-- but the foreign key (002, ON DELETE SET NULL) cleared their org_id, so the history of a
-- purged organization could no longer be told from account events or from another
-- organization's. The audit log is history, not a relation to keep consistent: its org_id
-- is now a plain column, kept. Rows are written only in their organization's context (the
-- write policy), so no row names an organization that did not exist when it was written.
-- The purge also writes one row per organization it removes (organization_purged), as the
-- owner role: it may insert audit rows of any organization.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_org_id_fkey;
CREATE POLICY audit_log_owner_write ON audit_log FOR INSERT TO CURRENT_USER WITH CHECK (true);
