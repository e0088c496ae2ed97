package identifiers

import (
	"flag"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

var phoneCorpusSize = flag.Int("phonecorpus", 200_000, "cases in TestPhoneFastPathAgreesWithLibphonenumber")

// phoneCorpus generates deterministic phone-number inputs across every
// region and the shapes real files hold.
type phoneCorpus struct {
	rng      *rand.Rand
	regions  []string
	examples map[string][]string // region -> example national significant numbers
}

func newPhoneCorpus(seed uint64) *phoneCorpus {
	c := &phoneCorpus{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), examples: map[string][]string{}}
	for r := range geoRegions {
		c.regions = append(c.regions, r)
	}
	slices.Sort(c.regions)
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.VOIP, phonenumbers.UAN, phonenumbers.PERSONAL_NUMBER}
	for _, r := range c.regions {
		for _, typ := range types {
			if ex := phonenumbers.GetExampleNumberForType(r, typ); ex != nil {
				c.examples[r] = append(c.examples[r], phonenumbers.GetNationalSignificantNumber(ex))
			}
		}
	}
	return c
}

func (c *phoneCorpus) pick(ss []string) string { return ss[c.rng.IntN(len(ss))] }

func (c *phoneCorpus) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + c.rng.IntN(10))
	}
	return string(b)
}

// nsn returns an example national number of region r, sometimes mutated.
func (c *phoneCorpus) nsn(r string) string {
	ex := c.examples[r]
	if len(ex) == 0 {
		return c.digits(4 + c.rng.IntN(10))
	}
	s := c.pick(ex)
	switch c.rng.IntN(6) {
	case 0: // randomize the subscriber part
		keep := c.rng.IntN(len(s) + 1)
		s = s[:keep] + c.digits(len(s)-keep)
	case 1: // too short
		if len(s) > 1 {
			s = s[:c.rng.IntN(len(s))]
		}
	case 2: // too long
		s += c.digits(1 + c.rng.IntN(4))
	}
	return s
}

func iddFor(r string) string {
	m := geoRegions[r].meta
	if p := m.GetPreferredInternationalPrefix(); p != "" && strings.Trim(p, "0123456789") == "" {
		return p
	}
	if p := m.GetInternationalPrefix(); strings.Trim(p, "0123456789") == "" {
		return p
	}
	return "00"
}

// format inserts formatting characters the way people and exports do.
func (c *phoneCorpus) format(s string) string {
	if c.rng.IntN(3) == 0 {
		return s
	}
	// One number in ten is "exotic": Unicode separators and digits, some
	// of which only Parse handles.
	exotic := c.rng.IntN(10) == 0
	seps := []string{" ", "-", ".", "/", " - ", "  "}
	if exotic {
		seps = append(seps, "\u00a0", "\u2013", "\u2212", "\u3000", "\uff0d", "\u30fc",
			"\u202f", "\t", "[", "~", "\u00ad", "\u200b", "\u2060", "\uff0e", "\uff0f")
	}
	var b strings.Builder
	if c.rng.IntN(8) == 0 {
		b.WriteString(c.pick([]string{"(", " ", "-", "/"}))
	}
	plus := strings.HasPrefix(s, "+")
	if plus {
		if exotic {
			b.WriteString(c.pick([]string{"\uff0b", "++"}))
		} else {
			b.WriteByte('+')
		}
		s = s[1:]
		if c.rng.IntN(6) == 0 {
			b.WriteByte(' ')
		}
	}
	paren := c.rng.IntN(4) == 0
	for i := 0; i < len(s); i++ {
		if paren && i == 0 && len(s) > 4 {
			b.WriteString("(" + s[:3] + ")")
			i = 2
			continue
		}
		if i > 0 && c.rng.IntN(4) == 0 {
			b.WriteString(c.pick(seps))
		}
		v := 4
		if exotic {
			v = c.rng.IntN(8)
		}
		switch v {
		case 0:
			b.WriteRune('\uff10' + rune(s[i]-'0'))
		case 1:
			b.WriteRune('\u0660' + rune(s[i]-'0'))
		case 2:
			b.WriteRune('\u06f0' + rune(s[i]-'0'))
		case 3:
			b.WriteRune('\u0966' + rune(s[i]-'0')) // Devanagari: not mapped by normalize
		default:
			b.WriteByte(s[i])
		}
	}
	if c.rng.IntN(10) == 0 {
		b.WriteString(c.pick([]string{")", ".", "-", " /"}))
	}
	return b.String()
}

// next returns a default region and an input.
func (c *phoneCorpus) next() (region, input string) {
	def := c.pick(c.regions)
	if c.rng.IntN(4) == 0 {
		def = c.pick([]string{"US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "MX", "CN", "RU", "IT", "AR", "JP"})
	}
	target := def
	if c.rng.IntN(2) == 0 {
		target = c.pick(c.regions)
	}
	tm := geoRegions[target].meta
	cc := strconv.Itoa(int(tm.GetCountryCode()))
	np := tm.GetNationalPrefix()
	nsn := c.nsn(target)
	var s string
	switch c.rng.IntN(12) {
	case 0, 1: // national number of the default region
		s = c.nsn(def)
	case 2: // national with trunk prefix
		s = geoRegions[def].meta.GetNationalPrefix() + c.nsn(def)
	case 3, 4: // international with +
		s = "+" + cc + nsn
	case 5: // + with the trunk prefix kept (+44 (0)20 ...)
		s = "+" + cc + np + nsn
	case 6: // the default region's IDD
		s = iddFor(def) + cc + nsn
	case 7: // another region's IDD
		s = c.pick([]string{"00", "011", "0011", "810", "010", "001", "000"}) + cc + nsn
	case 8: // calling code without + (JSON-number style)
		s = cc + nsn
	case 9: // calling code + trunk prefix, no +
		s = cc + np + nsn
	case 10: // random digits
		s = c.digits(1 + c.rng.IntN(20))
		if c.rng.IntN(3) == 0 {
			s = "+" + s
		}
	case 11: // odd characters the fast path must hand to Parse
		s = c.format("+"+cc+nsn) + c.pick([]string{"#", "*", "~", " ;", "\uff10", "\u00a0", ",", "++", "+"})
		if c.rng.IntN(2) == 0 {
			s = c.pick([]string{"\uff0b", "++", "[", "+ +", "#", "(+", "+011", "+00", "+0"}) + cc + nsn
		}
		return def, s
	}
	return def, c.format(s)
}

type agreement struct {
	cases, fast, fastValid, mismatches int
	firsts                             []string
}

func checkPhoneAgreement(t testing.TB, norms map[string]*Normalizer, region, input string, a *agreement) {
	if strings.IndexFunc(input, unicode.IsLetter) >= 0 {
		return // Normalize rejects letters before any parsing
	}
	n := norms[region]
	if n == nil {
		n = newTestNormalizer(t, region, PhoneDigits)
		norms[region] = n
	}
	a.cases++
	got, v := n.fastPhone([]byte(input), nil)
	if v == phoneUndecided {
		return
	}
	a.fast++
	want, ok := referencePhone(input, region, nil)
	if v == phoneValid {
		a.fastValid++
	}
	if (v == phoneValid) != ok || ok && string(got) != string(want) {
		a.mismatches++
		if len(a.firsts) < 20 {
			a.firsts = append(a.firsts, "region "+region+" input "+strconv.Quote(input)+
				": fast "+strconv.Quote(string(got))+" valid="+strconv.FormatBool(v == phoneValid)+
				", Parse "+strconv.Quote(string(want))+" valid="+strconv.FormatBool(ok))
		}
	}
}

// TestPhoneFastPathAgreesWithLibphonenumber proves the fast path gives the
// same answer as Parse + IsPossibleNumber + Format(E164) on a large
// deterministic corpus (-phonecorpus=N for more).
func TestPhoneFastPathAgreesWithLibphonenumber(t *testing.T) {
	size := *phoneCorpusSize
	if testing.Short() {
		size = 20_000
	}
	c := newPhoneCorpus(20261128)
	norms := map[string]*Normalizer{}
	var a agreement
	for range size {
		region, input := c.next()
		checkPhoneAgreement(t, norms, region, input, &a)
	}
	t.Logf("%d cases across %d regions: %d (%.1f%%) decided by the fast path, %d of them valid",
		a.cases, len(c.regions), a.fast, 100*float64(a.fast)/float64(a.cases), a.fastValid)
	if a.mismatches > 0 {
		t.Errorf("%d mismatches; first ones:\n%s", a.mismatches, strings.Join(a.firsts, "\n"))
	}
	// A fast path that decided nothing would agree vacuously.
	if a.fast < a.cases/2 {
		t.Errorf("fast path decided only %d of %d cases", a.fast, a.cases)
	}
}

// TestPhoneEdgeCasesAgree runs shapes at the edge of the fast path through
// Normalize and compares with Parse; fallback says whether the fast path
// must hand the case to Parse.
func TestPhoneEdgeCasesAgree(t *testing.T) {
	tests := []struct {
		region, in string
		fallback   bool
	}{
		{"US", "\uff0b1 613 444 4444", false},
		{"US", "+1 613 444 4444 ~12", true},
		{"US", "+1\u202f613\u202f444\u202f4444", true},
		{"IN", "\u096f\u096e\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e", true},
		{"US", "+1 613 444 4444#", true},
		{"US", "+1 613 444 4444;1", true},
		{"US", "+1 613 444 4444*", true},
		{"EG", "\u0660\u0661\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667", false},
		{"DE", "8\u0660", false},
		{"US", "\u00a0(613)\u00a0444\u20134444", false},
		{"US", "(+1) 613 444 4444", false},
		{"US", "+0 613 444 4444", false},
		{"US", "++1 613 444 4444", false},
		{"US", "+ +1 613 444 4444", false},
		{"US", "1 613 444 4444+", false},
		{"US", "+011 44 20 7183 8750", false},
		{"GB", "+00 44 20 7183 8750", false},
		{"GB", "+0044", false},
		{"GB", "0044", false},
		{"GB", "(0)20 7183 8750", false},
		{"GB", "+44 (0)20 7183 8750", false},
		{"US", "12", false},
		{"US", "1 2", false},
		{"US", "+12", false},
		{"DE", "49 30 123456", false},
		{"IT", "06 6982 1234", false},
		{"AR", "011 15 2345 6789", false},
		{"BR", "0 21 2345 6789", false},
		{"MX", "01 55 1234 5678", false},
		{"RU", "8 912 345 67 89", false},
		{"CN", "010 1234 5678", false},
		{"CA", "1 613 444 4444", false},
		{"GG", "01481 256789", false},
		{"US", "+800 1234 5678", false},
		{"US", strings.Repeat("1", 251), false},
	}
	for _, tc := range tests {
		t.Run(tc.region+"/"+tc.in, func(t *testing.T) {
			n := newTestNormalizer(t, tc.region, PhoneDigits)
			if _, v := n.fastPhone([]byte(tc.in), nil); (v == phoneUndecided) != tc.fallback {
				t.Errorf("fast path undecided = %v, want %v", v == phoneUndecided, tc.fallback)
			}
			want, ok := referencePhone(tc.in, tc.region, nil)
			r := n.Normalize(Phone, []byte(tc.in))
			if (r.Status == Valid) != ok || ok && string(r.Normalized) != string(want) {
				t.Errorf("got %v %q, Parse %q valid=%v", r.Status, r.Normalized, want, ok)
			}
		})
	}
}

// TestConcurrentNormalizers runs one Normalizer per goroutine over the same
// regions, so `go test -race` sees the lazily compiled region data shared.
func TestConcurrentNormalizers(t *testing.T) {
	const workers = 4
	inputs := make([][2]string, 2000)
	c := newPhoneCorpus(7)
	for i := range inputs {
		inputs[i][0], inputs[i][1] = c.next()
	}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		if out, ok := referencePhone(in[1], in[0], nil); ok {
			want[i] = string(out)
		}
	}
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			norms := map[string]*Normalizer{}
			for i := w; i < len(inputs); i += workers {
				region, in := inputs[i][0], inputs[i][1]
				if strings.IndexFunc(in, unicode.IsLetter) >= 0 {
					continue
				}
				n := norms[region]
				if n == nil {
					var err error
					if n, err = NewNormalizer(Options{Region: region}); err != nil {
						errs <- err.Error()
						return
					}
					norms[region] = n
				}
				r := n.Normalize(Phone, []byte(in))
				if r.Status == Prehashed || r.Reason == ReasonMD5NotSupported {
					continue
				}
				if got := string(r.Normalized); got != want[i] {
					errs <- "region " + region + " input " + strconv.Quote(in) + ": got " + strconv.Quote(got) + ", want " + strconv.Quote(want[i])
					return
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
