package syncs

import (
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// The upload's own entry is stamped while it ran, in whatever zone the
// advertiser's is; an API entry from another hour is someone else's.
func TestMadeByMatchesTheUploadsTime(t *testing.T) {
	start := time.Date(2026, 11, 9, 10, 0, 0, 0, time.UTC)
	job := &upload.Job{CreatedAt: start, UpdatedAt: start.Add(3 * time.Minute)}
	ny, _ := time.LoadLocation("America/New_York")
	kathmandu := time.FixedZone("NPT", 5*3600+45*60)
	for _, tc := range []struct {
		at     time.Time
		editor string
		want   string
	}{
		{start.Add(time.Minute), "api", ""},
		{start.Add(time.Minute).In(ny), "api", ""},
		{start.Add(2 * time.Minute).In(kathmandu), "api", ""},
		{start.Add(time.Minute), "web", "made by web"},
		{start.Add(40 * time.Minute), "api", "while the upload ran"},
		{start.Add(-20 * time.Minute), "api", "while the upload ran"},
	} {
		e := tiktok.History{Action: "CREATE", Editor: tc.editor, OptTime: tc.at.Format(tiktok.TimeLayout)}
		got := madeBy(e, job)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("entry at %s by %s: %q, want %q", e.OptTime, tc.editor, got, tc.want)
		}
	}
}
