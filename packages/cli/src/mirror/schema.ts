/**
 * The mirror's schema, as numbered migrations (`PRAGMA user_version` says how many ran). Documented for
 * people in docs/mirror.md; change both together, and only ever by appending a migration.
 */

/** `PRAGMA application_id` of a Monzokit mirror ("MZKM"): a file without it is not ours to write. */
export const APPLICATION_ID = 0x4d5a4b4d;

/** Transactions counted as spending: Monzo's own flag, else outgoing money that is not a transfer. */
const SPENDING = `t.status != 'declined' AND t.removed_at IS NULL AND
    COALESCE(t.include_in_spending, t.amount < 0 AND COALESCE(t.category, '') NOT IN ('savings', 'transfers')) = 1`;

const V1 = `
CREATE TABLE accounts (
  id             TEXT PRIMARY KEY,
  type           TEXT NOT NULL,
  description    TEXT NOT NULL,
  currency       TEXT,
  created        TEXT NOT NULL,
  closed         INTEGER NOT NULL CHECK (closed IN (0, 1)),
  joint          INTEGER NOT NULL CHECK (joint IN (0, 1)),
  owners         TEXT NOT NULL,
  account_number TEXT,
  sort_code      TEXT,
  raw            TEXT NOT NULL,
  first_seen     TEXT NOT NULL,
  last_changed   TEXT NOT NULL,
  last_synced    TEXT,
  transactions_refused TEXT
) STRICT;

CREATE TABLE syncs (
  id          INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed', 'interrupted')),
  added       INTEGER NOT NULL DEFAULT 0,
  changed     INTEGER NOT NULL DEFAULT 0,
  removed     INTEGER NOT NULL DEFAULT 0,
  error       TEXT
) STRICT;

CREATE TABLE balances (
  sync_id                            INTEGER NOT NULL REFERENCES syncs (id),
  account_id                         TEXT NOT NULL REFERENCES accounts (id),
  taken_at                           TEXT NOT NULL,
  balance                            INTEGER NOT NULL,
  total_balance                      INTEGER,
  balance_including_flexible_savings INTEGER,
  spend_today                        INTEGER,
  currency                           TEXT NOT NULL,
  raw                                TEXT NOT NULL,
  PRIMARY KEY (sync_id, account_id)
) STRICT;

CREATE TABLE pots (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts (id),
  name         TEXT NOT NULL,
  type         TEXT,
  balance      INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  goal_amount  INTEGER,
  round_up     INTEGER,
  locked       INTEGER,
  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  created      TEXT,
  updated      TEXT,
  raw          TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_changed TEXT NOT NULL
) STRICT;

CREATE TABLE pot_balances (
  sync_id  INTEGER NOT NULL REFERENCES syncs (id),
  pot_id   TEXT NOT NULL REFERENCES pots (id),
  taken_at TEXT NOT NULL,
  balance  INTEGER NOT NULL,
  currency TEXT NOT NULL,
  PRIMARY KEY (sync_id, pot_id)
) STRICT;

CREATE TABLE merchants (
  id           TEXT PRIMARY KEY,
  group_id     TEXT,
  name         TEXT NOT NULL,
  category     TEXT,
  emoji        TEXT,
  logo         TEXT,
  online       INTEGER,
  atm          INTEGER,
  city         TEXT,
  country      TEXT,
  postcode     TEXT,
  latitude     REAL,
  longitude    REAL,
  raw          TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_changed TEXT NOT NULL
) STRICT;

CREATE TABLE transactions (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts (id),
  created             TEXT NOT NULL,
  created_ms          INTEGER NOT NULL,
  updated             TEXT,
  settled             TEXT,
  status              TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'declined')),
  amount              INTEGER NOT NULL,
  currency            TEXT NOT NULL,
  local_amount        INTEGER,
  local_currency      TEXT,
  description         TEXT NOT NULL,
  merchant_id         TEXT,
  category            TEXT,
  categories          TEXT,
  notes               TEXT NOT NULL,
  decline_reason      TEXT,
  is_load             INTEGER,
  include_in_spending INTEGER,
  scheme              TEXT,
  counterparty_name   TEXT,
  metadata            TEXT NOT NULL,
  raw                 TEXT NOT NULL,
  first_seen          TEXT NOT NULL,
  last_changed        TEXT NOT NULL,
  removed_at          TEXT
) STRICT;
CREATE INDEX transactions_by_account_time ON transactions (account_id, created_ms, id);
-- Counting an account's transactions reads this small index, never the rows: a sync's cost stays flat.
CREATE INDEX transactions_present ON transactions (account_id) WHERE removed_at IS NULL;

CREATE TABLE transaction_changes (
  transaction_id TEXT NOT NULL REFERENCES transactions (id),
  sync_id        INTEGER NOT NULL REFERENCES syncs (id),
  changed_at     TEXT NOT NULL,
  fields         TEXT NOT NULL,
  before         TEXT NOT NULL
) STRICT;
CREATE INDEX transaction_changes_by_transaction ON transaction_changes (transaction_id);

CREATE TABLE coverage (
  account_id TEXT NOT NULL REFERENCES accounts (id),
  since_ms   INTEGER NOT NULL,
  until_ms   INTEGER NOT NULL CHECK (until_ms >= since_ms),
  PRIMARY KEY (account_id, since_ms)
) STRICT;

CREATE VIEW spending_by_category_month AS
WITH parts AS (
  SELECT t.account_id, t.currency, t.created_ms, c.key AS category, c.value AS amount
  FROM transactions t, json_each(t.categories) c
  WHERE ${SPENDING} AND t.categories IS NOT NULL AND t.categories != '{}'
  UNION ALL
  SELECT t.account_id, t.currency, t.created_ms, COALESCE(t.category, 'general'), t.amount
  FROM transactions t
  WHERE ${SPENDING} AND (t.categories IS NULL OR t.categories = '{}')
)
SELECT strftime('%Y-%m', created_ms / 1000, 'unixepoch') AS month,
       account_id,
       category,
       currency,
       -SUM(amount) AS spent,
       COUNT(*) AS transactions
FROM parts
GROUP BY month, account_id, category, currency;

CREATE VIEW pot_balances_over_time AS
SELECT pb.taken_at, p.id AS pot_id, p.name, p.account_id, pb.balance, pb.currency, p.deleted
FROM pot_balances pb JOIN pots p ON p.id = pb.pot_id;

CREATE VIEW balances_over_time AS
SELECT b.taken_at, b.account_id, a.type, b.balance, b.total_balance, b.spend_today, b.currency
FROM balances b JOIN accounts a ON a.id = b.account_id;

CREATE VIEW transactions_with_merchant AS
SELECT t.id, t.account_id, t.created, t.settled, t.status, t.amount, t.currency,
       COALESCE(m.name, t.description) AS merchant_or_description,
       t.category, t.notes, t.decline_reason
FROM transactions t LEFT JOIN merchants m ON m.id = t.merchant_id
WHERE t.removed_at IS NULL;
`;

/** Every migration in order; `MIGRATIONS[i]` takes a database from version `i` to `i + 1`. */
export const MIGRATIONS: readonly string[] = [V1];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
