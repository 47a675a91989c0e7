-- 0005: corrections (更正) and voids (作废) of what clerks entered.
-- A voided record stays in its table (and in the trace), marked here; statistics, lists
-- and reports leave it out. Each correction or void, with its reason, is a row of
-- record_corrections; one of a reviewed record (an item already 销号) waits there as a
-- request until a 审核员 other than the requester approves or rejects it.
ALTER TABLE findings ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE findings ADD COLUMN voided_by VARCHAR;
ALTER TABLE rectification_items ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE rectification_items ADD COLUMN voided_by VARCHAR;

CREATE SEQUENCE corrections_id_seq START 1;
CREATE TABLE record_corrections (
    id            INTEGER PRIMARY KEY DEFAULT nextval('corrections_id_seq'),
    record_table  VARCHAR NOT NULL CHECK (record_table IN ('findings', 'rectification_items')),
    record_id     INTEGER NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    kind          VARCHAR NOT NULL CHECK (kind IN ('correct', 'void')),
    reason        VARCHAR NOT NULL,
    changes_json  VARCHAR NOT NULL,  -- {field: [before, after]} as shown, and for a request the values asked for
    status        VARCHAR NOT NULL CHECK (status IN ('applied', 'pending', 'rejected')),
    requested_at  TIMESTAMP NOT NULL,
    requested_by  VARCHAR NOT NULL,
    decided_at    TIMESTAMP,
    decided_by    VARCHAR,
    note          VARCHAR
);
CREATE INDEX corrections_record ON record_corrections (record_table, record_id);
