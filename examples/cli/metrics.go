package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsShutdown bounds how long the metrics server takes to stop at
// exit: a scrape in flight has that long to finish.
const metricsShutdown = 5 * time.Second

// checkMetricsAddr checks --metrics-addr: HOST:PORT or :PORT, or "" for
// none.
func checkMetricsAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		var n int
		if n, err = strconv.Atoi(port); err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return usagef("--metrics-addr %q: want HOST:PORT or :PORT, such as :9090 or 127.0.0.1:0", addr)
	}
	return nil
}

// serveMetrics listens on --metrics-addr and serves, at /metrics, a
// registry of its own with the Go runtime's and the process's metrics, on
// which the caller registers pricefill's (backfill.WithMetrics). It logs
// the address it listens on as metrics_addr (with port 0, the port it
// got), and says it on a terminal whose console shows no info lines.
// stop shuts the server down. Without --metrics-addr it serves nothing
// and returns a nil Registerer: no metrics.
func serveMetrics(o *options, logger *slog.Logger, con *console) (reg prometheus.Registerer, stop func(), err error) {
	addr := o.metricsAddr
	if addr == "" {
		return nil, func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.InstrumentMetricHandler(r, promhttp.HandlerFor(r, promhttp.HandlerOpts{Registry: r})))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serving metrics failed", "metrics_addr", ln.Addr().String(), "err", err.Error())
		}
	}()
	logger.Info("serving Prometheus metrics at /metrics", "metrics_addr", ln.Addr().String())
	if con.terminal && !o.levelSet {
		fmt.Fprintf(con, "pricefill: metrics at http://%s/metrics\n", ln.Addr())
	}
	return r, func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}
