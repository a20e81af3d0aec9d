package backfill

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// A Report says what a run did. Counts are of this run's work: a task
// completed by an earlier run counts in AlreadyDone and nowhere else. In
// JSON, durations are seconds.
type Report struct {
	Range    pricefill.Range `json:"-"`
	Started  time.Time       `json:"started"`
	Duration time.Duration   `json:"-"`
	// Interrupted says the run's context ended before every task did.
	Interrupted bool `json:"interrupted"`

	// Total is the number of symbols (tasks) in the run.
	Total int `json:"total"`
	// Succeeded counts the tasks this run completed, Covered among them.
	Succeeded int `json:"succeeded"`
	// Covered counts the tasks completed without a request because the
	// store held every trading day of their range already.
	Covered int `json:"covered"`
	// Failed counts the tasks this run gave up: Failures says why.
	Failed int `json:"failed"`
	// AlreadyDone counts the tasks that were completed before the run began.
	AlreadyDone int `json:"already_done"`
	// Unfinished counts the tasks neither completed nor given up when the
	// run ended: interrupted, or left to another process.
	Unfinished int `json:"unfinished"`
	// Elsewhere counts the tasks that other processes completed or gave up
	// while the run went on: a fleet on one database shares the work.
	Elsewhere int `json:"elsewhere"`
	// TakenOver counts the tasks that another process took over while this
	// run held them (the lease lapsed, or the run seemed dead): this run's
	// work on them was dropped, and the other process did them.
	TakenOver int `json:"taken_over"`

	// Requests counts the fetches made; RateLimited and Retried count the
	// rate-limit responses and transient failures among them, and Deferred
	// the failures charged to no symbol because the provider could not be
	// reached or was down.
	Requests    int `json:"requests"`
	RateLimited int `json:"rate_limited"`
	Retried     int `json:"retried"`
	Deferred    int `json:"deferred"`
	// LimiterWait is the time workers spent waiting on the limiter, summed
	// over workers.
	LimiterWait time.Duration `json:"-"`

	// Counts counts the stored bars: new days, changed days replaced (with
	// force), and days stored already.
	pricefill.Counts
	// Rejected counts the bars that failed validation in the fetches of
	// completed tasks; RejectedByRule counts their violations by rule (a
	// bar may break several).
	Rejected       int                    `json:"rejected"`
	RejectedByRule map[pricefill.Rule]int `json:"rejected_by_rule"`
	// Dropped counts the fields dropped from bars that were kept without
	// them (see [FieldDropper]), in the fetches of completed tasks: an
	// invalid adjusted close, stored as unknown. DroppedByRule counts them
	// by the rule they broke; it is nil when none was dropped.
	Dropped       int                    `json:"dropped"`
	DroppedByRule map[pricefill.Rule]int `json:"dropped_by_rule,omitempty"`

	// Holes counts the known holes (see [Hole]) in the ranges of the tasks
	// this run completed, up to their last session over: trading days the
	// provider was asked for and did not serve. NotFetched counts the
	// trading days there that are neither stored nor known holes: not
	// asked for yet (a hole's day the provider serves later moves to
	// stored). With a store that is no [HoleKeeper], NotFetched counts
	// the holes too.
	Holes      int `json:"holes"`
	NotFetched int `json:"not_fetched"`
	// NullDays counts the days the provider listed without prices in the
	// fetches of completed tasks (see [pricefill.Series.Nulls]); each is
	// logged at level Debug and is a hole.
	NullDays int `json:"null_days"`
	// Restated counts the symbols completed whose stored history the
	// provider had restated (a new dividend or split, or another adjusted
	// close of a day stored): their range was fetched again, one request
	// more each, and every stored day whose values changed replaced (see
	// [BarLister]). Their bars replaced are among Updated.
	Restated int `json:"restated"`

	// ServedBy counts the symbols this run completed by the source of
	// their bars ([pricefill.Bar.Source]): which provider served them,
	// as "yahoo" (sources joined by "+" for a symbol whose spans
	// different providers served; see [SymbolReport.Source]). Symbols
	// completed without bars are not counted. Nil when none is.
	ServedBy map[string]int `json:"served_by,omitempty"`

	// WeekdayRule lists the symbols this run completed whose exchange has no
	// calendar (see [WithCalendarFor]): every weekday was expected of them,
	// a holiday counted as missing. In symbol order; nil when none.
	WeekdayRule []string `json:"weekday_rule,omitempty"`

	// Failures lists the tasks this run gave up, in symbol order.
	Failures []Failure `json:"failures"`
	// Symbols has one line per symbol this run completed or gave up, in
	// symbol order.
	Symbols []SymbolReport `json:"symbols"`

	// Limiter is the limiter's budget when the run ended, where the
	// limiter tells it (see [StatusReporter]): what was holding requests
	// back, if anything.
	Limiter *ratelimit.Status `json:"limiter,omitempty"`
}

// A Failure is a task given up, and why.
type Failure struct {
	Symbol   string         `json:"symbol"`
	Kind     pricefill.Kind `json:"kind"`
	Attempts int            `json:"attempts"`
	Err      string         `json:"error"`
}

// A SymbolReport is what the run did for one symbol.
type SymbolReport struct {
	Symbol   string       `json:"symbol"`
	Status   queue.Status `json:"status"`
	Requests int          `json:"requests"`
	// Counts counts the symbol's bars stored, by what became of them.
	pricefill.Counts
	Rejected int `json:"rejected"`
	// Dropped counts the fields dropped from the symbol's bars kept.
	Dropped int `json:"dropped"`
	// Completeness is the share of expected trading days stored, in
	// percent; 0 for a failed symbol.
	Completeness float64 `json:"completeness_pct"`
	// Holes and NotFetched count the expected trading days not stored:
	// known holes, and days not asked for yet (see [Report.Holes]).
	Holes      int `json:"holes"`
	NotFetched int `json:"not_fetched"`
	// Restated says the provider had restated the symbol's stored
	// history, and its range was fetched again (see [Report.Restated]).
	Restated bool `json:"restated,omitempty"`
	// Source is the source of the bars fetched for the symbol (the
	// provider that served them, as the fetcher sets [pricefill.Bar.Source],
	// such as "yahoo"), or the sources joined by "+" in the order they came
	// when different providers of a [Fallback] served its spans; "" when
	// nothing was fetched or the bars name no source.
	Source string `json:"source,omitempty"`
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
	// Limiter is the limiter's budget, where the limiter tells it (see
	// [StatusReporter]); when it holds requests back (a spent budget, an
	// outage), the ETA is after that wait.
	Limiter *ratelimit.Status
}

// addDrops adds the fields dropped from one task's bars, by rule. The map
// is copied on write: reports handed out share it.
func (r *Report) addDrops(dropped map[pricefill.Rule]int) {
	if len(dropped) == 0 {
		return
	}
	m := make(map[pricefill.Rule]int, len(r.DroppedByRule)+len(dropped))
	maps.Copy(m, r.DroppedByRule)
	for rule, n := range dropped {
		m[rule] += n
		r.Dropped += n
	}
	r.DroppedByRule = m
}

// byRule formats counts by rule as "rule n, rule n", in rule order.
func byRule(m map[pricefill.Rule]int) string {
	rules := make([]string, 0, len(m))
	for rule, n := range m {
		rules = append(rules, fmt.Sprintf("%s %d", rule, n))
	}
	slices.Sort(rules)
	return strings.Join(rules, ", ")
}

// servedBy formats symbols counted by source as "yahoo 480, stooq 20",
// the most first, then in source order.
func servedBy(m map[string]int) string {
	sources := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = fmt.Sprintf("%s %d", s, m[s])
	}
	return strings.Join(parts, ", ")
}

// sum returns the sum of the counts of m.
func sum(m map[pricefill.Rule]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (r *Report) sort() {
	slices.SortFunc(r.Failures, func(a, b Failure) int { return cmp.Compare(a.Symbol, b.Symbol) })
	slices.SortFunc(r.Symbols, func(a, b SymbolReport) int { return cmp.Compare(a.Symbol, b.Symbol) })
	slices.Sort(r.WeekdayRule)
}

// CompletenessThreshold is the completeness, in percent, under which
// [Report.Incomplete] lists a symbol.
const CompletenessThreshold = 95.0

// Completeness returns the lowest and the median completeness of the
// symbols this run completed, and false when it completed none.
func (r *Report) Completeness() (lowest, median float64, ok bool) {
	var cs []float64
	for _, s := range r.Symbols {
		if s.Status == queue.Completed {
			cs = append(cs, s.Completeness)
		}
	}
	if len(cs) == 0 {
		return 0, 0, false
	}
	slices.Sort(cs)
	median = cs[len(cs)/2]
	if len(cs)%2 == 0 {
		median = (cs[len(cs)/2-1] + cs[len(cs)/2]) / 2
	}
	return cs[0], median, true
}

// Incomplete returns the symbols this run completed with a completeness
// under [CompletenessThreshold], least complete first.
func (r *Report) Incomplete() []SymbolReport {
	var out []SymbolReport
	for _, s := range r.Symbols {
		if s.Status == queue.Completed && s.Completeness < CompletenessThreshold {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b SymbolReport) int { return cmp.Compare(a.Completeness, b.Completeness) })
	return out
}

// MarshalJSON writes the report with its range as from and to dates and
// its durations in seconds.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report // without this method
	lo, md, _ := r.Completeness()
	return json.Marshal(struct {
		From           string  `json:"from"`
		To             string  `json:"to"`
		DurationS      float64 `json:"duration_s"`
		LimiterWaitS   float64 `json:"limiter_wait_s"`
		CompletenessLo float64 `json:"completeness_min_pct"`
		CompletenessMd float64 `json:"completeness_median_pct"`
		*plain
	}{
		From:           r.Range.From.Format(pricefill.DateLayout),
		To:             r.Range.To.Format(pricefill.DateLayout),
		DurationS:      r.Duration.Seconds(),
		LimiterWaitS:   r.LimiterWait.Seconds(),
		CompletenessLo: lo,
		CompletenessMd: md,
		plain:          (*plain)(r),
	})
}

// WriteText writes the report for people to read: totals, bars, requests,
// completeness, and the failures grouped by kind with their symbols.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "range         %s\n", r.Range)
	fmt.Fprintf(&b, "symbols       %d: %d succeeded (%d already stored), %d failed, %d done before, %d unfinished",
		r.Total, r.Succeeded, r.Covered, r.Failed, r.AlreadyDone, r.Unfinished)
	if r.Elsewhere > 0 {
		fmt.Fprintf(&b, ", %d done by other processes", r.Elsewhere)
	}
	b.WriteByte('\n')
	if r.TakenOver > 0 {
		fmt.Fprintf(&b, "taken over    %d by other processes while this one held them (lease lapsed or run seemed dead)\n", r.TakenOver)
	}
	fmt.Fprintf(&b, "bars          %d inserted, %d updated, %d skipped (stored already), %d rejected\n",
		r.Inserted, r.Updated, r.Skipped, r.Rejected)
	if len(r.RejectedByRule) > 0 {
		fmt.Fprintf(&b, "rejected by   %s\n", byRule(r.RejectedByRule))
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "dropped       %s (bars kept, the field stored as unknown)\n", byRule(r.DroppedByRule))
	}
	fmt.Fprintf(&b, "requests      %d (%d rate limited, %d retried", r.Requests, r.RateLimited, r.Retried)
	if r.Deferred > 0 {
		fmt.Fprintf(&b, ", %d failed for the provider and charged to no symbol", r.Deferred)
	}
	fmt.Fprintf(&b, "); workers waited %s on the limiter\n", r.LimiterWait.Round(time.Second))
	if r.Limiter != nil && r.Limiter.Limited() {
		fmt.Fprintf(&b, "budget        %s\n", r.Limiter)
	}
	if len(r.ServedBy) > 0 {
		fmt.Fprintf(&b, "served by     %s\n", servedBy(r.ServedBy))
	}
	if lo, md, ok := r.Completeness(); ok {
		fmt.Fprintf(&b, "completeness  min %.1f%%, median %.1f%%", lo, md)
		if inc := r.Incomplete(); len(inc) > 0 {
			parts := make([]string, 0, min(len(inc), 20))
			for _, s := range inc[:min(len(inc), 20)] {
				parts = append(parts, fmt.Sprintf("%s %.1f%%", s.Symbol, s.Completeness))
			}
			more := ""
			if len(inc) > 20 {
				more = fmt.Sprintf(" and %d more", len(inc)-20)
			}
			fmt.Fprintf(&b, "; %d under %.0f%%: %s%s", len(inc), CompletenessThreshold, strings.Join(parts, ", "), more)
		}
		b.WriteByte('\n')
	}
	if r.Holes > 0 || r.NotFetched > 0 || r.NullDays > 0 {
		fmt.Fprintf(&b, "not stored    %d trading days: %d known holes (asked for, not served), %d not fetched yet",
			r.Holes+r.NotFetched, r.Holes, r.NotFetched)
		if r.NullDays > 0 {
			fmt.Fprintf(&b, "; %d days listed by the provider without prices", r.NullDays)
		}
		b.WriteByte('\n')
	}
	if r.Restated > 0 {
		fmt.Fprintf(&b, "restated      %d symbols whose history the provider restated (a new dividend or split, or a changed adjusted close): fetched again and replaced\n",
			r.Restated)
	}
	if n := len(r.WeekdayRule); n > 0 {
		fmt.Fprintf(&b, "calendars     %d on the weekday rule, their exchange having no calendar (holidays count as missing): %s",
			n, strings.Join(r.WeekdayRule[:min(n, 20)], " "))
		if n > 20 {
			fmt.Fprintf(&b, " and %d more", n-20)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "duration      %s\n", r.Duration.Round(time.Millisecond))
	if r.Interrupted {
		b.WriteString("interrupted   yes: run again to resume\n")
	}
	if len(r.Failures) > 0 {
		byKind := make(map[pricefill.Kind][]Failure)
		var kinds []pricefill.Kind
		for _, f := range r.Failures {
			if byKind[f.Kind] == nil {
				kinds = append(kinds, f.Kind)
			}
			byKind[f.Kind] = append(byKind[f.Kind], f)
		}
		slices.Sort(kinds)
		b.WriteString("failures\n")
		for _, k := range kinds {
			fs := byKind[k]
			syms := make([]string, len(fs))
			for i, f := range fs {
				syms[i] = f.Symbol
			}
			fmt.Fprintf(&b, "  %s (%d): %s\n", k, len(fs), strings.Join(syms, " "))
			for _, f := range fs {
				fmt.Fprintf(&b, "    %s after %d attempts: %s\n", f.Symbol, f.Attempts, f.Err)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
