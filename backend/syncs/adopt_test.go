package syncs_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// wizardRun is what the app's wizard does before "Save as sync": transform
// the list into a folder, then upload that folder (over HTTP to the
// stand-in, through the same upload history the syncs use).
type wizardRun struct {
	mappings    []transform.Mapping
	layout      transform.Layout
	phoneFormat identifiers.PhoneFormat
}

func (e *env) wizard(w wizardRun, req upload.Request) (string, *upload.Result, error) {
	e.t.Helper()
	if w.mappings == nil {
		w.mappings = []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}
	}
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		e.t.Fatal(err)
	}
	out := filepath.Join(e.t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Mappings: w.mappings,
		Layout: w.layout, PhoneFormat: w.phoneFormat}); err != nil {
		e.t.Fatal(err)
	}
	conn, err := connectFunc(e.base, e.s.Token(), e.state)(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	req.ManifestPath, req.AdvertiserID = filepath.Join(out, transform.ManifestName), e.s.Advertiser()
	res, err := conn.Uploader.Run(context.Background(), req)
	return out, res, err
}

// uploads opens the upload history the wizard and the syncs share.
func (e *env) uploads() *upload.Store {
	st, err := upload.OpenStore(e.state)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// saveFor saves sync name feeding audience id (as Save as sync does).
func (e *env) saveFor(name, id string, mut func(*syncs.Definition)) {
	e.save(name, func(d *syncs.Definition) {
		d.AudienceID, d.AudienceName = id, ""
		if mut != nil {
			mut(d)
		}
	})
}

// After a wizard upload, Save as sync adopts it: the first run after a 1%
// change of the list sends only that change (APPEND, REMOVE), not the list.
func TestAdoptUploadThenRunSendsOnlyTheDifference(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 2000), nil)
	out, up, err := e.wizard(wizardRun{}, upload.Request{AudienceName: "CRM from the wizard"})
	if err != nil {
		t.Fatal(err)
	}
	id := up.Targets[0].AudienceID
	e.saveFor("crm", id, nil)

	a, err := e.svc.Adopt(context.Background(), "crm", out, e.uploads())
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if a.AudienceID != id || a.JobID != up.JobID || a.Rows != 2000 {
		t.Fatalf("adoption = %+v, want audience %s, job %s, 2000 rows", a, id, up.JobID)
	}
	sum, err := e.svc.Get("crm")
	if err != nil || sum.StateRows != 2000 || sum.LastRun == nil || sum.LastRun.Action != syncs.ActionAdopt || sum.LastRun.Added != 2000 {
		t.Fatalf("sync after adopt = %+v (last run %+v), %v", sum, sum.LastRun, err)
	}

	// 1% of the list changes: 5 people leave, 10 arrive, 5 change phone
	// (people who stay: only their new rows are appended).
	ids := append(span(5, 2000), span(2000, 2010)...)
	e.writeList(ids, map[int]int{100: 1, 200: 1, 300: 1, 400: 1, 500: 1})
	p, err := e.svc.Plan(context.Background(), "crm", nil)
	if err != nil || p.Action != syncs.ActionUpdate || p.Added != 10 || p.Removed != 5 || p.Changed != 5 || p.Unchanged != 1990 ||
		p.AppendRows != 15 || p.RemoveRows != 5 {
		t.Fatalf("plan after adopt = %+v, %v; want update +10 −5 people, 5 changed, 1990 unchanged (15 rows appended, 5 removed)", p, err)
	}
	before := len(e.s.Audiences()[0].History)
	r := e.run("crm")
	if r.Action != syncs.ActionUpdate || r.Added != 10 || r.Removed != 5 {
		t.Fatalf("run = %+v, want update +10 −5", r.Plan)
	}
	if h := e.s.Audiences()[0].History[before:]; strings.Join(h, ",") != "REMOVE,APPEND" {
		t.Fatalf("the run sent %v, want REMOVE then APPEND only", h)
	}
	if r.BytesUploaded*50 > r.FullBytes {
		t.Fatalf("the run sent %d bytes, more than 2%% of the whole list's %d", r.BytesUploaded, r.FullBytes)
	}
	e.checkMembers(id)
}

// An upload that cannot be taken as the sync's record is refused with a
// sentence, and the sync stays as it was: its first run replaces.
func TestAdoptRefusals(t *testing.T) {
	cases := []struct {
		name string
		// prepare uploads as the wizard would and returns the folder and
		// the audience the sync feeds.
		prepare func(e *env) (string, string)
		mut     func(*syncs.Definition)
		want    string
	}{
		{"upload unfinished", func(e *env) (string, string) {
			_, up, err := e.wizard(wizardRun{}, upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			id := up.Targets[0].AudienceID
			e.s.FailNext("update", 40001, 0) // the REPLACE is refused: the job stops
			out, _, err := e.wizard(wizardRun{}, upload.Request{AudienceID: id, Action: "REPLACE"})
			if err == nil {
				e.t.Fatal("the failing upload succeeded")
			}
			return out, id
		}, nil, "has not finished"},
		{"other audience", func(e *env) (string, string) {
			out, _, err := e.wizard(wizardRun{}, upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, e.s.AddAudience(e.s.Advertiser(), "Another", "MULTIPLE_TYPES")
		}, nil, "not the sync's audience"},
		{"other layout", func(e *env) (string, string) {
			out, up, err := e.wizard(wizardRun{mappings: []transform.Mapping{mustMap("email=email")}, layout: transform.LayoutCombined},
				upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.Targets[0].AudienceID
		}, func(d *syncs.Definition) { d.Mappings, d.Layout = []transform.Mapping{mustMap("email=email")}, "auto" }, "the combined layout (the sync's is separate)"},
		{"other phone format", func(e *env) (string, string) {
			out, up, err := e.wizard(wizardRun{phoneFormat: identifiers.PhoneE164}, upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.Targets[0].AudienceID
		}, nil, "phone format e164"},
		{"appended to an audience", func(e *env) (string, string) {
			id := e.s.AddAudience(e.s.Advertiser(), "Existing", "MULTIPLE_TYPES")
			out, _, err := e.wizard(wizardRun{}, upload.Request{AudienceID: id, Action: "APPEND"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, id
		}, nil, "held other people before"},
		{"changed since the upload", func(e *env) (string, string) {
			out, up, err := e.wizard(wizardRun{}, upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			id := up.Targets[0].AudienceID
			e.s.ChangeElsewhere(id, "REMOVE")
			return out, id
		}, nil, "changed since the upload"},
		{"same action made elsewhere", func(e *env) (string, string) {
			out, up, err := e.wizard(wizardRun{}, upload.Request{AudienceName: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			id := up.Targets[0].AudienceID
			e.s.ChangeElsewhere(id, "CREATE") // Ads Manager's entry with the upload's action
			return out, id
		}, nil, "made by web"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, standin.Options{})
			e.writeList(span(0, 1500), nil)
			out, id := c.prepare(e)
			e.saveFor("crm", id, c.mut)
			_, err := e.svc.Adopt(context.Background(), "crm", out, e.uploads())
			if !syncs.IsAdoptRefusal(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("adopt = %v, want a refusal saying %q", err, c.want)
			}
			if sum, err := e.svc.Get("crm"); err != nil || sum.StateRows != 0 || sum.LastRun != nil {
				t.Fatalf("a refused adoption changed the sync: %+v, %v", sum, err)
			}
			p, err := e.svc.Plan(context.Background(), "crm", nil)
			if err != nil || p.Action != syncs.ActionReplace || !strings.Contains(p.Reason, "no record") {
				t.Fatalf("plan after a refused adoption = %+v, %v; want the REPLACE of a sync without a record", p, err)
			}
		})
	}
}
