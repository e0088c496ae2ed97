package appsvc

import (
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// throttle passes on at most one progress report per interval; flush sends
// the last held one so the final count always arrives.
type throttle struct {
	mu       sync.Mutex
	interval time.Duration
	emit     func(transform.Progress)
	last     time.Time
	pending  *transform.Progress
	now      func() time.Time
}

func newThrottle(interval time.Duration, emit func(transform.Progress)) *throttle {
	return &throttle{interval: interval, emit: emit, now: time.Now}
}

func (t *throttle) offer(p transform.Progress) {
	t.mu.Lock()
	now := t.now()
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		t.pending = &p
		t.mu.Unlock()
		return
	}
	t.last = now
	t.pending = nil
	t.mu.Unlock()
	t.emit(p)
}

func (t *throttle) flush() {
	t.mu.Lock()
	p := t.pending
	t.pending = nil
	t.mu.Unlock()
	if p != nil {
		t.emit(*p)
	}
}
