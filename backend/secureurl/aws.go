package secureurl

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// AWSHTTPClient puts Transport under an AWS SDK client's HTTP client. Call it
// from the service client's option function (s3.NewFromConfig(cfg, func(o)
// {...})): by then the SDK has applied its defaults to o.HTTPClient, and the
// endpoint, whether from settings, AWS_ENDPOINT_URL* or ~/.aws/config, is
// only known per request, so the check is made on each request's URL.
//
// Only the service client is wrapped, not aws.Config.HTTPClient: the
// credential chain also uses that one for the instance metadata service,
// which is plain http to a link-local address by design.
func AWSHTTPClient(c aws.HTTPClient, service, hint string) aws.HTTPClient {
	switch hc := c.(type) {
	case nil:
		return AWSHTTPClient(awshttp.NewBuildableClient(), service, hint)
	case *awshttp.BuildableClient:
		// Freeze builds the SDK's own *http.Client (its redirect policy,
		// timeouts and transport settings); wrap its transport.
		if frozen, ok := hc.Freeze().(*http.Client); ok {
			return Client(frozen, service, hint)
		}
		return checkedDoer{c, service, hint}
	case *http.Client:
		return Client(hc, service, hint)
	default:
		// A client we cannot see inside: check at least the first request.
		return checkedDoer{c, service, hint}
	}
}

type checkedDoer struct {
	base          aws.HTTPClient
	service, hint string
}

func (d checkedDoer) Do(req *http.Request) (*http.Response, error) {
	if err := Check(req.URL, d.service, d.hint); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return d.base.Do(req)
}
