// Package serve is rubric's HTTP service (docs/serve.md): the policies of a
// directory served over HTTP for dashboards and agent apps, reloaded when
// their files change, with a result cache, bearer tokens, limits,
// Prometheus metrics and one structured log line per request.
package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/rules"
)

// Config configures a Server.
type Config struct {
	Policies string   // directory whose subdirectories are policies
	Tokens   []string // accepted bearer tokens; none: no authentication (loopback only)
	// TokenFile, when set, is where Tokens came from: it is read again
	// when it changes, so a token removed from it stops working at once
	// (an empty file then accepts none, never "no authentication").
	TokenFile     string
	CacheMB       int           // result cache size; 0 disables it
	MaxBodyBytes  int64         // request body limit (default 32 MiB)
	MaxSnapshots  int           // snapshots per request (default 100,000)
	MaxConcurrent int           // evaluations at once (default 4 × GOMAXPROCS... set by the caller)
	EvalTimeout   time.Duration // per request: waiting for a slot and evaluating; past it, 503 (default 30 s)
	Debounce      time.Duration // quiet time after a file change before reloading (default 200 ms)
	LogValues     bool          // log snapshot values (never by default)
	Logger        *slog.Logger
}

// Server serves the policies of one directory.
type Server struct {
	cfg     Config
	reg     *registry
	metrics *serviceMetrics
	cache   *ristretto.Cache[string, []byte]
	slots   chan struct{}
	log     *slog.Logger
	mux     *http.ServeMux
	tokens  tokenSet
	// draining is set when the server has been told to stop: /readyz
	// answers 503 while requests are still served (ListenConfig.Drain).
	draining atomic.Bool
}

// tokenSet is the accepted tokens, read again from their file when it
// changes (checked at most every tokenCheck).
type tokenSet struct {
	mu      sync.Mutex
	list    []string
	file    string
	stamp   string // the file's size and time when read
	checked time.Time
}

// tokenCheck is how often the token file is looked at.
const tokenCheck = 500 * time.Millisecond

// current returns the accepted tokens, reading the file again when it
// changed; required says authentication is on.
func (t *tokenSet) current(log *slog.Logger) (tokens []string, required bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.file == "" {
		return t.list, len(t.list) > 0
	}
	if now := time.Now(); now.Sub(t.checked) >= tokenCheck {
		t.checked = now
		fi, err := os.Stat(t.file)
		stamp := ""
		if err == nil {
			stamp = fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
		}
		if stamp != t.stamp {
			list, rerr := ReadTokens(t.file)
			if rerr != nil {
				list = nil // unreadable: accept none until it is fixed
				log.Error("token file unreadable: no token is accepted", "file", t.file, "error", rerr.Error())
			}
			removed := 0
			for _, old := range t.list {
				if !slices.Contains(list, old) {
					removed++
				}
			}
			if removed > 0 {
				log.Warn("tokens revoked", "file", t.file, "removed", removed, "accepted", len(list))
			}
			t.list, t.stamp = list, stamp
		}
	}
	return t.list, true
}

// New loads every policy under cfg.Policies and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxSnapshots <= 0 {
		cfg.MaxSnapshots = 100_000
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 16
	}
	if cfg.EvalTimeout <= 0 {
		cfg.EvalTimeout = 30 * time.Second
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	fi, err := os.Stat(cfg.Policies)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory of policies", cfg.Policies)
	}
	s := &Server{cfg: cfg, metrics: newMetrics(), slots: make(chan struct{}, cfg.MaxConcurrent), log: cfg.Logger}
	s.tokens.list, s.tokens.file = cfg.Tokens, cfg.TokenFile
	if cfg.TokenFile != "" {
		if fi, err := os.Stat(cfg.TokenFile); err == nil {
			s.tokens.stamp, s.tokens.checked = fmt.Sprint(fi.Size(), fi.ModTime().UnixNano()), time.Now()
		}
	}
	if cfg.CacheMB > 0 {
		s.cache, err = ristretto.NewCache(&ristretto.Config[string, []byte]{
			NumCounters:        int64(cfg.CacheMB) * 1024 * 10, // ~10 counters per expected entry of ~1 KiB
			MaxCost:            int64(cfg.CacheMB) << 20,
			BufferItems:        64,
			IgnoreInternalCost: true,
		})
		if err != nil {
			return nil, err
		}
	}
	s.reg = newRegistry(cfg.Policies, cfg.Logger, s.metrics)
	s.reg.rescan()
	s.routes()
	return s, nil
}

// Close releases the cache.
func (s *Server) Close() {
	if s.cache != nil {
		s.cache.Close()
	}
}

// openAPI is the service's OpenAPI 3.1 document, served at
// /v1/openapi.json and held to the routes and the answers by tests.
//
//go:embed openapi.json
var openAPI []byte

// Handler is the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /healthz", s.wrap("healthz", false, func(w http.ResponseWriter, r *http.Request) *outcome {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return &outcome{status: 200}
	}))
	m.Handle("GET /readyz", s.wrap("readyz", false, func(w http.ResponseWriter, r *http.Request) *outcome {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.reg.loaded.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "loading policies\n")
			return &outcome{status: 503}
		}
		if s.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "shutting down\n")
			return &outcome{status: 503}
		}
		if !s.reg.serving() {
			// Up, but with nothing to answer: a load balancer must not
			// send traffic here.
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "no policy is served\n")
			return &outcome{status: 503}
		}
		io.WriteString(w, "ready\n")
		return &outcome{status: 200}
	}))
	m.Handle("GET /metrics", s.wrap("metrics", true, func(w http.ResponseWriter, r *http.Request) *outcome {
		s.metrics.handler.ServeHTTP(w, r)
		return &outcome{status: 200}
	}))
	m.Handle("GET /v1/openapi.json", s.wrap("openapi", true, func(w http.ResponseWriter, r *http.Request) *outcome {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
		return &outcome{status: 200}
	}))
	m.Handle("GET /v1/policies", s.wrap("policies", true, s.listPolicies))
	m.Handle("POST /v1/policies/{name}/eval", s.wrap("eval", true, s.eval))
	m.Handle("POST /v1/policies/{name}/explain", s.wrap("explain", true, s.explain))
	m.Handle("POST /v1/validate", s.wrap("validate", true, s.validate))
	m.Handle("/", s.wrap("other", true, func(w http.ResponseWriter, r *http.Request) *outcome {
		// The catch-all matches every method: tell a path that exists
		// for other methods (405 and Allow) from one that does not (404).
		if allow := allowed(m, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")), nil)
		}
		return problem(w, http.StatusNotFound, "Not Found", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path), nil)
	}))
	s.mux = m
}

// allowed lists the methods m serves r's path with, other than the
// catch-all.
func allowed(m *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if method == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := m.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, method)
		}
	}
	return out
}

// outcome is what a handler did, for the log line and the metrics.
type outcome struct {
	status    int
	policy    string
	digest    string
	snapshots int
	cache     string // hit, miss or ""
	err       string
}

func (s *Server) wrap(endpoint string, auth bool, h func(http.ResponseWriter, *http.Request) *outcome) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		var o *outcome
		defer func() {
			if p := recover(); p != nil {
				o = problem(w, http.StatusInternalServerError, "Internal Server Error", "an internal error; please report it with the request", nil)
				o.err = fmt.Sprint(p)
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(endpoint, strconv.Itoa(o.status)).Inc()
			s.metrics.duration.WithLabelValues(endpoint).Observe(d.Seconds())
			attrs := []any{"request_id", id, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "status", o.status, "duration_ms", float64(d.Microseconds()) / 1000}
			if o.policy != "" {
				attrs = append(attrs, "policy", o.policy, "digest", o.digest, "snapshots", o.snapshots)
			}
			if o.cache != "" {
				attrs = append(attrs, "cache", o.cache)
			}
			if o.err != "" {
				attrs = append(attrs, "error", o.err)
			}
			s.log.Info("request", attrs...)
		}()
		if auth && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rubric"`)
			o = problem(w, http.StatusUnauthorized, "Unauthorized", "a valid bearer token is required (Authorization: Bearer …)", nil)
			return
		}
		o = h(w, r)
	})
}

// requestID is the request's X-Request-Id when it sends a plain one (up to
// 64 letters, digits, "-", "_", "."; a proxy's), else a new random one: it
// is logged with the request and sent back, so a client's report can be
// found in the logs.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorized compares the bearer token with every accepted token in
// constant time.
func (s *Server) authorized(r *http.Request) bool {
	tokens, required := s.tokens.current(s.log)
	if !required {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return false
	}
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(t))
	}
	return match == 1
}

// problemError is one bad value of a request body.
type problemError struct {
	Record  int    `json:"record,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Subject string `json:"subject,omitempty"`
	Period  string `json:"period,omitempty"`
	Message string `json:"message"`
}

// problem writes an RFC 9457 problem details answer.
func problem(w http.ResponseWriter, status int, title, detail string, errs []problemError) *outcome {
	w.Header().Set("Content-Type", "application/problem+json")
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		// Busy or timed out: a client may try again shortly (RFC 9110).
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	body := struct {
		Type   string         `json:"type"`
		Title  string         `json:"title"`
		Status int            `json:"status"`
		Detail string         `json:"detail"`
		Errors []problemError `json:"errors,omitempty"`
	}{"about:blank", title, status, detail, errs}
	b, _ := json.Marshal(body)
	w.Write(append(b, '\n'))
	return &outcome{status: status, err: detail}
}

type policyInfo struct {
	Name        string               `json:"name"`
	Version     string               `json:"version"`
	Digest      string               `json:"digest"`
	Language    string               `json:"language"`
	Status      string               `json:"status"`
	Diagnostics []dsl.DiagnosticJSON `json:"diagnostics"`
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) *outcome {
	out := struct {
		Policies []policyInfo `json:"policies"`
	}{Policies: []policyInfo{}}
	for _, e := range s.reg.list() {
		info := policyInfo{Name: e.name, Status: "invalid", Diagnostics: []dsl.DiagnosticJSON{}}
		if v := e.current.Load(); v != nil {
			rp := v.policy.Rules()
			info.Version, info.Digest, info.Language = rp.Version, rp.Digest, rp.Language.String()
		}
		if st := e.state.Load(); st != nil {
			info.Status, info.Diagnostics = st.status, st.diagnostics
		}
		out.Policies = append(out.Policies, info)
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(out)
	w.Write(append(b, '\n'))
	return &outcome{status: 200}
}

// policy finds the version a request is answered by, or writes 404.
func (s *Server) policy(w http.ResponseWriter, r *http.Request) (*version, *outcome) {
	name := r.PathValue("name")
	e := s.reg.get(name)
	if e == nil || e.current.Load() == nil {
		return nil, problem(w, http.StatusNotFound, "Not Found", fmt.Sprintf("no policy %q is served", name), nil)
	}
	v := e.current.Load()
	w.Header().Set("Rubric-Policy-Digest", v.policy.Rules().Digest)
	return v, nil
}

// reqBody is a request's snapshots: small bodies in memory, large ones
// spooled to a temporary file, so a request of any size holds bounded
// memory.
type reqBody struct {
	format string
	mem    []byte
	file   *os.File
	shift  int // lines added in front (a single object read as an array of one)
	count  int // snapshots, counted while reading
	wrap   bool
}

// spoolAbove is the body size from which a body is spooled to disk.
const spoolAbove = 1 << 20

// reader reads the body from its start.
func (b *reqBody) reader() (io.Reader, error) {
	var r io.Reader = bytes.NewReader(b.mem)
	if b.file != nil {
		if _, err := b.file.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		r = bufio.NewReaderSize(b.file, 1<<16)
	}
	if b.wrap {
		r = io.MultiReader(strings.NewReader("[\n"), r, strings.NewReader("\n]"))
	}
	return r, nil
}

// bytes returns a small body whole (for the cache key), or nil.
func (b *reqBody) bytes() []byte {
	if b.file != nil {
		return nil
	}
	if b.wrap {
		return append(append([]byte("[\n"), b.mem...), "\n]"...)
	}
	return b.mem
}

func (b *reqBody) close() {
	if b.file != nil {
		b.file.Close()
		fsutil.Remove(b.file.Name())
	}
}

// body reads a request's snapshots: one JSON object, a JSON array, or
// NDJSON, counting them as it goes.
func (s *Server) body(w http.ResponseWriter, r *http.Request) (*reqBody, *outcome) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	b := &reqBody{}
	switch {
	case err != nil && r.Header.Get("Content-Type") != "":
		return nil, problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "the Content-Type cannot be read", nil)
	case ct == "application/json" || ct == "":
		b.format = engine.FormatJSON
	case ct == "application/x-ndjson" || ct == "application/ndjson" || ct == "application/jsonl":
		b.format = engine.FormatNDJSON
	default:
		return nil, problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type",
			fmt.Sprintf("snapshots are sent as application/json (an object or an array) or application/x-ndjson, not %s", ct), nil)
	}
	cnt := &snapshotCounter{ndjson: b.format == engine.FormatNDJSON}
	src := io.TeeReader(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), cnt)
	b.mem, err = io.ReadAll(io.LimitReader(src, spoolAbove))
	if err == nil && len(b.mem) == spoolAbove {
		// Large: the rest goes to disk, once a slot is free, so that the
		// bodies on disk at once are bounded by --max-concurrent (tracked:
		// an interrupted process removes them).
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.EvalTimeout)
		defer cancel()
		if !s.acquire(ctx) {
			return nil, problem(w, http.StatusServiceUnavailable, "Service Unavailable", "too many large requests at once; try again", nil)
		}
		defer s.release()
		b.file, err = fsutil.CreateTemp("", ".rubric-serve-*")
		if err == nil {
			if _, err = b.file.Write(b.mem); err == nil {
				_, err = io.Copy(b.file, src)
			}
			b.mem = nil
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		b.close()
		return nil, problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("the body is over the limit of %d bytes", s.cfg.MaxBodyBytes), nil)
	case err != nil:
		b.close()
		return nil, problem(w, http.StatusBadRequest, "Bad Request", "the body could not be read: "+err.Error(), nil)
	}
	b.count = cnt.total()
	if b.format == engine.FormatJSON && cnt.first == '{' {
		b.wrap, b.shift = true, 1
	}
	return b, nil
}

// snapshotCounter counts snapshots as the body streams through: non-empty
// lines for NDJSON, top-level objects for JSON (an object at depth 0 is a
// single snapshot); it notes the first byte that is not space or a BOM.
type snapshotCounter struct {
	ndjson              bool
	n, depth            int
	lineHas, inStr, esc bool
	first               byte
}

func (c *snapshotCounter) Write(p []byte) (int, error) {
	for _, ch := range p {
		if c.first == 0 && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != 0xEF && ch != 0xBB && ch != 0xBF {
			c.first = ch
		}
		if c.ndjson {
			switch {
			case ch == '\n':
				if c.lineHas {
					c.n++
				}
				c.lineHas = false
			case ch != ' ' && ch != '\t' && ch != '\r':
				c.lineHas = true
			}
			continue
		}
		switch {
		case c.esc:
			c.esc = false
		case c.inStr && ch == '\\':
			c.esc = true
		case ch == '"':
			c.inStr = !c.inStr
		case c.inStr:
		case ch == '[' || ch == '{':
			if ch == '{' && c.depth <= 1 {
				c.n++
			}
			c.depth++
		case ch == ']' || ch == '}':
			c.depth--
		}
	}
	return len(p), nil
}

func (c *snapshotCounter) total() int {
	if c.ndjson && c.lineHas {
		return c.n + 1
	}
	return c.n
}

func inputErrors(res *engine.StreamResult, shift int) []problemError {
	out := make([]problemError, 0, len(res.Errors))
	for _, ie := range res.Errors {
		line := ie.Line
		if line > shift {
			line -= shift
		}
		out = append(out, problemError{Line: line, Column: ie.Column, Subject: ie.Subject, Period: ie.Period, Message: ie.Msg})
	}
	return out
}

func (s *Server) acquire(ctx context.Context) bool {
	select {
	case s.slots <- struct{}{}:
		s.metrics.inflight.Inc()
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) release() {
	<-s.slots
	s.metrics.inflight.Dec()
}

func (s *Server) eval(w http.ResponseWriter, r *http.Request) *outcome {
	v, o := s.policy(w, r)
	if o != nil {
		return o
	}
	rp := v.policy.Rules()
	body, o := s.body(w, r)
	if o != nil {
		o.policy, o.digest = rp.Name, rp.Digest
		return o
	}
	defer body.close()
	n := body.count
	if n > s.cfg.MaxSnapshots {
		o := problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("%d snapshots; a request may hold at most %d", n, s.cfg.MaxSnapshots), nil)
		o.policy, o.digest = rp.Name, rp.Digest
		return o
	}
	out := engine.OutJSON
	ctype := "application/json"
	if accept := r.Header.Get("Accept"); strings.Contains(accept, "application/x-ndjson") || strings.Contains(accept, "application/ndjson") {
		out, ctype = engine.OutNDJSON, "application/x-ndjson"
	}
	periods := periodsOf(r)
	// The cache holds one answer per policy version and snapshot: the
	// digest changes with every reload, so a stale answer is never served.
	var key string
	if s.cache != nil && v.cacheable && n == 1 && len(periods) == 0 && body.bytes() != nil && canonical(body.bytes()) {
		key = cacheKey(rp.Digest, out, body.format, body.bytes())
		if b, ok := s.cache.Get(key); ok {
			s.metrics.cacheHits.Inc()
			w.Header().Set("Content-Type", ctype)
			w.Write(b)
			return &outcome{status: 200, policy: rp.Name, digest: rp.Digest, snapshots: n, cache: "hit"}
		}
		s.metrics.cacheMisses.Inc()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.EvalTimeout)
	defer cancel()
	if !s.acquire(ctx) {
		o := problem(w, http.StatusServiceUnavailable, "Service Unavailable", "too many evaluations at once; try again", nil)
		o.policy, o.digest = rp.Name, rp.Digest
		return o
	}
	in, err := body.reader()
	if err != nil {
		s.release()
		return problem(w, http.StatusInternalServerError, "Internal Server Error", err.Error(), nil)
	}
	// A small answer is built in memory; a large one in a temporary file
	// that is copied to the client once the whole body proved good (bad
	// input anywhere gives a 400 with nothing sent).
	var buf bytes.Buffer
	output := engine.Output{W: &buf, Direct: true}
	if body.file != nil {
		w.Header().Set("Content-Type", ctype)
		output = engine.Output{W: w}
	} else {
		buf.Grow(min(len(body.mem)*8, 64<<20)) // an outcome with its explanations is ~8× its snapshot
	}
	res, err := v.policy.Eval(engine.Input{Name: "-", Format: body.format, Stdin: in, Periods: periods, AllowEmpty: true},
		output, engine.EvalOptions{Format: out, StreamOptions: engine.StreamOptions{MaxErrors: 100, Context: ctx}})
	s.release()
	base := outcome{policy: rp.Name, digest: rp.Digest, snapshots: n}
	if err != nil && ctx.Err() != nil {
		o := problem(w, http.StatusServiceUnavailable, "Service Unavailable", fmt.Sprintf("the evaluation did not finish within %s", s.cfg.EvalTimeout), nil)
		o.policy, o.digest = base.policy, base.digest
		return o
	}
	if err != nil {
		o := problem(w, http.StatusBadRequest, "Bad Request", err.Error(), nil)
		o.policy, o.digest = base.policy, base.digest
		return o
	}
	if res.Failed() {
		o := problem(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("%d bad input value(s) in the body; nothing was evaluated", res.ErrorCount), inputErrors(res, body.shift))
		o.policy, o.digest = base.policy, base.digest
		return o
	}
	s.metrics.snapshots.Add(float64(res.Evaluated))
	if key != "" {
		// ristretto applies sets from a buffer: wait for this one, so
		// that the same request next is answered from the cache (the
		// answer is computed already; the wait is a channel's round trip).
		if s.cache.Set(key, buf.Bytes(), int64(buf.Len()+len(key))) {
			s.cache.Wait()
		}
		base.cache = "miss"
	}
	if body.file == nil {
		w.Header().Set("Content-Type", ctype)
		w.Write(buf.Bytes())
	}
	base.status = 200
	return &base
}

// canonical reports whether a body says the same as its canonical form
// (cacheKey): valid UTF-8, no key twice in an object, no lone surrogate
// escape. encoding/json would merge duplicate keys and turn bad text into
// U+FFFD, so such a body could share the key of a clean one that was
// cached, and be answered 200 where the parser refuses it: it is never
// looked up in the cache, always evaluated.
func canonical(data []byte) bool {
	if !utf8.Valid(data) || surrogate.Match(data) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, keys: map[string]bool{}, key: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].key = true
				}
			}
			continue
		case string:
			if top >= 0 && stack[top].object && stack[top].key {
				if stack[top].keys[t] {
					return false
				}
				stack[top].keys[t], stack[top].key = true, false
				continue
			}
		}
		if top >= 0 && stack[top].object {
			stack[top].key = true // a value read: a key comes next
		}
	}
}

// surrogate finds a \uD800–\uDFFF escape (half of a pair: encoding/json
// turns a lone one into U+FFFD).
var surrogate = regexp.MustCompile(`(?i)\\ud[89a-f][0-9a-f]{2}`)

// cacheKey identifies a snapshot's answer: the policy digest, the answer's
// format, and the snapshot's canonical bytes (keys sorted, numbers as
// written).
func cacheKey(digest, out, format string, data []byte) string {
	canon := data
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if arr, ok := v.([]any); ok && len(arr) == 1 {
			v = arr[0]
		}
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", digest, out, format)
	h.Write(canon)
	return string(h.Sum(nil))
}

func periodsOf(r *http.Request) []string {
	var out []string
	for _, p := range r.URL.Query()["period"] {
		for _, part := range strings.Split(p, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func (s *Server) explain(w http.ResponseWriter, r *http.Request) *outcome {
	v, o := s.policy(w, r)
	if o != nil {
		return o
	}
	rp := v.policy.Rules()
	subject := r.URL.Query().Get("subject")
	if subject == "" {
		return problem(w, http.StatusBadRequest, "Bad Request", "the query needs ?subject=ID", nil)
	}
	period := r.URL.Query().Get("period")
	body, o := s.body(w, r)
	if o != nil {
		return o
	}
	defer body.close()
	if n := body.count; n > s.cfg.MaxSnapshots {
		return problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("%d snapshots; a request may hold at most %d", n, s.cfg.MaxSnapshots), nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.EvalTimeout)
	defer cancel()
	if !s.acquire(ctx) {
		return problem(w, http.StatusServiceUnavailable, "Service Unavailable", "too many evaluations at once; try again", nil)
	}
	var buf bytes.Buffer
	in, err := body.reader()
	if err != nil {
		s.release()
		return problem(w, http.StatusInternalServerError, "Internal Server Error", err.Error(), nil)
	}
	// The report is for people: in the language the client asks for
	// (Accept-Language: en or id; SPEC §15).
	loc := lang.Match(r.Header.Get("Accept-Language"))
	w.Header().Set("Content-Language", loc.Code())
	w.Header().Add("Vary", "Accept-Language")
	res, err := v.policy.Explain(engine.Input{Name: "-", Format: body.format, Stdin: in}, subject, period, &buf, engine.StreamOptions{Context: ctx, Lang: loc})
	s.release()
	var nf *engine.ErrNotFound
	switch {
	case res != nil && res.Failed():
		return problem(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("%d bad input value(s) in the body", res.ErrorCount), inputErrors(res, body.shift))
	case errors.As(err, &nf):
		return problem(w, http.StatusNotFound, "Not Found", nf.Msg, nil)
	case err != nil:
		return problem(w, http.StatusBadRequest, "Bad Request", err.Error(), nil)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(buf.Bytes())
	return &outcome{status: 200, policy: rp.Name, digest: rp.Digest, snapshots: res.Evaluated}
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) *outcome {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "" {
		return problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "send {\"files\": {\"name.hcl\": \"…\"}} as application/json", nil)
	}
	// A policy is at most rules.MaxPolicyBytes; its JSON, escaped, at
	// most a few times that. The limit is checked before anything is read
	// (Content-Length) and while reading, and the parse and check take a
	// slot and the deadline of an evaluation: validation is as costly.
	limit := min(s.cfg.MaxBodyBytes, validateLimit)
	if r.ContentLength > limit {
		return problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("the body is over the limit of %d bytes", limit), nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.EvalTimeout)
	defer cancel()
	if !s.acquire(ctx) {
		return problem(w, http.StatusServiceUnavailable, "Service Unavailable", "too many requests at once; try again", nil)
	}
	defer s.release()
	var req struct {
		Files map[string]string `json:"files"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("the body is over the limit of %d bytes", limit), nil)
		}
		return problem(w, http.StatusBadRequest, "Bad Request", "the body must be {\"files\": {\"name.hcl\": \"…\"}}: "+err.Error(), nil)
	}
	total := 0
	for name, text := range req.Files {
		total += len(text)
		if len(text) > dsl.MaxFileBytes || total > rules.MaxPolicyBytes {
			return problem(w, http.StatusRequestEntityTooLarge, "Content Too Large", fmt.Sprintf("%s: a policy file may be at most %d bytes, a policy %d", name, dsl.MaxFileBytes, rules.MaxPolicyBytes), nil)
		}
	}
	if len(req.Files) == 0 {
		return problem(w, http.StatusBadRequest, "Bad Request", "no files: send {\"files\": {\"name.hcl\": \"…\"}}", nil)
	}
	var srcs []dsl.Source
	for name, text := range req.Files {
		if strings.ContainsAny(name, "/\\\x00") || !(strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")) || strings.HasSuffix(name, ".test.hcl") {
			return problem(w, http.StatusBadRequest, "Bad Request", fmt.Sprintf("file name %q: policy files are plain names ending in .hcl or .hcl.json", name), nil)
		}
		srcs = append(srcs, dsl.Source{Name: name, Bytes: []byte(text)})
	}
	sortSources(srcs)
	type loaded struct{ diags hcl.Diagnostics }
	done := make(chan loaded, 1)
	go func() {
		_, diags := s.reg.env.LoadSources("request", srcs)
		done <- loaded{diags}
	}()
	var diags hcl.Diagnostics
	select {
	case l := <-done:
		diags = l.diags
	case <-ctx.Done():
		// The check goes on in the background (it is bounded by the size
		// limits); the client is answered now.
		return problem(w, http.StatusServiceUnavailable, "Service Unavailable", fmt.Sprintf("the validation did not finish within %s", s.cfg.EvalTimeout), nil)
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.MarshalIndent(dsl.NewValidation(diags), "", "  ")
	w.Write(append(b, '\n'))
	return &outcome{status: 200}
}

func sortSources(srcs []dsl.Source) {
	for i := 1; i < len(srcs); i++ {
		for j := i; j > 0 && srcs[j].Name < srcs[j-1].Name; j-- {
			srcs[j], srcs[j-1] = srcs[j-1], srcs[j]
		}
	}
}

// IsLoopback reports whether addr (host:port) listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		// A name is trusted by what it resolves to, not by its text: an
		// /etc/hosts line can map "localhost" to a routable address.
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return false
		}
		for _, ip := range ips {
			if !ip.IsLoopback() {
				return false
			}
		}
		return true
	}
	return ip.IsLoopback()
}

// validateLimit bounds a /v1/validate body: the largest policy, escaped
// as JSON strings.
const validateLimit = 4 * rules.MaxPolicyBytes
