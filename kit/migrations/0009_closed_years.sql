-- 0009: a year's assessment is closed (结束考核) by a 审核员 of all units, scheme by scheme.
-- From then on its score sheets are not saved directly: a 录入员 asks for a correction
-- (更正申请, a row of record_corrections for the sheet) and it takes effect when a 审核员
-- other than the requester approves it. A closing is not undone; it is traced like every record.
CREATE TABLE assessment_closings (
    scheme_id  INTEGER NOT NULL REFERENCES assessment_schemes (id),
    year       INTEGER NOT NULL,
    closed_at  TIMESTAMP NOT NULL,
    closed_by  VARCHAR NOT NULL,
    note       VARCHAR NOT NULL,
    PRIMARY KEY (scheme_id, year)
);
