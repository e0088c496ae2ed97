package inputs

import (
	"errors"
	"fmt"
	"strings"
)

// The URL schemes an input may have besides a local path. Every part of the
// program (the wizard, the syncs, the command line) accepts the same ones
// through one Resolver; a new kind of input is one more scheme here and one
// opener where the Resolver is built (the app's wiring, the CLI's tree).
const (
	SchemeS3         = "s3://"
	SchemeCleanRooms = "cleanrooms://"
)

// Schemes are the input URL schemes, in the order they are tried.
var Schemes = []string{SchemeS3, SchemeCleanRooms}

// Opener opens the input a URL of one scheme names (an S3 object or prefix
// ending in "/", a Clean Rooms query's result).
type Opener func(url string) (Source, error)

// ErrSchemeUnavailable is returned for a URL of a known scheme that this
// Resolver has no opener for (S3 is not set up in this build or session);
// callers word it for where it was typed.
var ErrSchemeUnavailable = errors.New("no reader for this kind of input is set up")

// Resolver turns what a person gives as the input into one Source: a file,
// a folder or a glob of part files (Local), or a URL of one of Schemes
// through its opener. It is built once at start-up and shared.
type Resolver struct {
	openers map[string]Opener
}

// NewResolver is a Resolver with openers by scheme (keys from Schemes; a
// scheme without one is refused with ErrSchemeUnavailable). nil openers
// give a Resolver of local paths only.
func NewResolver(openers map[string]Opener) *Resolver {
	r := &Resolver{openers: map[string]Opener{}}
	for scheme, open := range openers {
		if SchemeOf(scheme+"x") != scheme {
			panic(fmt.Sprintf("inputs: %q is not one of the input schemes %v", scheme, Schemes))
		}
		if open != nil {
			r.openers[scheme] = open
		}
	}
	return r
}

// SchemeOf is input's URL scheme from Schemes, or "" for a local path.
func SchemeOf(input string) string {
	for _, s := range Schemes {
		if strings.HasPrefix(input, s) {
			return s
		}
	}
	return ""
}

// IsRemote reports whether input is a URL (of one of Schemes) rather than a
// local path.
func IsRemote(input string) bool { return SchemeOf(input) != "" }

// Open resolves input. A nil Resolver reads local paths only.
func (r *Resolver) Open(input string) (Source, error) {
	scheme := SchemeOf(input)
	if scheme == "" {
		return Local(input)
	}
	var open Opener
	if r != nil {
		open = r.openers[scheme]
	}
	if open == nil {
		return Source{}, fmt.Errorf("%s: %w", input, ErrSchemeUnavailable)
	}
	return open(input)
}
