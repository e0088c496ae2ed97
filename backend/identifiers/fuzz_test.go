package identifiers

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkInvariants holds for every result of every type.
func checkInvariants(t *testing.T, raw []byte, r Result) {
	t.Helper()
	switch r.Status {
	case Valid:
		if len(r.Normalized) == 0 {
			t.Fatalf("%q: valid with empty normalized string", raw)
		}
		if r.Hash != sha256.Sum256(r.Normalized) {
			t.Fatalf("%q: hash is not SHA-256 of %q", raw, r.Normalized)
		}
		if bytes.IndexFunc(r.Normalized, func(c rune) bool { return unicode.IsSpace(c) || isTrimRune(c) }) >= 0 {
			t.Fatalf("%q: normalized %q contains white space", raw, r.Normalized)
		}
		if !utf8.Valid(r.Normalized) {
			t.Fatalf("%q: normalized %q is not UTF-8", raw, r.Normalized)
		}
		if r.Reason != "" {
			t.Fatalf("%q: valid with reason %q", raw, r.Reason)
		}
	case Prehashed:
		if r.Hash == emptySHA256 {
			t.Fatalf("%q: SHA-256 of the empty string passed through", raw)
		}
	case Rejected:
		if !slices.Contains(Reasons, r.Reason) {
			t.Fatalf("%q: rejected with unknown reason %q", raw, r.Reason)
		}
	default:
		t.Fatalf("%q: status %d", raw, r.Status)
	}
	if r.Hash == emptySHA256 {
		t.Fatalf("%q: produced SHA-256 of the empty string", raw)
	}
}

// checkIdempotent: normalizing the normalized string gives it back.
func checkIdempotent(t *testing.T, n *Normalizer, typ Type, r Result) {
	t.Helper()
	if r.Status != Valid {
		return
	}
	first := string(r.Normalized)
	again := n.Normalize(typ, []byte(first))
	if again.Status != Valid || string(again.Normalized) != first {
		t.Fatalf("not idempotent: %q -> %v %q %q", first, again.Status, again.Reason, again.Normalized)
	}
}

func seedStrings(f *testing.F, ss ...string) {
	for _, s := range ss {
		f.Add(s)
	}
}

func FuzzEmail(f *testing.F) {
	seedStrings(f, "janedoe@gmail.com", " Jane.Doe+shopping@Gmail.com ", "ÉLODIE@EXEMPLE.FR", "a@b@c.d",
		"x+@y.z", "\u0130@x.yz", "a@-b.c", "\ufeffa@b.c\u3000", "a\u00a0b@c.d")
	n, err := NewNormalizer(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := n.Normalize(Email, []byte(s))
		checkInvariants(t, []byte(s), r)
		if r.Status == Valid {
			if bytes.Count(r.Normalized, []byte("@")) != 1 || len(r.Normalized) > 254 {
				t.Fatalf("%q: invalid e-mail %q accepted", s, r.Normalized)
			}
			if bytes.IndexFunc(r.Normalized, func(c rune) bool { return unicode.ToLower(c) != c }) >= 0 {
				t.Fatalf("%q: %q not lowercased", s, r.Normalized)
			}
		}
		checkIdempotent(t, n, Email, r)
	})
}

func FuzzMAID(f *testing.F) {
	seedStrings(f, "918F1D4F-D195-4A8B-AF47-44683FE11DB9", "5f3a2b189c4d4e7fb8e217d3a1e69b25",
		"00000000-0000-0000-0000-000000000000", "918f1d4f-d195-4a8b-af47-44683fe11db")
	n, err := NewNormalizer(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range []Type{IDFA, GAID} {
			r := n.Normalize(typ, []byte(s))
			checkInvariants(t, []byte(s), r)
			if r.Status == Valid && len(r.Normalized) != 36 {
				t.Fatalf("%q: MAID %q is not 36 characters", s, r.Normalized)
			}
			checkIdempotent(t, n, typ, r)
		}
	})
}

var fuzzRegions = []string{"US", "GB", "DE", "FR", "IN", "BR", "AR", "MX", "CN", "RU", "IT", "JP", "AU", "CA", "GG", "NZ", "SG", "KR", "ID", "NG"}

// FuzzPhone checks the invariants of phone results in several regions.
func FuzzPhone(f *testing.F) {
	for i, s := range []string{"(613)-444-4444", "+1(613)111-1111", "020 7183 8750", "001-234-567-8910",
		"+374 93 828 222", "555-CALL-NOW", "+44 (0)20 7183 8750", "011 15 2345 6789", "\uff0b1 613 444 4444"} {
		f.Add(uint8(i), s)
	}
	norms := make([]*Normalizer, len(fuzzRegions))
	for i, r := range fuzzRegions {
		n, err := NewNormalizer(Options{Region: r})
		if err != nil {
			f.Fatal(err)
		}
		norms[i] = n
	}
	f.Fuzz(func(t *testing.T, ri uint8, s string) {
		n := norms[int(ri)%len(norms)]
		r := n.Normalize(Phone, []byte(s))
		checkInvariants(t, []byte(s), r)
		if r.Status == Valid {
			for _, c := range r.Normalized {
				if c < '0' || c > '9' {
					t.Fatalf("%q: phone %q is not all digits", s, r.Normalized)
				}
			}
			if cc, _ := extractCountryCode(r.Normalized); cc == 0 || len(r.Normalized) > 3+17 {
				t.Fatalf("%q: phone %q has no calling code or is too long", s, r.Normalized)
			}
			// Read again as "+E.164" it keeps its calling code; where the
			// calling code's region strips no national prefix, it comes
			// back unchanged.
			cc, l := extractCountryCode(r.Normalized)
			again := n.Normalize(Phone, append([]byte{'+'}, r.Normalized...))
			if again.Status == Valid && !bytes.HasPrefix(again.Normalized, r.Normalized[:l]) {
				t.Fatalf("%q: %q read again became %q", s, r.Normalized, again.Normalized)
			}
			if main := ccMain[cc]; main != nil && main.meta.GetNationalPrefixForParsing() == "" &&
				(again.Status != Valid || !bytes.Equal(again.Normalized, r.Normalized)) {
				t.Fatalf("%q: %q read again became %v %q", s, r.Normalized, again.Status, again.Normalized)
			}
		}
	})
}

// FuzzPhoneAgreesWithLibphonenumber compares the fast path with Parse +
// IsPossibleNumber + Format(E164) on arbitrary input and any region.
func FuzzPhoneAgreesWithLibphonenumber(f *testing.F) {
	c := newPhoneCorpus(1)
	for range 200 {
		region, in := c.next()
		f.Add(uint8(slices.Index(c.regions, region)), in)
	}
	norms := map[string]*Normalizer{}
	f.Fuzz(func(t *testing.T, ri uint8, s string) {
		region := c.regions[int(ri)%len(c.regions)]
		n := norms[region]
		if n == nil {
			n = newTestNormalizer(t, region, PhoneDigits)
			norms[region] = n
		}
		got, v := n.fastPhone([]byte(s), nil)
		if v == phoneUndecided {
			return
		}
		want, ok := referencePhone(s, region, nil)
		if (v == phoneValid) != ok || ok && string(got) != string(want) {
			t.Fatalf("region %s input %q: fast %q valid=%v, Parse %q valid=%v", region, s, got, v == phoneValid, want, ok)
		}
	})
}

// FuzzNumber checks JSON-number handling: the plain decimal text is exact
// and NormalizeNumber keeps every invariant.
func FuzzNumber(f *testing.F) {
	seedStrings(f, "16134444444", "1.6134444444e10", "-3", "0", "-0.0e-0", "1e400", "12.50", "6.134444444E+9")
	n, err := NewNormalizer(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		plain, ok := plainInteger([]byte(s), nil)
		if ok {
			p := string(plain)
			if again, ok2 := plainInteger(plain, nil); !ok2 || string(again) != p {
				t.Fatalf("%q -> %q -> %q: not a fixed point", s, p, again)
			}
			if p != "0" && (p[0] == '0' || len(p) > 1 && p[:2] == "-0") {
				t.Fatalf("%q -> %q: leading zero", s, p)
			}
			if len(p) < 16 {
				a, err1 := strconv.ParseFloat(s, 64)
				b, err2 := strconv.ParseFloat(p, 64)
				if err1 == nil && (err2 != nil || a != b) {
					t.Fatalf("%q -> %q: value changed", s, p)
				}
			}
		}
		for _, typ := range Types {
			r := n.NormalizeNumber(typ, []byte(s))
			checkInvariants(t, []byte(s), r)
		}
	})
}
