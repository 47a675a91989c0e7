-- 0010: a 巡察组 is corrected (更正: renamed; a member moved to another post or out of the
-- group; a unit handed to another group of the round or taken off the round) and voided
-- (作废: a group set up in error, while it has no members and no units), each with its reason
-- in record_corrections and the trace.
--
-- inspection_groups is rebuilt without UNIQUE (round_id, name): DuckDB refuses to change a
-- column of such a key in a table other tables refer to, so no group could be renamed. kit
-- keeps a round's group names distinct. group_members and inspection_targets refer to it and
-- are rebuilt with it, unchanged; rows and ids are kept as they were.
CREATE TABLE groups_0010 AS SELECT * FROM inspection_groups;
CREATE TABLE members_0010 AS SELECT * FROM group_members;
CREATE TABLE targets_0010 AS SELECT * FROM inspection_targets;
DROP TABLE inspection_targets;
DROP TABLE group_members;
DROP TABLE inspection_groups;

CREATE TABLE inspection_groups (
    id        INTEGER PRIMARY KEY DEFAULT nextval('groups_id_seq'),
    round_id  INTEGER NOT NULL REFERENCES inspection_rounds (id),
    name      VARCHAR NOT NULL
);

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES inspection_groups (id),
    person_id  INTEGER NOT NULL REFERENCES people (id),
    role       VARCHAR NOT NULL CHECK (role IN ('leader', 'deputy', 'liaison', 'member')),
    PRIMARY KEY (group_id, person_id)
);

-- Which group inspects which unit in a round (one group per unit and round).
CREATE TABLE inspection_targets (
    round_id  INTEGER NOT NULL REFERENCES inspection_rounds (id),
    unit_id   INTEGER NOT NULL REFERENCES units (id),
    group_id  INTEGER NOT NULL REFERENCES inspection_groups (id),
    PRIMARY KEY (round_id, unit_id)
);

INSERT INTO inspection_groups SELECT id, round_id, name FROM groups_0010;
INSERT INTO group_members SELECT group_id, person_id, role FROM members_0010;
INSERT INTO inspection_targets SELECT round_id, unit_id, group_id FROM targets_0010;
DROP TABLE targets_0010;
DROP TABLE members_0010;
DROP TABLE groups_0010;
