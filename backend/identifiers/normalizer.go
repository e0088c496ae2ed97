package identifiers

import (
	"fmt"
	sha256 "github.com/minio/sha256-simd" // SHA-NI with less per-call overhead than crypto/sha256 on short inputs
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
	out := n.out[:0]
	ascii := true
	for _, c := range s {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
		}
	} else {
		if !utf8.Valid(s) {
			// Bytes that are not UTF-8 cannot be the UTF-8 string the
			// platform hashes.
			return reject(ReasonInvalidEmail)
		}
		for _, r := range string(s) {
			out = utf8.AppendRune(out, unicode.ToLower(r))
		}
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
	if at < 0 || !emailCharsOK(out, ascii) {
		return reject(ReasonInvalidEmail)
	}
	// Drop a "+tag" from the local part (TikTok's customer-file rule).
	local := out[:at]
	for i, c := range local {
		if c == '+' {
			out = append(out[:i], out[at:]...)
			at = i
			break
		}
	}
	domain := out[at+1:]
	if at < 1 || at > 64 || len(domain) < 1 || len(domain) > 253 || len(out) > 254 || !domainOK(domain) {
		return reject(ReasonInvalidEmail)
	}
	return n.valid(out)
}

// emailCharsOK rejects white space and control characters anywhere.
func emailCharsOK(s []byte, ascii bool) bool {
	if ascii {
		for _, c := range s {
			if c <= ' ' || c == 0x7f {
				return false
			}
		}
		return true
	}
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
	// The MAID path runs twice per row in a typical list: table lookups into
	// a fixed array, no appends.
	var buf [36]byte
	var bad, nonZero byte
	switch len(s) {
	case 36:
		s = s[:36]
		for i := range 36 {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return reject(ReasonInvalidMAID)
				}
				buf[i] = '-'
				continue
			}
			c := lowerHexTable[s[i]]
			bad |= c & 0x80
			nonZero |= c ^ '0'
			buf[i] = c
		}
	case 32:
		s = s[:32]
		j := 0
		for i := range 32 {
			if i == 8 || i == 12 || i == 16 || i == 20 {
				buf[j] = '-'
				j++
			}
			c := lowerHexTable[s[i]]
			bad |= c & 0x80
			nonZero |= c ^ '0'
			buf[j] = c
			j++
		}
	default:
		return reject(ReasonInvalidMAID)
	}
	if bad != 0 {
		return reject(ReasonInvalidMAID)
	}
	if nonZero == 0 {
		return reject(ReasonZeroMAID)
	}
	n.out = append(n.out[:0], buf[:]...)
	return n.valid(n.out)
}

// lowerHexTable maps a hex digit to its lower-case form and anything else to
// 0x80, so one OR over a value tells whether any byte was not hex.
var lowerHexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0x80
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	return t
}()
