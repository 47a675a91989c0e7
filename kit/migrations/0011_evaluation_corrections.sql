-- 0011: an 整改评估 is corrected (更正: its score, opinion or date, with a reason) or voided
-- (作废: entered for the wrong unit or round) like the other records; a voided evaluation
-- leaves the overview, the 通报 of units graded 差 and the reports, and stays in its table,
-- its history and the trace. Evaluating the unit again later brings it back with the new score.
--
-- The table is rebuilt with an id, which a correction names its record by; one evaluation per
-- unit and round stays the key. Nothing refers to the table; its rows are kept as they were.
CREATE SEQUENCE evaluations_id_seq START 1;
CREATE TABLE evaluations_0011 (
    id            INTEGER NOT NULL DEFAULT nextval('evaluations_id_seq'),
    round_id      INTEGER NOT NULL REFERENCES inspection_rounds (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    score         DECIMAL(5, 2) NOT NULL,
    grade         VARCHAR NOT NULL,
    note          VARCHAR,
    evaluated_on  DATE NOT NULL,
    voided_at     TIMESTAMP,
    voided_by     VARCHAR,
    PRIMARY KEY (round_id, unit_id)
);
INSERT INTO evaluations_0011 (round_id, unit_id, score, grade, note, evaluated_on)
    SELECT round_id, unit_id, score, grade, note, evaluated_on FROM rectification_evaluations
    ORDER BY round_id, unit_id;
DROP TABLE rectification_evaluations;
ALTER TABLE evaluations_0011 RENAME TO rectification_evaluations;
