package syncs_test

import (
	"strings"
	"testing"

	syncs "github.com/audience-uploader/audience-uploader/backend/sync"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// TikTok may list a run's last batch only after the run has committed: the
// next run recognises that entry as its own, not as a change made
// elsewhere (which would force a REPLACE).
func TestLateHistoryEntryIsTheSyncsOwn(t *testing.T) {
	for lag := 1; lag <= 4; lag++ {
		e := newEnv(t, standin.Options{})
		e.writeList(span(0, 1200), nil)
		e.save("crm", nil)
		r1 := e.run("crm")
		e.writeList(span(0, 1220), nil)
		e.s.LagNextHistory(lag) // the APPEND's entry stays out of the next answers
		if r2 := e.run("crm"); r2.Action != syncs.ActionUpdate {
			t.Fatalf("lag %d, generation 2: %+v", lag, r2.Plan)
		}
		e.writeList(span(0, 1240), nil)
		r3 := e.run("crm")
		if r3.Action != syncs.ActionUpdate || strings.Contains(r3.Reason, "outside") {
			t.Fatalf("lag %d, generation 3 took the late entry for someone else's: %+v", lag, r3.Plan)
		}
		e.checkMembers(r1.AudienceID)
		// A change made elsewhere is still seen as one.
		e.s.ChangeElsewhere(r1.AudienceID, "APPEND")
		e.writeList(span(0, 1250), nil)
		if r4 := e.run("crm"); r4.Action != syncs.ActionReplace || !strings.Contains(r4.Reason, "outside") {
			t.Fatalf("lag %d, a change elsewhere: %+v", lag, r4.Plan)
		}
	}
}
