package syncs_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// metaWizardRun is what the wizard (or `upload --destination meta`) does
// before "Save as sync": transform the list for Meta into a folder, then
// send its meta-rows.tsv through metaupload into the shared journal.
type metaWizardRun struct {
	mappings   []transform.Mapping
	region     string
	name       string // a new audience
	audienceID string // or an existing one
	action     destination.Action
	ctx        context.Context
	schema     []string // sent instead of the rows file's (an older version's one-key schema)
}

func (e *metaEnv) wizard(w metaWizardRun) (string, destination.Result, error) {
	e.t.Helper()
	if w.mappings == nil {
		w.mappings = emailPhone
	}
	if w.ctx == nil {
		w.ctx = context.Background()
	}
	if w.action == "" {
		w.action = destination.Add
	}
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		e.t.Fatal(err)
	}
	out := filepath.Join(e.t.TempDir(), "out")
	if _, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Mappings: w.mappings,
		Region: w.region, Destinations: []destination.Platform{destination.Meta}}); err != nil {
		e.t.Fatal(err)
	}
	rows, err := metaupload.ReadRows(out)
	if err != nil {
		e.t.Fatal(err)
	}
	mc, err := e.connectMeta(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if w.schema == nil {
		w.schema = rows.Schema
	}
	res, err := mc.Destination.Deliver(w.ctx, destination.Delivery{JobID: metaupload.JobID(rows, mc.AdAccount, w.action, w.name, w.audienceID),
		AudienceID: w.audienceID, AudienceName: w.name, Action: w.action, Schema: w.schema, RowsPath: rows.Path})
	return out, res, err
}

// uploads opens the Meta upload journal the wizard and the syncs share.
func (e *metaEnv) uploads() *metaupload.Store {
	st, err := metaupload.OpenStore(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

func (e *metaEnv) saveFor(name, id string, mut func(*syncs.Definition)) {
	e.save(name, func(d *syncs.Definition) {
		d.AudienceID, d.AudienceName = id, ""
		if mut != nil {
			mut(d)
		}
	})
}

// stranger is a user another tool put into an audience.
var stranger = meta.Batch{Schema: []string{"EMAIL", "PHONE"}, Rows: [][]string{{strings.Repeat("ab", 32), ""}}}

// After a wizard upload to Meta (a new audience, or a REPLACE of an
// existing one), Save as sync adopts it: the state is the one the sync's
// own first run would have written, and the first run after a 1% change
// sends only that change (REMOVE, then ADD), not the list.
func TestAdoptMetaUploadThenRunSendsOnlyTheDifference(t *testing.T) {
	for _, how := range []string{"create", "replace"} {
		t.Run(how, func(t *testing.T) {
			e := newMetaEnv(t, metastandin.Options{})
			e.writeList(span(0, 2000), nil)
			w := metaWizardRun{name: "CRM from the wizard"}
			if how == "replace" {
				c, err := e.client()
				if err != nil {
					t.Fatal(err)
				}
				id, err := c.CreateAudience(context.Background(), "Existing", "")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.AddUsers(context.Background(), id, stranger); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Hour)
				w = metaWizardRun{audienceID: id, action: destination.Replace}
			}
			out, up, err := e.wizard(w)
			if err != nil {
				t.Fatal(err)
			}
			id := up.AudienceID
			e.saveFor("crm", id, nil)
			e.clock.Advance(time.Minute)
			a, err := e.svc.AdoptMeta(context.Background(), "crm", out, e.uploads())
			if err != nil {
				t.Fatalf("adopt: %v", err)
			}
			if a.AudienceID != id || !strings.HasPrefix(a.JobID, "meta-") || a.Rows != 2000 {
				t.Fatalf("adoption = %+v, want audience %s, the wizard's job, 2000 rows", a, id)
			}
			sum, err := e.svc.Get("crm")
			if err != nil || sum.StateRows != 2000 || sum.LastRun == nil || sum.LastRun.Action != syncs.ActionAdopt || sum.LastRun.Added != 2000 {
				t.Fatalf("sync after adopt = %+v (last run %+v), %v", sum, sum.LastRun, err)
			}
			// The sync's own first run of the same list writes the same record.
			e.save("own", nil)
			e.run("own")
			adopted, err := syncs.StateDigest(e.svc, "crm")
			if err != nil {
				t.Fatal(err)
			}
			if own, err := syncs.StateDigest(e.svc, "own"); err != nil || own != adopted {
				t.Fatalf("the adopted state is %s, a first run's %s (%v)", adopted, own, err)
			}
			e.takeEdges()

			// 1% of the list changes: 5 people leave, 10 arrive, 5 change phone.
			e.clock.Advance(time.Hour)
			e.writeList(append(span(5, 2000), span(2000, 2010)...), map[int]int{100: 1, 200: 1, 300: 1, 400: 1, 500: 1})
			cellsBefore := e.s.ReceivedCells()
			r := e.run("crm")
			if r.Action != syncs.ActionUpdate || r.Added != 10 || r.Removed != 5 || r.Changed != 5 || r.AppendRows != 15 || r.RemoveRows != 5 {
				t.Fatalf("run after adopt = %+v, want update +10 −5 people, 5 changed (15 rows added, 5 removed)", r.Plan)
			}
			if got := e.takeEdges(); got != "DELETE users, POST users" {
				t.Fatalf("the run after adopt sent %s, want one REMOVE, then one ADD", got)
			}
			if got := e.s.ReceivedCells() - cellsBefore; got != 25 {
				// 10 new people (e-mail and phone) and 5 new phones.
				t.Fatalf("the run after adopt added %d cells, want 25", got)
			}
			if n := e.checkPeople(id, emailPhone); n != 2005 {
				t.Fatalf("after the run: %d users, want 2005", n)
			}
		})
	}
}

// An upload that cannot be taken as a Meta sync's record is refused with
// a sentence, and the sync stays as it was: its first run replaces.
func TestAdoptMetaRefusals(t *testing.T) {
	cases := []struct {
		name string
		// prepare uploads as the wizard would and returns the folder and
		// the audience the sync feeds.
		prepare func(e *metaEnv) (string, string)
		mut     func(*syncs.Definition)
		want    string
		pending bool // the sync is not as a refused adoption leaves it (an interrupted run; a deleted audience its plan names)
	}{
		{"appended to an audience", func(e *metaEnv) (string, string) {
			c, err := e.client()
			if err != nil {
				e.t.Fatal(err)
			}
			id, err := c.CreateAudience(context.Background(), "Existing", "")
			if err != nil {
				e.t.Fatal(err)
			}
			out, _, err := e.wizard(metaWizardRun{audienceID: id, action: destination.Add})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, id
		}, nil, "held other people before", false},
		{"other audience", func(e *metaEnv) (string, string) {
			out, _, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, e.s.AddAudience(e.s.AdAccount(), "Another")
		}, nil, "not the sync's audience", false},
		{"other identifier types", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM", mappings: []transform.Mapping{mustMap("email=email")}})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, nil, "the identifier types email (the sync maps email, phone)", false},
		{"other region", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM", region: "GB"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, nil, "default region GB (the sync's is US)", false},
		{"one-key schema", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM", mappings: []transform.Mapping{mustMap("email=email")}, schema: []string{"EMAIL_SHA256"}})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, func(d *syncs.Definition) { d.Mappings = []transform.Mapping{mustMap("email=email")} }, "in the schema EMAIL_SHA256, and this sync sends EMAIL", false},
		{"files changed", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(out, transform.MetaRowsName), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				e.t.Fatal(err)
			}
			f.WriteString(strings.Repeat("cd", 32) + "\t\n")
			f.Close()
			return out, up.AudienceID
		}, nil, "the folder changed since the transform", false},
		{"changed since the upload", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			e.clock.Advance(time.Hour)
			c, err := e.client()
			if err != nil {
				e.t.Fatal(err)
			}
			if _, err := c.AddUsers(context.Background(), up.AudienceID, stranger); err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, nil, "it changed since the upload", false},
		{"another upload in the same second", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			e.writeList(span(1500, 1600), nil)
			if _, _, err := e.wizard(metaWizardRun{audienceID: up.AudienceID, action: destination.Add}); err != nil {
				e.t.Fatal(err)
			}
			e.writeList(span(0, 1500), nil)
			return out, up.AudienceID
		}, nil, "shows another upload", false},
		{"upload interrupted", func(e *metaEnv) (string, string) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e.mu.Lock()
			e.stop, e.after = cancel, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/users") }
			e.mu.Unlock()
			out, _, err := e.wizard(metaWizardRun{name: "CRM", ctx: ctx})
			e.mu.Lock()
			e.after = nil
			e.mu.Unlock()
			if err == nil {
				e.t.Fatal("the interrupted upload finished")
			}
			ids := e.s.AudienceIDs(e.s.AdAccount(), "CRM")
			if len(ids) != 1 {
				e.t.Fatalf("%d audiences named CRM", len(ids))
			}
			return out, ids[0]
		}, nil, "has not finished", false},
		{"sync's run interrupted", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			// The sync's first run (a REPLACE, having no record) is killed.
			e.saveFor("crm", up.AudienceID, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e.mu.Lock()
			e.stop, e.after = cancel, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/usersreplace") }
			e.mu.Unlock()
			_, err = e.svc.Run(ctx, "crm", nil)
			e.mu.Lock()
			e.after = nil
			e.mu.Unlock()
			if err == nil {
				e.t.Fatal("the interrupted run finished")
			}
			return out, up.AudienceID
		}, nil, "has an interrupted run", true},
		{"audience deleted", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			c, err := e.client()
			if err != nil {
				e.t.Fatal(err)
			}
			if err := c.DeleteAudience(context.Background(), up.AudienceID); err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, nil, "no longer exists on Meta", true},
		{"sync to TikTok", func(e *metaEnv) (string, string) {
			out, up, err := e.wizard(metaWizardRun{name: "CRM"})
			if err != nil {
				e.t.Fatal(err)
			}
			return out, up.AudienceID
		}, func(d *syncs.Definition) { d.Destination = destination.TikTok }, "feeds TikTok, and the upload went to Meta", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newMetaEnv(t, metastandin.Options{})
			e.writeList(span(0, 1500), nil)
			out, id := c.prepare(e)
			if c.name != "sync's run interrupted" {
				e.saveFor("crm", id, c.mut)
			}
			_, err := e.svc.AdoptMeta(context.Background(), "crm", out, e.uploads())
			if !syncs.IsAdoptRefusal(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("adopt = %v, want a refusal saying %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "replaces") && !strings.Contains(err.Error(), "not the sync's") && !strings.Contains(err.Error(), "interrupted run") &&
				!strings.Contains(err.Error(), "has not finished") {
				t.Fatalf("the refusal %q does not say what happens next", err)
			}
			if c.pending {
				return
			}
			if sum, err := e.svc.Get("crm"); err != nil || sum.StateRows != 0 || sum.LastRun != nil {
				t.Fatalf("a refused adoption changed the sync: %+v, %v", sum, err)
			}
			if c.name == "sync to TikTok" {
				return // its plan would connect to TikTok
			}
			p, err := e.svc.Plan(context.Background(), "crm", nil)
			if err != nil || p.Action != syncs.ActionReplace || !strings.Contains(p.Reason, "no record") {
				t.Fatalf("plan after a refused adoption = %+v, %v; want the REPLACE of a sync without a record", p, err)
			}
		})
	}
}
