package identifiers

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

func newMeta(t *testing.T, region string) *MetaNormalizer {
	t.Helper()
	n, err := NewMetaNormalizer(region)
	if err != nil {
		t.Fatal(err)
	}
	n.now = func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }
	return n
}

// metaCell is what Meta would receive for raw, or "rejected:<reason>".
func metaCell(n *MetaNormalizer, k MetaKey, raw, country string) string {
	r := n.NormalizeIn(k, []byte(raw), country)
	if r.Status == Rejected {
		return "rejected:" + string(r.Reason)
	}
	return string(AppendMetaCell(nil, k, r))
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestMetaSpecVectors: every vector of meta-api.md §7, as input ->
// normalized text -> the hash the spec prints (or the hash of the
// normalized text where the spec prints none).
func TestMetaSpecVectors(t *testing.T) {
	n := newMeta(t, "US")
	cases := []struct {
		key              MetaKey
		in, country, out string
		hash             string // "" = sha256(out)
	}{
		// Meta's own (G).
		{MetaEmail, "mary@example.com", "", "mary@example.com", "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"},
		{MetaPhone, "15559876543", "", "15559876543", "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"},
		// PHP EmailNormalizerTest.
		{MetaEmail, "foo@fb.com\t\r\n\x00\x0B.", "", "foo@fb.com", ""},
		// SEG sync/__tests__/functions.test.ts.
		{MetaEmail, "  Test@Example.COM  ", "", "test@example.com", "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"},
		{MetaPhone, "+001-800-555-1234", "", "18005551234", "655dbe4f7591d8ffe8c86b433ed53aa325b40e1be892167ae2e17118da8279c9"},
		{MetaPhone, "0044 207 123 4567", "", "442071234567", ""},
		{MetaLN, "O'Brien", "", "obrien", ""},
		{MetaFN, "Anne-Marie", "", "annemarie", ""},
		{MetaCT, "New York", "", "newyork", ""},
		{MetaZIP, "90210-1234", "", "90210", ""},
		{MetaZIP, "SW1A 1AA", "", "sw1a1aa", ""},
		{MetaCountry, "U.S.", "", "us", "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621"},
		{MetaEmail, "add1@test.com", "", "add1@test.com", "effe3148356c0668f1f2c19e9be26544dd7882baf23c863bdceabf5dc30ab769"},
		// Computed in the spec.
		{MetaGen, "m", "", "m", "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a"},
		{MetaGen, "F", "", "f", "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111"},
		// PY test/unit.py: FN "  TEST " is "test" (its EMAIL cases are not
		// addresses, which this app rejects and reports instead).
		{MetaFN, "  TEST ", "", "test", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{MetaLN, "..test..", "", "test", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	}
	for _, c := range cases {
		r := n.NormalizeIn(c.key, []byte(c.in), c.country)
		if r.Status != Valid {
			t.Errorf("%s %q: %s %s, want valid %q", c.key, c.in, r.Status, r.Reason, c.out)
			continue
		}
		if string(r.Normalized) != c.out {
			t.Errorf("%s %q normalized to %q, want %q", c.key, c.in, r.Normalized, c.out)
		}
		want := c.hash
		if want == "" {
			want = sha(c.out)
		}
		if got := metaCell(n, c.key, c.in, c.country); got != want {
			t.Errorf("%s %q: cell %s, want %s", c.key, c.in, got, want)
		}
	}
}

// TestMetaRules: each rule of the §7 table, including where this app
// departs from an SDK and why it is Meta's rule.
func TestMetaRules(t *testing.T) {
	n := newMeta(t, "US")
	cases := []struct {
		key              MetaKey
		in, country, out string // out: normalized text, or "rejected:<reason>"
	}{
		// EMAIL: trim and lowercase; the +tag stays (TikTok drops it).
		{MetaEmail, "Mary+Ads@Example.com", "", "mary+ads@example.com"},
		{MetaEmail, "ÉLODIE@exemple.fr", "", "élodie@exemple.fr"},
		{MetaEmail, "not an address", "", "rejected:invalid_email"},
		{MetaEmail, "a@b@c.com", "", "rejected:invalid_email"},
		{MetaEmail, "   ", "", "rejected:empty"},
		// PHONE: digits with the country code, no +, no leading zeros.
		{MetaPhone, "(555) 987-6543", "", "15559876543"},
		{MetaPhone, "+1 555 987 6543", "", "15559876543"},
		{MetaPhone, "020 7123 4567", "gb", "442071234567"},
		{MetaPhone, "+44 (0)20 7123 4567", "", "442071234567"},
		{MetaPhone, "00 33 1 23 45 67 89", "", "33123456789"},
		{MetaPhone, "1-800-FLOWERS", "", "rejected:invalid_phone"},
		{MetaPhone, "+0000000000", "", "rejected:invalid_phone"},
		{MetaPhone, "12", "", "rejected:invalid_phone"},
		// MADID: lowercase, hyphens kept, not hashed; a hashed one cannot match.
		{MetaMADID, "AECE52E7-03EE-455A-B3C4-E57283966239", "", "aece52e7-03ee-455a-b3c4-e57283966239"},
		{MetaMADID, "aece52e703ee455ab3c4e57283966239", "", "aece52e7-03ee-455a-b3c4-e57283966239"},
		{MetaMADID, sha("x"), "", "rejected:hashed_maid"},
		{MetaMADID, "00000000-0000-0000-0000-000000000000", "", "rejected:zero_maid"},
		{MetaMADID, "not-a-maid", "", "rejected:invalid_maid"},
		// FN/LN: letters only, lowercase, UTF-8 letters kept in NFC.
		{MetaFN, "José", "", "josé"},
		{MetaFN, "Jose\u0301", "", "josé"},
		{MetaLN, "Müller-Lüdenscheidt", "", "müllerlüdenscheidt"},
		{MetaLN, "王", "", "王"},
		{MetaFN, "Mary Ann", "", "maryann"},
		{MetaFN, "123", "", "rejected:invalid_name"},
		// FI: the first letter.
		{MetaFI, "Mary", "", "m"},
		{MetaFI, "  é", "", "é"},
		// CT: a-z only, accents folded.
		{MetaCT, "Zürich", "", "zurich"},
		{MetaCT, "São Paulo", "", "saopaulo"},
		{MetaCT, "St. Louis", "", "stlouis"},
		{MetaCT, "東京", "", "rejected:invalid_city"},
		// ST: US two-letter codes, names mapped; elsewhere a-z only.
		{MetaST, "CA", "us", "ca"},
		{MetaST, "California", "us", "ca"},
		{MetaST, "New York", "us", "ny"},
		{MetaST, "Narnia", "us", "rejected:invalid_state"},
		{MetaST, "Île-de-France", "fr", "iledefrance"},
		{MetaST, "Georgia", "", "georgia"},
		// ZIP: lowercase, no white space; US first five digits; UK area/district/sector.
		{MetaZIP, "90210-1234", "us", "90210"},
		{MetaZIP, "902101234", "us", "90210"},
		{MetaZIP, "SW1A", "us", "rejected:invalid_zip"},
		{MetaZIP, "SW1A 1AA", "gb", "sw1a1"},
		{MetaZIP, "M1 1AE", "gb", "m11"},
		{MetaZIP, "SW1A 1", "gb", "sw1a1"},
		{MetaZIP, "00-950", "pl", "00-950"},
		{MetaZIP, "K1A 0B1", "ca", "k1a0b1"},
		// COUNTRY: ISO alpha-2, lowercase.
		{MetaCountry, "FR", "", "fr"},
		{MetaCountry, "uk", "", "rejected:invalid_country"},
		{MetaCountry, "USA", "", "rejected:invalid_country"},
		// DOBY/DOBM/DOBD.
		{MetaDOBY, "1985", "", "1985"},
		{MetaDOBY, "1899", "", "rejected:invalid_date"},
		{MetaDOBY, "2027", "", "rejected:invalid_date"},
		{MetaDOBY, "85", "", "rejected:invalid_date"},
		{MetaDOBM, "3", "", "03"},
		{MetaDOBM, "12", "", "12"},
		{MetaDOBM, "13", "", "rejected:invalid_date"},
		{MetaDOBM, "March", "", "rejected:invalid_date"},
		{MetaDOBD, "7", "", "07"},
		{MetaDOBD, "31", "", "31"},
		{MetaDOBD, "0", "", "rejected:invalid_date"},
		// GEN: m or f; no guess for anything else.
		{MetaGen, "Male", "", "m"},
		{MetaGen, "FEMALE", "", "f"},
		{MetaGen, "x", "", "rejected:invalid_gender"},
		{MetaGen, "unknown", "", "rejected:invalid_gender"},
	}
	for _, c := range cases {
		r := n.NormalizeIn(c.key, []byte(c.in), c.country)
		got := string(r.Normalized)
		if r.Status == Rejected {
			got = "rejected:" + string(r.Reason)
		}
		if got != c.out {
			t.Errorf("%s %q (country %q) = %q, want %q", c.key, c.in, c.country, got, c.out)
		}
	}
}

// TestMetaPrehashed: a 64-hex value of a hashed key is taken as already
// hashed (lowercased on the wire), never hashed twice (pitfall 4).
func TestMetaPrehashed(t *testing.T) {
	n := newMeta(t, "US")
	h := "F1904CF1A9D73A55FA5DE0AC823C4403DED71AFD4C3248D00BDCD0866552BB79"
	r := n.Normalize(MetaEmail, []byte(h))
	if r.Status != Prehashed {
		t.Fatalf("status %s", r.Status)
	}
	if got := string(AppendMetaCell(nil, MetaEmail, r)); got != "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79" {
		t.Fatalf("cell %s", got)
	}
	if r := n.Normalize(MetaEmail, []byte("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")); r.Status != Rejected {
		t.Fatal("the hash of the empty string was accepted")
	}
}

// TestMetaDiffersFromTikTokWhereSpecsDiffer: the same inputs through both
// normalizers; TikTok's outputs are its own (its tests pin them byte for
// byte), Meta's differ exactly where the two specs do.
func TestMetaDiffersFromTikTokWhereSpecsDiffer(t *testing.T) {
	tk, err := NewNormalizer(Options{Region: "US"})
	if err != nil {
		t.Fatal(err)
	}
	m := newMeta(t, "US")
	if got := string(tk.Normalize(Email, []byte("Mary+Ads@Example.com")).Normalized); got != "mary@example.com" {
		t.Fatalf("TikTok e-mail = %q", got)
	}
	if got := string(m.Normalize(MetaEmail, []byte("Mary+Ads@Example.com")).Normalized); got != "mary+ads@example.com" {
		t.Fatalf("Meta e-mail = %q", got)
	}
	for _, p := range []string{"(555) 987-6543", "+44 20 7123 4567", "+1 613 444 4444"} {
		a := tk.Normalize(Phone, []byte(p))
		ta := string(a.Normalized)
		b := m.Normalize(MetaPhone, []byte(p))
		if ta != string(b.Normalized) || a.Hash != b.Hash {
			t.Errorf("phone %q: TikTok %q, Meta %q; both want E.164 digits", p, ta, b.Normalized)
		}
	}
	if r := tk.Normalize(IDFA, []byte("AECE52E7-03EE-455A-B3C4-E57283966239")); string(r.Normalized) != "aece52e7-03ee-455a-b3c4-e57283966239" {
		t.Fatalf("TikTok MAID = %q", r.Normalized)
	}
}

func TestSplitDOB(t *testing.T) {
	for in, want := range map[string][3]string{"1985-03-07": {"1985", "03", "07"}, "1985/12/31": {"1985", "12", "31"}, "19850307": {"1985", "03", "07"}} {
		y, m, d, ok := SplitDOB([]byte(in))
		if !ok || [3]string{y, m, d} != want {
			t.Errorf("SplitDOB(%q) = %s %s %s %v", in, y, m, d, ok)
		}
	}
	for _, in := range []string{"1985-02-30", "07/03/1985", "", "yesterday"} {
		if _, _, _, ok := SplitDOB([]byte(in)); ok {
			t.Errorf("SplitDOB(%q) accepted", in)
		}
	}
}

func TestParseMetaKey(t *testing.T) {
	for _, k := range MetaKeys {
		got, err := ParseMetaKey(k.SchemaName())
		if err != nil || got != k {
			t.Errorf("ParseMetaKey(%s) = %v, %v", k, got, err)
		}
	}
	if k, err := ParseMetaKey("email_sha256"); err != nil || k != MetaEmail {
		t.Errorf("email_sha256: %v %v", k, err)
	}
	if _, err := ParseMetaKey("DOB"); err == nil {
		t.Error("DOB accepted: Meta has no DOB key, only DOBY, DOBM, DOBD")
	}
	for _, r := range MetaReasons {
		if d := r.Description(); d == "" || d[:8] == "rejected" {
			t.Errorf("reason %s has no sentence", r)
		}
	}
}
