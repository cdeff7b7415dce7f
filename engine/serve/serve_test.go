package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
	"github.com/rubric-dev/rubric/engine/serve"
)

const voiceData = "../../fixtures/voice-agents/snapshots.csv"

// policies copies the voice-agents example into a fresh policy directory.
func policies(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dst := filepath.Join(root, "voice-agents")
	os.MkdirAll(dst, 0o755)
	files, _ := filepath.Glob("../../policies/voice-agents/*.hcl")
	for _, f := range files {
		if strings.HasSuffix(f, ".test.hcl") {
			continue
		}
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644)
	}
	return root
}

// start runs a server on a random loopback port until the test ends.
func start(t *testing.T, cfg serve.Config) (base string, stop func()) {
	t.Helper()
	cfg.Debounce = 50 * time.Millisecond
	s, err := serve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, serve.ListenConfig{Addr: "127.0.0.1:0", Ready: func(a string) { ready <- a }, ShutdownDeadline: 15 * time.Second})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		// A connection the client dialled but never used counts as busy
		// for http.Server.Shutdown for its first 5 seconds: close the
		// client's idle ones so that shutdown does not wait on them.
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
		s.Close()
	}
	t.Cleanup(stop)
	return "http://" + addr, stop
}

type reply struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, ctype, body string, headers ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// csvToNDJSON turns the first n rows of the example CSV into NDJSON with
// the same values (numbers as written).
func csvToNDJSON(t *testing.T, n int) string {
	t.Helper()
	b, _ := os.ReadFile(voiceData)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], ",")
	var out strings.Builder
	for _, line := range lines[1 : n+1] {
		cells := strings.Split(line, ",")
		var parts []string
		for i, c := range cells {
			switch {
			case c == "":
				continue
			case head[i] == "subject" || head[i] == "period" || head[i] == "team":
				parts = append(parts, fmt.Sprintf("%q:%q", head[i], c))
			default:
				parts = append(parts, fmt.Sprintf("%q:%s", head[i], c))
			}
		}
		out.WriteString("{" + strings.Join(parts, ",") + "}\n")
	}
	return out.String()
}

// evalLocally is what rubric eval writes for the same snapshots.
func evalLocally(t *testing.T, dir, ndjson, format string) string {
	t.Helper()
	p, diags, err := engine.Load(dir)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	var buf bytes.Buffer
	res, err := p.Eval(engine.Input{Name: "-", Format: engine.FormatNDJSON, Stdin: strings.NewReader(ndjson)}, engine.Output{W: &buf}, engine.EvalOptions{Format: format})
	if err != nil || res.Failed() {
		t.Fatal(err, res.Errors)
	}
	return buf.String()
}

const simplePolicy = `
policy "simple" {
  version  = "1"
  currency = "EUR"
}
metric "x" { better = "higher" }
incentive "i" {
  amount = "x * 10"
}
`

func TestServeEndpoints(t *testing.T) {
	root := policies(t)
	os.MkdirAll(filepath.Join(root, "simple"), 0o755)
	os.WriteFile(filepath.Join(root, "simple", "p.hcl"), []byte(simplePolicy), 0o644)
	base, _ := start(t, serve.Config{Policies: root, CacheMB: 8})
	dir := filepath.Join(root, "voice-agents")

	if r := do(t, "GET", base+"/healthz", "", ""); r.code != 200 {
		t.Errorf("healthz %d", r.code)
	}
	if r := do(t, "GET", base+"/readyz", "", ""); r.code != 200 {
		t.Errorf("readyz %d", r.code)
	}
	r := do(t, "GET", base+"/v1/policies", "", "")
	var list struct {
		Policies []struct{ Name, Version, Digest, Language, Status string }
	}
	if err := json.Unmarshal([]byte(r.body), &list); err != nil || len(list.Policies) != 2 || list.Policies[1].Status != "ok" || list.Policies[1].Name != "voice-agents" {
		t.Fatalf("policies: %d %s", r.code, r.body)
	}
	digest := list.Policies[1].Digest

	// NDJSON in, NDJSON out: byte-identical to rubric eval.
	nd := csvToNDJSON(t, 20)
	r = do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", nd, "Accept", "application/x-ndjson")
	if r.code != 200 || r.body != evalLocally(t, dir, nd, engine.OutNDJSON) {
		t.Fatalf("ndjson eval: %d\n%.300s", r.code, r.body)
	}
	if r.header.Get("Rubric-Policy-Digest") != digest {
		t.Errorf("digest header %q, want %q", r.header.Get("Rubric-Policy-Digest"), digest)
	}
	// A JSON array: the JSON of rubric eval --format json.
	arr := "[" + strings.ReplaceAll(strings.TrimSpace(nd), "\n", ",") + "]"
	if r = do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/json", arr); r.code != 200 || r.body != evalLocally(t, dir, nd, engine.OutJSON) {
		t.Errorf("array eval: %d %.200s", r.code, r.body)
	}
	one := strings.SplitN(nd, "\n", 2)[0]
	if r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/json", one); r.code != 200 || r.body != evalLocally(t, dir, one+"\n", engine.OutJSON) {
		t.Errorf("single object: %d %.200s", r.code, r.body)
	}
	// A policy whose outcomes depend on the snapshot alone is cached: the
	// same snapshot twice (keys in another order) is answered from the
	// cache; voice-agents (team.*) never is.
	first := do(t, "POST", base+"/v1/policies/simple/eval", "application/json", `{"subject": "A", "period": "2026-10", "x": 2}`)
	second := do(t, "POST", base+"/v1/policies/simple/eval", "application/json", `{"x": 2, "period": "2026-10", "subject": "A"}`)
	if first.code != 200 || first.body != second.body || !strings.Contains(first.body, `"status":"earned"`) {
		t.Errorf("simple: %d %.300s", first.code, first.body)
	}
	metrics := do(t, "GET", base+"/metrics", "", "").body
	if !strings.Contains(metrics, "rubric_result_cache_hits_total 1") || !strings.Contains(metrics, `rubric_requests_total{code="200",endpoint="eval"}`) {
		t.Errorf("metrics:\n%s", grep(metrics, "rubric_"))
	}
	// ?period= selects.
	if r = do(t, "POST", base+"/v1/policies/voice-agents/eval?period=2025-01", "application/x-ndjson", nd, "Accept", "application/x-ndjson"); r.code != 200 || r.body != "" {
		t.Errorf("period selection: %d %q", r.code, r.body)
	}
	// explain
	subject := strings.Split(strings.Split(one, `"subject":"`)[1], `"`)[0]
	if r = do(t, "POST", base+"/v1/policies/voice-agents/explain?subject="+subject, "application/x-ndjson", nd); r.code != 200 || !strings.Contains(r.body, subject) {
		t.Errorf("explain: %d %.200s", r.code, r.body)
	}
	if r = do(t, "POST", base+"/v1/policies/voice-agents/explain?subject=nobody", "application/x-ndjson", nd); r.code != 404 {
		t.Errorf("explain nobody: %d", r.code)
	}
	// validate
	r = do(t, "POST", base+"/v1/validate", "application/json", `{"files": {"p.hcl": "policy \"x\" {\n  version = \"1\"\n}\nmetric \"a\" { better = \"up\" }\n"}}`)
	var v dsl.Validation
	if err := json.Unmarshal([]byte(r.body), &v); r.code != 200 || err != nil || v.Valid || v.ErrorCount == 0 || v.Diagnostics[0].Start == nil || v.Diagnostics[0].Start.Line != 4 {
		t.Errorf("validate: %d %s", r.code, r.body)
	}
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestServeBadRequests(t *testing.T) {
	root := policies(t)
	base, _ := start(t, serve.Config{Policies: root, MaxBodyBytes: 4096, MaxSnapshots: 3})
	url := base + "/v1/policies/voice-agents/eval"
	cases := []struct {
		name, ctype, body string
		code              int
		want              string
	}{
		{"wrong content type", "text/csv", "subject,period\n", 415, "application/x-ndjson"},
		{"truncated JSON", "application/json", `[{"subject": "A", "period": "2026-10"`, 400, "line"},
		{"bad value", "application/x-ndjson", "{\"subject\":\"A\",\"period\":\"2026-10\",\"base_pay\":1000,\"tenure_days\":400}\n{\"subject\":\"B\",\"period\":\"2026-10\",\"base_pay\":1000,\"tenure_days\":400,\"aht\":\"slow\"}\n", 400, `"line":2`},
		{"oversize", "application/x-ndjson", strings.Repeat(" ", 5000), 413, "limit"},
		{"too many snapshots", "application/x-ndjson", strings.Repeat("{\"subject\":\"A\",\"period\":\"2026-10\"}\n", 4), 413, "at most 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "POST", url, c.ctype, c.body)
			if r.code != c.code || !strings.Contains(r.body, c.want) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%d %s %s; want %d mentioning %q", r.code, r.header.Get("Content-Type"), r.body, c.code, c.want)
			}
		})
	}
	if r := do(t, "POST", base+"/v1/policies/nope/eval", "application/json", "[]"); r.code != 404 {
		t.Errorf("unknown policy: %d", r.code)
	}
}

func TestServeTokens(t *testing.T) {
	root := policies(t)
	base, _ := start(t, serve.Config{Policies: root, Tokens: []string{"s3cret", "other"}})
	for _, c := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer wrong", 401}, {"Basic s3cret", 401}, {"Bearer s3cret", 200}, {"Bearer other", 200}} {
		var hdr []string
		if c.auth != "" {
			hdr = []string{"Authorization", c.auth}
		}
		if r := do(t, "GET", base+"/v1/policies", "", "", hdr...); r.code != c.code {
			t.Errorf("%q: %d, want %d", c.auth, r.code, c.code)
		}
	}
	if r := do(t, "GET", base+"/healthz", "", ""); r.code != 200 {
		t.Errorf("healthz needs no token: %d", r.code)
	}
	s, _ := serve.New(serve.Config{Policies: root})
	defer s.Close()
	if err := s.Serve(context.Background(), serve.ListenConfig{Addr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "without tokens") {
		t.Errorf("listening beyond loopback without tokens: %v", err)
	}
}

// TestServeTokenFileReloaded: a token removed from --token-file stops
// working without a restart (and an emptied file accepts none, never "no
// authentication"); a token added works.
func TestServeTokenFileReloaded(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(file, []byte("alpha\nbeta\n"), 0o600)
	tokens, err := serve.ReadTokens(file)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, serve.Config{Policies: policies(t), Tokens: tokens, TokenFile: file})
	code := func(tok string) int {
		return do(t, "GET", base+"/v1/policies", "", "", "Authorization", "Bearer "+tok).code
	}
	if code("alpha") != 200 || code("beta") != 200 {
		t.Fatal("the file's tokens are not accepted")
	}
	rewrite := func(text string) {
		time.Sleep(600 * time.Millisecond) // past the check interval, and a new modification time
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rewrite("beta\ngamma-added\n")
	deadline := time.Now().Add(5 * time.Second)
	for code("alpha") != 401 {
		if time.Now().After(deadline) {
			t.Fatal("a removed token still works")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code("beta") != 200 || code("gamma-added") != 200 {
		t.Error("the file's remaining and new tokens are not accepted")
	}
	rewrite("")
	deadline = time.Now().Add(5 * time.Second)
	for code("beta") != 401 {
		if time.Now().After(deadline) {
			t.Fatal("an emptied token file still accepts a token")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := do(t, "GET", base+"/v1/policies", "", ""); r.code != 401 {
		t.Errorf("an emptied token file turned authentication off: %d", r.code)
	}
}

// TestServeValidateLimits: /v1/validate refuses a body over its limit
// from its Content-Length, before reading it, and a policy file over the
// policy size limit; /explain holds to --max-snapshots as /eval does.
func TestServeValidateLimits(t *testing.T) {
	base, _ := start(t, serve.Config{Policies: policies(t), MaxSnapshots: 2})
	// A 1 GiB body announced, two bytes sent: the answer comes at once.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /v1/validate HTTP/1.1\r\nHost: rubric\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{}", 1<<30)
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, " 413 ") {
		t.Errorf("a 1 GiB validate body: %q %v, want 413 at once", status, err)
	}
	big := `{"files": {"p.hcl": "` + strings.Repeat("#", 5<<20) + `"}}`
	if r := do(t, "POST", base+"/v1/validate", "application/json", big); r.code != 413 || !strings.Contains(r.body, "may be at most") {
		t.Errorf("a 5 MiB policy file: %d %.200s", r.code, r.body)
	}
	nd := csvToNDJSON(t, 3)
	subject := strings.Split(strings.Split(nd, `"subject":"`)[1], `"`)[0]
	if r := do(t, "POST", base+"/v1/policies/voice-agents/explain?subject="+subject, "application/x-ndjson", nd); r.code != 413 {
		t.Errorf("explain over --max-snapshots: %d", r.code)
	}
}

// TestServeReload: a change is served after a reload; a broken change
// keeps the last good version (stale); requests during reloads are each
// answered by one version; a removed policy is no longer served.
func TestServeReload(t *testing.T) {
	root := policies(t)
	base, _ := start(t, serve.Config{Policies: root})
	dir := filepath.Join(root, "voice-agents")
	policyFile := filepath.Join(dir, "policy.hcl")
	orig, _ := os.ReadFile(policyFile)
	digestOf := func() (string, string) {
		r := do(t, "GET", base+"/v1/policies", "", "")
		var list struct {
			Policies []struct{ Digest, Status string }
		}
		json.Unmarshal([]byte(r.body), &list)
		if len(list.Policies) == 0 {
			return "", ""
		}
		return list.Policies[0].Digest, list.Policies[0].Status
	}
	waitFor := func(cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for a reload")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	d0, _ := digestOf()
	nd := csvToNDJSON(t, 5)

	// Requests during a burst of reloads: each answer's outcomes carry the
	// digest of its header.
	var wg sync.WaitGroup
	stopLoad := make(chan struct{})
	var mixed, failed int
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", nd, "Accept", "application/x-ndjson")
				mu.Lock()
				if r.code != 200 {
					failed++
				} else if strings.Count(r.body, r.header.Get("Rubric-Policy-Digest")) != 5 {
					mixed++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		os.WriteFile(policyFile, append(orig, []byte(fmt.Sprintf("\n# edit %d\n", i))...), 0o644)
		time.Sleep(80 * time.Millisecond)
	}
	close(stopLoad)
	wg.Wait()
	if mixed > 0 || failed > 0 {
		t.Errorf("during reloads: %d mixed answers, %d failed", mixed, failed)
	}
	// Wait for the last edit to be served (earlier ones may be reloaded
	// on the way).
	final, diags, err := engine.Load(dir)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	d1 := final.Rules().Digest
	waitFor(func() bool { d, _ := digestOf(); return d == d1 && d != d0 })

	// A broken change: stale, the last good version still serves.
	os.WriteFile(policyFile, []byte("policy \"broken\" {"), 0o644)
	waitFor(func() bool { _, s := digestOf(); return s == "stale" })
	if d, _ := digestOf(); d != d1 {
		t.Errorf("stale policy changed digest: %s, want %s", d, d1)
	}
	if r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", nd); r.code != 200 || r.header.Get("Rubric-Policy-Digest") != d1 {
		t.Errorf("stale policy not served: %d", r.code)
	}
	if r := do(t, "GET", base+"/metrics", "", ""); !strings.Contains(r.body, "rubric_policy_reload_failures_total") {
		t.Errorf("no reload failure metric")
	}
	// Removed: no longer served.
	os.RemoveAll(dir)
	waitFor(func() bool { d, _ := digestOf(); return d == "" })
	if r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", nd); r.code != 404 {
		t.Errorf("removed policy: %d", r.code)
	}
}

// TestServeGracefulShutdown: a request in flight when the server is told
// to stop is answered, and Serve returns nil. The server is stopped once
// its evaluations-in-flight gauge shows the request evaluating; a request
// answered before that was seen is tried again, larger.
func TestServeGracefulShutdown(t *testing.T) {
	root := policies(t)
	rows := csvToNDJSON(t, 299)
	for copies := 8; copies <= 256; copies *= 2 {
		base, stop := start(t, serve.Config{Policies: root})
		done := make(chan reply, 1)
		failed := make(chan error, 1)
		go func() {
			req, _ := http.NewRequest("POST", base+"/v1/policies/voice-agents/eval", strings.NewReader(distinctSubjects(rows, copies)))
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				failed <- err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			done <- reply{resp.StatusCode, resp.Header, string(b)}
		}()
		evaluating := false
		for !evaluating {
			select {
			case <-done:
			case err := <-failed:
				t.Fatalf("request before the stop: %v", err)
			default:
				r := do(t, "GET", base+"/metrics", "", "")
				evaluating = strings.Contains(r.body, "rubric_evaluations_in_flight 1")
				continue
			}
			break // answered before it was seen evaluating: try a larger one
		}
		if !evaluating {
			stop()
			continue
		}
		stop()
		select {
		case r := <-done:
			if r.code != 200 {
				t.Errorf("in-flight request: %d %.200s", r.code, r.body)
			}
		case err := <-failed:
			t.Errorf("in-flight request: %v", err)
		}
		return
	}
	t.Fatal("no request was seen evaluating, however large")
}

// distinctSubjects is rows (NDJSON) copies times, each copy's subjects
// suffixed with its number.
func distinctSubjects(rows string, copies int) string {
	var b strings.Builder
	for k := range copies {
		b.WriteString(strings.ReplaceAll(rows, `"subject":"`, fmt.Sprintf(`"subject":"c%d-`, k)))
	}
	return b.String()
}

// TestServeEvalDeadline: an evaluation that does not finish within the
// deadline is stopped and answered 503, and the server goes on serving.
func TestServeEvalDeadline(t *testing.T) {
	root := policies(t)
	base, _ := start(t, serve.Config{Policies: root, EvalTimeout: 20 * time.Millisecond})
	var b strings.Builder
	for i := 0; i < 30000; i++ {
		fmt.Fprintf(&b, `{"subject":"X-%d","period":"2026-10","team":"west","tenure_days":400,"base_pay":3000,"handled":300,"aht":280,"resolved_first":240,"surveys":40,"satisfied":36,"adherence":0.9,"days_worked":31}`+"\n", i)
	}
	r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", b.String())
	if r.code != 503 || !strings.Contains(r.body, "did not finish") || r.header.Get("Retry-After") != "1" {
		t.Errorf("a request past its deadline: %d %.200s", r.code, r.body)
	}
	if r := do(t, "GET", base+"/healthz", "", ""); r.code != 200 {
		t.Errorf("healthz after: %d", r.code)
	}
}

// TestServeLargeRequest: a body over the spool size is read to disk and
// answered from a file, byte-identical to rubric eval; bad input at its
// end still gives a 400 with nothing else sent.
func TestServeLargeRequest(t *testing.T) {
	root := policies(t)
	base, _ := start(t, serve.Config{Policies: root})
	var b strings.Builder
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, `{"subject":"X-%d","period":"2026-10","team":"west","tenure_days":400,"base_pay":3000,"handled":300,"aht":%d,"resolved_first":240,"surveys":40,"satisfied":36,"adherence":0.9,"days_worked":31}`+"\n", i, 200+i%150)
	}
	nd := b.String()
	r := do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", nd, "Accept", "application/x-ndjson")
	if r.code != 200 || r.body != evalLocally(t, filepath.Join(root, "voice-agents"), nd, engine.OutNDJSON) {
		t.Fatalf("large request: %d, %d bytes", r.code, len(r.body))
	}
	bad := nd + `{"subject":"Z","period":"2026-10","aht":"slow"}` + "\n"
	r = do(t, "POST", base+"/v1/policies/voice-agents/eval", "application/x-ndjson", bad)
	if r.code != 400 || !strings.Contains(r.body, `"column"`) || len(r.body) > 10000 {
		t.Errorf("bad input at the end of a large request: %d %.300s", r.code, r.body)
	}
}

// TestServeHTTPConventions: over a real socket, a path served for other
// methods answers 405 with Allow (the catch-all no longer hides it), an
// unknown path 404, and a service with no policy to serve is not ready
// (a refusal for load, 503, carries Retry-After: TestServeEvalDeadline).
func TestServeHTTPConventions(t *testing.T) {
	base, _ := start(t, serve.Config{Policies: policies(t)})
	for _, c := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"DELETE", "/v1/policies", 405, "GET, HEAD"},
		{"GET", "/v1/validate", 405, "POST"},
		{"PUT", "/v1/policies/voice-agents/eval", 405, "POST"},
		{"GET", "/nothing/here", 404, ""},
	} {
		r := do(t, c.method, base+c.path, "", "")
		if r.code != c.code || r.header.Get("Allow") != c.allow || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d Allow %q (%s), want %d Allow %q", c.method, c.path, r.code, r.header.Get("Allow"), r.header.Get("Content-Type"), c.code, c.allow)
		}
	}

	// explain answers in the language asked for (SPEC §15).
	nd := csvToNDJSON(t, 3)
	subject := strings.Split(strings.Split(nd, `"subject":"`)[1], `"`)[0]
	r := do(t, "POST", base+"/v1/policies/voice-agents/explain?subject="+subject, "application/x-ndjson", nd, "Accept-Language", "id-ID,id;q=0.9,en;q=0.5")
	if r.code != 200 || r.header.Get("Content-Language") != "id" || !strings.Contains(r.body, "\nTarget\n") || !strings.Contains(r.body, "Insentif") {
		t.Errorf("explain in Indonesian: %d %s %.300s", r.code, r.header.Get("Content-Language"), r.body)
	}
	if r := do(t, "POST", base+"/v1/policies/voice-agents/explain?subject="+subject, "application/x-ndjson", nd); !strings.Contains(r.body, "\nTargets\n") || r.header.Get("Content-Language") != "en" {
		t.Errorf("explain in English: %.300s", r.body)
	}

	empty, _ := start(t, serve.Config{Policies: t.TempDir()})
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := do(t, "GET", empty+"/readyz", "", "")
		if r.code == 503 && strings.Contains(r.body, "no policy is served") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz with no policy: %d %q", r.code, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := do(t, "GET", empty+"/healthz", "", ""); r.code != 200 {
		t.Errorf("healthz %d", r.code)
	}
}

// TestLoopbackByAddress: a name is trusted as loopback by what it
// resolves to, not by its text.
func TestLoopbackByAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true,
		"0.0.0.0:8080": false, "10.1.2.3:80": false, "no-such-host.invalid:80": false, "nonsense": false,
	} {
		if got := serve.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestServeCacheNeverAnswersABadBody: once a clean snapshot is cached, a
// body with a key twice, invalid UTF-8 or a lone surrogate that would
// share its canonical form is still refused (never the cached 200).
func TestServeCacheNeverAnswersABadBody(t *testing.T) {
	root := policies(t)
	os.MkdirAll(filepath.Join(root, "simple"), 0o755)
	os.WriteFile(filepath.Join(root, "simple", "p.hcl"), []byte(simplePolicy), 0o644)
	base, _ := start(t, serve.Config{Policies: root, CacheMB: 8})
	url := base + "/v1/policies/simple/eval"
	clean := `{"subject": "A\ufffd", "period": "2026-10", "x": 2}`
	if r := do(t, "POST", url, "application/json", clean); r.code != 200 {
		t.Fatalf("clean: %d %s", r.code, r.body)
	}
	do(t, "POST", url, "application/json", clean) // cached now
	for name, body := range map[string]string{
		"a key twice":    `{"subject": "A\ufffd", "period": "2026-10", "x": 1, "x": 2}`,
		"invalid UTF-8":  "{\"subject\": \"A\xff\", \"period\": \"2026-10\", \"x\": 2}",
		"lone surrogate": `{"subject": "A\ud800", "period": "2026-10", "x": 2}`,
	} {
		if r := do(t, "POST", url, "application/json", body); r.code == 200 {
			t.Errorf("%s: answered 200 (%s)", name, r.header.Get("Rubric-Cache"))
		}
	}
}

// TestServeSymlinkedPolicyAndRequestID: a policy directory that is a
// symlink (the Kubernetes ConfigMap layout) is served; every answer
// carries a request id, the client's own when it sends a plain one.
func TestServeSymlinkedPolicyAndRequestID(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	root := t.TempDir()
	target := filepath.Join(t.TempDir(), "simple-v1")
	os.MkdirAll(target, 0o755)
	os.WriteFile(filepath.Join(target, "p.hcl"), []byte(simplePolicy), 0o644)
	if err := os.Symlink(target, filepath.Join(root, "simple")); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, serve.Config{Policies: root})
	r := do(t, "GET", base+"/v1/policies", "", "")
	if r.code != 200 || !strings.Contains(r.body, `"name":"simple"`) && !strings.Contains(r.body, `"name": "simple"`) {
		t.Errorf("a symlinked policy directory is not served: %d %s", r.code, r.body)
	}
	if id := r.header.Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("request id %q", id)
	}
	if r := do(t, "GET", base+"/healthz", "", "", "X-Request-Id", "lb-42.a"); r.header.Get("X-Request-Id") != "lb-42.a" {
		t.Errorf("the client's request id is not kept: %q", r.header.Get("X-Request-Id"))
	}
	if r := do(t, "GET", base+"/healthz", "", "", "X-Request-Id", "bad id <x>"); r.header.Get("X-Request-Id") == "bad id <x>" {
		t.Error("a request id with spaces was echoed")
	}
}

// TestServeDrain: told to stop with a drain period, the server answers
// /readyz 503 while it still serves requests, then stops.
func TestServeDrain(t *testing.T) {
	s, err := serve.New(serve.Config{Policies: policies(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, serve.ListenConfig{Addr: "127.0.0.1:0", Ready: func(a string) { ready <- a }, Drain: 700 * time.Millisecond, ShutdownDeadline: 5 * time.Second})
	}()
	base := "http://" + <-ready
	deadline := time.Now().Add(5 * time.Second)
	for do(t, "GET", base+"/readyz", "", "").code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	time.Sleep(150 * time.Millisecond)
	if r := do(t, "GET", base+"/readyz", "", ""); r.code != 503 || !strings.Contains(r.body, "shutting down") {
		t.Errorf("readyz while draining: %d %q", r.code, r.body)
	}
	if r := do(t, "GET", base+"/v1/policies", "", ""); r.code != 200 {
		t.Errorf("a request while draining: %d", r.code)
	}
	http.DefaultClient.CloseIdleConnections()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
}

// TestServeStatusMetricsAndUnreadablePolicy: /metrics says the build and
// each policy's status; a policy whose files cannot be read is listed
// with a diagnostic that says why, not an empty list.
func TestServeStatusMetricsAndUnreadablePolicy(t *testing.T) {
	root := policies(t)
	os.MkdirAll(filepath.Join(root, "empty"), 0o755) // a directory with no policy file
	base, _ := start(t, serve.Config{Policies: root})
	m := do(t, "GET", base+"/metrics", "", "").body
	if !strings.Contains(m, "rubric_build_info{") || !strings.Contains(m, `rubric_policy_status{policy="voice-agents",status="ok"} 1`) ||
		!strings.Contains(m, `rubric_policy_status{policy="empty",status="invalid"} 1`) {
		t.Errorf("metrics:\n%s", grep(m, "rubric_"))
	}
	r := do(t, "GET", base+"/v1/policies", "", "")
	if !strings.Contains(r.body, "no policy files") {
		t.Errorf("the unreadable policy has no diagnostic: %s", r.body)
	}
}
