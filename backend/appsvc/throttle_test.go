package appsvc

import (
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/transform"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	var got []int64
	th := newThrottle(100*time.Millisecond, func(p transform.Progress) { got = append(got, p.Rows) })
	th.now = func() time.Time { return now }
	for i := int64(1); i <= 25; i++ { // 25 reports 20 ms apart = 0.5 s
		th.offer(transform.Progress{Rows: i})
		now = now.Add(20 * time.Millisecond)
	}
	th.flush()
	if len(got) > 7 {
		t.Fatalf("%d events for 0.5 s, want at most ~6: %v", len(got), got)
	}
	if got[len(got)-1] != 25 {
		t.Fatalf("last event %d, want the final count 25", got[len(got)-1])
	}
	th.flush()
	if got[len(got)-1] != 25 || len(got) > 7 {
		t.Fatalf("second flush re-sent: %v", got)
	}
}
