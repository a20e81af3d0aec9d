-- Holes (backfill.Hole): the trading days of a symbol that the provider
-- was asked for and did not serve with a valid bar, and why. The runner
-- leaves a hole alone until its back-off from last_asked has passed. A
-- save records the holes of its fetch and forgets those of the days it
-- stores a bar of, in its transaction. Times are timestamptz
-- (microseconds), dates are date, as in 0001.
CREATE TABLE holes (
	asset_id   bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	date       date NOT NULL,
	reason     text NOT NULL CHECK (reason IN ('missing', 'late', 'null', 'invalid')),
	-- The rules a rejected bar broke, for 'invalid'; '' otherwise.
	detail     text NOT NULL DEFAULT '',
	-- The fetches that asked for the day and did not get it.
	asks       integer NOT NULL CHECK (asks >= 1),
	last_asked timestamptz NOT NULL,
	PRIMARY KEY (asset_id, date)
);
