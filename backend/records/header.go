package records

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
)

// HeaderMode says whether the first row of a CSV/TXT file names its columns.
type HeaderMode string

const (
	HeaderAuto HeaderMode = "auto" // decide from the first rows (the default)
	HeaderYes  HeaderMode = "yes"  // the first row names the columns
	HeaderNo   HeaderMode = "no"   // every row is data; columns are named column_1, column_2, …
)

// ParseHeaderMode accepts the names a person or a flag would use ("auto", "yes", "no", "true", "false", "").
func ParseHeaderMode(s string) (HeaderMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "detect":
		return HeaderAuto, nil
	case "yes", "y", "true", "1", "present", "header":
		return HeaderYes, nil
	case "no", "n", "false", "0", "none", "absent", "no-header":
		return HeaderNo, nil
	}
	return "", fmt.Errorf("unknown header setting %q (want auto, yes or no)", s)
}

// PersonalDataColumn stands in for a column name that looks like a customer's identifier.
const PersonalDataColumn = "(a column whose name looks like personal data)"

// SafeColumnName is the form of a column name that may leave the process (manifest, job history, report,
// error message, log): the name itself, unless it looks like a customer's identifier (an e-mail address,
// a phone number, an advertising ID or a hash), as the "name" that a list without a header row gives its
// first column does. Such a name is replaced by PersonalDataColumn.
func SafeColumnName(name string) string {
	if looksLikePersonalData(name) {
		return PersonalDataColumn
	}
	return name
}

// normalizers lends identifier normalizers (which are not safe for concurrent use) to the checks here.
var normalizers = sync.Pool{New: func() any {
	n, err := identifiers.NewNormalizer(identifiers.Options{Region: "US"})
	if err != nil {
		panic("records: the US phone region is unknown: " + err.Error())
	}
	return n
}}

// identifierIn reports which kind of customer identifier s is, if any ("" when none): it normalizes as an
// e-mail address, phone number or advertising ID, or is a SHA-256/MD5 hash, or is a run of digits long
// enough to be a phone number of some region.
func identifierIn(s string) string {
	if strings.TrimFunc(s, isTrimRune) == "" {
		return ""
	}
	n := normalizers.Get().(*identifiers.Normalizer)
	defer normalizers.Put(n)
	b := []byte(s)
	if n.Normalize(identifiers.Email, b).Status == identifiers.Prehashed {
		return "a SHA-256 hash"
	}
	switch {
	case n.Normalize(identifiers.Email, b).Status == identifiers.Valid:
		return "an e-mail address"
	case n.Normalize(identifiers.IDFA, b).Status == identifiers.Valid:
		return "a mobile advertising ID"
	case n.Normalize(identifiers.Phone, b).Status == identifiers.Valid:
		return "a phone number"
	}
	switch c := classify(s); {
	case c == classNumber && digitCount(s) >= 7:
		return "a phone number"
	case c == classHex && (len(strings.TrimFunc(s, isTrimRune)) == 32):
		return "a hash"
	}
	return ""
}

func looksLikePersonalData(s string) bool { return identifierIn(s) != "" }

// Cell classes compared between the first row and the rows below it.
type cellClass uint8

const (
	classEmpty  cellClass = iota
	classText             // anything else: what column names are
	classEmail            // has an '@' and no space
	classNumber           // digits with phone/number punctuation
	classHex              // a long run of hex digits and dashes (IDs, hashes)
)

func classify(s string) cellClass {
	s = strings.TrimFunc(s, isTrimRune)
	if s == "" {
		return classEmpty
	}
	if strings.IndexByte(s, '@') >= 0 && strings.IndexFunc(s, isTrimRune) < 0 {
		return classEmail
	}
	digits, hex, other := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			hex++
		case c == '-':
		case c == '+' || c == '(' || c == ')' || c == '.' || c == ' ' || c == '/':
			other++
		default:
			return classText
		}
	}
	switch {
	case digits > 0 && hex == 0:
		return classNumber
	case digits > 0 && other == 0 && digits+hex >= 16:
		return classHex
	}
	return classText
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

var classNames = map[cellClass]string{classEmail: "e-mail addresses", classNumber: "numbers", classHex: "IDs or hashes"}

// decideHeader says whether first is a header row, judging from its cells and from the rows below it (body,
// possibly none), and why. txt is true for a .txt file, whose usual layout (TikTok's template) is one
// identifier per line without a header.
func decideHeader(first []string, body [][]string, txt bool) (bool, string) {
	for _, c := range first {
		if what := identifierIn(c); what != "" {
			return false, "the first row holds " + what
		}
	}
	for _, c := range first {
		if _, _, ok := nameType(c); ok {
			return true, ""
		}
	}
	for j, c := range first {
		cl := classify(c)
		if cl == classText || cl == classEmpty {
			continue
		}
		if len(body) == 0 || majorityClass(body, j) == cl {
			return false, "the first row holds " + classNames[cl] + " like the rows below it"
		}
	}
	if txt && len(first) == 1 {
		single := true
		for _, r := range body {
			single = single && len(r) <= 1
		}
		if single {
			return false, "a .txt list has one identifier per line and no header row"
		}
	}
	return true, ""
}

// majorityClass is the most common non-empty class of column j in rows (classEmpty when it has no values).
func majorityClass(rows [][]string, j int) cellClass {
	var n [classHex + 1]int
	for _, r := range rows {
		if j < len(r) {
			n[classify(r[j])]++
		}
	}
	best := classEmpty
	for c := classText; c <= classHex; c++ {
		if n[c] > n[best] || (best == classEmpty && n[c] > 0) {
			best = c
		}
	}
	return best
}

// isTxtName reports whether a file name (or s3:// URL) ends in .txt, compressed or not.
func isTxtName(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range []string{".gz", ".gzip", ".zst", ".zstd", ".bz2", ".bzip2"} {
		if n, ok := strings.CutSuffix(name, ext); ok {
			name = n
			break
		}
	}
	return strings.HasSuffix(name, ".txt")
}

// numberedColumns names n columns column_1 … column_n.
func numberedColumns(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "column_" + strconv.Itoa(i+1)
	}
	return names
}
