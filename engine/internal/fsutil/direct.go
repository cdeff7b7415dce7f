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
// Writes are gathered in a buffer aligned in memory and written in whole
// buffers at aligned offsets; Flush writes the last, partial buffer's
// whole blocks directly and the rest through the page cache. Where direct
// writes are refused (tmpfs, some network file systems, another OS) the
// file is written through the page cache as usual. Not safe for
// concurrent use; the file must be new (written from offset 0) and
// written only through the DirectWriter until Flush.
type DirectWriter struct {
	f      *os.File
	direct bool
	buf    []byte // aligned, len 0..size
	size   int
}

// directAlign is the alignment of direct I/O's buffers, offsets and sizes:
// a page, a multiple of every usual logical block size.
const directAlign = 4096

// NewDirectWriter returns a DirectWriter to f with a buffer of size bytes
// (rounded up to a multiple of 4 KiB).
func NewDirectWriter(f *os.File, size int) *DirectWriter {
	size = (size + directAlign - 1) &^ (directAlign - 1)
	raw := make([]byte, size+directAlign)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	return &DirectWriter{f: f, direct: setDirect(f, true) == nil, buf: raw[off : off : off+size], size: size}
}

func (d *DirectWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		c := copy(d.buf[len(d.buf):d.size], p)
		d.buf = d.buf[:len(d.buf)+c]
		p = p[c:]
		if len(d.buf) == d.size {
			if err := d.writeOut(d.buf); err != nil {
				return n - len(p), err
			}
			d.buf = d.buf[:0]
		}
	}
	return n, nil
}

// writeOut writes b, a whole number of aligned blocks while direct.
func (d *DirectWriter) writeOut(b []byte) error {
	n, err := d.f.Write(b)
	if err != nil && d.direct && errors.Is(err, syscall.EINVAL) {
		// Refused at a write rather than at fcntl: through the page
		// cache from here on, going on after what was written.
		if serr := setDirect(d.f, false); serr != nil {
			return err
		}
		d.direct = false
		_, err = d.f.Write(b[n:])
	}
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
	_, err := d.f.Write(b)
	return err
}
