package tiktok

import (
	"errors"
	"fmt"
	"strings"
)

// Class groups TikTok's error codes by what the client must do about them
// (spec/tiktok-api.md, "Error codes that change behaviour").
type Class int

const (
	ClassUnknown     Class = iota
	ClassRateLimited       // 40100, 40132, 61000, HTTP 429: back off, retry
	ClassSystem            // 5xxxx, HTTP 5xx: retry with backoff, bounded
	ClassMaintenance       // 60001: retry later, bounded
	ClassConflict          // 40202 write conflict: retry, bounded
	ClassToken             // 40102, 40104, 40105, 40107: stop, new token
	ClassPermission        // 40001, 40003, 40130, 40118, 40301: stop, scope
	ClassParam             // 40000, 40002, 40700: stop, show message
	ClassAdvertiser        // 40300: stop
	ClassNotExist          // 40007: stop
	ClassSignature         // 40900: re-upload once, then stop
	ClassFile              // 40905..40915: stop, explain
	ClassFileExpired       // 40910: the file_path expired: upload again
)

// Classify maps a TikTok envelope code to its Class.
func Classify(code int) Class {
	switch code {
	case 40100, 40132, 61000:
		return ClassRateLimited
	case 60001:
		return ClassMaintenance
	case 40202:
		return ClassConflict
	case 40102, 40104, 40105, 40107:
		return ClassToken
	case 40001, 40003, 40130, 40118, 40301:
		return ClassPermission
	case 40000, 40002, 40700:
		return ClassParam
	case 40300:
		return ClassAdvertiser
	case 40007:
		return ClassNotExist
	case 40900:
		return ClassSignature
	case 40910:
		return ClassFileExpired
	case 40905, 40906, 40907, 40908, 40909, 40915:
		return ClassFile
	}
	if code >= 50000 && code < 60000 {
		return ClassSystem
	}
	return ClassUnknown
}

// Retryable reports whether a request that failed with this class may be sent
// again after a backoff.
func (c Class) Retryable() bool {
	switch c {
	case ClassRateLimited, ClassSystem, ClassMaintenance, ClassConflict:
		return true
	}
	return false
}

// refusedBeforeProcessing reports whether TikTok certainly did not act on the
// request: safe to resend even a create.
func (c Class) refusedBeforeProcessing() bool {
	return c == ClassRateLimited || c == ClassConflict || c == ClassMaintenance
}

var (
	// ErrToken: the access token is missing, expired, revoked or invalid.
	ErrToken = errors.New("tiktok: access token rejected")
	// ErrPermission: the token lacks a scope or role.
	ErrPermission = errors.New("tiktok: permission denied")
	// ErrNotExist: the audience (or other object) does not exist.
	ErrNotExist = errors.New("tiktok: does not exist")
	// ErrFileExpired: a file_path is no longer usable (40910); upload again.
	ErrFileExpired = errors.New("tiktok: uploaded file expired")
	// ErrSignature: TikTok computed a different MD5 than file_signature.
	ErrSignature = errors.New("tiktok: file signature mismatch")
	// ErrOutcomeUnknown: a non-idempotent request (create, update) may or may
	// not have been applied (timeout, dropped connection, system error); the
	// caller must check TikTok's state before sending it again.
	ErrOutcomeUnknown = errors.New("tiktok: outcome unknown")
	// ErrRetriesExhausted: a retryable failure persisted past the bound.
	ErrRetriesExhausted = errors.New("tiktok: retries exhausted")
	// ErrRedirectRefused: the server redirected to another origin, where the
	// access token must not go.
	ErrRedirectRefused = errors.New("tiktok: redirect to another host refused")
	// ErrStalled: an upload attempt made no progress for too long (and is
	// retried).
	ErrStalled = errors.New("tiktok: upload stalled")
)

// APIError is a non-zero envelope code or an unusable HTTP status.
type APIError struct {
	Op           string // e.g. "create audience"
	AdvertiserID string
	HTTPStatus   int
	Code         int
	Message      string
	RequestID    string
}

// Class returns the error's class; HTTP 429 and 5xx without an envelope count
// as rate-limited and system errors.
func (e *APIError) Class() Class {
	if e.Code != 0 {
		return Classify(e.Code)
	}
	switch {
	case e.HTTPStatus == 429:
		return ClassRateLimited
	case e.HTTPStatus >= 500:
		return ClassSystem
	}
	return ClassUnknown
}

func (e *APIError) Is(target error) bool {
	switch target {
	case ErrToken:
		return e.Class() == ClassToken
	case ErrPermission:
		return e.Class() == ClassPermission
	case ErrNotExist:
		return e.Class() == ClassNotExist
	case ErrFileExpired:
		return e.Class() == ClassFileExpired
	case ErrSignature:
		return e.Class() == ClassSignature
	}
	return false
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.sentence())
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request_id %s)", e.RequestID)
	}
	return b.String()
}

// what names the failure as TikTok reported it.
func (e *APIError) what() string {
	if e.Code != 0 {
		if e.Message != "" {
			return fmt.Sprintf("TikTok answered code %d %q", e.Code, e.Message)
		}
		return fmt.Sprintf("TikTok answered code %d", e.Code)
	}
	return fmt.Sprintf("TikTok answered HTTP %d", e.HTTPStatus)
}

// sentence says what happened and what fixes it.
func (e *APIError) sentence() string {
	adv := e.AdvertiserID
	if adv == "" {
		adv = "ID"
	}
	w := e.what()
	switch e.Class() {
	case ClassToken:
		return w + ": the access token is missing, expired or revoked. Create a new long-lived token in TikTok for Business and save it with `audience-uploader tiktok set-token --advertiser-id " + adv + "` (or Settings > TikTok)."
	case ClassPermission:
		return w + ": the token is not allowed to manage audiences for advertiser " + adv + ". Grant the app the Audience Management scope and give the token's user access to this advertiser in Business Center, then create a new token."
	case ClassParam:
		return w + ": TikTok rejected the request's parameters."
	case ClassAdvertiser:
		return w + ": advertiser " + adv + " does not exist or this token cannot see it; check the advertiser id in Settings > TikTok."
	case ClassNotExist:
		return w + ": the audience does not exist (deleted, expired or a wrong id)."
	case ClassSignature:
		return w + ": the file's MD5 did not match what TikTok received; the file changed on disk or was corrupted in transit."
	case ClassFileExpired:
		return w + ": the uploaded file has expired on TikTok's side and must be uploaded again."
	case ClassFile:
		return w + ": TikTok refused the file (missing, empty, too large, wrong type, or its contents do not match calculate_type)."
	case ClassRateLimited:
		return w + ": TikTok's request rate limit was reached."
	case ClassSystem, ClassMaintenance, ClassConflict:
		return w + ": a temporary TikTok failure."
	}
	return w + "."
}

// redact removes the token from any text that might reach a log or a person.
func redact(s, token string) string {
	if token == "" || len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, "[REDACTED]")
}

// redactedError hides the token in a wrapped error's text while keeping
// errors.Is/As working.
type redactedError struct {
	err   error
	token string
}

func (r *redactedError) Error() string { return redact(r.err.Error(), r.token) }
func (r *redactedError) Unwrap() error { return r.err }
