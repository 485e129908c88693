package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Memory is the server's memory with every idle connection open, against
// before any was.
type Memory struct {
	Conns      int     `json:"conns"`      // connections open at the second reading
	RSSSource  string  `json:"rss_source"` // "/proc/<pid>/status" or "metrics"; empty when neither was available
	RSSBefore  int64   `json:"rss_before_bytes"`
	RSSAfter   int64   `json:"rss_after_bytes"`
	RSSPerConn float64 `json:"rss_per_conn_bytes"`
	// From /metrics (go_memstats_heap_inuse_bytes, go_goroutines), when the
	// server exposes them.
	HeapBefore       int64   `json:"heap_inuse_before_bytes,omitempty"`
	HeapAfter        int64   `json:"heap_inuse_after_bytes,omitempty"`
	HeapPerConn      float64 `json:"heap_inuse_per_conn_bytes,omitempty"`
	GoroutinesBefore float64 `json:"goroutines_before,omitempty"`
	GoroutinesAfter  float64 `json:"goroutines_after,omitempty"`
}

// memReading is one look at the server's memory.
type memReading struct {
	rssSource  string
	rss        int64
	heap       int64
	goroutines float64
}

// readMemory reads VmRSS of pid (when pid > 0) and the server's /metrics
// (when it serves them; otherwise only RSS is known).
func readMemory(ctx context.Context, e *env, pid int) (memReading, error) {
	var m memReading
	if pid > 0 {
		rss, err := procRSS(pid)
		if err != nil {
			return m, err
		}
		m.rss, m.rssSource = rss, fmt.Sprintf("/proc/%d/status", pid)
	}
	vals, err := e.metrics(ctx)
	if err != nil {
		return m, err
	}
	m.heap = int64(vals["go_memstats_heap_inuse_bytes"])
	m.goroutines = vals["go_goroutines"]
	if m.rssSource == "" {
		if v, ok := vals["process_resident_memory_bytes"]; ok {
			m.rss, m.rssSource = int64(v), "metrics"
		}
	}
	return m, nil
}

func memoryResult(before, after memReading, conns int) *Memory {
	m := &Memory{
		Conns:            conns,
		RSSSource:        after.rssSource,
		RSSBefore:        before.rss,
		RSSAfter:         after.rss,
		HeapBefore:       before.heap,
		HeapAfter:        after.heap,
		GoroutinesBefore: before.goroutines,
		GoroutinesAfter:  after.goroutines,
	}
	if conns > 0 {
		if m.RSSSource != "" {
			m.RSSPerConn = float64(after.rss-before.rss) / float64(conns)
		}
		if after.heap > 0 {
			m.HeapPerConn = float64(after.heap-before.heap) / float64(conns)
		}
	}
	return m
}

// procRSS reads VmRSS from /proc/<pid>/status, in bytes.
func procRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server memory: %w", err)
	}
	return parseVmRSS(data)
}

func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("server memory: no VmRSS line in kB")
}

// metrics fetches /metrics and returns its unlabelled samples. A server
// without /metrics gives an empty map.
func (e *env) metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base.String()+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return map[string]float64{}, nil
	}
	return parseMetrics(io.LimitReader(resp.Body, 8<<20))
}

// parseMetrics reads unlabelled samples of the Prometheus text format.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	vals := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || strings.ContainsRune(f[0], '{') {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		vals[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return vals, nil
}
