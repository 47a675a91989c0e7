-- 0002: users, their roles and the units they may see (DESIGN.md, decision 2).
-- A user's name is the one the deployment gives (JupyterHub user, proxy header or
-- the configured operator); it is never typed into a form.

CREATE TABLE users (
    name          VARCHAR PRIMARY KEY,
    display_name  VARCHAR NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL
);

CREATE TABLE user_roles (
    user_name  VARCHAR NOT NULL,
    role       VARCHAR NOT NULL CHECK (role IN ('entry', 'review', 'analyst', 'admin')),
    PRIMARY KEY (user_name, role)
);

CREATE SEQUENCE user_scopes_id_seq START 1;
CREATE TABLE user_scopes (
    id           INTEGER PRIMARY KEY DEFAULT nextval('user_scopes_id_seq'),
    user_name    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('all', 'unit', 'subordinate', 'supervised')),
    unit_id      INTEGER REFERENCES units (id),
    valid_from   DATE,
    valid_until  DATE,
    note         VARCHAR,
    CHECK ((kind = 'all') = (unit_id IS NULL)),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX user_scopes_user ON user_scopes (user_name);
