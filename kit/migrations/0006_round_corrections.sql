-- 0006: a round (巡察轮次) is corrected (更正) or, when nothing refers to it yet, voided (作废)
-- like findings and ledger items. A round belongs to no one unit: its corrections carry no
-- unit (unit_id NULL) and every registered user may read them, as the rounds themselves.
-- DuckDB cannot change a CHECK constraint in place: record_corrections is rebuilt, its rows
-- and ids kept as they were.
ALTER TABLE inspection_rounds ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE inspection_rounds ADD COLUMN voided_by VARCHAR;

CREATE TABLE record_corrections_0006 (
    id            INTEGER PRIMARY KEY DEFAULT nextval('corrections_id_seq'),
    record_table  VARCHAR NOT NULL CHECK (record_table IN ('findings', 'rectification_items', 'inspection_rounds')),
    record_id     INTEGER NOT NULL,
    unit_id       INTEGER REFERENCES units (id),
    kind          VARCHAR NOT NULL CHECK (kind IN ('correct', 'void')),
    reason        VARCHAR NOT NULL,
    changes_json  VARCHAR NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('applied', 'pending', 'rejected')),
    requested_at  TIMESTAMP NOT NULL,
    requested_by  VARCHAR NOT NULL,
    decided_at    TIMESTAMP,
    decided_by    VARCHAR,
    note          VARCHAR,
    CHECK (unit_id IS NOT NULL OR record_table = 'inspection_rounds')
);
INSERT INTO record_corrections_0006 SELECT * FROM record_corrections;
DROP INDEX corrections_record;
DROP TABLE record_corrections;
ALTER TABLE record_corrections_0006 RENAME TO record_corrections;
CREATE INDEX corrections_record ON record_corrections (record_table, record_id);
