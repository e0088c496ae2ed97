package srp

import (
	"encoding/hex"
	"math/big"
	"testing"
	"time"
)

// TestKnownAnswer reproduces the vector in shared/spec/cognito-srp.md, which
// amazon-cognito-identity-js computed: it proves the math byte for byte.
func TestKnownAnswer(t *testing.T) {
	const (
		poolID   = "eu-west-1_TestPool"
		userID   = "c0ffee00-1111-2222-3333-444455556666"
		password = "Correct-Horse-9!"
		wantKey  = "5df52706578c3d6e91382b213cc93c18"
		wantSig  = "usiflMrMnGVx+utYxHjUTM6d6evpU1Ok2uizPfXdo7A="
	)
	a := mustHex("1234567890abcdef1234567890abcdef")
	b := mustHex("fedcba9876543210fedcba9876543210")
	salt := mustHex("5e1f00d5a1b2c3d4e5f60718293a4b5c")
	block := []byte("opaque-secret-block-from-server")
	ts := Timestamp(time.Date(2018, 7, 10, 15, 1, 0, 0, time.UTC))
	if ts != "Tue Jul 10 15:01:00 UTC 2018" {
		t.Fatalf("timestamp = %q", ts)
	}
	pool := PoolName(poolID)
	if pool != "TestPool" {
		t.Fatalf("pool name = %q", pool)
	}
	server := NewServerWithSecret(Verifier(pool, userID, password, salt), b)
	client := NewClientWithSecret(a)
	B, err := ParseHex(server.PublicHex())
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.Key(pool, userID, password, salt, B)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(key); got != wantKey {
		t.Fatalf("client key = %s, want %s", got, wantKey)
	}
	if got := Signature(key, pool, userID, block, ts); got != wantSig {
		t.Fatalf("signature = %s, want %s", got, wantSig)
	}
	skey, err := server.Key(client.A)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(skey) != wantKey {
		t.Fatalf("server key = %x, want %s", skey, wantKey)
	}
	// A wrong password must give a different key.
	bad, err := client.Key(pool, userID, password+"x", salt, B)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(bad) == wantKey {
		t.Fatal("wrong password derived the same key")
	}
}

func TestTimestampIs24HourNotPadded(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 3, 5, 21, 7, 9, 0, time.UTC), "Tue Mar 5 21:07:09 UTC 2024"},
		{time.Date(2024, 3, 15, 0, 0, 0, 0, time.FixedZone("X", 3600)), "Thu Mar 14 23:00:00 UTC 2024"},
	} {
		if got := Timestamp(tc.in); got != tc.want {
			t.Errorf("Timestamp(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPadHex(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0x1, "01"}, {0x7f, "7f"}, {0x80, "0080"}, {0xabc, "0abc"}, {0x8abc, "008abc"},
	} {
		if got := PadHex(big.NewInt(tc.in)); got != tc.want {
			t.Errorf("PadHex(%x) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRejectsZeroB(t *testing.T) {
	c := NewClientWithSecret(big.NewInt(12345))
	if _, err := c.Key("p", "u", "pw", big.NewInt(1), new(big.Int).Set(N)); err != ErrBadServerValue {
		t.Fatalf("B = N: err = %v", err)
	}
}
