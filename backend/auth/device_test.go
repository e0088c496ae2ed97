package auth

import (
	"context"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// TestDeviceTracking signs in against pools that track devices: the first
// sign-in confirms this computer as a device, refresh tokens work only with
// its key, a remembered device replaces the authenticator code next time, a
// sign-in without remember-me is a device of its own that is not kept, and
// a device the pool no longer accepts is forgotten here too.
func TestDeviceTracking(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	ctx := context.Background()
	for _, tracking := range []string{cognitostandin.DevicesAlways, cognitostandin.DevicesOptIn} {
		t.Run(tracking, func(t *testing.T) {
			bob := cognitostandin.User{Username: "bob-id", Email: "bob@example.com", Password: goodPassword, TOTPSecret: secret}
			e := newEnvWith(t, func(c *cognitostandin.Config) { c.DeviceTracking = tracking }, bob)
			c := e.client(t, func(c *Config) { c.ClientID, c.ClientSecret = secretClient, clientSecret })
			store := secrets.Memory()
			signIn := func(devices secrets.Store, wantCode bool) *Tokens {
				t.Helper()
				s, err := c.StartSignIn(ctx, "Bob@Example.com", goodPassword, devices)
				if err != nil {
					t.Fatal(err)
				}
				if asked := s.Challenge() != nil && s.Challenge().Name == ChallengeTOTP; asked != wantCode {
					t.Fatalf("authenticator code asked: %v, want %v (challenge %+v)", asked, wantCode, s.Challenge())
				}
				if wantCode {
					if err := s.Answer(ctx, Answer{Code: totp(t, secret, e.clock.Now())}); err != nil {
						t.Fatal(err)
					}
				}
				if !s.Done() || s.Tokens().DeviceKey == "" {
					t.Fatalf("signed in: %v, device %q", s.Done(), s.Tokens().DeviceKey)
				}
				return s.Tokens()
			}

			// First sign-in with remember-me: the code, then a confirmed, remembered device.
			first := signIn(store, true)
			if all, remembered := e.std.Devices("bob-id"); all != 1 || remembered != 1 {
				t.Fatalf("devices after the first sign-in: %d, remembered %d", all, remembered)
			}
			if _, err := c.NewSession(first, store); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Resume(ctx, store); err != nil {
				t.Fatalf("refresh with the device key: %v", err)
			}

			// Next time the remembered device stands in for the code, and keeps its key.
			second := signIn(store, false)
			if second.DeviceKey != first.DeviceKey {
				t.Fatalf("device key changed: %s then %s", first.DeviceKey, second.DeviceKey)
			}
			if all, _ := e.std.Devices("bob-id"); all != 1 {
				t.Fatalf("a remembered sign-in made a new device: %d devices", all)
			}

			// Without remember-me: the code is asked, the device is new and
			// kept nowhere but in the session, whose refresh still works.
			third := signIn(nil, true)
			if third.DeviceKey == first.DeviceKey {
				t.Fatal("a sign-in without remember-me offered the remembered device")
			}
			wantRemembered := 1
			if tracking == cognitostandin.DevicesAlways {
				wantRemembered = 2 // the pool remembers every device by itself
			}
			if all, remembered := e.std.Devices("bob-id"); all != 2 || remembered != wantRemembered {
				t.Fatalf("devices: %d, remembered %d; want 2, %d", all, remembered, wantRemembered)
			}
			memSession, err := c.NewSession(third, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := memSession.Refresh(ctx); err != nil {
				t.Fatalf("refresh of a session not remembered: %v", err)
			}

			// The pool binds refresh tokens to their device: without the key they fail.
			store.Delete(sessionDeviceKey(secretClient))
			if _, err := c.Resume(ctx, store); CodeOf(err) != CodeSessionExpired {
				t.Fatalf("refresh without the device key: %v", err)
			}

			// A device the pool refuses (here: its password lost) is forgotten,
			// and the next sign-in asks for the code again.
			d := loadDevice(store, secretClient, "bob@example.com")
			d.Password = "not-the-device-password"
			if err := saveDevice(store, secretClient, d, "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.StartSignIn(ctx, "bob@example.com", goodPassword, store); err == nil || CodeOf(err) != CodeService {
				t.Fatalf("sign-in with a refused device: %v", err)
			}
			if loadDevice(store, secretClient, "bob@example.com") != nil {
				t.Fatal("the refused device is still remembered")
			}
			signIn(store, true)
		})
	}
}
