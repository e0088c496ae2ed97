package identifiers

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// regionInfo is what the phone fast path needs from one metadata entry of
// github.com/nyaruka/phonenumbers, derived from the library's own metadata
// (no hand-written country tables). Regexes are compiled lazily, on the first
// number that needs them.
type regionInfo struct {
	id      string // "US", or "001" for a non-geographic calling code
	cc      int
	ccStr   string
	ccBytes []byte
	meta    *phonenumbers.PhoneMetadata

	// lengths[n] is testNumberLength's verdict for an n-digit national number.
	lengths  [maxTestedLength + 1]lengthResult
	maxLen   int32
	lengthOK bool // false: metadata shape the replica does not model

	once      sync.Once
	gen       *digitDFA      // general-description national number pattern
	genRe     *regexp.Regexp // the same pattern, for what gen does not decide
	idd       prefixRule     // international dialling prefix
	np        prefixRule     // national prefix for parsing
	transform []byte         // national prefix transform rule
}

const maxTestedLength = 64

// lengthResult mirrors libphonenumber's ValidationResult for testNumberLength.
type lengthResult uint8

const (
	lenPossible lengthResult = iota
	lenPossibleLocalOnly
	lenTooShort
	lenInvalid
	lenTooLong
)

// prefixRule matches a prefix pattern at the start of a digit string the way
// the library does: leftmost-first at position 0.
type prefixRule struct {
	present bool     // the metadata has a pattern
	lits    [][]byte // when non-nil, the pattern is exactly these literal alternatives, in order
	re      *regexp.Regexp
	litPre  []byte // every match starts with this
}

var (
	geoRegions   = map[string]*regionInfo{}
	ccMain       [1000]*regionInfo // the region whose metadata a calling code uses
	ccValid      [1000]bool        // calling codes extractCountryCode accepts
	phoneMetaErr error             // non-nil disables the fast path
)

func init() {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		phoneMetaErr = fmt.Errorf("load phone metadata: %w", err)
		return
	}
	nonGeo := map[int]*regionInfo{}
	for _, m := range coll.GetMetadata() {
		ri := newRegionInfo(m)
		if ri.id == "001" {
			nonGeo[ri.cc] = ri
		} else {
			geoRegions[ri.id] = ri
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(ccValid) {
			continue
		}
		ccValid[cc] = true
		main := phonenumbers.GetRegionCodeForCountryCode(cc)
		if main == "001" {
			ccMain[cc] = nonGeo[cc]
		} else {
			ccMain[cc] = geoRegions[main]
		}
	}
}

func newRegionInfo(m *phonenumbers.PhoneMetadata) *regionInfo {
	ri := &regionInfo{id: m.GetId(), cc: int(m.GetCountryCode()), meta: m}
	ri.ccStr = strconv.Itoa(ri.cc)
	ri.ccBytes = []byte(ri.ccStr)
	gd := m.GetGeneralDesc()
	possible, local := gd.GetPossibleLength(), gd.GetPossibleLengthLocalOnly()
	// testNumberLength indexes possibleLengths[0]; a general description
	// without lengths would make the library panic: leave it to Parse.
	ri.lengthOK = len(possible) > 0 && len(gd.GetNationalNumberPattern()) > 0
	if !ri.lengthOK {
		return ri
	}
	ri.maxLen = possible[len(possible)-1]
	for n := range ri.lengths {
		ri.lengths[n] = testNumberLength(int32(n), possible, local)
	}
	return ri
}

// testNumberLength replicates the library's testNumberLength for the
// general description (number type UNKNOWN).
func testNumberLength(n int32, possible, local []int32) lengthResult {
	if possible[0] == -1 {
		return lenInvalid
	}
	for _, l := range local {
		if l == n {
			return lenPossibleLocalOnly
		}
	}
	switch {
	case possible[0] == n:
		return lenPossible
	case possible[0] > n:
		return lenTooShort
	case possible[len(possible)-1] < n:
		return lenTooLong
	}
	for _, l := range possible[1:] {
		if l == n {
			return lenPossible
		}
	}
	return lenInvalid
}

func (ri *regionInfo) testLength(n int) lengthResult {
	if n <= maxTestedLength {
		return ri.lengths[n]
	}
	return lenTooLong // every possible length is far below 64
}

// prepare compiles the region's patterns once.
func (ri *regionInfo) prepare() {
	ri.once.Do(func() {
		pat := ri.meta.GetGeneralDesc().GetNationalNumberPattern()
		ri.gen = buildDigitDFA(pat)
		ri.genRe = regexp.MustCompile("^(?:" + pat + ")$")
		// The library searches the IDD pattern unanchored and requires the
		// match to start at 0; "NonMatch" stands in only for nil metadata.
		ri.idd = newPrefixRule(ri.meta.GetInternationalPrefix(), false)
		if np := ri.meta.GetNationalPrefixForParsing(); np != "" {
			ri.np = newPrefixRule(np, true)
		}
		ri.transform = []byte(ri.meta.GetNationalPrefixTransformRule())
	})
}

func newPrefixRule(pattern string, anchored bool) prefixRule {
	p := prefixRule{present: true}
	if anchored {
		p.re = regexp.MustCompile("^(?:" + pattern + ")")
	} else {
		p.re = regexp.MustCompile(pattern)
	}
	pre, _ := p.re.LiteralPrefix()
	p.litPre = []byte(pre)
	p.lits = literalAlternatives(pattern)
	return p
}

// literalAlternatives returns the alternatives of a pattern that is nothing
// but literal strings ("00", "0|180020"), in priority order, or nil.
func literalAlternatives(pattern string) [][]byte {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	lit := func(r *syntax.Regexp) ([]byte, bool) {
		switch {
		case r.Op == syntax.OpEmptyMatch:
			return []byte{}, true
		case r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0:
			return []byte(string(r.Rune)), true
		}
		return nil, false
	}
	if l, ok := lit(re); ok {
		return [][]byte{l}
	}
	if re.Op != syntax.OpAlternate {
		return nil
	}
	var out [][]byte
	for _, sub := range re.Sub {
		l, ok := lit(sub)
		if !ok {
			return nil
		}
		out = append(out, l)
	}
	return out
}

// matchEnd returns the end of the leftmost-first match at position 0.
func (p *prefixRule) matchEnd(s []byte) (int, bool) {
	if !p.present || !bytes.HasPrefix(s, p.litPre) {
		return 0, false
	}
	if p.lits != nil {
		for _, l := range p.lits {
			if bytes.HasPrefix(s, l) {
				return len(l), true
			}
		}
		return 0, false
	}
	loc := p.re.FindIndex(s)
	if loc == nil || loc[0] != 0 {
		return 0, false
	}
	return loc[1], true
}

// general reports whether s matches the general-description pattern in full.
func (ri *regionInfo) general(s []byte) bool {
	if ri.gen != nil {
		if ok, decided := ri.gen.match(s); decided {
			return ok
		}
	}
	return ri.genRe.Match(s)
}

// stripNationalPrefix replicates maybeStripNationalPrefixAndCarrierCode
// without modifying number: it returns number itself, a suffix of it, or the
// transformed number appended to scratch.
func (ri *regionInfo) stripNationalPrefix(number, scratch []byte) []byte {
	if len(number) == 0 || !ri.np.present {
		return number
	}
	if ri.np.lits != nil && len(ri.transform) == 0 {
		end, ok := ri.np.matchEnd(number)
		if !ok {
			return number
		}
		if ri.general(number) && !ri.general(number[end:]) {
			return number
		}
		return number[end:]
	}
	if !bytes.HasPrefix(number, ri.np.litPre) {
		return number
	}
	groups := ri.np.re.FindSubmatchIndex(number)
	if groups == nil {
		return number
	}
	viableOriginal := ri.general(number)
	numGroups := len(groups)/2 - 1
	if len(ri.transform) == 0 || groups[numGroups*2] < 0 {
		if viableOriginal && !ri.general(number[groups[1]:]) {
			return number
		}
		return number[groups[1]:]
	}
	// ReplaceAllString on a pattern anchored with ^ replaces only the match
	// at 0: the expansion followed by the rest.
	out := ri.np.re.Expand(scratch[:0], ri.transform, number, groups)
	out = append(out, number[groups[1]:]...)
	if viableOriginal && !ri.general(out) {
		return number
	}
	return out
}
