-- 0001: trace, registry (units, people, tenures), annual assessments.
-- Released migrations are never edited: add 0002_… instead.

CREATE TABLE trace_log (
    seq          BIGINT PRIMARY KEY,
    logged_at    TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,
    table_name   VARCHAR NOT NULL,
    row_key      VARCHAR NOT NULL,
    before_json  VARCHAR,
    after_json   VARCHAR,
    prev_hash    VARCHAR NOT NULL,
    hash         VARCHAR NOT NULL
);
CREATE INDEX trace_log_record ON trace_log (table_name, row_key);

CREATE SEQUENCE units_id_seq START 1;
CREATE TABLE units (
    id              INTEGER PRIMARY KEY DEFAULT nextval('units_id_seq'),
    code            VARCHAR NOT NULL UNIQUE,
    name            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    parent_id       INTEGER REFERENCES units (id),
    supervisor_id   INTEGER REFERENCES units (id),
    responsibility  VARCHAR,
    sort_order      INTEGER NOT NULL DEFAULT 0,
    active          BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE SEQUENCE people_id_seq START 1;
CREATE TABLE people (
    id          INTEGER PRIMARY KEY DEFAULT nextval('people_id_seq'),
    name        VARCHAR NOT NULL,
    gender      VARCHAR,
    birth_year  INTEGER,
    note        VARCHAR
);

CREATE SEQUENCE tenures_id_seq START 1;
CREATE TABLE tenures (
    id          INTEGER PRIMARY KEY DEFAULT nextval('tenures_id_seq'),
    person_id   INTEGER NOT NULL REFERENCES people (id),
    unit_id     INTEGER NOT NULL REFERENCES units (id),
    post        VARCHAR NOT NULL,
    role        VARCHAR NOT NULL CHECK (role IN ('principal', 'co_principal', 'member')),
    start_date  DATE NOT NULL,
    end_date    DATE,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX tenures_unit ON tenures (unit_id);

CREATE SEQUENCE schemes_id_seq START 1;
CREATE TABLE assessment_schemes (
    id           INTEGER PRIMARY KEY DEFAULT nextval('schemes_id_seq'),
    code         VARCHAR NOT NULL UNIQUE,
    name         VARCHAR NOT NULL,
    scoring      VARCHAR NOT NULL CHECK (scoring IN ('points', 'weighted')),
    unit_kinds   VARCHAR[] NOT NULL,
    description  VARCHAR
);

CREATE SEQUENCE indicators_id_seq START 1;
CREATE TABLE assessment_indicators (
    id           INTEGER PRIMARY KEY DEFAULT nextval('indicators_id_seq'),
    scheme_id    INTEGER NOT NULL REFERENCES assessment_schemes (id),
    ord          INTEGER NOT NULL,
    name         VARCHAR NOT NULL,
    max_points   DECIMAL(6, 2),
    weight       DECIMAL(6, 2),
    description  VARCHAR,
    UNIQUE (scheme_id, ord)
);

CREATE TABLE grade_bands (
    scheme_id          INTEGER NOT NULL REFERENCES assessment_schemes (id),
    ord                INTEGER NOT NULL,
    label              VARCHAR NOT NULL,
    min_total          DECIMAL(6, 2) NOT NULL,
    triggers_followup  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (scheme_id, ord)
);

CREATE SEQUENCE sheets_id_seq START 1;
CREATE TABLE score_sheets (
    id          INTEGER PRIMARY KEY DEFAULT nextval('sheets_id_seq'),
    scheme_id   INTEGER NOT NULL REFERENCES assessment_schemes (id),
    unit_id     INTEGER NOT NULL REFERENCES units (id),
    year        INTEGER NOT NULL,
    total       DECIMAL(7, 2) NOT NULL,
    grade       VARCHAR NOT NULL,
    note        VARCHAR,
    version     INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    updated_by  VARCHAR NOT NULL,
    UNIQUE (scheme_id, unit_id, year)
);

CREATE TABLE scores (
    sheet_id      INTEGER NOT NULL REFERENCES score_sheets (id),
    indicator_id  INTEGER NOT NULL REFERENCES assessment_indicators (id),
    score         DECIMAL(6, 2) NOT NULL,
    note          VARCHAR,
    PRIMARY KEY (sheet_id, indicator_id)
);

CREATE SEQUENCE followups_id_seq START 1;
CREATE TABLE followups (
    id          INTEGER PRIMARY KEY DEFAULT nextval('followups_id_seq'),
    sheet_id    INTEGER NOT NULL REFERENCES score_sheets (id),
    kind        VARCHAR NOT NULL CHECK (kind IN ('admonition_talk', 'lookback')),
    person_id   INTEGER REFERENCES people (id),
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    created_at  TIMESTAMP NOT NULL,
    closed_at   TIMESTAMP,
    note        VARCHAR
);
CREATE INDEX followups_sheet ON followups (sheet_id);
