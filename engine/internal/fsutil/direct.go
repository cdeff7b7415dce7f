package fsutil

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// DirectWriter writes a new file through O_DIRECT where the system and the
// file system allow it, so that the data goes from this writer's buffer to
// the disk without being copied into the page cache first. An export is
// hundreds of megabytes written once and read rarely; copying it into the
// cache cost more CPU than anything else in writing it (on a VM, mostly
// the host backing fresh pages), and it has to reach the disk before the
// final fsync all the same.
//
// The first MiB is written through the page cache as it comes (a small
// export costs no more than before: no large buffer, no fcntl). Past it,
// from the next aligned offset, writes are gathered in a buffer aligned
// in memory and written in whole buffers at aligned offsets; Flush writes
// the last, partial buffer's whole blocks directly and the rest through
// the page cache. Where direct writes are refused (tmpfs, some network
// file systems, another OS) the file is written through the page cache
// as usual. Not safe for concurrent use; the file must be new (written
// from offset 0) and written only through the DirectWriter until Flush.
type DirectWriter struct {
	f      *os.File
	off    int64  // bytes written to f
	tried  bool   // direct writes were tried: set, refused or given up
	direct bool   // O_DIRECT is set
	buf    []byte // aligned, len 0..size, once direct
	size   int
}

// directAlign is the alignment of direct I/O's buffers, offsets and sizes:
// a page, a multiple of every usual logical block size.
const directAlign = 4096

// directAfter is how many bytes go through the page cache before direct
// writes start.
const directAfter = 1 << 20

// NewDirectWriter returns a DirectWriter to f with a buffer of size bytes
// (rounded up to a multiple of 4 KiB) once direct writes start.
func NewDirectWriter(f *os.File, size int) *DirectWriter {
	return &DirectWriter{f: f, size: (size + directAlign - 1) &^ (directAlign - 1)}
}

func (d *DirectWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if d.direct {
			c := copy(d.buf[len(d.buf):d.size], p)
			d.buf = d.buf[:len(d.buf)+c]
			p = p[c:]
			if len(d.buf) == d.size {
				if err := d.writeOut(d.buf); err != nil {
					return n - len(p), err
				}
				d.buf = d.buf[:0]
			}
			continue
		}
		if !d.tried && d.off >= directAfter && d.off%directAlign == 0 {
			d.tried = true
			if setDirect(d.f, true) == nil {
				raw := make([]byte, d.size+directAlign)
				off := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
				d.buf, d.direct = raw[off:off:off+d.size], true
			}
			continue
		}
		k := len(p)
		if !d.tried { // through the page cache up to the first aligned offset past directAfter
			next := (max(d.off, directAfter) + directAlign - 1) &^ (directAlign - 1)
			k = int(min(int64(k), next-d.off))
		}
		w, err := d.f.Write(p[:k])
		d.off += int64(w)
		p = p[w:]
		if err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

// directWrite is the write of a buffer while direct (a test refuses it).
var directWrite = (*os.File).Write

// writeOut writes b, a whole number of aligned blocks while direct.
func (d *DirectWriter) writeOut(b []byte) error {
	n, err := directWrite(d.f, b)
	if err != nil && d.direct && errors.Is(err, syscall.EINVAL) {
		// Refused at a write rather than at fcntl: through the page
		// cache from here on, going on after what was written.
		if serr := setDirect(d.f, false); serr != nil {
			d.off += int64(n)
			return err
		}
		d.direct = false
		var m int
		m, err = d.f.Write(b[n:])
		n += m
	}
	d.off += int64(n)
	return err
}

// Flush writes what is buffered and leaves the file open without O_DIRECT:
// after it, the file may be synced, read or closed.
func (d *DirectWriter) Flush() error {
	b := d.buf
	d.buf = d.buf[:0]
	if d.direct {
		if whole := len(b) &^ (directAlign - 1); whole > 0 {
			if err := d.writeOut(b[:whole]); err != nil {
				return err
			}
			b = b[whole:]
		}
		if d.direct {
			if err := setDirect(d.f, false); err != nil {
				return err
			}
			d.direct = false
		}
	}
	if len(b) == 0 {
		return nil
	}
	n, err := d.f.Write(b)
	d.off += int64(n)
	return err
}
