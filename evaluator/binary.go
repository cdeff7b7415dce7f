package evaluator

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/cockroachdb/apd/v3"

	"github.com/rubric-dev/rubric/rules"
)

// AppendBinary appends the snapshot as read from the input (its identity,
// period and input values, before any evaluation) in a compact binary form,
// for runs that sort snapshots on disk. SnapshotDecoder reads it.
func (s *Snapshot) AppendBinary(b []byte) []byte {
	b = appendBytes(b, s.Subject)
	b = appendBytes(b, s.Team)
	var flags byte
	if s.HasTeam {
		flags |= 1
	}
	if s.HistoryOnly {
		flags |= 2
	}
	b = append(b, flags)
	b = appendBytes(b, s.Period.Label)
	b = binary.AppendUvarint(b, uint64(s.Line))
	n := 0
	for _, v := range s.Values {
		if v.Kind != None {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i, v := range s.Values {
		if v.Kind == None {
			continue
		}
		b = binary.AppendUvarint(b, uint64(i))
		b = append(b, byte(v.Kind))
		switch v.Kind {
		case Number:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Num))
		case String:
			b = appendBytes(b, v.Str)
		case Bool:
			if v.Bool {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.exact)))
	for _, e := range s.exact {
		b = binary.AppendUvarint(b, uint64(e.Slot))
		b = appendBytes(b, e.Dec.Text('f'))
	}
	return b
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("a spooled snapshot is corrupt")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// bytes is str without a copy: valid until r's bytes are reused.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errCorrupt
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.err = errCorrupt
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// BinarySubject is the subject of a snapshot written by AppendBinary, read
// without the rest: valid as long as b is.
func BinarySubject(b []byte) ([]byte, error) {
	r := &reader{b: b}
	subject := r.bytes()
	return subject, r.err
}

// A SnapshotDecoder reads snapshots written by AppendBinary, remembering
// the periods it parsed (a run holds a few, and a subject's snapshots,
// which come together when sorted for history, each have another). The
// zero value is ready to use.
type SnapshotDecoder struct {
	periods map[string]rules.Period
}

// DecodeInto reads a snapshot into s, an empty snapshot of the policy
// that wrote it (NewSnapshot, or one Reset).
func (d *SnapshotDecoder) DecodeInto(s *Snapshot, b []byte) error {
	r := &reader{b: b}
	s.Subject = r.str()
	s.Team = r.str()
	flags := r.byte()
	s.HasTeam, s.HistoryOnly = flags&1 != 0, flags&2 != 0
	label := r.bytes()
	s.Line = int(r.uvarint())
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		slot := int(r.uvarint())
		if slot >= len(s.Values) {
			return errCorrupt
		}
		switch Kind(r.byte()) {
		case Number:
			if len(r.b) < 8 {
				return errCorrupt
			}
			s.Values[slot] = Num(math.Float64frombits(binary.LittleEndian.Uint64(r.b)))
			r.b = r.b[8:]
		case String:
			s.Values[slot] = Str(r.str())
		case Bool:
			s.Values[slot] = Boolean(r.byte() == 1)
		default:
			return errCorrupt
		}
	}
	ne := r.uvarint()
	for i := uint64(0); i < ne && r.err == nil; i++ {
		slot := int(r.uvarint())
		dec, _, err := apd.NewFromString(r.str())
		if err != nil {
			return errCorrupt
		}
		s.exact = append(s.exact, ExactValue{Slot: slot, Dec: dec})
	}
	if r.err != nil {
		return r.err
	}
	per, ok := d.periods[string(label)]
	if !ok {
		var err error
		if per, err = rules.ParsePeriod(string(label)); err != nil {
			return errCorrupt
		}
		if d.periods == nil || len(d.periods) >= 1024 {
			d.periods = map[string]rules.Period{}
		}
		d.periods[string(label)] = per
	}
	s.Period = per
	return nil
}
