package identifiers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func newTestNormalizer(t testing.TB, region string, f PhoneFormat) *Normalizer {
	t.Helper()
	n, err := NewNormalizer(Options{Region: region, PhoneFormat: f})
	if err != nil {
		t.Fatalf("NewNormalizer(%q): %v", region, err)
	}
	return n
}

// TestSpecVectors checks every vector of the spec's test-vector table.
func TestSpecVectors(t *testing.T) {
	tests := []struct {
		typ        Type
		in         string
		normalized string
		hash       string
	}{
		{Email, "janedoe@gmail.com", "janedoe@gmail.com", "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"},
		{Email, " Jane.Doe+shopping@Gmail.com ", "jane.doe@gmail.com", "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982"},
		{Email, " fake_email@doesnotexist.com ", "fake_email@doesnotexist.com", "f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9"},
		{Phone, "+374 93 828 222", "37493828222", "65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4"},
		{Phone, "(613)-444-4444", "16134444444", "8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068"},
		{Phone, "+44 844 412 4653", "448444124653", "dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383"},
		{IDFA, " 918F1D4F-D195-4A8B-AF47-44683FE11DB9 ", "918f1d4f-d195-4a8b-af47-44683fe11db9", "b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd"},
		{GAID, "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25", "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25", "83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd"},
	}
	n := newTestNormalizer(t, "US", PhoneDigits)
	for _, tc := range tests {
		t.Run(tc.typ.String()+"/"+tc.in, func(t *testing.T) {
			r := n.Normalize(tc.typ, []byte(tc.in))
			if r.Status != Valid {
				t.Fatalf("status %v reason %q, want valid", r.Status, r.Reason)
			}
			if string(r.Normalized) != tc.normalized {
				t.Errorf("normalized %q, want %q", r.Normalized, tc.normalized)
			}
			if got := string(HexHash(r.Hash, nil)); got != tc.hash {
				t.Errorf("hash %s, want %s", got, tc.hash)
			}
		})
	}
}

// TestPhoneExamples checks the spec's phone example table, per region.
func TestPhoneExamples(t *testing.T) {
	tests := []struct {
		region string
		in     string
		want   string // "" means invalid_phone
		number bool   // a JSON number
	}{
		{"US", "(613)-444-4444", "16134444444", false},
		{"US", "+1(613)111-1111", "16131111111", false},
		{"US", "613 111 1111", "16131111111", false},
		{"US", "+44 844 412 4653", "448444124653", false},
		{"GB", "020 7183 8750", "442071838750", false},
		{"GB", "001-234-567-8910", "12345678910", false},
		{"US", "001-234-567-8910", "", false},
		{"US", "16134444444", "16134444444", true},
		{"US", "1.6134444444e10", "16134444444", true},
		{"US", "16134444444", "16134444444", false},
		{"US", "555-CALL-NOW", "", false},
		{"GB", "555-CALL-NOW", "", false},
		{"US", "1-800-FLOWERS", "", false}, // Parse would accept this vanity number
		{"US", "+1 613 444 4444 ext. 12", "", false},
		{"US", "12", "", false},
		{"US", "+999 1234 5678", "", false},
		{"DE", "030 123456", "4930123456", false},
		{"US", "011 44 20 7183 8750", "442071838750", false},
	}
	for _, tc := range tests {
		t.Run(tc.region+"/"+tc.in, func(t *testing.T) {
			n := newTestNormalizer(t, tc.region, PhoneDigits)
			var r Result
			if tc.number {
				r = n.NormalizeNumber(Phone, []byte(tc.in))
			} else {
				r = n.Normalize(Phone, []byte(tc.in))
			}
			if tc.want == "" {
				if r.Status != Rejected || r.Reason != ReasonInvalidPhone {
					t.Fatalf("got %v %q %q, want invalid_phone", r.Status, r.Reason, r.Normalized)
				}
				return
			}
			if r.Status != Valid || string(r.Normalized) != tc.want {
				t.Fatalf("got %v %q %q, want %q", r.Status, r.Reason, r.Normalized, tc.want)
			}
			if r.Hash != sha256.Sum256([]byte(tc.want)) {
				t.Errorf("hash is not SHA-256 of %q", tc.want)
			}
		})
	}
}

func TestPhoneE164Format(t *testing.T) {
	n := newTestNormalizer(t, "US", PhoneE164)
	r := n.Normalize(Phone, []byte("(613)-444-4444"))
	if r.Status != Valid || string(r.Normalized) != "+16134444444" {
		t.Fatalf("got %v %q", r.Status, r.Normalized)
	}
	// The fallback path must produce the same form.
	r = n.Normalize(Phone, []byte("+1 613 444 4444;1")) // an extension: not fast-path
	if r.Status != Valid || string(r.Normalized) != "+16134444444" {
		t.Fatalf("fallback: got %v %q %q", r.Status, r.Reason, r.Normalized)
	}
}

// TestRejections covers every rejection reason Normalize produces.
func TestRejections(t *testing.T) {
	md5 := strings.Repeat("ab", 16)
	tests := []struct {
		typ  Type
		in   string
		want Reason
	}{
		{Email, "", ReasonEmpty},
		{Email, " \t\u00a0\u200b\ufeff\u3000 ", ReasonEmpty},
		{Phone, "\r\n", ReasonEmpty},
		{IDFA, "\u2028", ReasonEmpty},
		{Email, hex.EncodeToString(emptySHA256[:]), ReasonEmpty},
		{GAID, strings.ToUpper(hex.EncodeToString(emptySHA256[:])), ReasonEmpty},
		{Email, md5, ReasonMD5NotSupported},
		{Phone, strings.ToUpper(md5), ReasonMD5NotSupported},
		{Email, "no-at-sign.com", ReasonInvalidEmail},
		{Email, "two@@example.com", ReasonInvalidEmail},
		{Email, "a@b@example.com", ReasonInvalidEmail},
		{Email, "@example.com", ReasonInvalidEmail},
		{Email, "+tag@example.com", ReasonInvalidEmail},
		{Email, "jane@", ReasonInvalidEmail},
		{Email, "jane@localhost", ReasonInvalidEmail},
		{Email, "jane@example..com", ReasonInvalidEmail},
		{Email, "jane@.example.com", ReasonInvalidEmail},
		{Email, "jane@example.com.", ReasonInvalidEmail},
		{Email, "jane@-example.com", ReasonInvalidEmail},
		{Email, "jane@example-.com", ReasonInvalidEmail},
		{Email, "jane doe@example.com", ReasonInvalidEmail},
		{Email, "jane\x01@example.com", ReasonInvalidEmail},
		{Email, "jane\u00a0doe@example.com", ReasonInvalidEmail},
		{Email, "jane\u200bdoe@example.com", ReasonInvalidEmail},
		{Email, "jane+t ag@example.com", ReasonInvalidEmail},
		{Email, "j\xffane@example.com", ReasonInvalidEmail},
		{Email, strings.Repeat("a", 65) + "@example.com", ReasonInvalidEmail},
		{Email, "a@" + strings.Repeat("b", 250) + ".com", ReasonInvalidEmail},
		{Email, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", ReasonInvalidEmail}, // 255 bytes
		{Phone, "555-CALL-NOW", ReasonInvalidPhone},
		{Phone, "+1 (613) 444-444Ä", ReasonInvalidPhone},
		{Phone, "--", ReasonInvalidPhone},
		{Phone, "123", ReasonInvalidPhone},
		{IDFA, "918f1d4f-d195-4a8b-af47-44683fe11db", ReasonInvalidMAID},
		{IDFA, "918f1d4fd1954a8baf4744683fe11db9x", ReasonInvalidMAID},
		{GAID, "918f1d4f_d195-4a8b-af47-44683fe11db9", ReasonInvalidMAID},
		{GAID, "918g1d4f-d195-4a8b-af47-44683fe11db9", ReasonInvalidMAID},
		{GAID, "{918f1d4f-d195-4a8b-af47-44683fe11db9}", ReasonInvalidMAID},
		{IDFA, "00000000-0000-0000-0000-000000000000", ReasonZeroMAID},
		{GAID, strings.Repeat("0", 32), ReasonZeroMAID},
		{Type(0), "x", ReasonInvalidType},
	}
	n := newTestNormalizer(t, "US", PhoneDigits)
	for _, tc := range tests {
		t.Run(tc.typ.String()+"/"+tc.in, func(t *testing.T) {
			r := n.Normalize(tc.typ, []byte(tc.in))
			if r.Status != Rejected || r.Reason != tc.want {
				t.Fatalf("got %v %q (%q), want rejected %q", r.Status, r.Reason, r.Normalized, tc.want)
			}
			if r.Reason.Description() == "" || strings.HasPrefix(r.Reason.Description(), "rejected (") {
				t.Errorf("reason %q has no description", r.Reason)
			}
		})
	}
}

func TestValidForms(t *testing.T) {
	tests := []struct {
		typ  Type
		in   string
		want string
	}{
		{Email, "JANE.DOE@EXAMPLE.CO.UK", "jane.doe@example.co.uk"},
		{Email, "\u00a0jane+a+b@example.com\u3000", "jane@example.com"},
		{Email, "ÉLODIE@EXEMPLE.FR", "élodie@exemple.fr"},
		{Email, "\ufeffx@y.z", "x@y.z"},
		{Email, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".co", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".co"},
		{IDFA, "918F1D4FD1954A8BAF4744683FE11DB9", "918f1d4f-d195-4a8b-af47-44683fe11db9"},
		{GAID, "\t5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25\n", "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25"},
	}
	n := newTestNormalizer(t, "", PhoneDigits)
	for _, tc := range tests {
		t.Run(tc.typ.String()+"/"+tc.in, func(t *testing.T) {
			r := n.Normalize(tc.typ, []byte(tc.in))
			if r.Status != Valid || string(r.Normalized) != tc.want {
				t.Fatalf("got %v %q %q, want %q", r.Status, r.Reason, r.Normalized, tc.want)
			}
			if r.Hash != sha256.Sum256([]byte(tc.want)) {
				t.Error("hash mismatch")
			}
		})
	}
}

func TestPrehashed(t *testing.T) {
	h := sha256.Sum256([]byte("jane.doe@gmail.com"))
	in := " " + strings.ToUpper(hex.EncodeToString(h[:])) + " "
	n := newTestNormalizer(t, "US", PhoneDigits)
	for _, typ := range Types {
		r := n.Normalize(typ, []byte(in))
		if r.Status != Prehashed || r.Hash != h {
			t.Errorf("%v: got %v %q", typ, r.Status, r.Reason)
		}
		if got := string(HexHash(r.Hash, []byte("x"))); got != "x"+hex.EncodeToString(h[:]) {
			t.Errorf("HexHash: %s", got)
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		in   string
		want string // the text the value is normalized as; "" when kept as written
	}{
		{"16134444444", "16134444444"},
		{"1.6134444444e10", "16134444444"},
		{"1.6134444444E+10", "16134444444"},
		{"16134444444.000", "16134444444"},
		{"161344444440e-1", "16134444444"},
		{"-3", "-3"},
		{"-0", "0"},
		{"0.0e5", "0"},
		{"1e3", "1000"},
		{"1.5", ""},
		{"1e-3", ""},
		{"1e999999", ""},
		{"12a", ""},
		{"", ""},
		{"-", ""},
		{"1.", ""},
		{"1e", ""},
	}
	for _, tc := range tests {
		got, ok := plainInteger([]byte(tc.in), nil)
		if (tc.want == "") == ok || ok && string(got) != tc.want {
			t.Errorf("plainInteger(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	n := newTestNormalizer(t, "US", PhoneDigits)
	if r := n.NormalizeNumber(Email, []byte("123")); r.Reason != ReasonInvalidEmail {
		t.Errorf("email number: %v %q", r.Status, r.Reason)
	}
	if r := n.NormalizeNumber(Phone, []byte("6.134444444e9")); string(r.Normalized) != "16134444444" {
		t.Errorf("phone number: %v %q %q", r.Status, r.Reason, r.Normalized)
	}
}

func TestParseHelpers(t *testing.T) {
	for _, typ := range Types {
		got, err := ParseType(strings.ToUpper(typ.String()))
		if err != nil || got != typ {
			t.Errorf("ParseType(%q) = %v, %v", typ, got, err)
		}
	}
	if _, err := ParseType("fax"); err == nil || !strings.Contains(err.Error(), "email, phone, idfa, gaid") {
		t.Errorf("ParseType(fax) error = %v", err)
	}
	want := map[Type][2]string{
		Email: {"EMAIL_SHA256", "Email_SHA256"}, Phone: {"PHONE_SHA256", "Phone_SHA256"},
		IDFA: {"IDFA_SHA256", "MAID_SHA256"}, GAID: {"GAID_SHA256", "MAID_SHA256"},
	}
	for typ, w := range want {
		if typ.CalculateType() != w[0] || typ.CombinedColumn() != w[1] {
			t.Errorf("%v: %s %s", typ, typ.CalculateType(), typ.CombinedColumn())
		}
	}
	for s, want := range map[string]PhoneFormat{"digits": PhoneDigits, "E164": PhoneE164} {
		if got, err := ParsePhoneFormat(s); err != nil || got != want {
			t.Errorf("ParsePhoneFormat(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParsePhoneFormat("+e164"); err == nil {
		t.Error("ParsePhoneFormat(+e164) accepted")
	}
	if _, err := NewNormalizer(Options{Region: "XX"}); err == nil || err.Error() != `unknown phone region "XX"` {
		t.Errorf("NewNormalizer(XX) error = %v", err)
	}
	if n, err := NewNormalizer(Options{Region: "gb"}); err != nil || n.Options().Region != "GB" {
		t.Errorf("NewNormalizer(gb) = %v", err)
	}
	n := newTestNormalizer(t, "US", PhoneDigits)
	if !LooksLike(Email, []byte("a@b.co"), n) || LooksLike(Email, []byte("a@b"), n) {
		t.Error("LooksLike(Email)")
	}
}
