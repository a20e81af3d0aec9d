package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pricefill/pricefill/internal/upstream"
)

// A syncBuffer collects a program's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A scrape is one read of /metrics: its text and its families by name.
type scrape struct {
	text     string
	families map[string]*dto.MetricFamily
}

// value returns the value of the series of metric name whose labels
// include labels (name=value pairs), or 0 when there is none.
func (s scrape) value(name string, labels ...string) float64 {
	mf := s.families[name]
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// scrapeMetrics reads http://addr/metrics.
func scrapeMetrics(ctx context.Context, addr string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return scrape{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scrape{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return scrape{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return scrape{}, fmt.Errorf("GET /metrics: %s: %s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return scrape{}, fmt.Errorf("parsing /metrics: %w", err)
	}
	return scrape{text: string(body), families: fams}, nil
}

var metricsAddrRE = regexp.MustCompile(`metrics_addr=(\S+)`)

// A metricsProc is the program started with --metrics-addr 127.0.0.1:0.
type metricsProc struct {
	t      *testing.T
	ctx    context.Context
	out    *syncBuffer
	exited chan error // its exit, once: put it back after taking it
	addr   string     // the address it logged as metrics_addr
	cmd    *exec.Cmd
}

// startMetricsProc starts the program with args, env added to its
// environment, and --metrics-addr 127.0.0.1:0, and waits for the address
// it logs. The program is killed when t ends, if still running.
func startMetricsProc(t *testing.T, ctx context.Context, env []string, args ...string) *metricsProc {
	t.Helper()
	cmd, _ := cliCommand(t, ctx, append(args, "--metrics-addr", "127.0.0.1:0")...)
	cmd.Env = append(cmd.Env, env...)
	p := &metricsProc{t: t, ctx: ctx, out: &syncBuffer{}, exited: make(chan error, 1), cmd: cmd}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // an error: it has exited already
		<-p.exited
	})
	p.poll("metrics_addr logged", func() bool {
		m := metricsAddrRE.FindStringSubmatch(p.out.String())
		if m != nil {
			p.addr = m[1]
		}
		return m != nil
	})
	if !strings.HasPrefix(p.addr, "127.0.0.1:") || strings.HasSuffix(p.addr, ":0") {
		t.Fatalf("metrics_addr=%s, want 127.0.0.1 and the port the program got", p.addr)
	}
	return p
}

// poll calls try every 20 ms until it reports done; it fails the test
// when the program exits or a minute passes first.
func (p *metricsProc) poll(what string, try func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !try() {
		select {
		case err := <-p.exited:
			p.exited <- err
			p.t.Fatalf("the program exited (%v) before %s:\n%s", err, what, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s within a minute:\n%s", what, p.out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling another process: no clock to drive
	}
}

// scrape scrapes the program's /metrics until done says the scrape is the
// one wanted, and returns it.
func (p *metricsProc) scrape(what string, done func(scrape) bool) scrape {
	p.t.Helper()
	var s scrape
	p.poll(what, func() bool {
		var err error
		if s, err = scrapeMetrics(p.ctx, p.addr); err != nil {
			p.t.Fatalf("scraping %s: %v", p.addr, err)
		}
		return done(s)
	})
	return s
}

// wait waits for the program's exit and returns its status.
func (p *metricsProc) wait() int {
	p.t.Helper()
	err := <-p.exited
	p.exited <- err
	return exitCode(p.t, err)
}

// TestMetricsDuringARun: the program run with --metrics-addr 127.0.0.1:0
// logs the port it got and serves /metrics while it runs: between two
// scrapes during the run the provider's answered requests, the limiter's
// grants and the completed tasks move, and are above zero; the run is in
// progress in both; the scrape has the Go and process metrics too, its
// pricefill metrics pass the client library's lint, and the API key is
// nowhere in it.
func TestMetricsDuringARun(t *testing.T) {
	t.Parallel()
	const key = "AVKEY-metrics-e2e"
	srv := upstream.ForTest(t, upstream.WithAPIKey(key), upstream.WithLatency(50*time.Millisecond))
	syms := symbols("M", 16)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := startMetricsProc(t, ctx, []string{"ALPHAVANTAGE_API_KEY=" + key}, "--db", dialects[0].dsn(t), "--source", "alphavantage",
		"--base-url", srv.URL(), "--symbols", strings.Join(syms, ","), "--days", "10", "--rate", "5", "--daily-limit", "0")
	answered := func(s scrape) float64 {
		return s.value("pricefill_provider_requests_total", "provider", "alphavantage", "outcome", "answered")
	}
	grants := func(s scrape) float64 { return s.value("pricefill_limiter_grants_total", "provider", "alphavantage") }
	completed := func(s scrape) float64 { return s.value("pricefill_tasks_total", "status", "completed") }

	first := p.scrape("answered request in a scrape", func(s scrape) bool { return answered(s) > 0 && completed(s) > 0 })
	second := p.scrape("scrape with more requests and tasks", func(s scrape) bool {
		return answered(s) > answered(first) && grants(s) > grants(first) && completed(s) > completed(first)
	})
	for i, s := range []scrape{first, second} {
		if n := s.value("pricefill_runs_in_progress"); n != 1 {
			t.Errorf("scrape %d: %g runs in progress, want 1", i+1, n)
		}
		// The counter is read before the gauge: a task may complete
		// in between.
		if n := s.value("pricefill_run_tasks", "state", "completed"); n < completed(s) {
			t.Errorf("scrape %d: %g tasks of the run completed, fewer than the %g completions counted", i+1, n, completed(s))
		}
		for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "pricefill_limiter_breaker_state"} {
			if s.families[name] == nil {
				t.Errorf("scrape %d has no %s", i+1, name)
			}
		}
	}
	t.Logf("first scrape: %g answered, %g granted, %g completed; second: %g, %g, %g",
		answered(first), grants(first), completed(first), answered(second), grants(second), completed(second))

	var ours []*dto.MetricFamily
	for name, mf := range second.families {
		if strings.HasPrefix(name, "pricefill_") {
			ours = append(ours, mf)
		}
	}
	problems, err := promlint.NewWithMetricFamilies(ours).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("lint: %s: %s", pr.Metric, pr.Text)
	}
	var sample strings.Builder
	for _, line := range strings.Split(second.text, "\n") {
		if strings.HasPrefix(line, "pricefill_") && !strings.HasSuffix(line, " 0") {
			sample.WriteString(line + "\n")
		}
	}
	t.Logf("the second scrape's pricefill series that are not 0:\n%s", sample.String())

	if code := p.wait(); code != 0 {
		t.Fatalf("the program exited %d:\n%s", code, p.out.String())
	}
	noSecrets(t, map[string]string{"the first scrape": first.text, "the second scrape": second.text, "the output": p.out.String()}, key)
	if n := len(srv.Requests()); n != len(syms) {
		t.Errorf("the provider got %d requests, want %d", n, len(syms))
	}
}

// TestMetricsBetweenScheduledRuns: between two runs of --scheduled the
// program still serves /metrics: the run that finished is counted, none
// is in progress, and the limiter's counts stay; an interrupt stops it.
func TestMetricsBetweenScheduledRuns(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := startMetricsProc(t, ctx, nil, "--db", dialects[0].dsn(t), "--source", "synthetic", "--symbols", "AAPL,MSFT,KO",
		"--days", "10", "--scheduled", "--every", "1h")
	p.poll("next run logged", func() bool { return strings.Contains(p.out.String(), `msg="next run"`) })
	s := p.scrape("scrape", func(scrape) bool { return true })
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"pricefill_runs_total", []string{"outcome", "finished"}, 1},
		{"pricefill_runs_in_progress", nil, 0},
		{"pricefill_run_tasks", []string{"state", "completed"}, 0},
		{"pricefill_tasks_total", []string{"status", "completed"}, 3},
		{"pricefill_limiter_grants_total", []string{"provider", "synthetic"}, 3},
	} {
		if got := s.value(c.name, c.labels...); got != c.want || s.families[c.name] == nil {
			t.Errorf("%s%v = %g between runs (exported: %t), want %g", c.name, c.labels, got, s.families[c.name] != nil, c.want)
		}
	}
	if h := s.families["pricefill_run_duration_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("pricefill_run_duration_seconds: %v, want one run observed", h)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 130 {
		t.Errorf("interrupted between runs: exit %d, want 130:\n%s", code, p.out.String())
	}
}
