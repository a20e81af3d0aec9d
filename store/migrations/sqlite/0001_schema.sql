-- The schema of SPEC section 9 for SQLite. STRICT tables; dates are
-- YYYY-MM-DD text and times RFC 3339 text in UTC with six fractional
-- digits (2006-01-02T15:04:05.000000Z), so text order is time order.

CREATE TABLE assets (
	id         INTEGER PRIMARY KEY,
	symbol     TEXT NOT NULL UNIQUE CHECK (symbol <> ''),
	name       TEXT,
	currency   TEXT,
	exchange   TEXT,
	timezone   TEXT,
	created_at TEXT NOT NULL
) STRICT;

-- 9e999 reads as +Infinity: "< 9e999" keeps prices finite (SQLite stores
-- NaN as NULL, which NOT NULL refuses).
CREATE TABLE prices (
	asset_id  INTEGER NOT NULL REFERENCES assets (id),
	date      TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	open      REAL NOT NULL CHECK (open > 0 AND open < 9e999),
	high      REAL NOT NULL CHECK (high > 0 AND high < 9e999),
	low       REAL NOT NULL CHECK (low > 0 AND low < 9e999),
	close     REAL NOT NULL CHECK (close > 0 AND close < 9e999),
	adj_close REAL CHECK (adj_close > 0 AND adj_close < 9e999),
	volume    INTEGER NOT NULL CHECK (volume >= 0),
	source    TEXT NOT NULL,
	PRIMARY KEY (asset_id, date)
) STRICT, WITHOUT ROWID;

CREATE TABLE tracked_assets (
	asset_id          INTEGER PRIMARY KEY REFERENCES assets (id),
	last_price_update TEXT NOT NULL,
	first_date        TEXT,
	last_date         TEXT,
	CHECK (first_date <= last_date)
) STRICT;

CREATE TABLE backfill_queue (
	id               INTEGER PRIMARY KEY,
	asset_id         INTEGER NOT NULL REFERENCES assets (id),
	symbol           TEXT NOT NULL,
	start_date       TEXT NOT NULL,
	end_date         TEXT NOT NULL,
	status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
		('pending', 'in_progress', 'completed', 'failed', 'rate_limited', 'permanently_failed')),
	attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	retry_after      TEXT,
	last_error       TEXT,
	locked_by        TEXT,
	locked_until     TEXT,
	records_inserted INTEGER NOT NULL DEFAULT 0 CHECK (records_inserted >= 0),
	records_updated  INTEGER NOT NULL DEFAULT 0 CHECK (records_updated >= 0),
	records_skipped  INTEGER NOT NULL DEFAULT 0 CHECK (records_skipped >= 0),
	completeness_pct REAL NOT NULL DEFAULT 0 CHECK (completeness_pct >= 0),
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	CONSTRAINT backfill_queue_identity UNIQUE (symbol, start_date, end_date),
	CHECK (end_date >= start_date),
	CHECK (status <> 'in_progress' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
) STRICT;

-- Claims take the first open task in ID order among the run's tasks: this
-- partial index holds only the open ones, so a claim late in a run does
-- not step over the tasks done before it. Status views look tasks up by
-- status and due time.
CREATE INDEX backfill_queue_open_idx ON backfill_queue (id)
	WHERE status IN ('pending', 'failed', 'rate_limited', 'in_progress');
CREATE INDEX backfill_queue_status_idx ON backfill_queue (status, retry_after);
CREATE INDEX backfill_queue_asset_idx ON backfill_queue (asset_id);

CREATE TABLE fetcher_logs (
	id      INTEGER PRIMARY KEY,
	ts      TEXT NOT NULL,
	level   TEXT NOT NULL,
	message TEXT NOT NULL,
	symbol  TEXT,
	task_id INTEGER,
	attrs   TEXT CHECK (attrs IS NULL OR json_valid(attrs))
) STRICT;

CREATE INDEX fetcher_logs_ts_idx ON fetcher_logs (ts);
CREATE INDEX fetcher_logs_symbol_idx ON fetcher_logs (symbol, ts);

-- The tag of this database's queue, made once: lease tokens carry it, so
-- a store can tell the tasks of its own queue from others.
CREATE TABLE queue_instance (
	tag TEXT PRIMARY KEY
) STRICT;
INSERT INTO queue_instance (tag) VALUES (lower(hex(randomblob(6))));
