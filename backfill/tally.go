package backfill

import (
	"maps"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// A tally counts what one run did, for its progress and its report: the
// requests, the tasks' ends, the bars. The scheduler and the tasks add to
// it from many workers; it is safe for concurrent use.
type tally struct {
	start time.Time
	step  int         // progress is reported every step tasks done
	m     *runMetrics // counts the ends too; nil without metrics

	mu       sync.Mutex
	rep      Report
	done     int           // tasks terminal, AlreadyDone included
	reported int           // done/step at the last progress report on a step
	requests map[int64]int // fetches per task
	inFlight int           // tasks claimed whose end is not counted yet
}

func newTally(start time.Time, total int, rng pricefill.Range, already int, m *runMetrics) *tally {
	tl := &tally{
		start:    start,
		m:        m,
		step:     max(1, min(total/10, 10)),
		done:     already,
		requests: make(map[int64]int),
	}
	tl.reported = already / tl.step
	tl.rep = Report{
		Range:          rng,
		Started:        start,
		Total:          total,
		AlreadyDone:    already,
		RejectedByRule: make(map[pricefill.Rule]int),
	}
	return tl
}

// add changes the report under the lock.
func (tl *tally) add(f func(rep *Report)) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	f(&tl.rep)
}

// request counts a fetch made for task id.
func (tl *tally) request(id int64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.rep.Requests++
	tl.requests[id]++
}

func (tl *tally) rateLimited()                { tl.add(func(r *Report) { r.RateLimited++ }) }
func (tl *tally) deferred()                   { tl.add(func(r *Report) { r.Deferred++ }) }
func (tl *tally) retried()                    { tl.add(func(r *Report) { r.Retried++ }) }
func (tl *tally) limiterWait(d time.Duration) { tl.add(func(r *Report) { r.LimiterWait += d }) }

// claimed counts a task claimed; its end is counted by record, takenOver
// or unrecorded.
func (tl *tally) claimed() { tl.add(func(*Report) { tl.inFlight++ }) }

// unrecorded counts the end of a claim that could not be recorded.
func (tl *tally) unrecorded() { tl.add(func(*Report) { tl.inFlight-- }) }

// takenOver counts the end of a claim that another worker took over.
func (tl *tally) takenOver() {
	tl.add(func(r *Report) {
		tl.inFlight--
		r.TakenOver++
		tl.m.takenOver()
	})
}

// record adds the recorded end of task t, as res says, and reports
// whether a progress report is due: another step of tasks is done.
func (tl *tally) record(t *queue.Task, res result) (due bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	rep := &tl.rep
	status := res.outcome.Status
	tl.inFlight--
	tl.m.ended(status, res)
	switch status {
	case queue.Completed:
		rep.Succeeded++
		if res.covered {
			rep.Covered++
		}
		rep.Rejected += res.check.Rejected
		for rule, n := range res.check.RejectedByRule {
			rep.RejectedByRule[rule] += n
		}
		rep.addDrops(res.check.DroppedByRule)
		rep.Counts = rep.Counts.Add(res.saved)
		rep.Holes += res.coverage.holes
		rep.NotFetched += res.coverage.notFetched()
		rep.NullDays += res.nulls
		if res.restated {
			rep.Restated++
		}
		if res.weekdayRule {
			rep.WeekdayRule = append(rep.WeekdayRule, t.Symbol)
		}
		if res.source != "" {
			if rep.ServedBy == nil {
				rep.ServedBy = make(map[string]int)
			}
			rep.ServedBy[res.source]++
		}
	case queue.PermanentlyFailed:
		rep.Failed++
		attempts := t.Attempts
		if res.outcome.Attempt {
			attempts++
		}
		rep.Failures = append(rep.Failures, Failure{Symbol: t.Symbol, Kind: res.kind, Attempts: attempts, Err: res.outcome.Error})
	}
	if !status.Terminal() {
		return false
	}
	tl.done++
	rep.Symbols = append(rep.Symbols, SymbolReport{
		Symbol: t.Symbol, Status: status, Requests: tl.requests[t.ID], Counts: res.saved,
		Rejected: res.check.Rejected, Dropped: sum(res.check.DroppedByRule),
	})
	if status == queue.Completed {
		sr := &rep.Symbols[len(rep.Symbols)-1]
		sr.Completeness, sr.Holes, sr.NotFetched = res.coverage.completeness(), res.coverage.holes, res.coverage.notFetched()
		sr.Restated, sr.Source = res.restated, res.source
	}
	if tl.done/tl.step > tl.reported {
		tl.reported = tl.done / tl.step
		return true
	}
	return false
}

// progress returns the progress at now.
func (tl *tally) progress(now time.Time) Progress {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	p := Progress{
		Total:       tl.rep.Total,
		Done:        tl.done,
		Succeeded:   tl.rep.Succeeded,
		Failed:      tl.rep.Failed,
		AlreadyDone: tl.rep.AlreadyDone,
		Requests:    tl.rep.Requests,
		Elapsed:     now.Sub(tl.start),
	}
	if byRun := p.Done - p.AlreadyDone; byRun > 0 && p.Elapsed > 0 {
		p.Rate = float64(byRun) / p.Elapsed.Seconds()
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}

// report returns a copy of the report at now, once the workers have
// stopped: left is the queue's summary of the run's unfinished tasks (nil
// when it could not be read) and limiter the limiter's status, if known.
func (tl *tally) report(now time.Time, left *queue.Summary, limiter *ratelimit.Status) *Report {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	rep := tl.rep
	rep.Duration = now.Sub(tl.start)
	if left != nil {
		rep.Unfinished = left.Total() - left.Counts[queue.Completed] - left.Counts[queue.PermanentlyFailed]
		rep.Elsewhere = max(0, rep.Total-rep.AlreadyDone-rep.Succeeded-rep.Failed-rep.Unfinished)
	} else {
		rep.Unfinished = rep.Total - rep.AlreadyDone - rep.Succeeded - rep.Failed
	}
	rep.Failures = append([]Failure(nil), rep.Failures...)
	rep.Symbols = append([]SymbolReport(nil), rep.Symbols...)
	rep.WeekdayRule = append([]string(nil), rep.WeekdayRule...)
	rep.RejectedByRule = make(map[pricefill.Rule]int, len(tl.rep.RejectedByRule))
	for k, v := range tl.rep.RejectedByRule {
		rep.RejectedByRule[k] = v
	}
	rep.ServedBy = maps.Clone(tl.rep.ServedBy)
	rep.sort()
	rep.Limiter = limiter
	return &rep
}
