-- 0004: every write transaction leaves its request id here, in the same transaction.
-- When the answer to a commit is lost (the data service died, the disk filled at the
-- worst moment), reading this table back says whether that commit is in the file, so
-- the person who saved is told the truth. Rows older than two days are pruned.

CREATE TABLE write_outcomes (
    request_id    VARCHAR PRIMARY KEY,
    actor         VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,
    committed_at  TIMESTAMP NOT NULL
);
