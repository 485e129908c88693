package httpapi

import (
	"context"
	"net/http"

	"github.com/parley-chat/parley/internal/protocol"
)

// healthStatus is the body of /healthz and /readyz.
type healthStatus struct {
	Status string `json:"status"` // ok | draining | unavailable
}

// healthz: GET /healthz — the process is alive and serving HTTP.
func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, healthStatus{Status: "ok"})
}

// readyz: GET /readyz — the node should get traffic: it is not draining and
// its store answers. 503 otherwise, so load balancers move clients away.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, healthStatus{Status: "draining"})
		return
	}
	if a.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), a.cfg.ReadyTimeout)
		defer cancel()
		if err := a.cfg.Ready(ctx); err != nil {
			a.log.WarnContext(ctx, "not ready", "request_id", requestID(ctx), "err", err)
			writeJSON(w, http.StatusServiceUnavailable, healthStatus{Status: "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, healthStatus{Status: "ok"})
}

// notFound answers unknown /api/ routes in JSON.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, r, protocol.Errorf(protocol.CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
}
