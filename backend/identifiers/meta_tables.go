package identifiers

import (
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// isoCountries: libphonenumber's regions (every ISO 3166-1 country with a
// telephone plan) plus the alpha-2 codes of the territories without one.
var isoCountries = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for r := range phonenumbers.GetSupportedRegions() {
		m[strings.ToLower(r)] = true
	}
	for _, c := range []string{"aq", "bv", "gs", "hm", "pn", "tf", "um"} {
		m[c] = true
	}
	return m
})

func isISOCountry(c string) bool { return isoCountries()[c] }

// usStateCodes maps a US state, district or territory name, lowercased
// with spaces and punctuation removed, to its two-letter ANSI code.
var usStateCodes = map[string]string{
	"alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
	"colorado": "co", "connecticut": "ct", "delaware": "de", "districtofcolumbia": "dc",
	"florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il",
	"indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
	"maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
	"mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
	"newhampshire": "nh", "newjersey": "nj", "newmexico": "nm", "newyork": "ny",
	"northcarolina": "nc", "northdakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or",
	"pennsylvania": "pa", "rhodeisland": "ri", "southcarolina": "sc", "southdakota": "sd",
	"tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va",
	"washington": "wa", "westvirginia": "wv", "wisconsin": "wi", "wyoming": "wy",
	"americansamoa": "as", "guam": "gu", "northernmarianaislands": "mp", "puertorico": "pr",
	"virginislands": "vi", "usvirginislands": "vi", "unitedstatesvirginislands": "vi",
}

// usStateCode is the set of the codes above.
var usStateCode = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range usStateCodes {
		m[c] = true
	}
	return m
}()
