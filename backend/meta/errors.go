package meta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// APIError is Graph's error envelope (spec §8), with the HTTP status.
type APIError struct {
	HTTPStatus int    `json:"-"`
	Message    string `json:"message"`
	Type       string `json:"type"`
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode"`
	UserTitle  string `json:"error_user_title"`
	UserMsg    string `json:"error_user_msg"`
	Transient  bool   `json:"is_transient"`
	TraceID    string `json:"fbtrace_id"`
}

// decodeError reads an error answer; a body that is not the envelope
// (an HTML page from a front end) keeps Code 0.
func decodeError(status int, body []byte) *APIError {
	var env struct {
		Error *APIError `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		env.Error.HTTPStatus = status
		return env.Error
	}
	return &APIError{HTTPStatus: status, Message: fmt.Sprintf("HTTP %d %s without a Graph error", status, http.StatusText(status))}
}

// The codes callers branch on.
const (
	CodeRateLimited       = 80003
	CodeUpdateFailed      = 2650
	SubTermsNotAccepted   = 1870090
	SubUpdateInProgress   = 1870145
	SubReplaceTimedOut    = 1870158
	SubReplaceBadBatch    = 1870147
	SubReplaceFinished    = 1870159
	SubAudienceTooSmall   = 1870047
	SubObjectDoesNotExist = 33
)

// RateLimited: the ad account's custom_audience calls are used up.
func (e *APIError) RateLimited() bool {
	return e.Code == CodeRateLimited || e.Code == 17 || e.Code == 613
}

// TermsNotAccepted: nobody accepted the Custom Audience Terms for the
// account (the codes and subcodes Meta has used for it).
func (e *APIError) TermsNotAccepted() bool {
	switch {
	case e.Subcode == SubTermsNotAccepted || e.Subcode == 1870034:
		return true
	case e.Code == 2663 || e.Code == 2664 || e.Code == 2655:
		return true
	}
	return false
}

// TokenProblem: the token is missing, expired or invalid.
func (e *APIError) TokenProblem() bool { return e.Code == 190 || e.Code == 102 }

// PermissionProblem: the token lacks ads_management, or the account.
func (e *APIError) PermissionProblem() bool {
	return e.Code == 294 || e.Code == 270 || (e.Code >= 200 && e.Code <= 299 && !e.TermsNotAccepted())
}

// NotFound: the audience does not exist, was deleted, or is not this
// token's to see.
func (e *APIError) NotFound() bool { return e.Code == 100 && e.Subcode == SubObjectDoesNotExist }

func (e *APIError) Error() string {
	what := strings.TrimSpace(e.Message)
	if e.UserMsg != "" {
		what += " (" + e.UserMsg + ")"
	}
	code := fmt.Sprintf("code %d", e.Code)
	if e.Subcode != 0 {
		code += fmt.Sprintf("/%d", e.Subcode)
	}
	return fmt.Sprintf("Meta refused the request (%s): %s%s", code, what, e.advice())
}

// advice says what to do about the common refusals.
func (e *APIError) advice() string {
	switch {
	case e.TermsNotAccepted():
		return "; a person with a role on the ad account must accept the Custom Audience Terms at https://business.facebook.com/ads/manage/customaudiences/tos/, then try again"
	case e.TokenProblem():
		return "; save a new system-user token in Settings > Meta (or set " + EnvToken + ")"
	case e.PermissionProblem():
		return "; the token needs the ads_management permission on this ad account"
	case e.RateLimited():
		return "; the ad account's hourly Custom Audience calls are used up, wait and try again"
	}
	return ""
}
