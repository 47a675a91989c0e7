-- 0008: a step in handling a clue (线索处置: 初核, 立案, 处分 … with its 人次) is corrected (更正)
-- or voided (作废) like the other records; a voided step leaves the clue's steps and the
-- statistics (处理处分人次) but stays in its table, its history and the trace.
ALTER TABLE clue_outcomes ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE clue_outcomes ADD COLUMN voided_by VARCHAR;
