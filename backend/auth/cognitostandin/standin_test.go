package cognitostandin

import (
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTOTPRFC6238 checks the authenticator math against RFC 6238's SHA-1
// vectors (last six digits).
func TestTOTPRFC6238(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := TOTP(secret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.want {
			t.Errorf("TOTP at %d = %q, %v; want %s", tc.unix, got, err, tc.want)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	srv := httptest.NewServer(New(Config{Region: "eu-west-1", UserPoolID: "eu-west-1_P", Clients: map[string]string{"c": ""}}))
	defer srv.Close()
	for _, tc := range []struct {
		name, target, body, wantType string
	}{
		{"unknown op", "AWSCognitoIdentityProviderService.DeleteUserPool", `{}`, "UnknownOperationException"},
		{"bad json", "AWSCognitoIdentityProviderService.InitiateAuth", `{`, "SerializationException"},
		{"unknown client", "AWSCognitoIdentityProviderService.InitiateAuth", `{"AuthFlow":"USER_SRP_AUTH","ClientId":"x"}`, "ResourceNotFoundException"},
		{"bad SRP_A", "AWSCognitoIdentityProviderService.InitiateAuth", `{"AuthFlow":"USER_SRP_AUTH","ClientId":"c","AuthParameters":{"USERNAME":"u","SRP_A":"0"}}`, "UserNotFoundException"},
		{"bad refresh", "AWSCognitoIdentityProviderService.InitiateAuth", `{"AuthFlow":"REFRESH_TOKEN_AUTH","ClientId":"c","AuthParameters":{"REFRESH_TOKEN":"nope"}}`, "NotAuthorizedException"},
		{"identity without login", "AWSCognitoIdentityService.GetId", `{"IdentityPoolId":"x","Logins":{}}`, "NotAuthorizedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", tc.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != tc.wantType {
				t.Fatalf("status %d type %q, want 400 %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tc.wantType)
			}
		})
	}
}
