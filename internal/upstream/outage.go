package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// An Outage is the state of the whole server, set by [Server.SetOutage].
type Outage int

// The outages.
const (
	// Up is the normal state: the server listens and answers.
	Up Outage = iota
	// Refuse closes the listener, so new connections are refused, and
	// every open connection at once: idle keep-alive ones, ones whose
	// answer is being waited for (the latency) and ones whose answer is
	// being written (a slow body). Nothing is recorded while it lasts:
	// no request arrives.
	Refuse
	// Unavailable answers every request, after the latency, HTTP 503
	// with the provider's HTML outage page (which echoes the request
	// URL), recorded with Fault Status and Status 503. The rate limit,
	// the faults set or pushed and the random draws are left alone: the
	// provider behind the outage page sees none of these requests.
	Unavailable
)

var outageNames = [...]string{"up", "refuse", "unavailable"}

// String returns the outage's name, such as "refuse".
func (o Outage) String() string {
	if o >= 0 && int(o) < len(outageNames) {
		return outageNames[o]
	}
	return fmt.Sprintf("Outage(%d)", int(o))
}

// SetOutage puts the server in outage o. Switching to [Refuse] closes the
// listener and every connection; switching from it to [Up] or
// [Unavailable] listens again on the same address, so [Server.URL] stays
// valid, and fails, staying in Refuse, if the port cannot be had again.
// Requests in flight keep the verdict they had when they came (but
// Refuse cuts their connection). It fails on an unknown outage and once
// the server is closed.
func (s *Server) SetOutage(o Outage) error {
	if o < Up || o > Unavailable {
		return fmt.Errorf("upstream: SetOutage(%d): no such outage", int(o))
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.closed {
		return fmt.Errorf("upstream: SetOutage(%s): %w", o, net.ErrClosed)
	}
	if o == Refuse {
		if s.spell != nil {
			s.spell.stop()
			s.spell = nil
		}
		s.setOutage(Refuse)
		return nil
	}
	s.setOutage(o) // before listening: the first request sees it
	if s.spell == nil {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.setOutage(Refuse)
			return fmt.Errorf("upstream: SetOutage(%s): listening again on %s: %w", o, s.addr, err)
		}
		s.serve(ln)
	}
	return nil
}

func (s *Server) setOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = o
}

// UnreachableURL returns http://127.0.0.1:port for a port nothing listens
// on, for tests of a provider that cannot be reached at all: it listens
// on a free port and closes the listener. Another listener may take the
// port later (the system hands out free ports again), but seldom soon.
func UnreachableURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("upstream: finding a free port on 127.0.0.1: %w", err)
	}
	url := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("upstream: closing the listener on %s: %w", url, err)
	}
	return url, nil
}

// A spell is one stretch of listening, from New or the end of a Refuse
// outage to the next Refuse or Close: a listener, the http.Server that
// serves it and the context its requests derive from.
type spell struct {
	hs     *http.Server
	ln     *trackingListener
	cancel context.CancelFunc
}

// serve starts a spell on ln. s.lmu is held (or s is not yet shared).
func (s *Server) serve(ln net.Listener) {
	ctx, cancel := context.WithCancel(s.ctx)
	tl := &trackingListener{Listener: ln, conns: make(map[*trackedConn]struct{})}
	hs := &http.Server{
		Handler:     s.handler,
		BaseContext: func(net.Listener) context.Context { return ctx },
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew: // in the Serve loop, whose count is held
				s.wg.Add(1)
			case http.StateHijacked, http.StateClosed:
				s.wg.Done()
			}
		},
	}
	s.spell = &spell{hs: hs, ln: tl, cancel: cancel}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		hs.Serve(tl)
	}()
}

// stop ends the spell: its listener, every connection, hijacked ones (a
// dropped or truncated answer) included, and then its pauses: a handler
// whose pause ended while its connection was open would answer on it.
func (sp *spell) stop() {
	sp.hs.Close()
	sp.ln.Close()
	sp.ln.closeConns()
	sp.cancel()
}

// A trackingListener keeps the connections it accepted until they close,
// so that they can be closed when http.Server no longer knows them
// (hijacked ones).
type trackingListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool // by closeConns: later connections are closed on arrival
}

// Accept accepts a connection and tracks it.
func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// closeConns closes every connection open and those accepted later.
func (l *trackingListener) closeConns() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// A trackedConn is a connection that leaves its listener's set when
// closed.
type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
	err  error
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.err = c.Conn.Close()
	})
	return c.err
}

// CloseWrite shuts down the writing side, as net/http does before closing
// a connection whose request body it did not read.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
