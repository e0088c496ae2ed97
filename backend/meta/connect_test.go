package meta

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

func TestConnectTakesAccountBaseURLAndTokenInOrder(t *testing.T) {
	t.Setenv(EnvToken, "")
	t.Setenv(EnvBaseURL, "")
	store := secrets.Memory()
	ctx := context.Background()

	if _, err := Connect(ctx, ConnectOptions{Secrets: store}); !errors.Is(err, ErrNoAdAccount) {
		t.Fatalf("no account: %v", err)
	}
	_, err := Connect(ctx, ConnectOptions{Settings: settings.MetaSettings{AdAccount: "act_12"}, Secrets: store})
	if !errors.Is(err, secrets.ErrNotFound) || !strings.Contains(err.Error(), "meta set-token --ad-account act_12") {
		t.Fatalf("no token: %v", err)
	}
	if err := SaveToken(store, "act_12", "  tok-12 \n"); err != nil {
		t.Fatal(err)
	}
	if err := SaveToken(store, "12", "tok"); err == nil {
		t.Fatal("an account without act_ was saved")
	}
	c, err := Connect(ctx, ConnectOptions{Settings: settings.MetaSettings{AdAccount: "act_12", BaseURL: "http://127.0.0.1:9/v25.0"}, Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	if c.AdAccount() != "act_12" || c.opts.Token != "tok-12" || c.base.String() != "http://127.0.0.1:9/v25.0/" {
		t.Fatalf("got %s %q %s", c.AdAccount(), c.opts.Token, c.base)
	}
	// The caller's account wins over the settings'; the environment wins
	// over the keychain and the settings' address.
	t.Setenv(EnvToken, "env-tok")
	t.Setenv(EnvBaseURL, "http://127.0.0.1:10/")
	c, err = Connect(ctx, ConnectOptions{Settings: settings.MetaSettings{AdAccount: "act_12"}, AdAccount: "act_34", Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	if c.AdAccount() != "act_34" || c.opts.Token != "env-tok" || c.base.String() != "http://127.0.0.1:10/" {
		t.Fatalf("got %s %q %s", c.AdAccount(), c.opts.Token, c.base)
	}
}

// Connect gives a client the caller's ceiling of requests per second, or
// DefaultQPS; a negative one is refused.
func TestConnectSetsTheRequestCeiling(t *testing.T) {
	t.Setenv(EnvToken, "env-tok")
	t.Setenv(EnvBaseURL, "http://127.0.0.1:10/")
	ctx := context.Background()
	for _, tc := range []struct{ asked, want float64 }{{0, DefaultQPS}, {0.5, 0.5}, {20, 20}} {
		c, err := Connect(ctx, ConnectOptions{AdAccount: "act_12", QPS: tc.asked})
		if err != nil {
			t.Fatal(err)
		}
		if c.QPS() != tc.want || c.limiter == nil || float64(c.limiter.Limit()) != tc.want || c.limiter.Burst() != 1 {
			t.Fatalf("asked %v: the client's ceiling is %v (limiter %v), want %v", tc.asked, c.QPS(), c.limiter, tc.want)
		}
	}
	if _, err := Connect(ctx, ConnectOptions{AdAccount: "act_12", QPS: -1}); err == nil {
		t.Fatal("a negative ceiling was taken")
	}
}
