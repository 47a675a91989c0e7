-- 0003: inspection (巡察) rounds, groups, findings, clues, feedback; rectification (整改) ledgers.
-- Released migrations are never edited: add 0004_… instead.

-- 组长库 / 副组长库 / 联络员库
CREATE TABLE inspector_pool (
    person_id  INTEGER NOT NULL REFERENCES people (id),
    pool       VARCHAR NOT NULL CHECK (pool IN ('leader', 'deputy', 'liaison')),
    PRIMARY KEY (person_id, pool)
);

CREATE SEQUENCE rounds_id_seq START 1;
CREATE TABLE inspection_rounds (
    id          INTEGER PRIMARY KEY DEFAULT nextval('rounds_id_seq'),
    code        VARCHAR NOT NULL UNIQUE,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('regular', 'special', 'mobile', 'joint')),
    start_date  DATE NOT NULL,
    end_date    DATE NOT NULL,
    note        VARCHAR,
    CHECK (end_date >= start_date)
);

CREATE SEQUENCE groups_id_seq START 1;
CREATE TABLE inspection_groups (
    id        INTEGER PRIMARY KEY DEFAULT nextval('groups_id_seq'),
    round_id  INTEGER NOT NULL REFERENCES inspection_rounds (id),
    name      VARCHAR NOT NULL,
    UNIQUE (round_id, name)
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

-- Problem categories, each with the department a 共性问题 交办单 goes to.
CREATE SEQUENCE categories_id_seq START 1;
CREATE TABLE finding_categories (
    id             INTEGER PRIMARY KEY DEFAULT nextval('categories_id_seq'),
    name           VARCHAR NOT NULL UNIQUE,
    area           VARCHAR NOT NULL CHECK (area IN ('politics', 'discipline', 'organization', 'rectification')),
    department_id  INTEGER REFERENCES units (id)
);

CREATE SEQUENCE findings_id_seq START 1;
CREATE TABLE findings (
    id            INTEGER PRIMARY KEY DEFAULT nextval('findings_id_seq'),
    round_id      INTEGER REFERENCES inspection_rounds (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    stage         VARCHAR NOT NULL CHECK (stage IN ('inspection', 'midterm')),
    category_id   INTEGER NOT NULL REFERENCES finding_categories (id),
    description   VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL CHECK (severity IN ('general', 'serious', 'grave')),
    involves_top  BOOLEAN NOT NULL,
    source        VARCHAR NOT NULL CHECK (source IN ('inspection', 'daily', 'special_check', 'audit', 'petition', 'case')),
    found_on      DATE NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL
);
CREATE INDEX findings_round ON findings (round_id);
CREATE INDEX findings_unit ON findings (unit_id);

CREATE SEQUENCE clues_id_seq START 1;
CREATE TABLE clues (
    id              INTEGER PRIMARY KEY DEFAULT nextval('clues_id_seq'),
    finding_id      INTEGER NOT NULL UNIQUE REFERENCES findings (id),
    receiver        VARCHAR NOT NULL CHECK (receiver IN ('commission', 'organization')),
    transferred_on  DATE NOT NULL,
    note            VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL
);

-- What became of a clue, step by step; `people` counts the 人次 the step handled.
CREATE SEQUENCE outcomes_id_seq START 1;
CREATE TABLE clue_outcomes (
    id          INTEGER PRIMARY KEY DEFAULT nextval('outcomes_id_seq'),
    clue_id     INTEGER NOT NULL REFERENCES clues (id),
    outcome     VARCHAR NOT NULL CHECK (outcome IN
                  ('preliminary', 'case_opened', 'discipline', 'organizational', 'judiciary', 'closed')),
    people      INTEGER NOT NULL CHECK (people >= 0),
    decided_on  DATE NOT NULL,
    note        VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL
);
CREATE INDEX clue_outcomes_clue ON clue_outcomes (clue_id);

CREATE SEQUENCE feedbacks_id_seq START 1;
CREATE TABLE feedbacks (
    id           INTEGER PRIMARY KEY DEFAULT nextval('feedbacks_id_seq'),
    round_id     INTEGER NOT NULL REFERENCES inspection_rounds (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    mode         VARCHAR NOT NULL CHECK (mode IN ('collective', 'one_on_one')),
    held_on      DATE NOT NULL,
    leader_id    INTEGER NOT NULL REFERENCES people (id),
    note         VARCHAR,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL,
    UNIQUE (round_id, unit_id, mode)
);

-- 四张清单一张表: the problem (finding), its measure, who answers for it, and by when.
-- Items change often; DuckDB refuses to update a row that other rows reference by a
-- foreign key in the same transaction, so the tables below name items without one
-- (kit.rectification writes them only for existing items).
CREATE SEQUENCE items_id_seq START 1;
CREATE TABLE rectification_items (
    id                 INTEGER PRIMARY KEY DEFAULT nextval('items_id_seq'),
    finding_id         INTEGER NOT NULL REFERENCES findings (id),
    measure            VARCHAR NOT NULL,
    leader_id          INTEGER REFERENCES people (id),
    responsible        VARCHAR NOT NULL,
    deadline           DATE NOT NULL,
    first_deadline     DATE NOT NULL,
    extensions         INTEGER NOT NULL DEFAULT 0,
    progress           INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    status             VARCHAR NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
    opened_on          DATE NOT NULL,
    closed_on          DATE,
    close_requested_by VARCHAR,
    closed_by          VARCHAR,
    created_at         TIMESTAMP NOT NULL,
    created_by         VARCHAR NOT NULL
);
CREATE INDEX items_finding ON rectification_items (finding_id);

-- Every step of an item: progress, deadline extension, request to close, review, handover.
CREATE SEQUENCE updates_id_seq START 1;
CREATE TABLE rectification_updates (
    id          INTEGER PRIMARY KEY DEFAULT nextval('updates_id_seq'),
    item_id     INTEGER NOT NULL,  -- a rectification_items id
    kind        VARCHAR NOT NULL CHECK (kind IN ('progress', 'extension', 'request', 'approve', 'reject', 'handover')),
    body        VARCHAR NOT NULL,
    progress    INTEGER,
    deadline    DATE,
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL
);
CREATE INDEX updates_item ON rectification_updates (item_id);

CREATE SEQUENCE evidence_id_seq START 1;
CREATE TABLE evidence_files (
    id          INTEGER PRIMARY KEY DEFAULT nextval('evidence_id_seq'),
    update_id   INTEGER NOT NULL REFERENCES rectification_updates (id),
    item_id     INTEGER NOT NULL,  -- a rectification_items id
    filename    VARCHAR NOT NULL,
    size        BIGINT NOT NULL,
    sha256      VARCHAR NOT NULL,
    content     BLOB NOT NULL
);
CREATE INDEX evidence_item ON evidence_files (item_id);

-- 双向抄告: each update copied to the 分管领导 who attended the feedback.
CREATE SEQUENCE copies_id_seq START 1;
CREATE TABLE rectification_copies (
    id         INTEGER PRIMARY KEY DEFAULT nextval('copies_id_seq'),
    update_id  INTEGER NOT NULL REFERENCES rectification_updates (id),
    person_id  INTEGER NOT NULL REFERENCES people (id),
    read_at    TIMESTAMP
);
CREATE INDEX copies_person ON rectification_copies (person_id);

-- 整改评估: one score per unit and round.
CREATE TABLE rectification_evaluations (
    round_id      INTEGER NOT NULL REFERENCES inspection_rounds (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    score         DECIMAL(5, 2) NOT NULL,
    grade         VARCHAR NOT NULL,
    note          VARCHAR,
    evaluated_on  DATE NOT NULL,
    PRIMARY KEY (round_id, unit_id)
);

-- 整改交接: when a unit's 一把手 changes with items still open.
CREATE SEQUENCE handovers_id_seq START 1;
CREATE TABLE rectification_handovers (
    id               INTEGER PRIMARY KEY DEFAULT nextval('handovers_id_seq'),
    unit_id          INTEGER NOT NULL REFERENCES units (id),
    from_person_id   INTEGER REFERENCES people (id),
    to_person_id     INTEGER NOT NULL REFERENCES people (id),
    changed_on       DATE NOT NULL,
    item_ids         INTEGER[] NOT NULL,
    outgoing_signed  DATE,
    incoming_signed  DATE,
    created_at       TIMESTAMP NOT NULL
);

-- Office settings an administrator may change (e.g. the deadline reminder offsets).
CREATE TABLE settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
