package engine

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
)

// TestPolicyFilesUntrusted: policy files must be regular files inside the
// policy directory, of a bounded size, without absurd nesting.
func TestPolicyFilesUntrusted(t *testing.T) {
	valid := "policy \"p\" {\n  version = \"1\"\n}\n"
	cases := map[string]struct {
		setup func(dir string)
		want  string
	}{
		"symlink out of the directory": {func(dir string) { os.Symlink("/proc/self/environ", filepath.Join(dir, "zz.hcl")) }, "leaves the policy directory"},
		"symlink to /dev/zero":         {func(dir string) { os.Symlink("/dev/zero", filepath.Join(dir, "zz.hcl")) }, "leaves the policy directory"},
		"fifo": {func(dir string) {
			if err := mkfifo(filepath.Join(dir, "zz.hcl")); err != nil {
				t.Skip("no mkfifo:", err)
			}
		}, "not a regular file"},
		"too large": {func(dir string) {
			os.WriteFile(filepath.Join(dir, "zz.hcl"), bytes.Repeat([]byte("# padding\n"), dsl.MaxFileBytes/10+1), 0o644)
		}, "may be at most"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(valid), 0o644)
			c.setup(dir)
			_, err := dsl.ReadSources(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "PATH=") {
				t.Errorf("the error quotes the environment: %v", err)
			}
		})
	}
	t.Run("symlink inside the directory", func(t *testing.T) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "shared"), 0o755)
		os.WriteFile(filepath.Join(dir, "shared", "base.txt"), []byte(valid), 0o644)
		os.Symlink(filepath.Join("shared", "base.txt"), filepath.Join(dir, "a.hcl"))
		if srcs, err := dsl.ReadSources(dir); err != nil || len(srcs) != 1 {
			t.Errorf("a symlink that stays inside: %v", err)
		}
	})
	for _, ext := range []string{".hcl", ".hcl.json"} {
		t.Run("nesting "+ext, func(t *testing.T) {
			deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
			src := valid + "metric \"m\" { min = " + deep + " }\n"
			if ext == ".hcl.json" {
				src = `{"policy": {"p": {"version": "1"}}, "metric": {"m": {"min": ` + deep + `}}}`
			}
			_, diags := dsl.Parse([]dsl.Source{{Name: "p" + ext, Bytes: []byte(src)}})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), "nest more than") {
				t.Errorf("diags = %v", diags)
			}
		})
	}
}

// TestFmtKeepsSymlinks: formatting a symlinked file writes through it.
func TestFmtKeepsSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.hcl")
	os.WriteFile(target, []byte("policy \"p\" {\nversion = \"1\"\n}\n"), 0o644)
	link := filepath.Join(dir, "link.hcl")
	os.Symlink("real.hcl", link)
	if err := WriteFileAtomic(link, []byte("formatted\n")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a regular file")
	}
	if b, _ := os.ReadFile(target); string(b) != "formatted\n" {
		t.Errorf("the target was not written: %q", b)
	}
}

// TestExpressionsUntrusted: non-deterministic and unbounded builtins are
// validation errors, and messages say what to do.
func TestExpressionsUntrusted(t *testing.T) {
	cases := []struct{ lang, expr, want string }{
		{"expr", `let r = 1..99999; all(r, {all(r, {# > 0})})`, "ranges"},
		{"expr", `reduce([1, 2], #acc + #acc, "a") == "b"`, "do not loop"},
		{"expr", `now().Year() > 2000`, "must not depend on when"},
		{"expr", `date("2026-01-01").Year() > 2000`, "date() is not allowed"},
		{"expr", `repeat("a", 100000000) == "a"`, "any size"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			src := "policy \"p\" {\n  version = \"1\"\n  language = \"" + c.lang + "\"\n}\nattribute \"name\" { type = \"string\" }\nbreach \"b\" { when = " + quote(c.expr) + " }\n"
			_, diags := LoadSources("p.hcl", []dsl.Source{{Name: "p.hcl", Bytes: []byte(src)}})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
				t.Errorf("diags = %v, want %q", diags, c.want)
			}
		})
	}
	// CEL's string functions are bounded by the input's string size.
	src := "policy \"p\" {\n  version = \"1\"\n}\nattribute \"name\" { type = \"string\" }\nbreach \"b\" { when = \"name.contains('zz')\" }\n"
	if _, diags := LoadSources("p.hcl", []dsl.Source{{Name: "p.hcl", Bytes: []byte(src)}}); diags.HasErrors() {
		t.Errorf("name.contains('zz'): %v", diags)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// TestInputUntrusted: inputs that would be misread are bad input, named by
// line and column.
func TestInputUntrusted(t *testing.T) {
	p := inputTestPolicy(t)
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	long := strings.Repeat("x", 1<<20)
	cases := []struct {
		name, file, content string
		want                string
	}{
		{"duplicate header", "a.csv", "subject,period,pay,pay\nA,2026-10,100,999\n", `names column "pay" twice (columns 3 and 4)`},
		{"no subject column", "a.csv", "name,period,pay\nA,2026-10,100\n", `no "subject" column`},
		{"gzip as csv without the columns", "a.csv", gz("x,y\n1,2\n"), `no "subject" column`},
		{"binary", "a.csv", "subject,period\x00\x01\x02", "binary"},
		{"leading space", "a.csv", "subject,period,handled,pay\n A,2026-10,1,100\n", "leading or trailing spaces"},
		{"zero-width space", "a.csv", "subject,period,handled,pay\nA\u200b,2026-10,1,100\n", "invisible character U+200B"},
		{"formula", "a.csv", "subject,period,handled,pay\n=HYPERLINK(1),2026-10,1,100\n", "runs as a formula"},
		{"formula with minus", "a.csv", "subject,period,handled,pay\n-cmd,2026-10,1,100\n", "runs as a formula"},
		{"NFC duplicate", "a.csv", "subject,period,handled,pay\nJos\u00e9,2026-10,1,100\nJose\u0301,2026-10,1,100\n", "duplicate snapshot"},
		{"unclosed quote", "a.csv", "subject,period,handled,pay\n\"A,2026-10,1,100\nB,2026-10,1,100\n", "not closed"},
		{"long cell", "a.csv", "subject,period,handled,pay\nA,2026-10," + long + ",100\n", "is not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeFile(t, c.file, c.content)
			var out bytes.Buffer
			res, err := p.Eval(Input{Name: in}, Output{W: &out}, EvalOptions{})
			var msgs []string
			if err != nil {
				msgs = append(msgs, err.Error())
			}
			if res != nil {
				for _, e := range res.Errors {
					msgs = append(msgs, e.Error())
				}
			}
			joined := strings.Join(msgs, "\n")
			if !strings.Contains(joined, c.want) {
				t.Errorf("errors %q; want %q", joined, c.want)
			}
			if len(joined) > 2000 {
				t.Errorf("the message is %d bytes long", len(joined))
			}
			if out.Len() > 0 {
				t.Errorf("something was written on bad input")
			}
		})
	}
}

// TestInputFriendly: a BOM in any format, gzip by magic bytes, and a
// stray quote rejected alone under --skip-invalid.
func TestInputFriendly(t *testing.T) {
	p := inputTestPolicy(t)
	var gzb bytes.Buffer
	w := gzip.NewWriter(&gzb)
	w.Write([]byte("subject,period,handled,pay\nA,2026-10,1,100\n"))
	w.Close()
	for name, c := range map[string]struct{ file, content string }{
		"bom json":   {"a.json", "\ufeff[{\"subject\":\"A\",\"period\":\"2026-10\",\"handled\":1,\"pay\":100}]"},
		"bom ndjson": {"a.ndjson", "\ufeff{\"subject\":\"A\",\"period\":\"2026-10\",\"handled\":1,\"pay\":100}\n"},
		"bom csv":    {"a.csv", "\ufeff\"subject\",\"period\",handled,pay\nA,2026-10,1,100\n"},
		"gzip":       {"a.csv.gz", gzb.String()},
	} {
		t.Run(name, func(t *testing.T) {
			in := writeFile(t, c.file, c.content)
			var out bytes.Buffer
			res, err := p.Eval(Input{Name: in}, Output{W: &out}, EvalOptions{})
			if err != nil || res.Failed() || res.Evaluated != 1 {
				t.Fatalf("%v %v", err, res)
			}
		})
	}
	t.Run("stray quote", func(t *testing.T) {
		in := writeFile(t, "a.csv", "subject,period,handled,pay\nA,2026-10,1,100\nB\"x,2026-10,1,100\nC,2026-10,1,100\n")
		rejects := filepath.Join(t.TempDir(), "rejects.csv")
		var out bytes.Buffer
		res, err := p.Eval(Input{Name: in}, Output{W: &out}, EvalOptions{StreamOptions: StreamOptions{SkipInvalid: rejects}})
		if err != nil || res.Failed() || res.Evaluated != 2 || res.Rejected != 1 {
			t.Fatalf("err %v, evaluated %d, rejected %d, errors %v", err, res.Evaluated, res.Rejected, res.Errors)
		}
	})
}

// TestCSVCellsAreFormulaSafe: text cells a spreadsheet would run are
// neutralised in every CSV rubric writes; negative numbers are not.
func TestCSVCellsAreFormulaSafe(t *testing.T) {
	got := string(textenc.CSVLine([]string{"=1+1", "+x", "@SUM(1)", "-cmd", "-12.50", "plain", "\tx"}))
	want := "'=1+1,'+x,'@SUM(1),'-cmd,-12.50,plain,'\tx\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestMessagesForManagers: common mistakes get a sentence that says what
// to do, in both languages.
func TestMessagesForManagers(t *testing.T) {
	cases := []struct{ when, want string }{
		{`"90%"`, "write percentages as fractions (0.9 for 90%)"},
		{`"answered >= \"120\""`, "remove the quotes around the number"},
		{`"satisfied > 1"`, `declare it: metric "satisfied"`},
		{`"cast > 1"`, `did you mean "csat"?`},
	}
	for _, lang := range []string{"cel", "expr"} {
		for _, c := range cases {
			t.Run(lang+" "+c.when, func(t *testing.T) {
				src := "policy \"p\" {\n  version = \"1\"\n  language = \"" + lang + "\"\n}\nmetric \"answered\" { better = \"higher\" }\nmetric \"csat\" { better = \"higher\" }\nmetric \"aht\" { better = \"lower\" }\nbreach \"b\" { when = " + c.when + " }\n"
				_, diags := LoadSources("p.hcl", []dsl.Source{{Name: "p.hcl", Bytes: []byte(src)}})
				var all []string
				for _, d := range diags {
					all = append(all, d.Summary+" "+d.Detail)
				}
				if !strings.Contains(strings.Join(all, "\n"), c.want) {
					t.Errorf("diagnostics %q; want %q", all, c.want)
				}
			})
		}
	}
}

// TestPolicySizeLimit: a generated policy beyond the limits is refused
// before any expression is compiled.
func TestPolicySizeLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("policy \"p\" {\n  version = \"1\"\n}\n")
	for i := 0; i < 5001; i++ {
		b.WriteString("metric \"m" + strings.Repeat("x", i%7) + itoa(i) + "\" {}\n")
	}
	_, diags := LoadSources("p.hcl", []dsl.Source{{Name: "p.hcl", Bytes: []byte(b.String())}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "at most 5000") {
		t.Errorf("diags = %v", diags)
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		if i /= 10; i == 0 {
			return s
		}
	}
}

// TestOutputsNeverDestroy: -o writes through symlinks and devices, keeps
// atomic replacement for regular files, and refuses directories.
func TestOutputsNeverDestroy(t *testing.T) {
	p := inputTestPolicy(t)
	in := writeFile(t, "a.csv", "subject,period,handled,pay\nA,2026-10,1,100\n")
	eval := func(dest string) error {
		_, err := p.Eval(Input{Name: in}, Output{Path: dest}, EvalOptions{})
		return err
	}
	dir := t.TempDir()
	t.Run("dev null", func(t *testing.T) {
		if err := eval(os.DevNull); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("%s is no longer a device: %v", os.DevNull, fi.Mode())
		}
	})
	t.Run("symlink", func(t *testing.T) {
		target := filepath.Join(dir, "target.ndjson")
		os.WriteFile(target, []byte("old"), 0o600)
		link := filepath.Join(dir, "link.ndjson")
		os.Symlink("target.ndjson", link)
		if err := eval(link); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced")
		}
		if b, _ := os.ReadFile(target); !strings.Contains(string(b), `"subject":"A"`) {
			t.Errorf("not written through: %q", b)
		}
	})
	t.Run("symlink to a directory", func(t *testing.T) {
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		link := filepath.Join(dir, "dirlink")
		os.Symlink("sub", link)
		if err := eval(link); err == nil || !strings.Contains(err.Error(), "directory") {
			t.Errorf("err = %v", err)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced")
		}
	})
	t.Run("umask", func(t *testing.T) {
		dest := filepath.Join(dir, "new.ndjson")
		if !setUmask(t, 0o077) {
			t.Skip("no umask on " + runtime.GOOS)
		}
		if err := eval(dest); err != nil {
			t.Fatal(err)
		}
		// fsutil read the umask once per process; a new file gets 0666
		// less that umask, never a fixed 0644.
		if fi, _ := os.Stat(dest); fi.Mode().Perm()&0o111 != 0 {
			t.Errorf("mode %v", fi.Mode())
		}
	})
}
