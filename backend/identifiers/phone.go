package identifiers

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// phoneVerdict is the fast path's answer.
type phoneVerdict uint8

const (
	phoneUndecided phoneVerdict = iota // the fast path cannot answer exactly: ask Parse
	phoneInvalid
	phoneValid
)

// phone normalizes a trimmed phone number (spec "PHONE").
func (n *Normalizer) phone(s []byte) Result {
	ascii := true
	for _, c := range s {
		if c >= utf8.RuneSelf {
			ascii = false
		} else if (c|0x20) >= 'a' && (c|0x20) <= 'z' {
			return reject(ReasonInvalidPhone) // no vanity numbers
		}
	}
	if !ascii {
		for _, r := range string(s) {
			if unicode.IsLetter(r) {
				return reject(ReasonInvalidPhone)
			}
		}
	}
	out := n.out[:0]
	if n.opts.PhoneFormat == PhoneE164 {
		out = append(out, '+')
	}
	start := len(out)
	out, v := n.fastPhone(s, out)
	if v == phoneUndecided {
		var ok bool
		out, ok = referencePhone(string(s), n.opts.Region, out[:start])
		if !ok {
			v = phoneInvalid
		} else {
			v = phoneValid
		}
	}
	n.out = out[:0]
	if v != phoneValid {
		return reject(ReasonInvalidPhone)
	}
	return n.valid(out)
}

// referencePhone is the definition the fast path must agree with:
// libphonenumber Parse, IsPossibleNumber, E.164 without the "+".
func referencePhone(s, region string, dst []byte) ([]byte, bool) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return dst, false
	}
	return append(dst, strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")...), true
}

type phoneCharKind uint8

const (
	charOther phoneCharKind = iota
	charDigit
	charSeparator
	charPlus
)

var phoneASCII = func() (t [utf8.RuneSelf]phoneCharKind) {
	for c := '0'; c <= '9'; c++ {
		t[c] = charDigit
	}
	for _, c := range " -.()/" {
		t[c] = charSeparator
	}
	t['+'] = charPlus
	return t
}()

// phoneChar classifies the first character of s as the fast path sees it:
// digits that normalize() maps to ASCII (ASCII, fullwidth, Arabic-Indic),
// VALID_PUNCTUATION characters that can take part in no extension, and the
// plus signs. Everything else is left to Parse.
func phoneChar(s []byte) (k phoneCharKind, digit byte, size int) {
	if c := s[0]; c < utf8.RuneSelf {
		return phoneASCII[c], c, 1
	}
	r, size := utf8.DecodeRune(s)
	switch {
	case r >= '\uff10' && r <= '\uff19':
		return charDigit, byte('0' + r - '\uff10'), size
	case r >= '\u0660' && r <= '\u0669':
		return charDigit, byte('0' + r - '\u0660'), size
	case r >= '\u06f0' && r <= '\u06f9':
		return charDigit, byte('0' + r - '\u06f0'), size
	case r == '\uff0b':
		return charPlus, 0, size
	case r == '\u00a0', r == '\u00ad', r >= '\u2010' && r <= '\u2015', r == '\u200b', r == '\u2060',
		r == '\u2212', r == '\u3000', r == '\u30fc', r >= '\uff0d' && r <= '\uff0f', r == '\uff08', r == '\uff09':
		return charSeparator, 0, size
	}
	return charOther, 0, size
}

// fastPhone replicates Parse + IsPossibleNumber + Format(E164) for the
// common shapes: digits, the formatting characters " -.()/" (and their
// Unicode look-alikes, see phoneChar) and leading plus signs. It appends the E.164 digits to dst. Anything it
// cannot decide exactly returns phoneUndecided.
//
// The steps follow parseHelper: extractPossibleNumber and the viability check
// (trivially passed with >= 3 digits and these characters; no extension
// pattern can match them), maybeExtractCountryCode (plus sign, the default
// region's IDD, or a leading default calling code), then
// maybeStripNationalPrefixAndCarrierCode and the length checks.
func (n *Normalizer) fastPhone(s []byte, dst []byte) ([]byte, phoneVerdict) {
	if len(s) == 0 || len(s) > phonenumbers.MAX_INPUT_STRING_LENGTH {
		return dst, phoneInvalid // ErrNotANumber, ErrNumTooLong
	}
	if phoneMetaErr != nil {
		return dst, phoneUndecided
	}
	// extractPossibleNumber: the number starts at the first "+" or digit.
	for len(s) > 0 {
		k, _, size := phoneChar(s)
		if k != charSeparator {
			break
		}
		s = s[size:]
	}
	plus := false
	for len(s) > 0 {
		k, _, size := phoneChar(s)
		if k != charPlus {
			break
		}
		plus = true // PLUS_CHARS_PATTERN takes the whole run
		s = s[size:]
	}
	digits := n.digits[:0]
	charsFromFirstDigit := 0
	for i := 0; i < len(s); {
		k, d, size := phoneChar(s[i:])
		if charsFromFirstDigit > 0 || k == charDigit {
			charsFromFirstDigit++
		}
		switch k {
		case charDigit:
			digits = append(digits, d)
		case charSeparator:
		case charPlus:
			// A "+" after the leading run fails VALID_PHONE_NUMBER_PATTERN,
			// unless what follows is something only Parse understands.
			for j := i; j < len(s); {
				k, _, size := phoneChar(s[j:])
				if k == charOther {
					return dst, phoneUndecided
				}
				j += size
			}
			return dst, phoneInvalid
		default:
			return dst, phoneUndecided
		}
		i += size
	}
	n.digits = digits[:0]
	// isViablePhoneNumber: at least three digits, or exactly two digits and
	// nothing else.
	if len(digits) < 3 && (plus || len(digits) < 2 || charsFromFirstDigit != 2) {
		return dst, phoneInvalid
	}

	def := n.region
	var (
		cc       int
		ri       *regionInfo
		national []byte
		full     []byte
		intl     = plus
	)
	if plus {
		full = digits
	} else if end, ok := def.idd.matchEnd(digits); ok && (end == len(digits) || digits[end] != '0') {
		full, intl = digits[end:], true
	}
	if intl {
		if len(full) <= phonenumbers.MIN_LENGTH_FOR_NSN {
			return dst, phoneInvalid // ErrTooShortAfterIDD
		}
		l := 0
		cc, l = extractCountryCode(full)
		if cc == 0 && plus {
			// parseHelper retries without the "+": that only finds a
			// calling code after the default region's IDD.
			if end, ok := def.idd.matchEnd(full); ok && (end == len(full) || full[end] != '0') {
				full = full[end:]
				if len(full) <= phonenumbers.MIN_LENGTH_FOR_NSN {
					return dst, phoneInvalid // ErrTooShortAfterIDD
				}
				cc, l = extractCountryCode(full)
			}
		}
		if cc == 0 {
			return dst, phoneInvalid // ErrInvalidCountryCode
		}
		national = full[l:]
		ri = ccMain[cc]
	} else {
		if bytes.HasPrefix(digits, def.ccBytes) {
			pot := def.stripNationalPrefix(digits[len(def.ccStr):], n.tmp)
			fullValid := def.general(digits)
			if def.testLength(len(digits)) == lenTooLong || (!fullValid && def.general(pot)) {
				national, cc, ri = pot, def.cc, ccMain[def.cc]
			}
		}
		if cc == 0 {
			national, cc, ri = digits, def.cc, def
		}
	}
	if ri == nil || !ri.lengthOK {
		return dst, phoneUndecided
	}
	ri.prepare()
	if len(national) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return dst, phoneInvalid // ErrTooShortNSN
	}
	pot := ri.stripNationalPrefix(national, n.tmp2)
	if r := ri.testLength(len(pot)); r == lenPossible || r == lenTooLong {
		national = pot
	}
	if len(national) < phonenumbers.MIN_LENGTH_FOR_NSN || len(national) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return dst, phoneInvalid
	}
	// IsPossibleNumber checks the calling code's main region.
	main := ccMain[cc]
	if main == nil || !main.lengthOK {
		return dst, phoneUndecided
	}
	if r := main.testLength(len(national)); r != lenPossible && r != lenPossibleLocalOnly {
		return dst, phoneInvalid
	}
	dst = append(dst, main.ccStr...)
	return append(dst, national...), phoneValid
}

// extractCountryCode replicates the library's: the first 1-3 digit prefix
// that is a known calling code; none when the number starts with 0.
func extractCountryCode(full []byte) (cc, length int) {
	if len(full) == 0 || full[0] == '0' {
		return 0, 0
	}
	v := 0
	for i := 0; i < 3 && i < len(full); i++ {
		v = v*10 + int(full[i]-'0')
		if ccValid[v] {
			return v, i + 1
		}
	}
	return 0, 0
}
