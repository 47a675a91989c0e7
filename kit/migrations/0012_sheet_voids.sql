-- 0012: a score sheet is voided (作废: entered for the wrong unit, scheme or year) like the
-- other records. A voided sheet leaves rankings, grade counts, coverage, reports and the
-- analysts' tables, and its open follow-ups are cancelled; it stays in its table, its
-- history and the trace. Scoring the unit again for that year brings the row back with the
-- new scores (a new version). In a closed year a void waits for a 审核员's approval.
--
-- Columns are added in place: the sheet's id is named by scores and follow-ups.
ALTER TABLE score_sheets ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE score_sheets ADD COLUMN voided_by VARCHAR;
