// Package standintest serves the TikTok stand-in for the length of a test.
package standintest

import (
	"context"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// Start serves s on a loopback port until the test ends and returns its base URL.
func Start(t testing.TB, s *standin.Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	base, done, err := s.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return base
}
