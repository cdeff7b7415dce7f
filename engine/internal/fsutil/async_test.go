package fsutil

import (
	"bytes"
	"errors"
	"testing"
)

func TestAsyncWriterKeepsOrder(t *testing.T) {
	var out bytes.Buffer
	a := NewAsyncWriter(&out, 7)
	var want []byte
	for i := 0; i < 1000; i++ {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, i%13)
		want = append(want, p...)
		if _, err := a.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("wrote %d bytes out of order or lost (want %d)", out.Len(), len(want))
	}
}

type failing struct{ n int }

func (f *failing) Write(p []byte) (int, error) {
	if f.n++; f.n > 2 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestAsyncWriterReportsTheFirstError(t *testing.T) {
	a := NewAsyncWriter(&failing{}, 4)
	for i := 0; i < 100; i++ {
		a.Write([]byte("abcdef"))
	}
	if err := a.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close: %v, want disk full", err)
	}
	if err := a.Close(); err == nil {
		t.Fatal("a second Close forgot the error")
	}
}
