package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine"
)

// version is one loaded version of a policy: what a request is answered
// by, from start to end.
type version struct {
	policy *engine.Policy
	// cacheable: the outcome of a snapshot depends on the snapshot alone
	// (no team.*, all.* or history).
	cacheable bool
}

// entry is one policy directory: the version being served, and what the
// files on disk say now.
type entry struct {
	name    string
	dir     string
	current atomic.Pointer[version]
	state   atomic.Pointer[state]
}

// state is the last load of an entry's files.
type state struct {
	status      string // ok, stale (the files do not validate; the last good version serves) or invalid (never valid)
	filesDigest string
	diagnostics []dsl.DiagnosticJSON
}

// registry holds the served policies; the map is replaced whole on a
// rescan, never changed in place.
type registry struct {
	env     *engine.Env // every version of every policy compiles here
	root    string
	entries atomic.Pointer[map[string]*entry]
	mu      sync.Mutex // one rescan at a time
	log     *slog.Logger
	metrics *serviceMetrics
	loaded  atomic.Bool // every policy has been loaded once
}

func newRegistry(root string, log *slog.Logger, m *serviceMetrics) *registry {
	r := &registry{env: engine.NewEnv(), root: root, log: log, metrics: m}
	empty := map[string]*entry{}
	r.entries.Store(&empty)
	return r
}

func (r *registry) get(name string) *entry { return (*r.entries.Load())[name] }

// serving reports whether at least one policy has a version to serve.
func (r *registry) serving() bool {
	for _, e := range *r.entries.Load() {
		if e.current.Load() != nil {
			return true
		}
	}
	return false
}

func (r *registry) list() []*entry {
	m := *r.entries.Load()
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// rescan loads every policy directory directly under the root: new ones
// start being served, removed ones stop, changed ones are reloaded.
func (r *registry) rescan() {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.entries.Load()
	next := map[string]*entry{}
	dirs, err := os.ReadDir(r.root)
	if err != nil {
		r.log.Error("cannot read the policy directory", "dir", r.root, "error", err)
		return
	}
	for _, d := range dirs {
		if strings.HasPrefix(d.Name(), ".") {
			continue
		}
		if !d.IsDir() {
			// A symlink to a directory is a policy too (Kubernetes mounts
			// a ConfigMap's directories as symlinks).
			fi, err := os.Stat(filepath.Join(r.root, d.Name()))
			if d.Type()&os.ModeSymlink == 0 || err != nil || !fi.IsDir() {
				if d.Type()&os.ModeSymlink != 0 && err != nil {
					r.log.Warn("a symlink in the policy directory leads nowhere; skipped", "name", d.Name(), "error", err.Error())
				}
				continue
			}
		}
		e := old[d.Name()]
		if e == nil {
			e = &entry{name: d.Name(), dir: filepath.Join(r.root, d.Name())}
		}
		r.load(e)
		if e.current.Load() != nil || e.state.Load() != nil {
			next[d.Name()] = e
		}
	}
	for name := range old {
		if next[name] == nil {
			r.log.Info("policy removed; no longer served", "policy", name)
		}
	}
	r.entries.Store(&next)
	// The status metric: one series per policy, its current status.
	r.metrics.policies.Reset()
	for name, e := range next {
		status := "ok"
		if st := e.state.Load(); st != nil {
			status = st.status
		}
		r.metrics.policies.WithLabelValues(name, status).Set(1)
	}
	r.loaded.Store(true)
}

// load reloads one policy when its files changed. A version that does not
// validate leaves the last good one serving.
func (r *registry) load(e *entry) {
	srcs, err := dsl.ReadSources(e.dir)
	if err != nil {
		// The files cannot be read (permissions, none, a broken link): say
		// so as a diagnostic, not an empty list.
		r.fail(e, "", []dsl.DiagnosticJSON{{Severity: "error", Code: string(dsl.CodeFile), Summary: err.Error(), File: e.dir}}, err.Error())
		return
	}
	h := sha256.New()
	for _, s := range srcs {
		h.Write([]byte(filepath.Base(s.Name) + "\x00"))
		h.Write(s.Bytes)
		h.Write([]byte{0})
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if st := e.state.Load(); st != nil && st.filesDigest == digest {
		return // unchanged
	}
	p, diags := r.env.LoadSources(e.dir, srcs)
	if p == nil {
		r.fail(e, digest, dsl.ToJSON(diags), diags.Error())
		return
	}
	rp := p.Rules()
	e.current.Store(&version{policy: p, cacheable: !rp.UsesTeam && !rp.UsesAll && !rp.UsesHistory && rp.History == 0})
	e.state.Store(&state{status: "ok", filesDigest: digest, diagnostics: dsl.ToJSON(diags)})
	r.metrics.reloads.Inc()
	r.log.Info("policy loaded", "policy", e.name, "version", rp.Version, "digest", rp.Digest)
}

func (r *registry) fail(e *entry, digest string, diags []dsl.DiagnosticJSON, why string) {
	status := "stale"
	if e.current.Load() == nil {
		status = "invalid"
	}
	if diags == nil {
		diags = []dsl.DiagnosticJSON{}
	}
	e.state.Store(&state{status: status, filesDigest: digest, diagnostics: diags})
	r.metrics.reloadFailures.Inc()
	r.log.Warn("policy does not load; keeping the last good version", "policy", e.name, "status", status, "error", firstLine(why))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
