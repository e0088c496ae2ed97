package identifiers

import (
	"fmt"
	"strings"
)

// MetaKey is one key of a Meta customer-list schema
// (/work/shared/spec/meta-api.md §3, §7). Meta's rules differ from TikTok's
// (no "+tag" removal, MADID sent in clear, extra person keys), so they have
// their own normalizer, MetaNormalizer; TikTok's Normalizer is untouched.
type MetaKey uint8

// The Meta keys this app sends. EXTERN_ID, LOOKALIKE_VALUE and the app/page
// user ids are not offered: they are not customer-list identifiers a file
// of people holds.
const (
	MetaEmail MetaKey = iota + 1
	MetaPhone
	MetaMADID
	MetaFN
	MetaLN
	MetaFI
	MetaCT
	MetaST
	MetaZIP
	MetaCountry
	MetaDOBY
	MetaDOBM
	MetaDOBD
	MetaGen
)

// MetaKeys lists every key, in the order Meta's users edge lists them where
// it lists them.
var MetaKeys = []MetaKey{MetaEmail, MetaPhone, MetaMADID, MetaFN, MetaLN, MetaFI, MetaCT, MetaST,
	MetaZIP, MetaCountry, MetaDOBY, MetaDOBM, MetaDOBD, MetaGen}

// SchemaName is the key's name in a multi-key schema ("EMAIL", "DOBY").
func (k MetaKey) SchemaName() string {
	switch k {
	case MetaEmail:
		return "EMAIL"
	case MetaPhone:
		return "PHONE"
	case MetaMADID:
		return "MADID"
	case MetaFN:
		return "FN"
	case MetaLN:
		return "LN"
	case MetaFI:
		return "FI"
	case MetaCT:
		return "CT"
	case MetaST:
		return "ST"
	case MetaZIP:
		return "ZIP"
	case MetaCountry:
		return "COUNTRY"
	case MetaDOBY:
		return "DOBY"
	case MetaDOBM:
		return "DOBM"
	case MetaDOBD:
		return "DOBD"
	case MetaGen:
		return "GEN"
	}
	return fmt.Sprintf("MetaKey(%d)", uint8(k))
}

// String is the schema name.
func (k MetaKey) String() string { return k.SchemaName() }

// SingleKeySchema is the schema string of a one-key upload of this key, ""
// for keys Meta accepts only in a multi-key schema.
func (k MetaKey) SingleKeySchema() string {
	switch k {
	case MetaEmail:
		return "EMAIL_SHA256"
	case MetaPhone:
		return "PHONE_SHA256"
	case MetaMADID:
		return "MOBILE_ADVERTISER_ID"
	}
	return ""
}

// Hashed reports whether the key's cell is the SHA-256 of the normalized
// value: every key but MADID, which Meta wants lowercased and in clear.
func (k MetaKey) Hashed() bool { return k != MetaMADID }

// ParseMetaKey accepts a schema name ("EMAIL", "dobm"), any case, or the
// single-key schema names.
func ParseMetaKey(s string) (MetaKey, error) {
	for _, k := range MetaKeys {
		if strings.EqualFold(s, k.SchemaName()) || (k.SingleKeySchema() != "" && strings.EqualFold(s, k.SingleKeySchema())) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown Meta key %q (valid: EMAIL, PHONE, MADID, FN, LN, FI, CT, ST, ZIP, COUNTRY, DOBY, DOBM, DOBD, GEN)", s)
}

// MetaKeyFor is the Meta key a TikTok identifier type maps to: IDFA and
// GAID are both MADID there.
func MetaKeyFor(t Type) MetaKey {
	switch t {
	case Email:
		return MetaEmail
	case Phone:
		return MetaPhone
	case IDFA, GAID:
		return MetaMADID
	}
	return 0
}

// The rejection reasons only Meta's keys give. They are not in Reasons, so
// TikTok's reports keep exactly their counters.
const (
	ReasonHashedMADID    Reason = "hashed_maid"
	ReasonInvalidName    Reason = "invalid_name"
	ReasonInvalidCity    Reason = "invalid_city"
	ReasonInvalidState   Reason = "invalid_state"
	ReasonInvalidZIP     Reason = "invalid_zip"
	ReasonInvalidCountry Reason = "invalid_country"
	ReasonInvalidDate    Reason = "invalid_date"
	ReasonInvalidGender  Reason = "invalid_gender"
)

// MetaReasons lists every reason MetaNormalizer can give.
var MetaReasons = []Reason{ReasonEmpty, ReasonInvalidEmail, ReasonInvalidPhone, ReasonInvalidMAID,
	ReasonZeroMAID, ReasonHashedMADID, ReasonInvalidName, ReasonInvalidCity, ReasonInvalidState,
	ReasonInvalidZIP, ReasonInvalidCountry, ReasonInvalidDate, ReasonInvalidGender, ReasonInvalidType}

// metaDescription says the Meta-only reasons in a sentence.
func metaDescription(r Reason) (string, bool) {
	switch r {
	case ReasonHashedMADID:
		return "a hashed mobile advertising ID, which Meta cannot match (it takes them unhashed)", true
	case ReasonInvalidName:
		return "no letters left once digits, spaces and punctuation are removed", true
	case ReasonInvalidCity:
		return "no letters a-z left once spaces and punctuation are removed", true
	case ReasonInvalidState:
		return "not a state: a US state must be its two-letter code or its name", true
	case ReasonInvalidZIP:
		return "not a postal code (a US ZIP code starts with five digits)", true
	case ReasonInvalidCountry:
		return "not a two-letter ISO 3166 country code", true
	case ReasonInvalidDate:
		return "not a date part Meta accepts (year 1900 to this year, month 1-12, day 1-31)", true
	case ReasonInvalidGender:
		return "not a gender Meta accepts (m, f, male or female)", true
	}
	return "", false
}
