package identifiers

// maxPlainDigits bounds the decimal expansion of a JSON number: anything
// longer is no identifier of any type, and is normalized as written.
const maxPlainDigits = 256

// NormalizeNumber takes the raw text of a JSON number (e.g. `16134444444`,
// `1.6134444444e10`, `-3`): an integral number is normalized by its plain
// decimal text (1.6134444444e10 -> "16134444444"); a non-integral one by its
// text as written (it will normally be rejected).
func (n *Normalizer) NormalizeNumber(t Type, raw []byte) Result {
	text := trim(raw)
	if plain, ok := plainInteger(text, n.num[:0]); ok {
		n.num = plain[:0]
		text = plain
	}
	return n.Normalize(t, text)
}

// plainInteger appends the plain decimal text of the JSON number s to dst
// when s is integral; exact (decimal digits, never a float conversion).
func plainInteger(s, dst []byte) ([]byte, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[intStart:i]
	if len(intPart) == 0 {
		return dst, false
	}
	var frac []byte
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fs:i]
		if len(frac) == 0 {
			return dst, false
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp > 10*maxPlainDigits {
				return dst, false
			}
			exp = exp*10 + int(s[i]-'0')
			i++
		}
		if i == es {
			return dst, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return dst, false
	}
	// The value is 0.D * 10^point with D = intPart+frac.
	point := len(intPart) + exp
	digitAt := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	nd := len(intPart) + len(frac)
	for k := max(point, 0); k < nd; k++ {
		if digitAt(k) != '0' {
			return dst, false // a fractional part
		}
	}
	if point > maxPlainDigits {
		return dst, false
	}
	start := len(dst)
	if neg {
		dst = append(dst, '-')
	}
	digitsStart := len(dst)
	for k := 0; k < point; k++ {
		c := byte('0')
		if k < nd {
			c = digitAt(k)
		}
		if c == '0' && len(dst) == digitsStart {
			continue // leading zero
		}
		dst = append(dst, c)
	}
	if len(dst) == digitsStart {
		// Zero, whatever its sign.
		dst = append(dst[:start], '0')
	}
	return dst, true
}
