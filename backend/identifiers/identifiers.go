// Package identifiers normalizes, validates and SHA-256 hashes the customer
// identifiers an audience is built from (e-mail, phone, IDFA, GAID), exactly
// as /work/shared/spec/normalization.md defines it. It is the hot path of the
// transform: the per-value work is allocation-free on the common shapes.
package identifiers

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Type is the kind of identifier a column holds.
type Type uint8

// The identifier types, in the order the spec lists them.
const (
	Email Type = iota + 1
	Phone
	IDFA
	GAID
)

// Types lists every identifier type.
var Types = []Type{Email, Phone, IDFA, GAID}

// ParseType accepts "email", "phone", "idfa" or "gaid" in any case.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown identifier type %q (valid: email, phone, idfa, gaid)", s)
}

// String returns the lowercase name used on command lines and in settings.
func (t Type) String() string {
	switch t {
	case Email:
		return "email"
	case Phone:
		return "phone"
	case IDFA:
		return "idfa"
	case GAID:
		return "gaid"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// CalculateType is TikTok's calculate_type for a file holding only this type.
func (t Type) CalculateType() string {
	switch t {
	case Email:
		return "EMAIL_SHA256"
	case Phone:
		return "PHONE_SHA256"
	case IDFA:
		return "IDFA_SHA256"
	case GAID:
		return "GAID_SHA256"
	}
	return ""
}

// CombinedColumn is the header of this type's column in a MULTIPLE_TYPES file,
// spelled as TikTok's help centre publishes it; IDFA and GAID are both
// mobile advertising IDs there.
func (t Type) CombinedColumn() string {
	switch t {
	case Email:
		return "Email_SHA256"
	case Phone:
		return "Phone_SHA256"
	case IDFA, GAID:
		return "MAID_SHA256"
	}
	return ""
}

// PhoneFormat selects the string that is hashed for a phone number.
type PhoneFormat uint8

const (
	// PhoneDigits hashes the E.164 digits without "+" ("16134444444"), the
	// form that reproduces TikTok's published example hash.
	PhoneDigits PhoneFormat = iota
	// PhoneE164 hashes "+16134444444".
	PhoneE164
)

// ParsePhoneFormat accepts "digits" or "e164" (any case).
func ParsePhoneFormat(s string) (PhoneFormat, error) {
	switch strings.ToLower(s) {
	case "digits":
		return PhoneDigits, nil
	case "e164":
		return PhoneE164, nil
	}
	return 0, fmt.Errorf("unknown phone format %q (valid: digits, e164)", s)
}

// String returns the name ParsePhoneFormat accepts.
func (f PhoneFormat) String() string {
	if f == PhoneE164 {
		return "e164"
	}
	return "digits"
}

// Reason is a stable code for why a value was rejected; counters, reports and
// the UI key on it.
type Reason string

// The rejection reasons.
const (
	ReasonEmpty           Reason = "empty"
	ReasonInvalidEmail    Reason = "invalid_email"
	ReasonInvalidPhone    Reason = "invalid_phone"
	ReasonInvalidMAID     Reason = "invalid_maid"
	ReasonZeroMAID        Reason = "zero_maid"
	ReasonMD5NotSupported Reason = "md5_not_supported"
	ReasonInvalidType     Reason = "invalid_type"
)

// Reasons lists every rejection reason, for reports that show all counters.
var Reasons = []Reason{ReasonEmpty, ReasonInvalidEmail, ReasonInvalidPhone, ReasonInvalidMAID,
	ReasonZeroMAID, ReasonMD5NotSupported, ReasonInvalidType}

// Description is one plain sentence for people.
func (r Reason) Description() string {
	switch r {
	case ReasonEmpty:
		return "the value is empty"
	case ReasonInvalidEmail:
		return "not a valid e-mail address"
	case ReasonInvalidPhone:
		return "not a possible phone number"
	case ReasonInvalidMAID:
		return "not a valid mobile advertising ID"
	case ReasonZeroMAID:
		return "an all-zero advertising ID, sent by devices with ad tracking limited"
	case ReasonMD5NotSupported:
		return "an MD5 hash, which TikTok cannot match"
	case ReasonInvalidType:
		return "not a text or number value"
	}
	if d, ok := metaDescription(r); ok {
		return d
	}
	return "rejected (" + string(r) + ")"
}

// Status says what Normalize made of a value.
type Status uint8

// The statuses.
const (
	Valid Status = iota + 1
	Prehashed
	Rejected
)

// String returns "valid", "prehashed" or "rejected".
func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Prehashed:
		return "prehashed"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Options configures a Normalizer.
type Options struct {
	Region      string // ISO 3166 alpha-2 default phone region; "" means "US"
	PhoneFormat PhoneFormat
}

// Result is the outcome of normalizing one value.
type Result struct {
	Status Status
	Reason Reason // when Rejected
	// Normalized is, when Valid, the exact string that was hashed. It aliases
	// the Normalizer's scratch space and is valid until its next call.
	Normalized []byte
	// Hash is SHA-256(Normalized) when Valid, the decoded input when Prehashed.
	Hash [32]byte
}

const hexDigits = "0123456789abcdef"

// HexHash appends the 64 lowercase hex characters of h to dst.
func HexHash(h [32]byte, dst []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 64)[:n+64]
	out := (*[64]byte)(dst[n : n+64])
	for i := 0; i < 32; i += 4 {
		v := uint64(hexPairs[h[i]])<<48 | uint64(hexPairs[h[i+1]])<<32 | uint64(hexPairs[h[i+2]])<<16 | uint64(hexPairs[h[i+3]])
		binary.BigEndian.PutUint64(out[2*i:], v)
	}
	return dst
}

// hexPairs holds the two hex digits of every byte value: one lookup a byte.
var hexPairs = func() (t [256]uint16) {
	for i := range t {
		t[i] = uint16(hexDigits[i>>4])<<8 | uint16(hexDigits[i&0xf])
	}
	return t
}()

// LooksLike reports whether raw is accepted (valid or prehashed) as type t;
// schema discovery uses it to suggest column types.
func LooksLike(t Type, raw []byte, n *Normalizer) bool {
	return n.Normalize(t, raw).Status != Rejected
}
