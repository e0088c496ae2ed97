package syncs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// deleteAudience deletes an audience over the API, as Ads Manager would.
func (e *env) deleteAudience(id string) {
	e.t.Helper()
	conn, err := connectFunc(e.base, e.s.Token(), e.state)(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := conn.Client.DeleteAudiences(context.Background(), e.s.Advertiser(), []string{id}); err != nil {
		e.t.Fatal(err)
	}
}

// The audience was deleted at TikTok: the run and the dry run say so and
// how to start over; saving again does not take the deleted id back;
// Recreate discards the unfinished run and the state, and the next run
// creates a new audience with the whole list.
func TestDeletedAudienceStartsOver(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	// An unfinished run into the audience, then the audience is deleted.
	if err := os.WriteFile(filepath.Join(e.dir, "crm", "pending.json"), []byte(`{"run_id":"x","steps":[],"new_state":{"audience_id":"`+r1.AudienceID+`","rows_file":"rows-x.bin"},"plan":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.deleteAudience(r1.AudienceID)

	ctx := context.Background()
	if _, err := e.svc.Plan(ctx, "crm", nil); !syncs.IsAudienceGone(err) || !strings.Contains(err.Error(), "no longer exists") || !strings.Contains(err.Error(), "sync run crm --recreate") {
		t.Fatalf("dry run: %v", err)
	}
	os.Remove(filepath.Join(e.dir, "crm", "pending.json"))
	if _, err := e.svc.Run(ctx, "crm", nil); !syncs.IsAudienceGone(err) {
		t.Fatalf("run: %v", err)
	}

	// Saving again with the same audience name does not re-attach the id.
	e.save("crm", nil)
	if sum, err := e.svc.Get("crm"); err != nil || sum.AudienceID == r1.AudienceID {
		t.Fatalf("saved again: %+v %v", sum, err)
	}
	if _, err := e.svc.Save(syncs.Definition{Name: "crm", Input: e.list, AudienceID: r1.AudienceID, Mappings: nil}); err == nil {
		t.Fatal("saved with no mappings")
	}
	if err := func() error {
		d, _ := e.svc.Get("crm")
		def := d.Definition
		def.AudienceName, def.AudienceID = "", r1.AudienceID
		_, err := e.svc.Save(def)
		return err
	}(); err == nil || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("saving the deleted id explicitly: %v", err)
	}
	r2 := e.run("crm")
	if r2.Action != syncs.ActionCreate || r2.AudienceID == r1.AudienceID || r2.RowsNow != 1200 {
		t.Fatalf("after saving again: %+v", r2.Plan)
	}
	e.checkMembers(r2.AudienceID)

	// Recreate: refused while the audience exists; after its deletion it
	// discards the state (and an unfinished run) and the next run creates.
	if _, err := e.svc.Recreate(ctx, "crm", ""); err == nil || !strings.Contains(err.Error(), "still exists") {
		t.Fatalf("recreate of a live audience: %v", err)
	}
	e.deleteAudience(r2.AudienceID)
	time.Sleep(time.Millisecond)
	os.WriteFile(filepath.Join(e.dir, "crm", "pending.json"), []byte(`{"run_id":"y","steps":[],"new_state":{"audience_id":"`+r2.AudienceID+`"},"plan":{}}`), 0o600)
	d, err := e.svc.Recreate(ctx, "crm", "")
	if err != nil || d.AudienceID != "" || d.AudienceName != "CRM crm" {
		t.Fatalf("recreate: %+v %v", d, err)
	}
	for _, f := range []string{"pending.json", "state.json"} {
		if _, err := os.Stat(filepath.Join(e.dir, "crm", f)); !os.IsNotExist(err) {
			t.Fatalf("%s kept after recreate", f)
		}
	}
	r3 := e.run("crm")
	if r3.Action != syncs.ActionCreate || r3.AudienceID == r2.AudienceID {
		t.Fatalf("after recreate: %+v", r3.Plan)
	}
	e.checkMembers(r3.AudienceID)
}
