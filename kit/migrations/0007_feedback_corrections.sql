-- 0007: a feedback record (巡察反馈) is corrected (更正) or voided (作废) like findings, items
-- and rounds; a voided one leaves the overview, the copies (抄告) and the reports.
--
-- Which tables can be corrected, and which corrections carry no unit, is now kit's rule
-- (kit.corrections.common.CORRECTABLE), no longer a CHECK that each new record type would
-- have to rebuild this table to extend. Rows and ids are kept as they were.
--
-- feedbacks is rebuilt as well: its UNIQUE (round, unit, mode) held voided records too, so a
-- feedback recorded in error could not be recorded again once voided (kit checks the live
-- ones), and DuckDB refuses to change a column of such a key in place (a correction of the mode).
CREATE TABLE record_corrections_0007 (
    id            INTEGER PRIMARY KEY DEFAULT nextval('corrections_id_seq'),
    record_table  VARCHAR NOT NULL,
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
    note          VARCHAR
);
INSERT INTO record_corrections_0007 SELECT * FROM record_corrections;
DROP INDEX corrections_record;
DROP TABLE record_corrections;
ALTER TABLE record_corrections_0007 RENAME TO record_corrections;
CREATE INDEX corrections_record ON record_corrections (record_table, record_id);

CREATE TABLE feedbacks_0007 (
    id           INTEGER PRIMARY KEY DEFAULT nextval('feedbacks_id_seq'),
    round_id     INTEGER NOT NULL REFERENCES inspection_rounds (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    mode         VARCHAR NOT NULL CHECK (mode IN ('collective', 'one_on_one')),
    held_on      DATE NOT NULL,
    leader_id    INTEGER NOT NULL REFERENCES people (id),
    note         VARCHAR,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL,
    voided_at    TIMESTAMP,
    voided_by    VARCHAR
);
INSERT INTO feedbacks_0007 SELECT *, NULL, NULL FROM feedbacks;
DROP TABLE feedbacks;
ALTER TABLE feedbacks_0007 RENAME TO feedbacks;
CREATE INDEX feedbacks_round_unit ON feedbacks (round_id, unit_id);
