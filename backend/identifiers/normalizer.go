package identifiers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	sha256 "github.com/minio/sha256-simd" // SHA-NI with less per-call overhead than crypto/sha256 on short inputs
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// emptySHA256 is SHA-256(""): it must never be emitted, not even when it
// arrives as a "prehashed" value.
var emptySHA256 = sha256.Sum256(nil)

// Normalizer holds scratch buffers: one per goroutine, not safe for
// concurrent use.
type Normalizer struct {
	opts   Options
	region *regionInfo // default phone region
	out    []byte      // the normalized string of the last Valid result
	digits []byte      // phone digits scratch
	tmp    []byte      // phone national-number scratch
	tmp2   []byte      // a second one: national numbers are stripped twice
	num    []byte      // JSON number text scratch
}

// NewNormalizer returns a Normalizer for opts; the region must be one
// libphonenumber knows.
func NewNormalizer(opts Options) (*Normalizer, error) {
	if opts.Region == "" {
		opts.Region = "US"
	}
	region := upperASCII(opts.Region)
	ri := geoRegions[region]
	if ri == nil || !phonenumbers.GetSupportedRegions()[region] {
		return nil, fmt.Errorf("unknown phone region %q", opts.Region)
	}
	if opts.PhoneFormat != PhoneDigits && opts.PhoneFormat != PhoneE164 {
		return nil, fmt.Errorf("unknown phone format %d", opts.PhoneFormat)
	}
	opts.Region = region
	ri.prepare()
	return &Normalizer{
		opts:   opts,
		region: ri,
		out:    make([]byte, 0, 512),
		digits: make([]byte, 0, 256),
		tmp:    make([]byte, 0, 256),
		tmp2:   make([]byte, 0, 256),
		num:    make([]byte, 0, 64),
	}, nil
}

// Options returns the options in effect (region upper-cased, defaults filled in).
func (n *Normalizer) Options() Options { return n.opts }

// Normalize takes the raw text of a string value (JSON strings already
// unescaped, CSV fields unquoted).
func (n *Normalizer) Normalize(t Type, raw []byte) Result {
	s := trim(raw)
	if len(s) == 0 {
		return reject(ReasonEmpty)
	}
	if len(s) == 64 && isHex(s) {
		return prehashed(s)
	}
	switch t {
	case Email:
		if len(s) == 32 && isHex(s) {
			return reject(ReasonMD5NotSupported)
		}
		return n.email(s)
	case Phone:
		if len(s) == 32 && isHex(s) {
			return reject(ReasonMD5NotSupported)
		}
		return n.phone(s)
	case IDFA, GAID:
		return n.maid(s)
	}
	return reject(ReasonInvalidType)
}

func reject(r Reason) Result { return Result{Status: Rejected, Reason: r} }

func (n *Normalizer) valid(normalized []byte) Result {
	return Result{Status: Valid, Normalized: normalized, Hash: sha256.Sum256(normalized)}
}

// prehashed decodes a 64-hex value (already checked by isHex).
func prehashed(s []byte) Result {
	var r Result
	for i := range r.Hash {
		r.Hash[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	if r.Hash == emptySHA256 {
		return reject(ReasonEmpty)
	}
	r.Status = Prehashed
	return r
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

var hexTable = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = true
	}
	return t
}()

func isHex(s []byte) bool {
	for _, c := range s {
		if !hexTable[c] {
			return false
		}
	}
	return true
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// isTrimRune reports the characters the spec trims: Unicode white space and
// the invisible characters spreadsheet exports leave behind.
func isTrimRune(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0x85, r == 0xA0, r == 0x1680,
		r >= 0x2000 && r <= 0x200B, r == 0x2028, r == 0x2029, r == 0x202F,
		r == 0x205F, r == 0x3000, r == 0xFEFF:
		return true
	}
	return false
}

var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// trim removes leading and trailing trim runes; ASCII first, since that is
// nearly every value.
func trim(s []byte) []byte {
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			if !asciiSpace[c] {
				break
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		if !isTrimRune(r) || r == utf8.RuneError {
			break
		}
		s = s[size:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c < utf8.RuneSelf {
			if !asciiSpace[c] {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRune(s)
		if !isTrimRune(r) || r == utf8.RuneError {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// email normalizes and validates an e-mail address (spec "EMAIL").
func (n *Normalizer) email(s []byte) Result {
	// ASCII addresses (nearly all) take one pass that lowercases and finds
	// the '@' and the '+tag' at once.
	out := slices.Grow(n.out[:0], len(s))[:len(s)]
	at, plus := -1, -1
	for i, c := range s {
		switch emailClass[c] {
		case emailPlain:
			out[i] = c
		case emailUpper:
			out[i] = c + 'a' - 'A'
		case emailAt:
			if at >= 0 {
				return reject(ReasonInvalidEmail) // more than one '@'
			}
			at = i
			out[i] = c
		case emailPlus:
			if at < 0 && plus < 0 {
				plus = i
			}
			out[i] = c
		case emailForbidden:
			return reject(ReasonInvalidEmail) // white space or control character
		default:
			return n.emailUnicode(s)
		}
	}
	if at < 0 {
		return reject(ReasonInvalidEmail)
	}
	if plus >= 0 {
		// Drop the "+tag" from the local part (TikTok's customer-file rule).
		out = append(out[:plus], out[at:]...)
		at = plus
	}
	return n.emailChecked(out, at)
}

const (
	emailPlain = iota
	emailUpper
	emailAt
	emailPlus
	emailForbidden
	emailNonASCII
)

var emailClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= 0x80:
			t[c] = emailNonASCII
		case c <= ' ' || c == 0x7f:
			t[c] = emailForbidden
		case c >= 'A' && c <= 'Z':
			t[c] = emailUpper
		case c == '@':
			t[c] = emailAt
		case c == '+':
			t[c] = emailPlus
		}
	}
	return t
}()

// emailChecked applies the length and domain rules to a lowercased address
// whose only '@' is at index at.
func (n *Normalizer) emailChecked(out []byte, at int) Result {
	n.out = out[:0]
	if !emailShapeOK(out, at) {
		return reject(ReasonInvalidEmail)
	}
	return n.valid(out)
}

// emailShapeOK: the local part is 1-64 bytes, the domain 1-253 and valid,
// the address at most 254.
func emailShapeOK(out []byte, at int) bool {
	domain := out[at+1:]
	return at >= 1 && at <= 64 && len(domain) >= 1 && len(domain) <= 253 && len(out) <= 254 && domainOK(domain)
}

// emailUnicode is the path for addresses with non-ASCII characters:
// Unicode-aware lowercasing, then the same rules as the ASCII path.
func (n *Normalizer) emailUnicode(s []byte) Result {
	if !utf8.Valid(s) {
		// Bytes that are not UTF-8 cannot be the UTF-8 string the platform
		// hashes.
		return reject(ReasonInvalidEmail)
	}
	out := n.out[:0]
	for _, r := range string(s) {
		out = utf8.AppendRune(out, unicode.ToLower(r))
	}
	n.out = out[:0]
	at := -1
	for i, c := range out {
		if c == '@' {
			if at >= 0 {
				return reject(ReasonInvalidEmail) // more than one '@'
			}
			at = i
		}
	}
	if at < 0 || !emailCharsOK(out) {
		return reject(ReasonInvalidEmail)
	}
	// Drop a "+tag" from the local part (TikTok's customer-file rule).
	if i := bytes.IndexByte(out[:at], '+'); i >= 0 {
		out = append(out[:i], out[at:]...)
		at = i
	}
	return n.emailChecked(out, at)
}

// emailCharsOK rejects white space and control characters anywhere.
func emailCharsOK(s []byte) bool {
	for _, r := range string(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || isTrimRune(r) {
			return false
		}
	}
	return true
}

// domainOK: contains a '.', no empty label, no label that starts or ends
// with '-'.
func domainOK(d []byte) bool {
	dots := 0
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		label := d[start:i]
		if len(label) == 0 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if i < len(d) {
			dots++
		}
		start = i + 1
	}
	return dots > 0
}

// maid normalizes an IDFA or GAID to the lowercase 8-4-4-4-12 form.
func (n *Normalizer) maid(s []byte) Result {
	// The MAID path runs twice per row in a typical list, so it works on
	// 8-byte words: gather the 32 hex digits, validate and lowercase them
	// word by word, then lay out the canonical 8-4-4-4-12 form.
	var digits [32]byte
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return reject(ReasonInvalidMAID)
		}
		copy(digits[0:8], s[0:8])
		copy(digits[8:12], s[9:13])
		copy(digits[12:16], s[14:18])
		copy(digits[16:20], s[19:23])
		copy(digits[20:32], s[24:36])
	case 32:
		copy(digits[:], s)
	default:
		return reject(ReasonInvalidMAID)
	}
	allZero := true
	for i := 0; i < 32; i += 8 {
		raw := binary.LittleEndian.Uint64(digits[i:])
		if !hexWord(raw) {
			return reject(ReasonInvalidMAID)
		}
		w := raw | 0x2020202020202020 // ASCII lowercase; digits are unchanged by it
		allZero = allZero && w == 0x3030303030303030
		binary.LittleEndian.PutUint64(digits[i:], w)
	}
	if allZero {
		return reject(ReasonZeroMAID)
	}
	out := append(n.out[:0], digits[0:8]...)
	out = append(out, '-')
	out = append(out, digits[8:12]...)
	out = append(out, '-')
	out = append(out, digits[12:16]...)
	out = append(out, '-')
	out = append(out, digits[16:20]...)
	out = append(out, '-')
	out = append(out, digits[20:32]...)
	n.out = out
	return n.valid(out)
}

// hexWord reports whether each of w's 8 bytes is one of 0-9 a-f A-F. Per
// byte, adding (0x80-lo) sets the top bit when the byte is >= lo; the bytes
// are checked to be ASCII first, so no addition carries into a neighbour.
// Letters are tested after OR 0x20, which maps exactly A-F and a-f to a-f.
func hexWord(w uint64) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	if w&high != 0 {
		return false
	}
	lower := w | 0x20*ones
	digit := (w + (0x80-'0')*ones) &^ (w + (0x80-'9'-1)*ones)
	letter := (lower + (0x80-'a')*ones) &^ (lower + (0x80-'f'-1)*ones)
	return (digit|letter)&high == high
}
