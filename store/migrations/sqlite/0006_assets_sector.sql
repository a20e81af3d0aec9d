-- The sector of an asset where known (from a universe such as the S&P
-- 500's list), beside its name. NULL when not known.
ALTER TABLE assets ADD COLUMN sector TEXT;
