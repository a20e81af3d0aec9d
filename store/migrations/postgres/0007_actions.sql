-- Corporate actions (pricefill.Dividend, pricefill.Split) per asset and
-- source, as the provider reported them with the bars. A save stores the
-- actions of its series in its transaction: the same action again replaces
-- the stored one (a restated amount or ratio). Dates are date, as in 0001.
CREATE TABLE dividends (
	asset_id bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	ex_date  date NOT NULL,
	-- Per share, in currency.
	amount   double precision NOT NULL CHECK (amount > 0 AND amount < 'Infinity'),
	-- The asset's currency at the save; NULL when the provider gave none.
	currency text,
	source   text NOT NULL,
	PRIMARY KEY (asset_id, ex_date, source)
);

-- numerator new shares for every denominator old ones: 4:1 is 4 and 1.
CREATE TABLE splits (
	asset_id    bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	date        date NOT NULL,
	numerator   double precision NOT NULL CHECK (numerator > 0 AND numerator < 'Infinity'),
	denominator double precision NOT NULL CHECK (denominator > 0 AND denominator < 'Infinity'),
	source      text NOT NULL,
	PRIMARY KEY (asset_id, date, source)
);
