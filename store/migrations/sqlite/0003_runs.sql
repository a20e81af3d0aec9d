-- Runs: claims and summaries name a run instead of listing its tasks, so
-- they cost the same whatever the run's size, and a run's heartbeat tells
-- other processes that the worker holding a task is alive. Times are TEXT
-- in the store's layout, as in 0001.

-- One row per run that is going on (or died without ending): its worker
-- (the process's name), and until when it is known alive. A run beats
-- (moves alive_until on) every few seconds; a task held by a run that is
-- no longer alive may be claimed at once, without waiting for its lease.
CREATE TABLE backfill_runs (
	id          INTEGER PRIMARY KEY,
	worker      TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	alive_until TEXT NOT NULL
) STRICT;

CREATE INDEX backfill_runs_alive_idx ON backfill_runs (alive_until);

-- The unfinished tasks of each run: a task leaves its runs when it ends
-- (completed or permanently_failed), so a claim walks only the run's open
-- tasks, in ID order, through the primary key.
CREATE TABLE backfill_run_tasks (
	run_id  INTEGER NOT NULL REFERENCES backfill_runs (id) ON DELETE CASCADE,
	task_id INTEGER NOT NULL REFERENCES backfill_queue (id) ON DELETE CASCADE,
	PRIMARY KEY (run_id, task_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX backfill_run_tasks_task_idx ON backfill_run_tasks (task_id);

-- The run whose worker holds an in_progress task (NULL for tasks claimed
-- before runs existed, which wait for their lease).
ALTER TABLE backfill_queue ADD COLUMN locked_run INTEGER;

-- A claim skips a task while another task of the same symbol is held:
-- two runs over different ranges of one symbol take turns, and the later
-- fetches only what the earlier did not store.
CREATE INDEX backfill_queue_held_idx ON backfill_queue (symbol) WHERE status = 'in_progress';

-- Retention deletes finished tasks by age.
CREATE INDEX backfill_queue_updated_idx ON backfill_queue (updated_at)
	WHERE status IN ('completed', 'permanently_failed');
