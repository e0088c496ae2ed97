package auth

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// ImportRuntimeConfig reads the AWS web solution's runtimeConfig.json (keys
// AWS_REGION, USER_POOL_ID, USER_POOL_CLIENT_ID, IDENTITY_POOL_ID,
// DATA_BUCKET_NAME) into AWS settings, so its users switch in one step.
// Keys missing from the file leave the current value alone.
func ImportRuntimeConfig(data []byte, into *settings.AWSSettings) error {
	var rc map[string]any
	if err := json.Unmarshal(data, &rc); err != nil {
		return fmt.Errorf("reading runtimeConfig.json: it is not valid JSON: %w", err)
	}
	str := func(k string) (string, bool) {
		v, ok := rc[k].(string)
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	found := 0
	for key, dst := range map[string]*string{
		"AWS_REGION": &into.Region, "USER_POOL_ID": &into.UserPoolID, "USER_POOL_CLIENT_ID": &into.AppClientID,
		"IDENTITY_POOL_ID": &into.IdentityPoolID, "DATA_BUCKET_NAME": &into.Bucket,
	} {
		if v, ok := str(key); ok {
			*dst = v
			found++
		}
	}
	if found == 0 {
		return fmt.Errorf("reading runtimeConfig.json: none of AWS_REGION, USER_POOL_ID, USER_POOL_CLIENT_ID, IDENTITY_POOL_ID, DATA_BUCKET_NAME is in it")
	}
	into.CredentialSource = SourceCognito
	return nil
}

// ConfigFromSettings is the sign-in configuration the settings describe;
// the client secret, if any, comes from the keychain separately.
func ConfigFromSettings(a settings.AWSSettings) Config {
	return Config{Region: a.Region, UserPoolID: a.UserPoolID, ClientID: a.AppClientID, IdentityPoolID: a.IdentityPoolID}
}
