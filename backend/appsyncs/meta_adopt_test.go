package appsyncs_test

import (
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/appsyncs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
)

// assertMetaAdoption: until syncs.AdoptMeta is merged, Save as sync to Meta
// says the upload is not the sync's record and its first run replaces.
func assertMetaAdoption(t *testing.T, e *metaEnv, saved *appsyncs.Saved) {
	t.Helper()
	if saved.Adopted != nil || !strings.Contains(saved.NotAdopted, "REPLACE") {
		t.Fatalf("saved = %+v", saved)
	}
	p, err := e.svc.Plan(saved.Definition.Name)
	if err != nil || p.Action != syncs.ActionReplace {
		t.Fatalf("first plan = %+v, %v", p, err)
	}
}
