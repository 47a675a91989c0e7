-- 0014: an item's progress report (报送进展) or extension (延期) is corrected (更正: its text,
-- percentage or new deadline, with a reason) or voided (作废) like the other records, while the
-- item is 整改中. A voided step stays in its table, the item's history (marked 已作废) and the
-- trace; it leaves the copies to the 分管领导, the evidence counted for 销号 and the figures.
-- The item's progress, deadline and count of extensions follow the live steps.
--
-- Columns are added in place: the step's id is named by its evidence files and copies.
ALTER TABLE rectification_updates ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE rectification_updates ADD COLUMN voided_by VARCHAR;
