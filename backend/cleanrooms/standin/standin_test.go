package standin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRefusesUnsignedAndBadPaging: a request without a SigV4 header, one
// signed for another service or with another access key, and a maxResults
// outside 1-100 or a made-up nextToken get AWS's errors.
func TestRefusesUnsignedAndBadPaging(t *testing.T) {
	srv := httptest.NewServer(New(Options{AccessKeyID: "AKIDSTANDIN", Memberships: []Membership{{ID: "m-1"}}}))
	defer srv.Close()
	signed := func(service, key string) string {
		return "AWS4-HMAC-SHA256 Credential=" + key + "/20261201/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	}
	cases := []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"unsigned", "/memberships", "", 403, "MissingAuthenticationTokenException"},
		{"other service", "/memberships", signed("s3", "AKIDSTANDIN"), 403, "InvalidSignatureException"},
		{"other key", "/memberships", signed("cleanrooms", "AKIDOTHER"), 403, "UnrecognizedClientException"},
		{"maxResults 0", "/memberships?maxResults=0", signed("cleanrooms", "AKIDSTANDIN"), 400, "ValidationException"},
		{"maxResults 101", "/memberships?maxResults=101", signed("cleanrooms", "AKIDSTANDIN"), 400, "ValidationException"},
		{"made-up token", "/memberships?nextToken=abc", signed("cleanrooms", "AKIDSTANDIN"), 400, "ValidationException"},
		{"unknown membership", "/memberships/m-2/protectedQueries", signed("cleanrooms", "AKIDSTANDIN"), 404, "ResourceNotFoundException"},
		{"signed", "/memberships?maxResults=100", signed("cleanrooms", "AKIDSTANDIN"), 200, ""},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
			req.Header.Set("X-Amz-Date", "20261201T100000Z")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-Errortype") != tc.code {
			t.Errorf("%s: %d %q %s, want %d %q", tc.name, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, tc.status, tc.code)
		}
		if tc.code == "" && !strings.Contains(string(body), `"membershipSummaries":[{`) {
			t.Errorf("%s: %s", tc.name, body)
		}
	}
}
