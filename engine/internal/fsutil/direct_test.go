package fsutil

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeDirect writes pieces of random sizes through a DirectWriter to f,
// after prefix (written before the DirectWriter starts), and returns what
// the file must hold.
func writeDirect(t *testing.T, f *os.File, prefix []byte, size, total int) (*DirectWriter, []byte) {
	t.Helper()
	if _, err := f.Write(prefix); err != nil {
		t.Fatal(err)
	}
	d := NewDirectWriter(f, size)
	r := rand.New(rand.NewPCG(uint64(size), uint64(total)))
	want := append([]byte(nil), prefix...)
	for len(want)-len(prefix) < total {
		p := make([]byte, r.IntN(3*size/2+1))
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		if n, err := d.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write: %d of %d bytes, %v", n, len(p), err)
		}
		want = append(want, p...)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	return d, want
}

// TestDirectWriter: what is written, in pieces of every size, with a
// partial last buffer and a last block cut short, is what the file holds;
// on this file system the writes went direct when it allows it.
func TestDirectWriter(t *testing.T) {
	for _, tc := range []struct{ size, total int }{
		{4096, 0}, {4096, 1}, {4096, 4096}, {8192, 3 * 8192}, {1 << 16, 1<<20 + 12345}, {5000, 77777},
	} {
		path := filepath.Join(t.TempDir(), "out")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		d, want := writeDirect(t, f, nil, tc.size, tc.total)
		if d.direct {
			t.Error("O_DIRECT still set after Flush")
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("size %d, %d bytes: the file holds %d bytes, not what was written", tc.size, len(want), len(got))
		}
	}
	// Whether this machine writes directly: logged, as CI may run on a file
	// system that refuses it (the writes are then through the page cache,
	// which the test above covers as well).
	f, err := os.Create(filepath.Join(t.TempDir(), "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Logf("direct I/O in %s: %v", filepath.Dir(f.Name()), NewDirectWriter(f, 4096).direct)
}

// TestDirectWriterFallsBack: a file already written to an unaligned offset
// refuses direct writes at the first one; the writer goes on through the
// page cache from where it was, and nothing is lost or doubled.
func TestDirectWriterFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, want := writeDirect(t, f, []byte("an unaligned start"), 8192, 100000)
	f.Close()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the file holds %d bytes, not the %d written", len(got), len(want))
	}
}
