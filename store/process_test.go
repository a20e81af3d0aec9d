package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// The environment of a helper process: the tests re-run their own binary
// as other processes on one database.
const (
	helperRoleEnv = "PRICEFILL_STORE_HELPER" // migrate or work
	helperDSNEnv  = "PRICEFILL_STORE_DSN"
	helperIDsEnv  = "PRICEFILL_STORE_IDS" // work: the task IDs, comma-separated
	helperOutEnv  = "PRICEFILL_STORE_OUT" // work: the file to list the tasks it completed in
)

// TestHelperProcess is not a test: it is what a helper process runs.
// Started by runHelpers, it waits until its standard input closes, so that
// the helpers start their work at once, then does its role.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperRoleEnv)
	if role == "" {
		return
	}
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, os.Getenv(helperDSNEnv))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if role != "work" {
		return
	}
	var ids []int64
	for _, s := range strings.Split(os.Getenv(helperIDsEnv), ",") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	completed, err := work(db, ids, fmt.Sprintf("pid%d", os.Getpid()), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, id := range completed {
		fmt.Fprintln(&out, id)
	}
	if err := os.WriteFile(os.Getenv(helperOutEnv), []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runHelpers runs n helper processes with role on dsn at once, each with
// the environment extra(i) adds, and fails t unless all succeed.
func runHelpers(t *testing.T, n int, role, dsn string, extra func(i int) []string) {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	stdins := make([]io.WriteCloser, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperRoleEnv+"="+role, helperDSNEnv+"="+dsn)
		if extra != nil {
			cmd.Env = append(cmd.Env, extra(i)...)
		}
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i], stdins[i] = cmd, stdin
	}
	for _, stdin := range stdins { // release them together
		_ = stdin.Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d (%s): %v\n%s", i, role, err, outs[i])
		}
	}
}

// work runs workers goroutines that claim tasks among ids from db and save
// bars for them, completing each in the same transaction, until none is
// left to claim. It returns the IDs of the tasks completed. When held is
// not nil, it checks that no two workers hold one task at once.
func work(db *store.DB, ids []int64, name string, workers int, held *holders) ([]int64, error) {
	return workOn(func(int) *store.DB { return db }, ids, name, workers, held)
}

// workOn is work with worker i using db(i).
func workOn(db func(i int) *store.DB, ids []int64, name string, workers int, held *holders) ([]int64, error) {
	var (
		mu        sync.Mutex
		completed []int64
		wg        sync.WaitGroup
		errs      = make(chan error, workers)
	)
	run, _, err := db(0).StartRun(ctx, ids, name, time.Hour)
	if err != nil {
		return nil, err
	}
	for w := range workers {
		wg.Go(func() {
			worker := fmt.Sprintf("%s-w%d", name, w)
			for {
				task, err := db(w).Claim(ctx, run, worker, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if task == nil {
					return
				}
				if err := held.take(task.ID, worker); err != nil {
					errs <- err
					return
				}
				res, err := db(w).SaveAndComplete(ctx, backfill.SaveRequest{Series: series(task.Symbol, weekdays(task.Symbol, task.Range.From, 3)), Range: task.Range}, task, 100)
				held.give(task.ID)
				if err != nil {
					errs <- fmt.Errorf("%s: save task %d: %w", worker, task.ID, err)
					return
				}
				if res.Inserted != 3 {
					errs <- fmt.Errorf("%s: save task %d: %+v, want 3 inserted", worker, task.ID, res)
					return
				}
				mu.Lock()
				completed = append(completed, task.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return completed, nil
}

// holders records which worker holds which task.
type holders struct {
	mu sync.Mutex
	m  map[int64]string
}

func (h *holders) take(id int64, worker string) error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if other, ok := h.m[id]; ok {
		return fmt.Errorf("task %d claimed by %s while %s holds it", id, worker, other)
	}
	h.m[id] = worker
	return nil
}

func (h *holders) give(id int64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, id)
}

// enqueue200 enqueues 200 tasks.
func enqueue200(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	specs := make([]queue.Spec, 200)
	for i := range specs {
		specs[i] = queue.Spec{Symbol: fmt.Sprintf("T%03d", i), Range: pricefill.Range{From: pricefill.Date(2025, 3, 3), To: pricefill.Date(2025, 3, 7)}}
	}
	ids, err := db.Enqueue(ctx, specs, queue.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkAllCompletedOnce checks that completed lists each of ids once and
// that the queue holds them all completed, with their counts.
func checkAllCompletedOnce(t *testing.T, db *store.DB, ids, completed []int64) {
	t.Helper()
	times := make(map[int64]int)
	for _, id := range completed {
		times[id]++
	}
	for _, id := range ids {
		if times[id] != 1 {
			t.Errorf("task %d completed %d times, want once", id, times[id])
		}
	}
	if len(completed) != len(ids) {
		t.Errorf("%d completions, want %d", len(completed), len(ids))
	}
	if s := countTasks(t, db, ids); s.Counts[queue.Completed] != len(ids) {
		t.Errorf("summary %v, want %d completed", s.Counts, len(ids))
	}
	task, err := db.Get(ctx, ids[len(ids)/2])
	if err != nil {
		t.Fatal(err)
	}
	if want := (queue.Result{Counts: pricefill.Counts{Inserted: 3}, Completeness: 100}); task.Result != want {
		t.Errorf("task %d result %+v, want %+v", task.ID, task.Result, want)
	}
}

func TestEightWorkersOnSeparateConnections(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		dbs := make([]*store.DB, 8)
		for i := range dbs {
			dbs[i] = open(t, dsn)
		}
		ids := enqueue200(t, dbs[0])
		held := &holders{m: make(map[int64]string)}
		completed, err := workOn(func(i int) *store.DB { return dbs[i] }, ids, "local", len(dbs), held)
		if err != nil {
			t.Fatal(err)
		}
		checkAllCompletedOnce(t, dbs[0], ids, completed)
	})
}

func TestTwoProcessesShareTheQueue(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		db := open(t, dsn)
		ids := enqueue200(t, db)
		idList := make([]string, len(ids))
		for i, id := range ids {
			idList[i] = strconv.FormatInt(id, 10)
		}
		dir := t.TempDir()
		runHelpers(t, 2, "work", dsn, func(i int) []string {
			return []string{helperIDsEnv + "=" + strings.Join(idList, ","), helperOutEnv + "=" + filepath.Join(dir, strconv.Itoa(i))}
		})
		var completed []int64
		perProcess := make([]int, 2)
		for i := range 2 {
			b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Fields(string(b)) {
				id, err := strconv.ParseInt(line, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				completed = append(completed, id)
				perProcess[i]++
			}
		}
		checkAllCompletedOnce(t, db, ids, completed)
		t.Logf("tasks completed per process: %v", perProcess)
	})
}

func TestLeaseAcrossConnections(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		clock := clocktest.NewFake(start)
		a, b := open(t, dsn, store.WithClock(clock)), open(t, dsn, store.WithClock(clock))
		ids := enqueue200(t, a)[:2]

		stale := mustClaim(t, a, ids[:1], "a")
		if got, err := claimAmong(b, ids[:1], "b"); err != nil || got != nil {
			t.Fatalf("claim of a leased task on another connection = %v, %v; want none", got, err)
		}
		clock.Advance(time.Minute)
		fresh := mustClaim(t, b, ids[:1], "b")
		if err := a.Finish(ctx, stale, queue.Succeed(queue.Result{})); !errors.Is(err, queue.ErrLeaseLost) {
			t.Errorf("late Finish by the fenced worker: %v, want ErrLeaseLost", err)
		}
		if err := a.Extend(ctx, stale, time.Minute); !errors.Is(err, queue.ErrLeaseLost) {
			t.Errorf("late Extend by the fenced worker: %v, want ErrLeaseLost", err)
		}
		if err := b.Finish(ctx, fresh, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}})); err != nil {
			t.Errorf("Finish by the new holder: %v", err)
		}

		task := mustClaim(t, a, ids[1:], "a")
		if err := a.Finish(ctx, task, queue.Retry(clock.Now().Add(time.Hour), fmt.Errorf("503"))); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour - time.Microsecond)
		if got, err := claimAmong(b, ids[1:], "b"); err != nil || got != nil {
			t.Fatalf("claim before retry_after = %v, %v; want none", got, err)
		}
		clock.Advance(time.Microsecond)
		mustClaim(t, b, ids[1:], "b")
	})
}
