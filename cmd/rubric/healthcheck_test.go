package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: 2xx is exit 0, anything else (or nothing listening)
// exit 1, over a real socket.
func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if r := rubric(t, "", "healthcheck", srv.URL+"/readyz"); r.code != 0 || !strings.Contains(r.stdout, "200 OK") {
		t.Errorf("ready: %d %s %s", r.code, r.stdout, r.stderr)
	}
	ready = false
	if r := rubric(t, "", "healthcheck", srv.URL+"/readyz"); r.code != 1 || !strings.Contains(r.stderr, "503") {
		t.Errorf("not ready: %d %s", r.code, r.stderr)
	}
	srv.Close()
	if r := rubric(t, "", "healthcheck", srv.URL+"/readyz"); r.code != 1 {
		t.Errorf("nothing listening: %d", r.code)
	}
}
