// Package standintest serves the Meta stand-in for the length of a test
// and gives it a clock the test moves.
package standintest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
)

// Start serves s on a loopback port until the test ends and returns its
// base URL with a version, as META_API_BASE_URL takes it.
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
	return base + "/v25.0/"
}

// Clock is a settable time for the stand-in's Options.Now; Sleep moves
// it, so a client's back-off takes no real time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep is a client's Sleep that advances the clock instead of waiting.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
