package identifiers

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// debianPython is the interpreter whose python3-phonenumbers Debian
// installs (make setup-meta); a pyenv python3 first on PATH has none.
const debianPython = "/usr/bin/python3"

// TestMetaPhonesAgreeWithPythonPhonenumbers cross-checks Meta's PHONE rule
// against an independent implementation: Meta's text rewritten in Python on
// Python's libphonenumber port (testdata/meta_phone_reference.py). It runs
// when python3-phonenumbers is installed and is required by make
// test-meta-phones (META_PHONE_CROSSCHECK=1). The two libraries carry
// metadata of different dates, so a few possible-length rules differ;
// those cases are counted and must stay under 0.5%.
func TestMetaPhonesAgreeWithPythonPhonenumbers(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import phonenumbers").Run(); err != nil {
		if os.Getenv("META_PHONE_CROSSCHECK") != "" {
			t.Fatalf("python3-phonenumbers is not importable by %s: %v (run make setup-meta)", debianPython, err)
		}
		t.Skipf("python3-phonenumbers not installed (%v); make test-meta-phones runs this", err)
	}
	type tc struct{ region, in string }
	rng := rand.New(rand.NewPCG(21, 22))
	var regions []string
	for r := range geoRegions {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	var cases []tc
	for _, r := range regions {
		cc := phonenumbers.GetCountryCodeForRegion(r)
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE} {
			ex := phonenumbers.GetExampleNumberForType(r, typ)
			if ex == nil {
				continue
			}
			nsn := phonenumbers.GetNationalSignificantNumber(ex)
			mutated := nsn
			switch rng.IntN(4) {
			case 0:
				mutated = nsn[:rng.IntN(len(nsn))]
			case 1:
				mutated = nsn + fmt.Sprint(rng.IntN(100))
			}
			home := regions[rng.IntN(len(regions))]
			cases = append(cases,
				tc{home, fmt.Sprintf("+%d %s", cc, mutated)},
				tc{home, fmt.Sprintf("00%d-%s", cc, mutated)},
				tc{home, fmt.Sprintf("+00%d (%s)", cc, mutated)},
				tc{r, phonenumbers.Format(ex, phonenumbers.NATIONAL)},
				tc{r, nsn},
				tc{r, mutated},
			)
		}
	}
	var stdin strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&stdin, "%s\t%s\n", c.region, c.in)
	}
	cmd := exec.Command(debianPython, "testdata/meta_phone_reference.py")
	cmd.Stdin = strings.NewReader(stdin.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := bufio.NewScanner(strings.NewReader(string(out)))
	n := newMeta(t, "US")
	differ := 0
	for i, c := range cases {
		if !want.Scan() {
			t.Fatalf("the reference answered %d of %d cases", i, len(cases))
		}
		got := "x"
		if r := n.NormalizeIn(MetaPhone, []byte(c.in), strings.ToLower(c.region)); r.Status == Valid {
			got = string(r.Normalized)
		}
		if got != want.Text() {
			differ++
			if differ <= 10 {
				t.Logf("%s %q: Go %s, Python %s", c.region, c.in, got, want.Text())
			}
		}
	}
	t.Logf("%d cases, %d differ", len(cases), differ)
	if float64(differ) > 0.005*float64(len(cases)) {
		t.Fatalf("%d of %d cases differ from the reference", differ, len(cases))
	}
}
