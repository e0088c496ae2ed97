package identifiers

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestHexHashMatchesEncodingHex(t *testing.T) {
	for _, s := range []string{"", "a", "janedoe@gmail.com"} {
		h := sha256.Sum256([]byte(s))
		if got := string(HexHash(h, []byte("x,"))); got != "x,"+hex.EncodeToString(h[:]) {
			t.Errorf("%q: %s", s, got)
		}
	}
}

func BenchmarkHexHash(b *testing.B) {
	h := sha256.Sum256([]byte("janedoe@gmail.com"))
	buf := make([]byte, 0, 64)
	for range b.N {
		buf = HexHash(h, buf[:0])
	}
}

// hexWord must agree with a byte-by-byte check on every byte value in
// every position.
func TestHexWordAgreesWithByteCheck(t *testing.T) {
	isHex := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	for pos := range 8 {
		for c := range 256 {
			var b [8]byte
			for i := range b {
				b[i] = "0aF9c3E1"[i]
			}
			b[pos] = byte(c)
			w := uint64(0)
			for i := 7; i >= 0; i-- {
				w = w<<8 | uint64(b[i])
			}
			if got := hexWord(w); got != isHex(byte(c)) {
				t.Fatalf("byte %#x at %d: hexWord=%v", c, pos, got)
			}
		}
	}
}
