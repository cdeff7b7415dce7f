package fsutil

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// writeDirect writes total bytes in pieces of random sizes through a
// DirectWriter to a new file, and returns the writer and what the file
// must hold.
func writeDirect(t *testing.T, path string, size, total int) (*DirectWriter, []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewDirectWriter(f, size)
	r := rand.New(rand.NewPCG(uint64(size), uint64(total)))
	var want []byte
	for len(want) < total {
		p := make([]byte, min(r.IntN(3*size/2+1), total-len(want)+r.IntN(2)))
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
	if d.direct {
		t.Error("O_DIRECT still set after Flush")
	}
	if d.off != int64(len(want)) {
		t.Errorf("offset %d after %d bytes", d.off, len(want))
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("size %d, %d bytes: the file holds %d bytes, not what was written", size, len(want), len(got))
	}
	return d, want
}

// TestDirectWriter: what is written, in pieces of every size, small files
// and large, with a partial last buffer and a last block cut short, is
// what the file holds. Past the first MiB the writes go direct where the
// file system allows it (logged: CI may run on one that refuses).
func TestDirectWriter(t *testing.T) {
	direct, refused := 0, 0
	directWrite = func(f *os.File, b []byte) (int, error) {
		n, err := f.Write(b)
		if err != nil {
			refused++
		} else {
			direct++
		}
		return n, err
	}
	defer func() { directWrite = (*os.File).Write }()
	for _, tc := range []struct{ size, total int }{
		{4096, 0}, {4096, 1}, {4096, directAfter}, {8192, directAfter + 1}, {1 << 16, 3*directAfter + 12345},
		{5000, 2*directAfter + 4096}, {1 << 20, 5 * directAfter},
	} {
		d, _ := writeDirect(t, filepath.Join(t.TempDir(), "out"), tc.size, tc.total)
		if d.tried != (tc.total > directAfter) && tc.total != directAfter+1 {
			t.Errorf("%d bytes: direct writes tried %v", tc.total, d.tried)
		}
		if tc.total == 5*directAfter {
			t.Logf("direct writes in %s: %v", os.TempDir(), d.buf != nil)
			if d.buf != nil && (refused > 0 || direct < 3) {
				t.Errorf("direct writes: %d done, %d refused", direct, refused)
			}
		}
	}
}

// TestDirectWriterFallsBack: a direct write cut short and refused (EINVAL,
// as a file system that takes O_DIRECT at fcntl but not at the write does) sends the
// writer through the page cache from where it was, and nothing is lost
// or doubled.
func TestDirectWriterFallsBack(t *testing.T) {
	refused := 0
	directWrite = func(f *os.File, b []byte) (int, error) {
		refused++
		n, _ := f.Write(b[:len(b)/2]) // a short write, then the refusal
		return n, syscall.EINVAL
	}
	defer func() { directWrite = (*os.File).Write }()
	d, _ := writeDirect(t, filepath.Join(t.TempDir(), "out"), 1<<16, 3*directAfter)
	if d.buf != nil && refused != 1 {
		t.Errorf("%d direct writes refused; want 1, then none tried", refused)
	}
}
