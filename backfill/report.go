package backfill

import (
	"sort"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
)

// A Report says what a run did. Counts are of this run's work: a task
// completed by an earlier run counts in AlreadyDone and nowhere else.
type Report struct {
	Range    pricefill.Range
	Started  time.Time
	Duration time.Duration
	// Interrupted says the run's context ended before every task did.
	Interrupted bool

	// Total is the number of symbols (tasks) in the run.
	Total int
	// Succeeded counts the tasks this run completed, Covered among them.
	Succeeded int
	// Covered counts the tasks completed without a request because the
	// store held every trading day of their range already.
	Covered int
	// Failed counts the tasks this run gave up: Failures says why.
	Failed int
	// AlreadyDone counts the tasks that were completed before the run began.
	AlreadyDone int
	// Unfinished counts the tasks neither completed nor given up when the
	// run ended: interrupted, or left to another process.
	Unfinished int

	// Requests counts the fetches made; RateLimited and Retried count the
	// rate-limit responses and transient failures among them.
	Requests    int
	RateLimited int
	Retried     int
	// LimiterWait is the time workers spent waiting on the limiter, summed
	// over workers.
	LimiterWait time.Duration

	// Inserted, Updated and Skipped count stored bars: new days, changed
	// days replaced (with force), and days stored already.
	Inserted int64
	Updated  int64
	Skipped  int64
	// Rejected counts the bars that failed validation; RejectedByRule
	// counts their violations by rule (a bar may break several).
	Rejected       int
	RejectedByRule map[pricefill.Rule]int

	// Failures lists the tasks this run gave up, in symbol order.
	Failures []Failure
	// Symbols has one line per symbol this run completed or gave up, in
	// symbol order.
	Symbols []SymbolReport
}

// A Failure is a task given up, and why.
type Failure struct {
	Symbol   string
	Kind     pricefill.Kind
	Attempts int
	Err      string
}

// A SymbolReport is what the run did for one symbol.
type SymbolReport struct {
	Symbol   string
	Status   queue.Status
	Requests int
	Inserted int64
	Updated  int64
	Skipped  int64
	Rejected int
	// Completeness is the share of expected trading days stored, in
	// percent; 0 for a failed symbol.
	Completeness float64
}

// Progress is a snapshot of a run, as given to the function of
// [WithProgress].
type Progress struct {
	// Total is the number of tasks in the run; Done counts those completed
	// or given up, including AlreadyDone.
	Total       int
	Done        int
	Succeeded   int
	Failed      int
	AlreadyDone int
	Requests    int
	Elapsed     time.Duration
	// Rate is the tasks done per second by this run so far.
	Rate float64
	// ETA is the time left at that rate, or 0 when unknown.
	ETA time.Duration
}

func (r *Report) sort() {
	sort.Slice(r.Failures, func(i, j int) bool { return r.Failures[i].Symbol < r.Failures[j].Symbol })
	sort.Slice(r.Symbols, func(i, j int) bool { return r.Symbols[i].Symbol < r.Symbols[j].Symbol })
}
