package cognitostandin

import (
	"crypto/sha1" // RFC 6238 authenticator apps use HMAC-SHA1.
	"hash"
)

func newSHA1() hash.Hash { return sha1.New() }
