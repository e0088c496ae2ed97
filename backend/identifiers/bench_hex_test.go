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
