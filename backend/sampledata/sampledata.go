// Package sampledata generates deterministic, synthetic customer lists for
// benchmarks, tests and demos: realistic formatting mess, duplicates and
// invalid values, and no real person's data.
package sampledata

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Options shape the generated list. Zero values take the documented defaults.
type Options struct {
	Rows          int64
	Seed          uint64
	DuplicateRate float64 // share of rows repeating an earlier person (default 0.05)
	InvalidRate   float64 // share of rows with one invalid identifier (default 0.02)
}

// Stats says what was generated, so tests can check counters against it.
type Stats struct {
	Rows       int64
	Duplicates int64 // rows that repeat an earlier person
	Invalid    int64 // rows with one deliberately invalid identifier
}

var (
	domains   = []string{"gmail.com", "Example.COM", "yahoo.com", "outlook.com", "mail.example.org", "hotmail.co.uk"}
	tags      = []string{"", "", "", "+news", "+shop", "+2024"}
	plans     = []string{"free", "pro", "team", "enterprise"}
	badEmails = []string{"not-an-email", "jane@", "@example.com", "two@@example.com", "x@no-dot"}
	badPhones = []string{"12", "555-CALL-NOW", "+999 1234", "0000"}
	badMAIDs  = []string{"not-a-uuid", "1234", "00000000-0000-0000-0000-000000000000"}
)

// WriteJSONL writes opts.Rows lines of JSON with the fields email, phone,
// idfa, gaid (identifiers) and customer_id, plan (non-PII).
func WriteJSONL(w io.Writer, opts Options) (Stats, error) {
	if opts.DuplicateRate == 0 {
		opts.DuplicateRate = 0.05
	}
	if opts.InvalidRate == 0 {
		opts.InvalidRate = 0.02
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	bw := bufio.NewWriterSize(w, 1<<20)
	var st Stats
	line := make([]byte, 0, 512)
	for i := int64(0); i < opts.Rows; i++ {
		person := i
		if i > 0 && rng.Float64() < opts.DuplicateRate {
			person = rng.Int64N(i)
			st.Duplicates++
		}
		bad := -1
		if rng.Float64() < opts.InvalidRate {
			bad = rng.IntN(4)
			st.Invalid++
		}
		line = appendPerson(line[:0], rng, person, bad)
		if _, err := bw.Write(line); err != nil {
			return st, fmt.Errorf("writing sample data: %w", err)
		}
		st.Rows++
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("writing sample data: %w", err)
	}
	return st, nil
}

// person derives one person's identity from its number, so a duplicate row
// carries the same identifiers with different formatting.
func appendPerson(b []byte, rng *rand.Rand, person int64, bad int) []byte {
	// Each field draws from its own stream, so a row that replaces one
	// field with an invalid value still repeats the person's other fields.
	id := func(field uint64) *rand.Rand { return rand.New(rand.NewPCG(uint64(person), field)) }
	b = append(b, `{"customer_id":`...)
	b = strconv.AppendInt(b, person+100000, 10)
	b = append(b, `,"email":"`...)
	if bad == 0 {
		b = append(b, badEmails[rng.IntN(len(badEmails))]...)
	} else {
		b = appendEmail(b, rng, id(1), person)
	}
	b = append(b, `","phone":`...)
	if bad == 1 {
		b = strconv.AppendQuote(b, badPhones[rng.IntN(len(badPhones))])
	} else {
		b = appendPhone(b, rng, id(2))
	}
	b = append(b, `,"idfa":"`...)
	if bad == 2 {
		b = append(b, badMAIDs[rng.IntN(len(badMAIDs))]...)
	} else {
		b = appendUUID(b, id(3), true)
	}
	b = append(b, `","gaid":"`...)
	if bad == 3 {
		b = append(b, badMAIDs[rng.IntN(len(badMAIDs))]...)
	} else {
		b = appendUUID(b, id(4), false)
	}
	b = append(b, `","plan":"`...)
	b = append(b, plans[id(5).IntN(len(plans))]...)
	b = append(b, "\"}\n"...)
	return b
}

func appendEmail(b []byte, rng, id *rand.Rand, person int64) []byte {
	if rng.IntN(10) == 0 {
		b = append(b, "  "...) // stray white space from a spreadsheet
	}
	start := len(b)
	b = append(b, "user."...)
	b = strconv.AppendInt(b, person, 36)
	b = append(b, tags[rng.IntN(len(tags))]...)
	b = append(b, '@')
	b = append(b, domains[id.IntN(len(domains))]...)
	if rng.IntN(3) == 0 { // mixed case
		for i := start; i < len(b); i += 3 {
			if c := b[i]; c >= 'a' && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
	}
	if rng.IntN(10) == 0 {
		b = append(b, ' ')
	}
	return b
}

// appendPhone writes a US, GB or FR number (valid with the default region US) in one of the shapes people type,
// sometimes as a bare JSON number.
func appendPhone(b []byte, rng, id *rand.Rand) []byte {
	switch id.IntN(10) {
	case 0: // GB, London: +44 20 xxxx xxxx or 020 xxxx xxxx
		n := 70000000 + id.IntN(9999999)
		if rng.IntN(2) == 0 {
			return fmt.Appendf(b, `"+44 20 %04d %04d"`, n/10000, n%10000)
		}
		return fmt.Appendf(b, `"+44 (20) %04d-%04d"`, n/10000, n%10000)
	case 1: // FR mobile
		n := id.IntN(100000000)
		return fmt.Appendf(b, `"+33 6 %02d %02d %02d %02d"`, n/1000000, n/10000%100, n/100%100, n%100)
	}
	area := 201 + id.IntN(788)
	exch := 200 + id.IntN(800)
	line := id.IntN(10000)
	switch rng.IntN(6) {
	case 0:
		return fmt.Appendf(b, `"(%03d) %03d-%04d"`, area, exch, line)
	case 1:
		return fmt.Appendf(b, `"%03d-%03d-%04d"`, area, exch, line)
	case 2:
		return fmt.Appendf(b, `"+1 %03d %03d %04d"`, area, exch, line)
	case 3:
		return fmt.Appendf(b, `"1-%03d-%03d-%04d"`, area, exch, line)
	case 4:
		return fmt.Appendf(b, `"%03d.%03d.%04d"`, area, exch, line)
	default: // a number, as spreadsheets export them
		return fmt.Appendf(b, `1%03d%03d%04d`, area, exch, line)
	}
}

const hexDigits = "0123456789abcdef"

func appendUUID(b []byte, id *rand.Rand, upper bool) []byte {
	hi, lo := id.Uint64(), id.Uint64()
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		c := hexDigits[nib]
		if upper && c >= 'a' {
			c = c - 'a' + 'A'
		}
		b = append(b, c)
	}
	return b
}
