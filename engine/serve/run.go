package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// ListenConfig says where and how to listen.
type ListenConfig struct {
	Addr             string // host:port
	TLSCert, TLSKey  string // both or neither
	ShutdownDeadline time.Duration
	// Drain is how long, after the stop signal, /readyz answers 503 while
	// requests are still served, so that a load balancer stops sending
	// new ones before the listener closes (0: no drain).
	Drain time.Duration
	// Ready is called with the address listened on (tests use port 0).
	Ready func(addr string)
}

// ReadTokens reads bearer tokens, one a line; blank lines and lines
// starting with # are left out.
func ReadTokens(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no token", path)
	}
	return out, nil
}

// Serve listens and serves until ctx ends, then stops accepting, lets
// in-flight requests finish within the shutdown deadline, and returns nil.
func (s *Server) Serve(ctx context.Context, lc ListenConfig) error {
	if len(s.cfg.Tokens) == 0 && !IsLoopback(lc.Addr) {
		return fmt.Errorf("refusing to listen on %s without tokens: anyone who can reach it could read every outcome; configure tokens, or listen on loopback", lc.Addr)
	}
	if (lc.TLSCert == "") != (lc.TLSKey == "") {
		return errors.New("TLS needs both a certificate and a key")
	}
	if lc.ShutdownDeadline <= 0 {
		lc.ShutdownDeadline = 30 * time.Second
	}
	ln, err := net.Listen("tcp", lc.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      s.cfg.EvalTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if lc.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(lc.TLSCert, lc.TLSKey)
		if err != nil {
			ln.Close()
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		if err := s.Watch(watchCtx); err != nil {
			s.log.Error("cannot watch the policy directory; policies will not reload", "error", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "policies", s.cfg.Policies, "tls", lc.TLSCert != "", "auth", len(s.cfg.Tokens) > 0)
	if lc.Ready != nil {
		lc.Ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if lc.Drain > 0 {
		// Not ready first: the load balancer's next probe takes this
		// instance out while it still answers what it is sent.
		s.draining.Store(true)
		s.log.Info("draining: not ready, still serving", "for", lc.Drain.String())
		select {
		case <-time.After(lc.Drain):
		case err := <-errc:
			return err
		}
	}
	s.log.Info("shutting down: finishing in-flight requests", "deadline", lc.ShutdownDeadline.String())
	sctx, cancel := context.WithTimeout(context.Background(), lc.ShutdownDeadline)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
