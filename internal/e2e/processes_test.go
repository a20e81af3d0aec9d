package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// The two-process run: one process alone would take 40 × 100 ms / 2 = 2 s,
// ample time for the other to start and take its share.
const (
	twoSymbols = 40
	twoDays    = 15
	twoLatency = 100 * time.Millisecond
)

// cliReport is the part of the program's --report-json that the tests read.
type cliReport struct {
	Total       int   `json:"total"`
	Succeeded   int   `json:"succeeded"`
	Failed      int   `json:"failed"`
	AlreadyDone int   `json:"already_done"`
	Unfinished  int   `json:"unfinished"`
	Requests    int   `json:"requests"`
	Inserted    int64 `json:"inserted"`
	Elsewhere   int   `json:"elsewhere"`
	TakenOver   int   `json:"taken_over"`
}

// A proc is the program, started as a process of its own.
type proc struct {
	cmd    *exec.Cmd
	out    *strings.Builder
	report string // its --report-json
	done   chan error
	err    error
	exited bool
}

// startProc starts the program with args and --report-json; it is killed
// when t ends, if it is still running.
func startProc(t *testing.T, ctx context.Context, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, ctx, nil, args...)
}

// startProcEnv is startProc with env added to the program's environment.
func startProcEnv(t *testing.T, ctx context.Context, env []string, args ...string) *proc {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	cmd, out := cliCommand(t, ctx, append(args, "--report-json", report)...)
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, report: report, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // an error: it has exited already
		p.wait(t)
	})
	return p
}

// wait waits for the program to exit and returns its exit status.
func (p *proc) wait(t tb) int {
	t.Helper()
	if !p.exited {
		p.err, p.exited = <-p.done, true
	}
	return exitCode(t, p.err)
}

// runFleet runs n programs at once with the same args; each must exit 0.
// It returns their reports.
func runFleet(t *testing.T, ctx context.Context, n int, args ...string) []cliReport {
	t.Helper()
	var procs []*proc
	for range n {
		procs = append(procs, startProc(t, ctx, args...))
	}
	var reps []cliReport
	for i, p := range procs {
		if code := p.wait(t); code != 0 {
			t.Fatalf("process %d exited %d, want 0:\n%s", i, code, p.out)
		}
		reps = append(reps, readReport(t, p.report))
	}
	return reps
}

func readReport(t tb, path string) cliReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the program's report: %v", err)
	}
	var r cliReport
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("the program's report: %v", err)
	}
	return r
}

// TestTwoProcesses starts two programs at once on one database (a
// PostgreSQL schema, and an SQLite file), with the same symbols: both
// succeed, both take a share of the work, each symbol is fetched by one of
// them only, and every bar is stored once.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			twoProcesses(t, d.dsn(t))
		})
	}
}

func twoProcesses(t *testing.T, dsn string) {
	srv := upstream.ForTest(t, upstream.WithLatency(twoLatency))
	syms := symbols("P", twoSymbols)
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
		"--days", fmt.Sprint(twoDays), "--rate", "0", "--concurrency", "2", "--lease", "10s", "--log-level", "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	reps := runFleet(t, ctx, 2, args...)
	end := time.Now()

	want := map[string]int{}
	for _, s := range syms {
		want[s] = 1
	}
	if diff := cmp.Diff(want, fetches(srv, syms)); diff != "" {
		t.Errorf("data requests per symbol (-want +got):\n%s", diff)
	}
	var succeeded, requests int
	var inserted int64
	for i, r := range reps {
		t.Logf("process %d: %+v", i, r)
		succeeded += r.Succeeded
		requests += r.Requests
		inserted += r.Inserted
		if r.Succeeded == 0 {
			t.Errorf("process %d completed no task: the processes did not share the work (%+v)", i, r)
		}
		if r.Failed != 0 || r.Unfinished != 0 {
			t.Errorf("process %d: %d failed, %d unfinished, want none", i, r.Failed, r.Unfinished)
		}
	}
	if succeeded != twoSymbols || requests != twoSymbols {
		t.Errorf("the processes completed %d tasks with %d requests between them, want %d and %d", succeeded, requests, twoSymbols, twoSymbols)
	}

	tasks := mustSnapshot(t, dsn)
	db := openStore(t, dsn)
	e := expect(srv, syms, runRange(start, twoDays), start, end)
	total := 0
	for _, s := range syms {
		if tk := tasks[s]; tk.Status != queue.Completed {
			t.Errorf("%s: %+v, want completed", s, tk)
		}
		total += e.check(t, s, storedBars(t, db, s))
	}
	if inserted != int64(total) {
		t.Errorf("%d bars expected; the processes reported %d inserted", total, inserted)
	}
}
