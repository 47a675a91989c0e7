-- 0013: a clue transfer (移交问题线索) is corrected (更正: receiver, date, note) or voided
-- (作废: transferred in error) like the other records. A voided clue leaves the clue lists,
-- the statistics (移交线索 counts) and the reports, and its finding may be voided or
-- transferred again (the row comes back with the new transfer: findings name one clue
-- each); it stays in its table, its history and the trace. A clue with live steps
-- (线索处置) is voided only once they are.
ALTER TABLE clues ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE clues ADD COLUMN voided_by VARCHAR;
