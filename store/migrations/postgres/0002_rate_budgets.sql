-- The shared budgets of package ratelimit's limiters (store.DB.Ledger):
-- every process that opens the database draws on one budget per key, the
-- name of a provider's budget ("yahoo", "stooq", "yahoo-key2"). Times are
-- timestamptz (microseconds); a time that is none is NULL, and so is a
-- text that is empty.

-- One row per budget: the state its limiters agree on (ratelimit.State).
-- An update of a budget locks its row first, which makes updates of one
-- key take turns across processes.
CREATE TABLE rate_budgets (
	key                text PRIMARY KEY CHECK (key <> ''),
	-- The latest grant; the minimum interval and the pace count from it.
	last_grant         timestamptz,
	-- The cool-down after a refusal for rate ends at cool_until; refusals
	-- counts the refusals in a row, one per cool-down.
	cool_until         timestamptz,
	refusals           integer NOT NULL DEFAULT 0 CHECK (refusals >= 0),
	-- The adaptive pace in requests a second, 0 when the limiters run at
	-- their own rate; ceiling is the rate refused last, 0 once passed.
	pace               double precision NOT NULL DEFAULT 0 CHECK (pace >= 0),
	ceiling            double precision NOT NULL DEFAULT 0 CHECK (ceiling >= 0),
	-- A hold after the provider said a quota is used up, and why.
	hold_until         timestamptz,
	hold_reason        text,
	-- The outage breaker: open since outage_since (NULL: closed), for
	-- outage_cause (the latest failure), the next probe at next_probe,
	-- probes sent since it opened.
	outage_since       timestamptz,
	outage_cause       text,
	next_probe         timestamptz,
	probes             integer NOT NULL DEFAULT 0 CHECK (probes >= 0),
	-- The failures in a row that say nothing about their symbol, those of
	-- them that did not reach the provider, and the different symbols of
	-- the others, separated by spaces.
	streak             integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
	streak_unreachable integer NOT NULL DEFAULT 0 CHECK (streak_unreachable >= 0),
	streak_symbols     text,
	-- The number of grants ever recorded for the budget: the seq of its
	-- latest in rate_grants.
	grants_made        bigint NOT NULL DEFAULT 0 CHECK (grants_made >= 0),
	-- The time of the latest update of the budget (on the database's
	-- clock unless the store was given one); the time of the next is
	-- never before it.
	last_now           timestamptz NOT NULL,
	-- The time of the latest update that changed the state (or made the
	-- row).
	updated_at         timestamptz NOT NULL
);

-- The grants of each budget, one row a request let out, numbered 1, 2, …
-- per budget (seq) in the order they were made; several may share a time.
-- An update appends its grants under its budget's lock, at its time, which
-- is never before an earlier update's (last_now): a later seq is never an
-- earlier time, so the n-th latest grant is the one numbered
-- grants_made - n + 1, found through the primary key. The rolling hour and
-- day count them. Each budget keeps those of the last 24 hours at least:
-- an update that adds grants deletes the budget's grants older than that.
CREATE TABLE rate_grants (
	key text NOT NULL REFERENCES rate_budgets (key),
	seq bigint NOT NULL CHECK (seq > 0),
	at  timestamptz NOT NULL,
	PRIMARY KEY (key, seq)
);

-- The grants of a budget after a time (the rolling windows' grants, for a
-- status or a forecast) and before one (those to delete): a range of this
-- index, where the primary key would have the budget's day of grants
-- scanned.
CREATE INDEX rate_grants_key_at_idx ON rate_grants (key, at);
