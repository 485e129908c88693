package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// SessionStats is a snapshot of the socket layer's state, read at every
// scrape (app adapts session.Server.Stats to it).
type SessionStats struct {
	Connections   int   // open WebSocket connections
	Subscriptions int   // room subscriptions summed over connections
	Rooms         int   // rooms with at least one subscriber on this node
	Deliveries    int64 // live frames queued to connections, cumulative
	QueueDrops    int64 // frames refused because a connection's queue was full or closing, cumulative
	SlowConsumers int64 // connections closed because their outbound queue overflowed (4008), cumulative
}

// Metrics is Parley's Prometheus instrumentation on a private registry (so
// tests can build many, and nothing leaks into the global one). The list of
// metrics is in docs/operations.md.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpSeconds  *prometheus.HistogramVec
	commitSecs   prometheus.Histogram
	commitBatch  prometheus.Histogram
	commitErrors prometheus.Counter
	messagesIn   prometheus.Counter

	mu       sync.Mutex
	sessions func() SessionStats
}

// NewMetrics creates the metrics and their registry, with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern (WebSocket routes measure the connection lifetime).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		commitSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_store_commit_seconds",
			Help:    "Latency of one group commit of messages to the store.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
		}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_store_commit_batch_size",
			Help:    "Messages per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1..1024
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_store_commit_errors_total",
			Help: "Group commits that failed (every send in them failed with a retryable error).",
		}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_messages_in_total",
			Help: "Messages stored by this node (sends, system messages, deletions).",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpSeconds, m.commitSecs, m.commitBatch, m.commitErrors, m.messagesIn,
		sessionCollector{m},
	)
	return m
}

// Registry returns the private registry, for components that add their own
// metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCommit records one group commit of size messages that took d; a
// non-nil err counts a failed commit. It is the rooms service's commit hook.
func (m *Metrics) ObserveCommit(size int, d time.Duration, err error) {
	m.commitSecs.Observe(d.Seconds())
	m.commitBatch.Observe(float64(size))
	if err != nil {
		m.commitErrors.Inc()
		return
	}
	m.messagesIn.Add(float64(size))
}

// WatchSessions makes every scrape read the socket layer's state from
// stats. Until it is called those metrics read zero.
func (m *Metrics) WatchSessions(stats func() SessionStats) {
	m.mu.Lock()
	m.sessions = stats
	m.mu.Unlock()
}

func (m *Metrics) observeHTTP(route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpSeconds.WithLabelValues(route).Observe(d.Seconds())
}

var (
	descConnections = prometheus.NewDesc("parley_connections",
		"Open WebSocket connections.", nil, nil)
	descSubscriptions = prometheus.NewDesc("parley_subscriptions",
		"Room subscriptions summed over connections.", nil, nil)
	descRooms = prometheus.NewDesc("parley_rooms_active",
		"Rooms with at least one subscriber on this node.", nil, nil)
	descMessagesOut = prometheus.NewDesc("parley_messages_out_total",
		"Live frames queued to WebSocket connections (deliveries).", nil, nil)
	descQueueDrops = prometheus.NewDesc("parley_outbound_queue_drops_total",
		"Frames refused because a connection's outbound queue was full or closing.", nil, nil)
	descSlowConsumers = prometheus.NewDesc("parley_slow_consumer_closes_total",
		"Connections closed with 4008 because their outbound queue overflowed.", nil, nil)
)

// sessionCollector reads SessionStats once per scrape.
type sessionCollector struct{ m *Metrics }

func (c sessionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnections, descSubscriptions, descRooms, descMessagesOut, descQueueDrops, descSlowConsumers} {
		ch <- d
	}
}

func (c sessionCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	stats := c.m.sessions
	c.m.mu.Unlock()
	var s SessionStats
	if stats != nil {
		s = stats()
	}
	ch <- prometheus.MustNewConstMetric(descConnections, prometheus.GaugeValue, float64(s.Connections))
	ch <- prometheus.MustNewConstMetric(descSubscriptions, prometheus.GaugeValue, float64(s.Subscriptions))
	ch <- prometheus.MustNewConstMetric(descRooms, prometheus.GaugeValue, float64(s.Rooms))
	ch <- prometheus.MustNewConstMetric(descMessagesOut, prometheus.CounterValue, float64(s.Deliveries))
	ch <- prometheus.MustNewConstMetric(descQueueDrops, prometheus.CounterValue, float64(s.QueueDrops))
	ch <- prometheus.MustNewConstMetric(descSlowConsumers, prometheus.CounterValue, float64(s.SlowConsumers))
}
