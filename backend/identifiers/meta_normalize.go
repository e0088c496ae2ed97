package identifiers

import (
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	sha256 "github.com/minio/sha256-simd"
	"golang.org/x/text/unicode/norm"
)

// MetaNormalizer applies Meta's normalization table (spec meta-api.md §7) to
// one value of a key. Like Normalizer it holds scratch buffers: one per
// goroutine. Phones reuse TikTok's exact E.164-digits path (Meta's "digits
// with country code, no +"), after Meta's own rule that leading zeros go.
type MetaNormalizer struct {
	region   string
	phones   map[string]*Normalizer // phone region -> TikTok normalizer in PhoneDigits form
	out      []byte
	now      func() time.Time
	maidNorm *Normalizer
}

// NewMetaNormalizer returns a normalizer whose phones without a country
// code are read as numbers of region ("" means "US").
func NewMetaNormalizer(region string) (*MetaNormalizer, error) {
	tk, err := NewNormalizer(Options{Region: region, PhoneFormat: PhoneDigits})
	if err != nil {
		return nil, err
	}
	r := tk.Options().Region
	return &MetaNormalizer{region: r, phones: map[string]*Normalizer{r: tk}, out: make([]byte, 0, 256),
		now: time.Now, maidNorm: tk}, nil
}

// Region is the default phone region in effect.
func (n *MetaNormalizer) Region() string { return n.region }

// Normalize normalizes raw as key k with no row country known: phones use
// the default region, ST and ZIP the rules that hold for every country.
func (n *MetaNormalizer) Normalize(k MetaKey, raw []byte) Result { return n.NormalizeIn(k, raw, "") }

// NormalizeIn normalizes raw as key k for a row whose COUNTRY is country
// (lowercase ISO alpha-2, or "" when unknown): phones without a country
// code take that country's code, US states may be written out, a US ZIP is
// its first five digits and a UK postcode its area, district and sector.
func (n *MetaNormalizer) NormalizeIn(k MetaKey, raw []byte, country string) Result {
	s := trim(raw)
	if len(s) == 0 {
		return reject(ReasonEmpty)
	}
	if len(s) == 64 && isHex(s) {
		if k == MetaMADID {
			return reject(ReasonHashedMADID)
		}
		return prehashed(s)
	}
	if !utf8.Valid(s) {
		return reject(metaInvalid(k))
	}
	switch k {
	case MetaEmail:
		return n.email(s)
	case MetaPhone:
		return n.phone(s, country)
	case MetaMADID:
		r := n.maidNorm.maid(s)
		if r.Status == Valid {
			// The canonical lowercase 8-4-4-4-12 form; the cell is this text.
			n.out = append(n.out[:0], r.Normalized...)
			r.Normalized = n.out
		}
		return r
	case MetaFN, MetaLN:
		return n.hashed(n.name(s), ReasonInvalidName)
	case MetaFI:
		name := n.name(s)
		if len(name) > 0 {
			_, size := utf8.DecodeRune(name)
			name = name[:size]
		}
		return n.hashed(name, ReasonInvalidName)
	case MetaCT:
		return n.hashed(n.asciiLetters(s, false), ReasonInvalidCity)
	case MetaST:
		return n.state(s, country)
	case MetaZIP:
		return n.zip(s, country)
	case MetaCountry:
		c := n.asciiLetters(s, false)
		if len(c) != 2 || !isISOCountry(string(c)) {
			return reject(ReasonInvalidCountry)
		}
		return n.hashed(c, ReasonInvalidCountry)
	case MetaDOBY, MetaDOBM, MetaDOBD:
		return n.datePart(k, s)
	case MetaGen:
		return n.gender(s)
	}
	return reject(ReasonInvalidType)
}

// AppendMetaCell appends the text Meta receives for a Valid or Prehashed
// result of key k: 64 lowercase hex characters, or for MADID the
// normalized ID itself.
func AppendMetaCell(dst []byte, k MetaKey, r Result) []byte {
	if !k.Hashed() {
		return append(dst, r.Normalized...)
	}
	return HexHash(r.Hash, dst)
}

func metaInvalid(k MetaKey) Reason {
	switch k {
	case MetaEmail:
		return ReasonInvalidEmail
	case MetaPhone:
		return ReasonInvalidPhone
	case MetaMADID:
		return ReasonInvalidMAID
	case MetaFN, MetaLN, MetaFI:
		return ReasonInvalidName
	case MetaCT:
		return ReasonInvalidCity
	case MetaST:
		return ReasonInvalidState
	case MetaZIP:
		return ReasonInvalidZIP
	case MetaCountry:
		return ReasonInvalidCountry
	case MetaDOBY, MetaDOBM, MetaDOBD:
		return ReasonInvalidDate
	case MetaGen:
		return ReasonInvalidGender
	}
	return ReasonInvalidType
}

func (n *MetaNormalizer) hashed(normalized []byte, bad Reason) Result {
	if len(normalized) == 0 {
		return reject(bad)
	}
	return Result{Status: Valid, Normalized: normalized, Hash: sha256.Sum256(normalized)}
}

// email: Meta's rule is trim and lowercase, so unlike TikTok a "+tag"
// stays. The SDKs (PY, PHP) also strip NUL and '.' at both ends; no valid
// address starts or ends with either, so that rescues values without
// changing any valid address's hash. The address must still be one.
func (n *MetaNormalizer) email(s []byte) Result {
	for len(s) > 0 && (s[0] == '.' || s[0] == 0) {
		s = trim(s[1:])
	}
	for len(s) > 0 && (s[len(s)-1] == '.' || s[len(s)-1] == 0) {
		s = trim(s[:len(s)-1])
	}
	// ASCII addresses (nearly all) take one pass that lowercases and finds
	// the '@', with TikTok's character classes.
	out := slices.Grow(n.out[:0], len(s))[:len(s)]
	n.out = out
	at := -1
	for i, c := range s {
		switch emailClass[c] {
		case emailPlain, emailPlus:
			out[i] = c
		case emailUpper:
			out[i] = c + 'a' - 'A'
		case emailAt:
			if at >= 0 {
				return reject(ReasonInvalidEmail)
			}
			at = i
			out[i] = c
		case emailForbidden:
			return reject(ReasonInvalidEmail)
		default:
			return n.emailUnicode(s)
		}
	}
	if at < 0 || !emailShapeOK(out, at) {
		return reject(ReasonInvalidEmail)
	}
	return n.hashed(out, ReasonInvalidEmail)
}

// emailUnicode lowercases an address with non-ASCII characters rune by
// rune, then applies the same rules.
func (n *MetaNormalizer) emailUnicode(s []byte) Result {
	out := n.out[:0]
	for _, r := range string(s) {
		out = utf8.AppendRune(out, unicode.ToLower(r))
	}
	n.out = out
	at := -1
	for i, c := range out {
		if c == '@' {
			if at >= 0 {
				return reject(ReasonInvalidEmail)
			}
			at = i
		}
	}
	if at < 0 || !emailCharsOK(out) || !emailShapeOK(out, at) {
		return reject(ReasonInvalidEmail)
	}
	return n.hashed(out, ReasonInvalidEmail)
}

// phone: Meta removes leading zeros and wants the country code, so an
// international prefix ("+", "00", "+00") is read as "+" and the rest is
// TikTok's path: libphonenumber's possible-number check and E.164 digits,
// the national number read in the row's country or the default region.
func (n *MetaNormalizer) phone(s []byte, country string) Result {
	i := 0
	plus := false
	for i < len(s) && (s[i] == '+' || s[i] == '(') {
		plus = plus || s[i] == '+'
		i++
	}
	zeros := 0
	for j := i; j < len(s) && s[j] == '0'; j++ {
		zeros++
	}
	var in []byte
	if plus || zeros >= 2 {
		in = append(append(n.out[:0], '+'), s[i+zeros:]...)
	} else {
		in = append(n.out[:0], s...)
	}
	tk, err := n.phoneNormalizer(country)
	if err != nil {
		return reject(ReasonInvalidPhone)
	}
	r := tk.phone(in)
	if r.Status == Valid {
		n.out = append(in[:0], r.Normalized...)
		r.Normalized = n.out
	}
	return r
}

func (n *MetaNormalizer) phoneNormalizer(country string) (*Normalizer, error) {
	region := n.region
	if country != "" {
		region = upperASCII(country)
	}
	if tk := n.phones[region]; tk != nil {
		return tk, nil
	}
	tk, err := NewNormalizer(Options{Region: region, PhoneFormat: PhoneDigits})
	if err != nil {
		return nil, err
	}
	n.phones[region] = tk
	return tk, nil
}

// name (FN, LN): lowercase letters only, no digits, spaces or punctuation;
// the only keys where Meta allows letters beyond a-z, sent as UTF-8 in
// composed form (NFC) so "é" hashes the same however it was typed.
func (n *MetaNormalizer) name(s []byte) []byte {
	out := n.out[:0]
	if isASCII(s) {
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c >= 'a' && c <= 'z' {
				out = append(out, c)
			}
		}
		n.out = out
		return out
	}
	for _, r := range string(norm.NFC.Bytes(s)) {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			out = utf8.AppendRune(out, unicode.ToLower(r))
		}
	}
	out = norm.NFC.Append(out[:0:0], out...)
	n.out = out
	return out
}

// asciiLetters (CT, ST, COUNTRY): a-z only. Accents are folded first
// ("Zürich" is "zurich"), since these keys allow no other letters; with
// digits kept it serves ZIP.
func (n *MetaNormalizer) asciiLetters(s []byte, digits bool) []byte {
	out := n.out[:0]
	if !isASCII(s) {
		s = norm.NFD.Bytes(s)
	}
	for _, r := range string(s) {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, byte(r))
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r)+'a'-'A')
		case digits && r >= '0' && r <= '9':
			out = append(out, byte(r))
		}
	}
	n.out = out
	return out
}

// state (ST): a-z only; in the US the two-letter code, which a written-out
// name is turned into.
func (n *MetaNormalizer) state(s []byte, country string) Result {
	st := n.asciiLetters(s, false)
	if country == "us" {
		if code, ok := usStateCodes[string(st)]; ok {
			st = append(st[:0], code...)
		} else if len(st) != 2 || !usStateCode[string(st)] {
			return reject(ReasonInvalidState)
		}
	}
	return n.hashed(st, ReasonInvalidState)
}

// zip: lowercase without white space. A US ZIP (and, when the country is
// unknown, anything that starts like one: five digits then "-") is its first
// five digits; a full UK postcode is cut to area, district and sector.
func (n *MetaNormalizer) zip(s []byte, country string) Result {
	out := n.out[:0]
	for _, r := range string(s) {
		if unicode.IsSpace(r) || isTrimRune(r) {
			continue
		}
		out = utf8.AppendRune(out, unicode.ToLower(r))
	}
	n.out = out
	fiveDigits := len(out) >= 5 && allDigits(out[:5])
	switch {
	case country == "us":
		if !fiveDigits {
			return reject(ReasonInvalidZIP)
		}
		out = out[:5]
	case country == "gb":
		if isFullUKPostcode(out) {
			out = out[:len(out)-2]
		}
	case country == "" && fiveDigits && len(out) > 5 && out[5] == '-':
		out = out[:5]
	}
	return n.hashed(out, ReasonInvalidZIP)
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func allDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

// isFullUKPostcode: outward code (letter, optional letter, digit, optional
// letter or digit) then the inward code (digit, two letters), no space.
func isFullUKPostcode(s []byte) bool {
	if len(s) < 5 || len(s) > 7 {
		return false
	}
	letter := func(c byte) bool { return c >= 'a' && c <= 'z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	in := s[len(s)-3:]
	if !digit(in[0]) || !letter(in[1]) || !letter(in[2]) {
		return false
	}
	out := s[:len(s)-3]
	if !letter(out[0]) {
		return false
	}
	rest := out[1:]
	if len(rest) > 0 && letter(rest[0]) {
		rest = rest[1:]
	}
	if len(rest) == 0 || !digit(rest[0]) {
		return false
	}
	rest = rest[1:]
	return len(rest) == 0 || (len(rest) == 1 && (letter(rest[0]) || digit(rest[0])))
}

// datePart (DOBY, DOBM, DOBD): digits only; a year 1900 to this year as
// YYYY, a month 01-12, a day 01-31, zero-padded.
func (n *MetaNormalizer) datePart(k MetaKey, s []byte) Result {
	if !allDigits(s) || len(s) > 4 {
		return reject(ReasonInvalidDate)
	}
	v, _ := strconv.Atoi(string(s))
	var out []byte
	switch k {
	case MetaDOBY:
		if len(s) != 4 || v < 1900 || v > n.now().Year() {
			return reject(ReasonInvalidDate)
		}
		out = append(n.out[:0], s...)
	case MetaDOBM, MetaDOBD:
		hi := 12
		if k == MetaDOBD {
			hi = 31
		}
		if v < 1 || v > hi {
			return reject(ReasonInvalidDate)
		}
		out = append(n.out[:0], byte('0'+v/10), byte('0'+v%10))
	}
	n.out = out
	return n.hashed(out, ReasonInvalidDate)
}

// SplitDOB reads a whole date of birth (YYYY-MM-DD, YYYY/MM/DD or
// YYYYMMDD) into the three texts DOBY, DOBM and DOBD normalize, so a
// list's one birthday column feeds Meta's three keys.
func SplitDOB(raw []byte) (year, month, day string, ok bool) {
	s := string(trim(raw))
	for _, layout := range []string{"2006-01-02", "2006/01/02", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006"), t.Format("01"), t.Format("02"), true
		}
	}
	return "", "", "", false
}

// gender (GEN): "m" or "f"; the words male and female are read as those.
// Anything else is rejected rather than guessed (one SDK maps it to "m").
func (n *MetaNormalizer) gender(s []byte) Result {
	g := n.asciiLetters(s, false)
	switch string(g) {
	case "m", "male":
		g = append(g[:0], 'm')
	case "f", "female":
		g = append(g[:0], 'f')
	default:
		return reject(ReasonInvalidGender)
	}
	return n.hashed(g, ReasonInvalidGender)
}
