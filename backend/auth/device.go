package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/audience-uploader/audience-uploader/backend/auth/srp"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// Device is this computer as a user pool that tracks devices knows it: the
// key and group Cognito gave it, and the random password whose SRP verifier
// ConfirmDevice registered. Such pools bind refresh tokens to their device
// (a refresh without DEVICE_KEY is refused) and may let a remembered device
// stand in for the second factor, proved through DEVICE_SRP_AUTH.
type Device struct {
	Key      string `json:"key"`
	GroupKey string `json:"group_key"`
	Password string `json:"password"`
}

// deviceEntry is the keychain entry of the device a user signs in from,
// under the name they type (and the canonical one), as they type it next time.
func deviceEntry(clientID, username string) string {
	return "cognito." + clientID + ".device." + strings.ToLower(strings.TrimSpace(username))
}

func loadDevice(store secrets.Store, clientID, username string) *Device {
	if store == nil {
		return nil
	}
	v, err := store.Get(deviceEntry(clientID, username))
	if err != nil {
		return nil
	}
	var d Device
	if json.Unmarshal([]byte(v), &d) != nil || d.Key == "" || d.GroupKey == "" || d.Password == "" {
		return nil
	}
	return &d
}

func saveDevice(store secrets.Store, clientID string, d *Device, usernames ...string) error {
	b, _ := json.Marshal(d)
	for _, u := range usernames {
		if u == "" {
			continue
		}
		if err := store.Set(deviceEntry(clientID, u), string(b)); err != nil {
			return fmt.Errorf("remembering this computer in the keychain: %w", err)
		}
	}
	return nil
}

func forgetDevice(store secrets.Store, clientID string, usernames ...string) {
	for _, u := range usernames {
		if u != "" {
			_ = store.Delete(deviceEntry(clientID, u))
		}
	}
}

// confirmDevice registers a device Cognito just named (NewDeviceMetadata)
// with a fresh random password's verifier, asks for it to be remembered when
// the pool leaves that to the user and they chose remember-me (a store), and
// keeps it there.
func (s *SignIn) confirmDevice(ctx context.Context, t *Tokens, meta *types.NewDeviceMetadataType) error {
	d := &Device{Key: aws.ToString(meta.DeviceKey), GroupKey: aws.ToString(meta.DeviceGroupKey)}
	pw, salt := make([]byte, 40), make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	d.Password = base64.StdEncoding.EncodeToString(pw)
	saltInt := new(big.Int).SetBytes(salt)
	v := srp.Verifier(d.GroupKey, d.Key, d.Password, saltInt)
	out, err := s.c.idp.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
		AccessToken: aws.String(t.AccessToken), DeviceKey: aws.String(d.Key), DeviceName: aws.String(deviceName()),
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			PasswordVerifier: aws.String(padBase64(v)), Salt: aws.String(padBase64(saltInt)),
		},
	})
	if err != nil {
		return classify(err, s.c.now())
	}
	if out.UserConfirmationNecessary && s.devices != nil {
		if _, err := s.c.idp.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{
			AccessToken: aws.String(t.AccessToken), DeviceKey: aws.String(d.Key),
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered,
		}); err != nil {
			return classify(err, s.c.now())
		}
	}
	t.DeviceKey = d.Key
	if s.devices != nil {
		return saveDevice(s.devices, s.c.cfg.ClientID, d, s.typed, t.Username)
	}
	return nil
}

// answerDevice answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER, which
// need no person: the remembered device proves itself with its password.
func (s *SignIn) answerDevice(ctx context.Context, name types.ChallengeNameType, params map[string]string, session string) error {
	if s.device == nil {
		return &Error{Code: CodeService, Detail: "it asked for a remembered device this computer does not have"}
	}
	resp := map[string]string{"USERNAME": s.username, "DEVICE_KEY": s.device.Key}
	if h := s.c.secretHash(s.username); h != nil {
		resp["SECRET_HASH"] = *h
	}
	if name == types.ChallengeNameTypeDeviceSrpAuth {
		cl, err := srp.NewClient()
		if err != nil {
			return err
		}
		s.deviceSRP = cl
		resp["SRP_A"] = cl.PublicHex()
		return s.respond(ctx, name, session, resp)
	}
	salt, err1 := srp.ParseHex(params["SALT"])
	B, err2 := srp.ParseHex(params["SRP_B"])
	block, err3 := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if s.deviceSRP == nil || err1 != nil || err2 != nil || err3 != nil {
		return &Error{Code: CodeService, Detail: "its device challenge was malformed"}
	}
	key, err := s.deviceSRP.Key(s.device.GroupKey, s.device.Key, s.device.Password, salt, B)
	if err != nil {
		return &Error{Code: CodeService, Err: err}
	}
	ts := srp.Timestamp(s.c.now())
	resp["PASSWORD_CLAIM_SECRET_BLOCK"] = params["SECRET_BLOCK"]
	resp["PASSWORD_CLAIM_SIGNATURE"] = srp.Signature(key, s.device.GroupKey, s.device.Key, block, ts)
	resp["TIMESTAMP"] = ts
	err = s.respond(ctx, name, session, resp)
	if CodeOf(err) == CodeWrongCredentials {
		// The pool no longer accepts this device (forgotten by an admin, or
		// its password lost): forget it here too, so the next try signs in
		// as a new device with the second factor.
		if s.devices != nil {
			forgetDevice(s.devices, s.c.cfg.ClientID, s.typed, s.username)
		}
		return &Error{Code: CodeService, Detail: "this computer is no longer remembered, so sign in again", Err: err}
	}
	return err
}

// padBase64 is base64 of PAD(x)'s bytes, as DeviceSecretVerifierConfig wants.
func padBase64(x *big.Int) string {
	b, _ := hex.DecodeString(srp.PadHex(x))
	return base64.StdEncoding.EncodeToString(b)
}

// deviceName is how the device shows in the pool's device list.
func deviceName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return "Audience Uploader on " + h
	}
	return "Audience Uploader"
}
