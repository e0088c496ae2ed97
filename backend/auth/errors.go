package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// Code names a sign-in failure the app explains in plain words.
type Code string

const (
	CodeWrongCredentials      Code = "wrong_credentials" // wrong password and unknown user alike
	CodePasswordResetRequired Code = "password_reset_required"
	CodeNotConfirmed          Code = "not_confirmed"
	CodeTooManyAttempts       Code = "too_many_attempts"
	CodeNetwork               Code = "network"
	CodeClockSkew             Code = "clock_skew"
	CodeWrongCode             Code = "wrong_code"
	CodeInvalidPassword       Code = "invalid_password"
	CodeMissingAttribute      Code = "missing_attribute"
	CodeSessionExpired        Code = "session_expired"
	CodeSetup                 Code = "setup" // pool/client settings are wrong
	CodeService               Code = "service"
	CodeInsecureEndpoint      Code = "insecure_endpoint" // plain http to a non-loopback host: refused before sending
	CodeSignInCancelled       Code = "sign_in_cancelled" // cancelled, signed out or restarted while Cognito answered
)

// Error is a sign-in failure: Error() is a sentence for a person, Code is for
// the program, Err the underlying cause (never shown verbatim when it could
// echo what the person typed).
type Error struct {
	Code   Code
	Detail string // extra words from Cognito that are safe to show (password policy, skew)
	Err    error
}

// DetailClientSecret is the Detail of a CodeSetup error caused by the app
// client secret, so that callers can say where to put it.
const DetailClientSecret = "the app client secret is missing or wrong"

var messages = map[Code]string{
	CodeWrongCredentials:      "The user name or password is incorrect.",
	CodePasswordResetRequired: "Your password must be reset before you can sign in: ask your administrator for a new temporary password.",
	CodeNotConfirmed:          "Your account is not confirmed yet: follow the link in the invitation e-mail or ask your administrator to confirm it.",
	CodeTooManyAttempts:       "Too many failed sign-in attempts: wait a few minutes and try again.",
	CodeNetwork:               "Cannot reach Amazon Cognito: check your internet connection and try again.",
	CodeClockSkew:             "Your computer's clock is wrong, so Amazon Cognito refused the sign-in: set the date and time automatically and try again.",
	CodeWrongCode:             "The code is not correct: check it and try again.",
	CodeInvalidPassword:       "The new password does not meet the password rules.",
	CodeMissingAttribute:      "Some required details are missing.",
	CodeSessionExpired:        "Your session has expired: sign in again.",
	CodeSetup:                 "The sign-in settings are wrong: check the region, user pool id and app client id in Settings.",
	CodeService:               "Amazon Cognito could not complete the sign-in.",
	CodeInsecureEndpoint:      "The Amazon Cognito endpoint is not safe to use.",
	CodeSignInCancelled:       "The sign-in was cancelled before Amazon Cognito answered, so its outcome was discarded: sign in again if you still want to.",
}

func (e *Error) Error() string {
	msg := messages[e.Code]
	if e.Detail != "" {
		msg = strings.TrimSuffix(msg, ".") + ": " + e.Detail
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &Error{Code: X}) match on the code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the Code of a sign-in error, or "" for other errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

const maxSkew = 5 * time.Minute

// classify turns an SDK error into an *Error. now is the client's clock,
// compared with the server's Date header to tell clock skew.
func classify(err error, now time.Time) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	if skew, ok := serverSkew(err, now); ok && (skew > maxSkew || skew < -maxSkew) {
		return &Error{Code: CodeClockSkew, Detail: fmt.Sprintf("it is %s off", roundSkew(skew)), Err: err}
	}
	var refused *secureurl.RefusedError
	if errors.As(err, &refused) {
		return &Error{Code: CodeInsecureEndpoint, Detail: refused.Error(), Err: err}
	}
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &send) || errors.As(err, &netErr) {
		return &Error{Code: CodeNetwork, Err: err}
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return &Error{Code: CodeService, Err: err}
	}
	msg := api.ErrorMessage()
	switch api.ErrorCode() {
	case "NotAuthorizedException":
		low := strings.ToLower(msg)
		switch {
		case strings.Contains(low, "attempts exceeded"), strings.Contains(low, "too many"):
			return &Error{Code: CodeTooManyAttempts, Err: err}
		case strings.Contains(low, "secret hash"):
			return &Error{Code: CodeSetup, Detail: DetailClientSecret, Err: err}
		case strings.Contains(low, "refresh token"), strings.Contains(low, "session"), strings.Contains(low, "token expired"):
			return &Error{Code: CodeSessionExpired, Err: err}
		}
		return &Error{Code: CodeWrongCredentials, Err: err}
	case "UserNotFoundException":
		// The same words as a wrong password, so nobody can probe for accounts.
		return &Error{Code: CodeWrongCredentials, Err: err}
	case "PasswordResetRequiredException":
		return &Error{Code: CodePasswordResetRequired, Err: err}
	case "UserNotConfirmedException":
		return &Error{Code: CodeNotConfirmed, Err: err}
	case "TooManyFailedAttemptsException", "TooManyRequestsException", "LimitExceededException":
		return &Error{Code: CodeTooManyAttempts, Err: err}
	case "CodeMismatchException", "EnableSoftwareTokenMFAException":
		return &Error{Code: CodeWrongCode, Err: err}
	case "ExpiredCodeException":
		return &Error{Code: CodeWrongCode, Detail: "it has expired", Err: err}
	case "InvalidPasswordException":
		return &Error{Code: CodeInvalidPassword, Detail: policyDetail(msg), Err: err}
	case "ResourceNotFoundException", "InvalidUserPoolConfigurationException":
		return &Error{Code: CodeSetup, Err: err}
	case "InvalidParameterException":
		if strings.Contains(msg, "required attribute") {
			return &Error{Code: CodeMissingAttribute, Err: err}
		}
	}
	return &Error{Code: CodeService, Err: err}
}

// policyDetail keeps Cognito's policy wording ("Password must have symbol
// characters"), which never contains the password itself.
func policyDetail(msg string) string {
	if _, after, ok := strings.Cut(msg, ": "); ok {
		return after
	}
	return ""
}

// serverSkew is server time minus client time, from the response's Date.
func serverSkew(err error, now time.Time) (time.Duration, bool) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return 0, false
	}
	d, perr := http.ParseTime(re.Response.Header.Get("Date"))
	if perr != nil {
		return 0, false
	}
	return d.Sub(now), true
}

func roundSkew(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
}
