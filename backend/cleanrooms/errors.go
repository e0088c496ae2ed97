package cleanrooms

import (
	"context"
	"errors"
	"fmt"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cleanrooms/types"
	"github.com/aws/smithy-go"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// Kind says which case a person meets; the app picks its words and help by it.
type Kind string

const (
	KindNoReceiver Kind = "no_receiver" // no membership may receive results
	KindRunning    Kind = "running"     // the query has not finished
	KindFailed     Kind = "failed"      // FAILED, CANCELLED or TIMED_OUT
	KindDenied     Kind = "denied"      // the role lacks Action
	KindNotFound   Kind = "not_found"   // no such membership or query
	KindEmpty      Kind = "empty"       // the result holds no data
	KindNoSuccess  Kind = "no_success"  // "latest" with no successful query
	KindNoLocation Kind = "no_location" // member output without a default location
)

// Error is a Clean Rooms case with a sentence saying what to do.
type Error struct {
	Kind   Kind
	Action string // the IAM action that was denied (KindDenied)
	msg    string
	err    error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// KindOf is the Kind of a Clean Rooms error, "" for others.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// explain turns an AWS Clean Rooms API error into a sentence. action is the
// IAM action the call needs, named when AWS denies it.
func (c *Client) explain(what, action string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var refused *secureurl.RefusedError
	if errors.As(err, &refused) {
		return fmt.Errorf("%s: %w", what, refused)
	}
	var denied *types.AccessDeniedException
	var notFound *types.ResourceNotFoundException
	var api smithy.APIError
	var re *awshttp.ResponseError
	switch {
	case errors.As(err, &denied):
		return &Error{Kind: KindDenied, Action: action, err: err, msg: fmt.Sprintf("%s: AWS denied %s to these credentials: "+
			"the role needs the read-only Clean Rooms actions (cleanrooms:ListMemberships, cleanrooms:GetMembership, "+
			"cleanrooms:ListProtectedQueries, cleanrooms:GetProtectedQuery; the CloudFormation template's CleanRoomsAccess "+
			"parameter grants them) (AWS said: %s)", what, action, denied.ErrorMessage())}
	case errors.As(err, &notFound):
		return &Error{Kind: KindNotFound, err: err, msg: fmt.Sprintf("%s: AWS Clean Rooms has no such %s in region %s: "+
			"check the id with `audience-uploader cleanrooms ls` (AWS said: %s)", what, resourceName(notFound), c.region, notFound.ErrorMessage())}
	case errors.As(err, &api) && (api.ErrorCode() == "UnrecognizedClientException" || api.ErrorCode() == "InvalidSignatureException" ||
		api.ErrorCode() == "ExpiredTokenException"):
		return fmt.Errorf("%s: the AWS credentials were refused (sign in again): %w", what, err)
	case errors.As(err, &re) && re.HTTPStatusCode() == 403:
		return &Error{Kind: KindDenied, Action: action, err: err, msg: fmt.Sprintf("%s: AWS denied %s to these credentials (HTTP 403): %v", what, action, err)}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func resourceName(e *types.ResourceNotFoundException) string {
	switch e.ResourceType {
	case types.ResourceTypeMembership:
		return "membership"
	case "PROTECTED_QUERY":
		return "protected query"
	}
	if e.ResourceType != "" {
		return string(e.ResourceType)
	}
	return "membership or query"
}
