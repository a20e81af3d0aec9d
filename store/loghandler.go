package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// The defaults of a [LogHandler].
const (
	// LogBufferDefault is how many records wait for the database at most;
	// past it, records are dropped.
	LogBufferDefault = 1024
	// LogBatchDefault is how many records one INSERT writes at most.
	LogBatchDefault = 100
	// LogWriteTimeoutDefault is how long one batch may take to write.
	LogWriteTimeoutDefault = 5 * time.Second
)

// A LogOption configures [DB.NewLogHandler].
type LogOption func(*logConfig)

type logConfig struct {
	level        slog.Leveler
	buffer       int
	batch        int
	writeTimeout time.Duration
}

// WithLogLevel sets the lowest level written. The default, and nil, is
// slog.LevelInfo.
func WithLogLevel(l slog.Leveler) LogOption { return func(c *logConfig) { c.level = l } }

// WithLogBuffer sets how many records may wait for the database before
// new ones are dropped. The default is [LogBufferDefault]; 0 means the
// default.
func WithLogBuffer(n int) LogOption { return func(c *logConfig) { c.buffer = n } }

// WithLogBatch sets how many records one INSERT writes at most. The default
// is [LogBatchDefault]; 0 means the default.
func WithLogBatch(n int) LogOption { return func(c *logConfig) { c.batch = n } }

// WithLogWriteTimeout sets how long the writing of one batch may take
// before its records count as dropped. The default is
// [LogWriteTimeoutDefault]; 0 means the default.
func WithLogWriteTimeout(d time.Duration) LogOption {
	return func(c *logConfig) { c.writeTimeout = d }
}

func (c *logConfig) withDefaults() {
	if c.level == nil {
		c.level = slog.LevelInfo
	}
	if c.buffer == 0 {
		c.buffer = LogBufferDefault
	}
	if c.batch == 0 {
		c.batch = LogBatchDefault
	}
	if c.writeTimeout == 0 {
		c.writeTimeout = LogWriteTimeoutDefault
	}
}

func (c *logConfig) validate() error {
	switch {
	case c.buffer < 0:
		return fmt.Errorf("WithLogBuffer(%d): want 1 or more, or 0 for the default", c.buffer)
	case c.batch < 0:
		return fmt.Errorf("WithLogBatch(%d): want 1 or more, or 0 for the default", c.batch)
	case c.writeTimeout < 0:
		return fmt.Errorf("WithLogWriteTimeout(%s): want a positive duration, or 0 for the default", c.writeTimeout)
	}
	return nil
}

// A LogHandler is a [slog.Handler] that writes records to the table
// fetcher_logs: the time, level and message, the attributes "symbol" and
// "task_id" (when given at the top level) in columns of their own, and the
// other attributes as a JSON object.
//
// It never slows the caller down or fails it: Handle puts a record in a
// bounded buffer and returns, and one goroutine writes the buffer in
// batches. When the database is slower than the records come, the buffer
// fills and new records are dropped, and so are the records of a batch
// that could not be written; [LogHandler.Stats] counts them. Close writes
// what is buffered and stops the goroutine.
//
// To log to the console too, join it with a console handler:
//
//	h, err := db.NewLogHandler()
//	…
//	defer h.Close()
//	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(os.Stderr, nil), h))
type LogHandler struct {
	sink   *logSink
	level  slog.Leveler
	groups []string    // the open groups, outermost first
	attrs  []slog.Attr // attributes of WithAttrs, each under its groups
	symbol string      // a top-level "symbol" of WithAttrs
	taskID *int64      // a top-level "task_id" of WithAttrs
}

// LogStats counts what a [LogHandler] did with the records it handled.
type LogStats struct {
	// Written counts the records stored in fetcher_logs.
	Written int64
	// Dropped counts the records lost: the buffer was full, a batch could
	// not be written, or the handler was closed.
	Dropped int64
}

type logRecord struct {
	ts      time.Time
	level   string
	message string
	symbol  string
	taskID  *int64
	attrs   []byte // JSON, or nil
}

type logSink struct {
	db      *DB
	cfg     logConfig
	ch      chan logRecord
	stop    chan struct{}
	done    chan struct{}
	mu      sync.RWMutex // write-held by Close while it sets closed
	closed  bool
	written atomic.Int64
	dropped atomic.Int64
}

// NewLogHandler returns a handler that writes records to db's
// fetcher_logs. Close it when done, before db.
func (db *DB) NewLogHandler(opts ...LogOption) (*LogHandler, error) {
	var cfg logConfig
	for _, o := range opts {
		o(&cfg)
	}
	cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("store: log handler: %w", err)
	}
	s := &logSink{
		db:   db,
		cfg:  cfg,
		ch:   make(chan logRecord, cfg.buffer),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go s.run()
	return &LogHandler{sink: s, level: cfg.level}, nil
}

// Enabled reports whether records of level l are written.
func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle queues r for writing. It never blocks and never fails: a record
// that finds the buffer full, or the handler closed, is counted as dropped.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{ts: r.Time, level: r.Level.String(), message: r.Message, symbol: h.symbol, taskID: h.taskID}
	if rec.ts.IsZero() {
		rec.ts = h.sink.db.clock.Now()
	}
	obj := make(map[string]any)
	for _, a := range h.attrs {
		addAttr(obj, a)
	}
	target := obj
	for _, g := range h.groups {
		target = subgroup(target, g)
	}
	r.Attrs(func(a slog.Attr) bool {
		if len(h.groups) == 0 && rec.take(a) {
			return true
		}
		addAttr(target, a)
		return true
	})
	pruneEmpty(obj)
	if len(obj) > 0 {
		rec.attrs = marshalAttrs(obj)
	}
	h.sink.put(rec)
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if len(h.groups) == 0 {
			var rec logRecord
			if rec.take(a) {
				if rec.symbol != "" {
					c.symbol = rec.symbol
				}
				if rec.taskID != nil {
					c.taskID = rec.taskID
				}
				continue
			}
		}
		for i := len(h.groups) - 1; i >= 0; i-- {
			a = slog.Group(h.groups[i], a)
		}
		c.attrs = append(c.attrs, a)
	}
	return &c
}

// WithGroup returns a handler that puts the attributes of later calls
// under the group name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}

// Stats counts the records written and dropped so far.
func (h *LogHandler) Stats() LogStats {
	return LogStats{Written: h.sink.written.Load(), Dropped: h.sink.dropped.Load()}
}

// Close writes the records still buffered, stops the writing goroutine and
// returns when it is done. Records handled after Close are dropped. Close
// on a handler made by WithAttrs or WithGroup closes the handler it came
// from. Calling Close again does nothing.
func (h *LogHandler) Close() error {
	s := h.sink
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already {
		close(s.stop)
	}
	<-s.done
	return nil
}

// take keeps a as the record's symbol or task ID column, and reports
// whether it did.
func (rec *logRecord) take(a slog.Attr) bool {
	v := a.Value.Resolve()
	switch a.Key {
	case "symbol":
		if v.Kind() == slog.KindString {
			rec.symbol = v.String()
			return true
		}
	case "task_id":
		switch v.Kind() {
		case slog.KindInt64:
			id := v.Int64()
			rec.taskID = &id
			return true
		case slog.KindUint64:
			if v.Uint64() <= math.MaxInt64 {
				id := int64(v.Uint64())
				rec.taskID = &id
				return true
			}
		}
	}
	return false
}

func (s *logSink) put(rec logRecord) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	select {
	case s.ch <- rec:
	default:
		s.dropped.Add(1)
	}
}

// run writes batches until stop closes, then writes what is left.
func (s *logSink) run() {
	defer close(s.done)
	batch := make([]logRecord, 0, s.cfg.batch)
	for {
		select {
		case rec := <-s.ch:
			batch = append(batch, rec)
		case <-s.stop:
			// Close holds no Handle in flight now: the buffer is final.
			for {
				select {
				case rec := <-s.ch:
					batch = append(batch, rec)
					if len(batch) == s.cfg.batch {
						s.write(batch)
						batch = batch[:0]
					}
				default:
					if len(batch) > 0 {
						s.write(batch)
					}
					return
				}
			}
		}
		// Take what else waits, up to a batch: records that came while
		// the last batch was written go out together.
	more:
		for len(batch) < s.cfg.batch {
			select {
			case rec := <-s.ch:
				batch = append(batch, rec)
			default:
				break more
			}
		}
		s.write(batch)
		batch = batch[:0]
	}
}

func (s *logSink) write(batch []logRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.writeTimeout)
	defer cancel()
	var q strings.Builder
	q.WriteString("INSERT INTO fetcher_logs (ts, level, message, symbol, task_id, attrs) VALUES ")
	args := make([]any, 0, 6*len(batch))
	for i, r := range batch {
		if i > 0 {
			q.WriteByte(',')
		}
		n := 6 * i
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
		var attrs any
		if r.attrs != nil {
			attrs = string(r.attrs)
		}
		var taskID any
		if r.taskID != nil {
			taskID = *r.taskID
		}
		args = append(args, sqldialect.FormatTime(r.ts), r.level, r.message, orNull(r.symbol), taskID, attrs)
	}
	if _, err := s.db.x.ExecContext(ctx, s.db.d.Rebind(q.String()), args...); err != nil {
		s.dropped.Add(int64(len(batch)))
		return
	}
	s.written.Add(int64(len(batch)))
}

// addAttr adds a to obj, groups as nested objects; an empty key inlines a
// group, as slog's handlers do.
func addAttr(obj map[string]any, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		target := obj
		if a.Key != "" {
			target = subgroup(obj, a.Key)
		}
		for _, g := range v.Group() {
			addAttr(target, g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	obj[a.Key] = jsonValue(v)
}

func subgroup(obj map[string]any, key string) map[string]any {
	if m, ok := obj[key].(map[string]any); ok {
		return m
	}
	m := make(map[string]any)
	obj[key] = m
	return m
}

// pruneEmpty removes groups left empty, as slog's handlers omit them.
func pruneEmpty(obj map[string]any) {
	for k, v := range obj {
		if m, ok := v.(map[string]any); ok {
			pruneEmpty(m)
			if len(m) == 0 {
				delete(obj, k)
			}
		}
	}
}

func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindDuration:
		return v.Duration().Seconds() // a number, as in the program's JSON log
	case slog.KindFloat64:
		if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprint(f)
		}
		return v.Float64()
	case slog.KindAny:
		switch a := v.Any().(type) {
		case error:
			return a.Error()
		case json.Marshaler:
			if b, err := json.Marshal(a); err == nil {
				return json.RawMessage(b)
			}
		case fmt.Stringer:
			return a.String()
		}
		if b, err := json.Marshal(v.Any()); err == nil {
			return json.RawMessage(b)
		}
		return fmt.Sprintf("%+v", v.Any())
	}
	return v.Any()
}

func marshalAttrs(obj map[string]any) []byte {
	b, err := json.Marshal(obj)
	if err != nil { // cannot happen with jsonValue's values; keep the record
		b, _ = json.Marshal(map[string]string{"!attrs": err.Error()})
	}
	return b
}
