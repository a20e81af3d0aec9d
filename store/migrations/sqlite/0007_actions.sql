-- Corporate actions (pricefill.Dividend, pricefill.Split) per asset and
-- source, as the provider reported them with the bars. A save stores the
-- actions of its series in its transaction: the same action again replaces
-- the stored one (a restated amount or ratio). Dates are YYYY-MM-DD text,
-- as in 0001; 9e999 reads as +Infinity.
CREATE TABLE dividends (
	asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	ex_date  TEXT NOT NULL CHECK (ex_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	-- Per share, in currency.
	amount   REAL NOT NULL CHECK (amount > 0 AND amount < 9e999),
	-- The asset's currency at the save; NULL when the provider gave none.
	currency TEXT,
	source   TEXT NOT NULL,
	PRIMARY KEY (asset_id, ex_date, source)
) STRICT, WITHOUT ROWID;

-- numerator new shares for every denominator old ones: 4:1 is 4 and 1.
CREATE TABLE splits (
	asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
	numerator   REAL NOT NULL CHECK (numerator > 0 AND numerator < 9e999),
	denominator REAL NOT NULL CHECK (denominator > 0 AND denominator < 9e999),
	source      TEXT NOT NULL,
	PRIMARY KEY (asset_id, date, source)
) STRICT, WITHOUT ROWID;
