package payroll

// Line ids and CSV cells of payroll files.

import (
	"crypto/sha256"
	"encoding/hex"
)

// lineID is the stable id of one subject's incentive in one period.
func lineID(policy, subject, period, incentive string) string {
	var b [32]byte
	return string(appendLineID(b[:0], policy, subject, period, incentive))
}

// appendLineID appends the line id: shortHash("rubric-line", parts...),
// without allocating.
func appendLineID(buf []byte, policy, subject, period, incentive string) []byte {
	var tmp [512]byte
	b := append(tmp[:0], "rubric-line"...)
	for _, p := range [...]string{policy, subject, period, incentive} {
		b = append(b, 0)
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return hex.AppendEncode(buf, sum[:16])
}

// shortHash is 128 bits of SHA-256 over parts joined with NUL, in hex.
func shortHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
