package tiktok_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// TestWithLogKeepsEachCallersExchanges: two callers share one client at
// the same time, each with its own log in its context (as two upload jobs
// do); each log holds its own requests' ids and none of the other's.
func TestWithLogKeepsEachCallersExchanges(t *testing.T) {
	s := standin.New(standin.Options{})
	base := standintest.Start(t, s)
	var all logSink
	c := newClient(t, base, s.Token(), &all)
	logs := [2]logSink{}
	var wg sync.WaitGroup
	for i := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := tiktok.WithLog(context.Background(), logs[i].add)
			for range 5 {
				if _, err := c.ListAudiences(ctx, s.Advertiser()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range logs {
		got := logs[i].all()
		if len(got) != 5 {
			t.Fatalf("caller %d's log has %d entries, want its 5 requests", i, len(got))
		}
		for _, e := range got {
			if e.RequestID == "" {
				t.Fatalf("caller %d: an entry without a request id: %+v", i, e)
			}
			seen[e.RequestID]++
		}
	}
	if len(seen) != 10 || len(all.all()) != 10 {
		t.Fatalf("%d distinct request ids over both logs, %d in the client's own log; want 10 and 10", len(seen), len(all.all()))
	}
}

// TestConnect: the advertiser from the settings, the token saved for the
// settings' environment, and which step failed otherwise.
func TestConnect(t *testing.T) {
	s := standin.New(standin.Options{})
	base := standintest.Start(t, s)
	t.Setenv(tiktok.EnvAccessToken, "")
	t.Setenv(tiktok.EnvBaseURL, "")
	store := secrets.Memory()
	set := settings.TikTokSettings{Environment: "custom", BaseURL: base, AdvertiserID: s.Advertiser()}
	ctx := context.Background()

	if _, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: settings.TikTokSettings{Environment: "custom", BaseURL: base}, Secrets: store}); !errors.Is(err, tiktok.ErrNoAdvertiser) || tiktok.StepOf(err) != tiktok.StepAdvertiser {
		t.Fatalf("no advertiser: %v", err)
	}
	if _, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: set, Secrets: store}); tiktok.StepOf(err) != tiktok.StepToken {
		t.Fatalf("no token saved: %v", err)
	}
	if _, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: settings.TikTokSettings{Environment: "staging", AdvertiserID: "1"}, Secrets: store}); tiktok.StepOf(err) != tiktok.StepBaseURL {
		t.Fatalf("bad base URL: %v", err)
	}
	conn0, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: set, Secrets: store, AdvertiserID: "other"})
	if tiktok.StepOf(err) != tiktok.StepToken || conn0 != nil {
		t.Fatalf("the given advertiser is used over the settings': %v", err)
	}
	if err := tiktok.SaveToken(store, base, s.Advertiser(), s.Token()); err != nil {
		t.Fatal(err)
	}
	conn, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: set, Secrets: store})
	if err != nil || conn.AdvertiserID != s.Advertiser() {
		t.Fatalf("connect: %+v, %v", conn, err)
	}
	if _, err := conn.Client.ListAudiences(ctx, conn.AdvertiserID); err != nil {
		t.Fatal(err)
	}
}
