// Package e2e holds pricefill's end-to-end fault tests; it has no code of
// its own. They run the real parts together (the backfill Runner, the
// Yahoo fetcher, the ratelimit Limiter, the validator, the SQL store and
// queue, on an SQLite file and on PostgreSQL, and the example program as a
// process) against the fake provider of internal/upstream, and break
// things on purpose:
//
//	test                          what goes wrong                           what must hold
//	TestMixedFaults               429 bursts, 5xx, dropped connections,     every valid bar stored once, no invalid
//	                              truncated and malformed bodies, slow      or null one; unknown symbols given up,
//	                              bodies, unknown symbols, null days,       the rest completed; never more than R
//	                              invalid bars                              requests a second, no 429 of the server's own
//	TestPostgresRestart           the database crashes mid-run and comes    no symbol half-written; the run, or a
//	                              back                                      rerun, completes every task
//	TestTwoProcesses              two programs share one database,          each symbol fetched once, stored once
//	                              PostgreSQL or SQLite
//	TestKillAndResume             the program is SIGKILLed at a moment      the rerun completes, fetches nothing
//	                              rapid picks                               completed before, stores nothing twice
//
// and more, each in a file of its theme: budgets and outages (budget,
// outage, refuse), several providers tried in order (fallback), bad data (baddata), secrets and redirects (secrets),
// hostile inputs (inputs), and the queue across processes (queue: clocks
// that disagree, a stalled process, kill -9 and the heartbeat, runs over
// overlapping ranges, retention), reruns (rerun: deleted days restored,
// holes not asked for again), exchanges' closes (close: a listing's bar
// stored minutes after its local close), metrics (metrics: /metrics
// scraped while the program runs, and between scheduled runs) and exports
// (export: a file of exactly the database's rows, memory flat however
// many). README.md lists them all.
//
// They are short enough for CI; -e2e.seed replays the random faults of a
// failed TestMixedFaults.
package e2e
