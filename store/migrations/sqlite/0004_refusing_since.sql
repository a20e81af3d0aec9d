-- The first refusal for rate since the provider last answered
-- (ratelimit.State.RefusingSince): a run of refusals that never ends is
-- timed by it, across the fleet and restarts, and ends like an outage.
-- NULL when the latest answer was not a refusal for rate.
ALTER TABLE rate_budgets ADD COLUMN refusing_since TEXT;
