-- Holes (backfill.Hole): the trading days of a symbol that the provider
-- was asked for and did not serve with a valid bar, and why. The runner
-- leaves a hole alone until its back-off from last_asked has passed. A
-- save records the holes of its fetch and forgets those of the days it
-- stores a bar of, in its transaction. Dates are YYYY-MM-DD text and times
-- TEXT in the store's layout, as in 0001.
CREATE TABLE holes (
	asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	date       TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	reason     TEXT NOT NULL CHECK (reason IN ('missing', 'late', 'null', 'invalid')),
	-- The rules a rejected bar broke, for 'invalid'; '' otherwise.
	detail     TEXT NOT NULL DEFAULT '',
	-- The fetches that asked for the day and did not get it.
	asks       INTEGER NOT NULL CHECK (asks >= 1),
	last_asked TEXT NOT NULL,
	PRIMARY KEY (asset_id, date)
) STRICT, WITHOUT ROWID;
