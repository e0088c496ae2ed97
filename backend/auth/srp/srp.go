// Package srp is the SRP-6a arithmetic as Amazon Cognito user pools use it
// (see shared/spec/cognito-srp.md): the client side for sign-in and the
// server side for the Cognito stand-in, so both share one implementation of
// the padding and hashing rules that the known-answer vector pins down.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// nHex is the 3072-bit MODP prime of RFC 5054 / RFC 3526 group 15.
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
	"ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
	"F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
	"43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

// TimestampLayout is the 24-hour English UTC layout Cognito expects
// (`EEE MMM d HH:mm:ss z yyyy`), day not zero-padded.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

var (
	// N is the group prime, G its generator, K the multiplier H(PAD(N)‖PAD(g)).
	N = mustHex(nHex)
	G = big.NewInt(2)
	K = new(big.Int).SetBytes(hashHex(PadHex(N) + PadHex(G)))
)

// ErrBadServerValue means the server sent B ≡ 0 (mod N) or a value that makes
// u zero: continuing would leak nothing but prove nothing either.
var ErrBadServerValue = errors.New("the sign-in server sent an invalid SRP value")

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad hex constant")
	}
	return n
}

// PadHex is PAD(x): lowercase hex, even length, with "00" prepended when the
// first nibble is ≥ 8 so the value is never read as negative.
func PadHex(x *big.Int) string {
	h := x.Text(16)
	if len(h)%2 == 1 {
		h = "0" + h
	} else if strings.IndexByte("89abcdef", h[0]) >= 0 {
		h = "00" + h
	}
	return h
}

// hashHex hashes the bytes a hex string stands for.
func hashHex(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic("srp: hashHex of non-hex input")
	}
	s := sha256.Sum256(b)
	return s[:]
}

// ParseHex reads a hex number sent by a peer.
func ParseHex(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("not a hex number")
	}
	return n, nil
}

// PoolName is the part of a user pool id after the underscore.
func PoolName(userPoolID string) string {
	if i := strings.IndexByte(userPoolID, '_'); i >= 0 {
		return userPoolID[i+1:]
	}
	return userPoolID
}

// X is x = H(PAD(salt) ‖ hex(SHA-256(poolName ‖ userID ‖ ":" ‖ password))).
func X(poolName, userID, password string, salt *big.Int) *big.Int {
	inner := sha256.Sum256([]byte(poolName + userID + ":" + password))
	return new(big.Int).SetBytes(hashHex(PadHex(salt) + hex.EncodeToString(inner[:])))
}

// Verifier is v = g^x mod N, what a server stores instead of the password.
func Verifier(poolName, userID, password string, salt *big.Int) *big.Int {
	return new(big.Int).Exp(G, X(poolName, userID, password, salt), N)
}

// U is u = H(PAD(A) ‖ PAD(B)).
func U(A, B *big.Int) *big.Int {
	return new(big.Int).SetBytes(hashHex(PadHex(A) + PadHex(B)))
}

// DeriveKey is the first 16 bytes of HKDF-SHA256(PAD(S), salt PAD(u),
// info "Caldera Derived Key").
func DeriveKey(S, u *big.Int) ([]byte, error) {
	ikm, _ := hex.DecodeString(PadHex(S))
	salt, _ := hex.DecodeString(PadHex(u))
	// crypto/hkdf appends the 0x01 counter byte itself.
	return hkdf.Key(sha256.New, ikm, salt, "Caldera Derived Key", 16)
}

// Signature is base64(HMAC-SHA256(key, poolName ‖ userID ‖ secretBlock ‖ timestamp)).
func Signature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Timestamp formats t the way Cognito expects in the password claim.
func Timestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// Client is one sign-in attempt's ephemeral secret a and public A.
type Client struct {
	a, A *big.Int
}

// NewClient draws a fresh 128-byte secret exponent.
func NewClient() (*Client, error) {
	buf := make([]byte, 128)
	for {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("drawing the SRP secret: %w", err)
		}
		c := NewClientWithSecret(new(big.Int).SetBytes(buf))
		if c != nil {
			return c, nil
		}
	}
}

// NewClientWithSecret uses a given exponent (tests with known answers); nil
// when A ≡ 0 mod N.
func NewClientWithSecret(a *big.Int) *Client {
	A := new(big.Int).Exp(G, a, N)
	if A.Sign() == 0 {
		return nil
	}
	return &Client{a: a, A: A}
}

// PublicHex is SRP_A.
func (c *Client) PublicHex() string { return c.A.Text(16) }

// Key derives the shared 16-byte key from the server's challenge.
func (c *Client) Key(poolName, userID, password string, salt, B *big.Int) ([]byte, error) {
	if new(big.Int).Mod(B, N).Sign() == 0 {
		return nil, ErrBadServerValue
	}
	u := U(c.A, B)
	if u.Sign() == 0 {
		return nil, ErrBadServerValue
	}
	x := X(poolName, userID, password, salt)
	gx := new(big.Int).Exp(G, x, N)
	base := new(big.Int).Sub(B, new(big.Int).Mul(K, gx))
	base.Mod(base, N)
	exp := new(big.Int).Add(c.a, new(big.Int).Mul(u, x))
	S := new(big.Int).Exp(base, exp, N)
	return DeriveKey(S, u)
}

// Server is the verifier side of one attempt (used by the Cognito stand-in).
type Server struct {
	b, B, v *big.Int
}

// NewServer draws b and computes B = k·v + g^b mod N.
func NewServer(v *big.Int) (*Server, error) {
	buf := make([]byte, 128)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("drawing the SRP secret: %w", err)
	}
	return NewServerWithSecret(v, new(big.Int).SetBytes(buf)), nil
}

// NewServerWithSecret uses a given b (tests with known answers).
func NewServerWithSecret(v, b *big.Int) *Server {
	B := new(big.Int).Mul(K, v)
	B.Add(B, new(big.Int).Exp(G, b, N))
	B.Mod(B, N)
	return &Server{b: b, B: B, v: v}
}

// PublicHex is SRP_B.
func (s *Server) PublicHex() string { return s.B.Text(16) }

// Key derives the shared key from the client's A: S = (A·v^u)^b mod N.
func (s *Server) Key(A *big.Int) ([]byte, error) {
	if new(big.Int).Mod(A, N).Sign() == 0 {
		return nil, ErrBadServerValue
	}
	u := U(A, s.B)
	if u.Sign() == 0 {
		return nil, ErrBadServerValue
	}
	S := new(big.Int).Exp(s.v, u, N)
	S.Mul(S, A)
	S.Exp(S, s.b, N)
	return DeriveKey(S, u)
}
