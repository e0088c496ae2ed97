package appsyncs_test

import (
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
)

// assertMetaAdoption: Save as sync to Meta took the wizard's upload as the
// sync's record (syncs.AdoptMeta through the app's Meta journal), so the
// first plan of the unchanged list sends nothing.
func assertMetaAdoption(t *testing.T, e *metaEnv, saved *appsyncs.Saved) {
	t.Helper()
	if saved.Adopted == nil || saved.Adopted.Rows != 200 || saved.NotAdopted != "" {
		t.Fatalf("saved = %+v (adopted %+v)", saved, saved.Adopted)
	}
	p, err := e.svc.Plan(saved.Definition.Name)
	if err != nil || p.Action != syncs.ActionNone || p.Added != 0 || p.Removed != 0 {
		t.Fatalf("first plan of the unchanged list = %+v, %v", p, err)
	}
}
