package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// writeHeader writes the report's title and the machine it ran on.
func writeHeader(w io.Writer, cfg config) {
	fmt.Fprintf(w, "# pricefill benchmark\n\n")
	fmt.Fprintf(w, "- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "- command: `%s`\n", strings.Join(append([]string{"go run ./internal/bench"}, os.Args[1:]...), " "))
	fmt.Fprintf(w, "- experiments: %s\n", strings.Join(cfg.run, ", "))
	fmt.Fprintf(w, "- machine: %d CPUs (runtime.NumCPU), %s, %s memory, load average %s at the start\n",
		runtime.NumCPU(), cpuModel(), memTotal(), loadAverage())
	fmt.Fprintf(w, "- %s %s/%s, GOMAXPROCS %d\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	return procField("/proc/cpuinfo", "model name", "unknown CPU")
}

// memTotal returns MemTotal of /proc/meminfo, in GiB.
func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal", "")
	kib, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", kib/(1<<20))
}

// loadAverage returns the three load averages of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// procField returns the value of the first line "key<tabs>: value" of a
// file such as /proc/cpuinfo, or def.
func procField(path, key, def string) string {
	f, err := os.Open(path)
	if err != nil {
		return def
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return def
}

// mib formats a number of bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// thousands formats n with commas: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
