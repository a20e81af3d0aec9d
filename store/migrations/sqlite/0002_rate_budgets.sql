-- The shared budgets of package ratelimit's limiters (store.DB.Ledger):
-- every process that opens the database draws on one budget per key, the
-- name of a provider's budget ("yahoo", "stooq", "yahoo-key2"). Times are
-- RFC 3339 text in UTC with six fractional digits, so text order is time
-- order; a time that is none is NULL, and so is a text that is empty.

-- One row per budget: the state its limiters agree on (ratelimit.State).
-- An update of a budget takes the database's write lock and writes its
-- row first, which makes updates take turns across processes.
CREATE TABLE rate_budgets (
	key                TEXT PRIMARY KEY CHECK (key <> ''),
	-- The latest grant; the minimum interval and the pace count from it.
	last_grant         TEXT,
	-- The cool-down after a refusal for rate ends at cool_until; refusals
	-- counts the refusals in a row, one per cool-down.
	cool_until         TEXT,
	refusals           INTEGER NOT NULL DEFAULT 0 CHECK (refusals >= 0),
	-- The adaptive pace in requests a second, 0 when the limiters run at
	-- their own rate; ceiling is the rate refused last, 0 once passed.
	pace               REAL NOT NULL DEFAULT 0 CHECK (pace >= 0),
	ceiling            REAL NOT NULL DEFAULT 0 CHECK (ceiling >= 0),
	-- A hold after the provider said a quota is used up, and why.
	hold_until         TEXT,
	hold_reason        TEXT,
	-- The outage breaker: open since outage_since (NULL: closed), for
	-- outage_cause (the latest failure), the next probe at next_probe,
	-- probes sent since it opened.
	outage_since       TEXT,
	outage_cause       TEXT,
	next_probe         TEXT,
	probes             INTEGER NOT NULL DEFAULT 0 CHECK (probes >= 0),
	-- The failures in a row that say nothing about their symbol, those of
	-- them that did not reach the provider, and the different symbols of
	-- the others, separated by spaces.
	streak             INTEGER NOT NULL DEFAULT 0 CHECK (streak >= 0),
	streak_unreachable INTEGER NOT NULL DEFAULT 0 CHECK (streak_unreachable >= 0),
	streak_symbols     TEXT,
	-- The number of grants ever recorded for the budget: the seq of its
	-- latest in rate_grants.
	grants_made        INTEGER NOT NULL DEFAULT 0 CHECK (grants_made >= 0),
	-- The time of the latest update of the budget, on the store's clock;
	-- the time of the next is never before it.
	last_now           TEXT NOT NULL,
	-- The time of the latest update that changed the state (or made the
	-- row).
	updated_at         TEXT NOT NULL
) STRICT;

-- The grants of each budget, one row a request let out, numbered 1, 2, …
-- per budget (seq) in the order they were made; several may share a time.
-- An update appends its grants under its budget's lock, at its time, which
-- is never before an earlier update's (last_now): a later seq is never an
-- earlier time, so the n-th latest grant is the one numbered
-- grants_made - n + 1, found through the primary key. The rolling hour and
-- day count them. Each budget keeps those of the last 24 hours at least:
-- an update that adds grants deletes the budget's grants older than that.
--
-- WITHOUT ROWID: the table is the B-tree of its primary key, so a grant
-- is found by its number in one search, and no rowid B-tree is kept
-- besides the two indexes.
CREATE TABLE rate_grants (
	key TEXT NOT NULL REFERENCES rate_budgets (key),
	seq INTEGER NOT NULL CHECK (seq > 0),
	at  TEXT NOT NULL,
	PRIMARY KEY (key, seq)
) STRICT, WITHOUT ROWID;

-- The grants of a budget after a time (the rolling windows' grants, for a
-- status or a forecast) and before one (those to delete): a range of this
-- index, where the primary key would have the budget's day of grants
-- scanned.
CREATE INDEX rate_grants_key_at_idx ON rate_grants (key, at);
