package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
)

// modulePath is the module whose examples/cli the fleet and outage
// experiments build.
const modulePath = "github.com/pricefill/pricefill"

// A program is examples/cli, built by buildProgram: the fleet and outage
// experiments run it as processes of their own, as an operator would.
type program struct {
	path string
	// race says it was built with -race (the smoke tests build it so, to
	// reuse the packages compiled for them): its environment then keeps
	// ThreadSanitizer from sleeping a second at exit.
	race bool
}

// buildProgram builds examples/cli into dir with go build, in the root of
// the module that holds the working directory (go env GOMOD), which must
// be pricefill's.
func buildProgram(ctx context.Context, dir string, race bool) (*program, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "pricefill")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./examples/cli")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s in %s: %w\n%s", strings.Join(cmd.Args[1:], " "), root, err, out)
	}
	return &program{path: bin, race: race}, nil
}

// moduleRoot returns the directory of the go.mod that go env GOMOD names
// for the working directory, after checking that it is pricefill's.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: the working directory is in no module; run the benchmark inside %s's", modulePath)
	}
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if name = strings.Trim(strings.TrimSpace(name), `"`); name != modulePath {
				return "", fmt.Errorf("%s is the module %s, not %s; run the benchmark inside pricefill's", gomod, name, modulePath)
			}
			return filepath.Dir(gomod), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading %s: %w", gomod, err)
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// cliReport is the part of the program's --report-json that the
// experiments read.
type cliReport struct {
	From        string  `json:"from"`
	To          string  `json:"to"`
	DurationS   float64 `json:"duration_s"`
	Total       int     `json:"total"`
	Succeeded   int     `json:"succeeded"`
	Failed      int     `json:"failed"`
	AlreadyDone int     `json:"already_done"`
	Unfinished  int     `json:"unfinished"`
	Requests    int     `json:"requests"`
	RateLimited int     `json:"rate_limited"`
	Retried     int     `json:"retried"`
	Deferred    int     `json:"deferred"`
	Inserted    int64   `json:"inserted"`
}

// rng returns the range the run asked for.
func (r cliReport) rng() (pricefill.Range, error) {
	from, err := pricefill.ParseDate(r.From)
	if err != nil {
		return pricefill.Range{}, fmt.Errorf("the report's from: %w", err)
	}
	to, err := pricefill.ParseDate(r.To)
	if err != nil {
		return pricefill.Range{}, fmt.Errorf("the report's to: %w", err)
	}
	return pricefill.Range{From: from, To: to}, nil
}

// A process is the program running.
type process struct {
	cmd        *exec.Cmd
	out        *strings.Builder
	reportPath string
	started    time.Time
}

// start starts the program with args and --report-json into reportPath,
// its environment cleared of DATABASE_URL and the API keys. ctx ending
// kills it.
func (p *program) start(ctx context.Context, reportPath string, args ...string) (*process, error) {
	cmd := exec.CommandContext(ctx, p.path, append(args, "--report-json", reportPath)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "STOOQ_API_KEY=") && !strings.HasPrefix(kv, "ALPHAVANTAGE_API_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if p.race {
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the program: %w", err)
	}
	return &process{cmd: cmd, out: out, reportPath: reportPath, started: time.Now()}, nil
}

// An exit is how a process ended.
type exit struct {
	code int // the exit status; -1 when a signal ended it
	wall time.Duration
	// report is its --report-json; hasReport says it wrote one.
	report    cliReport
	hasReport bool
	output    string
}

// tail returns the end of the program's output, for an error message.
func (e exit) tail() string {
	const most = 2000
	if len(e.output) <= most {
		return e.output
	}
	return "…" + e.output[len(e.output)-most:]
}

// wait waits for the process to end and reads its report.
func (pr *process) wait() (exit, error) {
	err := pr.cmd.Wait()
	e := exit{wall: time.Since(pr.started), output: pr.out.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		e.code = ee.ExitCode()
	default:
		return e, fmt.Errorf("running the program: %w", err)
	}
	raw, err := os.ReadFile(pr.reportPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return e, nil
	case err != nil:
		return e, err
	}
	if err := json.Unmarshal(raw, &e.report); err != nil {
		return e, fmt.Errorf("the program's report %s: %w", pr.reportPath, err)
	}
	e.hasReport = true
	return e, nil
}
