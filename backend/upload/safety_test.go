package upload_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// editManifest rewrites manifest.json through fn (as a hand edit, or a
// newer transform adding fields, would).
func editManifest(t *testing.T, path string, fn func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// setFile replaces file i of the manifest with content and makes the
// manifest agree (bytes, rows, MD5): a consistent hand edit.
func setFile(t *testing.T, manifest string, i int, content string, rows int) {
	t.Helper()
	editManifest(t, manifest, func(m map[string]any) {
		f := m["files"].([]any)[i].(map[string]any)
		if err := os.WriteFile(filepath.Join(filepath.Dir(manifest), f["path"].(string)), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum([]byte(content))
		f["md5"], f["bytes"], f["rows"] = hex.EncodeToString(sum[:]), len(content), rows
	})
}

// Item 9: the job is the transform run (run_id) and its files, not the
// folder's path: interrupted, moved, run again → same job, same audience,
// finished files not sent again.
func TestMovedFolderResumesTheSameJob(t *testing.T) {
	e := newEnv(t, standin.Options{})
	dir := filepath.Join(t.TempDir(), "out")
	fx := writeManifest(t, dir, "mv", "separate", []string{tiktok.EmailSHA256}, 60, 20)
	editManifest(t, fx.manifest, func(m map[string]any) { m["run_id"] = "run-7f3a" })
	ctx, cancel := context.WithCancel(context.Background())
	e.ev.hook = func(ev upload.Event) {
		if ev.Kind == upload.EventFileDone && e.ev.count(upload.EventFileDone) >= 25 {
			cancel()
		}
	}
	if _, err := e.u.Run(ctx, upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "moved"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run = %v, want canceled", err)
	}
	e.ev.hook = nil
	first := e.s.Stats().Uploads
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: filepath.Join(moved, "manifest.json"), AdvertiserID: e.adv, AudienceName: "moved"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Reused < 25 || res.Reused+res.Uploaded != 60 {
		t.Fatalf("result %+v, want the first job resumed", res)
	}
	// At most the 2 in-flight uploads of the cancelled run are sent twice.
	if total := e.s.Stats().Uploads; total > 62 {
		t.Fatalf("%d uploads for 60 files (%d before the move)", total, first)
	}
	checkExactlyOnce(t, e.s, "moved", fx.hashes)
	jobs, err := e.store.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || filepath.Dir(jobs[0].ManifestPath) != moved {
		t.Fatalf("jobs %+v %v: want one job, at the new place", jobs, err)
	}
}

// Item 10: a create TikTok refused leaves nothing to recover; an audience
// of that name made elsewhere afterwards is not taken for ours.
func TestRefusedCreateThenResumeDoesNotAdoptAnotherAudience(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "rf", "separate", []string{tiktok.EmailSHA256}, 3, 400)
	req := upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "refused"}
	e.s.FailNext("create", 40001, 0)
	if _, err := e.u.Run(context.Background(), req); !errors.Is(err, tiktok.ErrPermission) {
		t.Fatalf("first run = %v, want the permission error", err)
	}
	other := e.s.AddAudience(e.adv, "refused", tiktok.EmailSHA256)
	res, err := e.u.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Targets[0].AudienceID == other {
		t.Fatal("the resumed job adopted an audience made elsewhere and never sent its files to it")
	}
	for _, a := range e.s.Audiences() {
		switch a.ID {
		case other:
			if len(a.Delivered) != 0 {
				t.Fatalf("the other audience got %d hashes", len(a.Delivered))
			}
		case res.Targets[0].AudienceID:
			if len(a.Delivered) != len(fx.hashes) {
				t.Fatalf("our audience has %d hashes, want %d", len(a.Delivered), len(fx.hashes))
			}
		}
	}
}

// Item 10: a create whose answer is lost is found by what was not there
// before, even when TikTok reports create_time eight hours behind UTC.
func TestLostCreateFoundWithCreateTimeInUTCMinus8(t *testing.T) {
	e := newEnv(t, standin.Options{CreateTimeZone: time.FixedZone("UTC-8", -8*3600)})
	fx := writeManifest(t, t.TempDir(), "tz", "separate", []string{tiktok.EmailSHA256}, 3, 400)
	e.s.AddAudience(e.adv, "pacific", tiktok.EmailSHA256) // same name, there before: not ours
	e.s.DropNext("create")
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "pacific"})
	if err != nil {
		t.Fatal(err)
	}
	var ours []standin.AudienceInfo
	for _, a := range e.s.Audiences() {
		if a.Name == "pacific" && len(a.Delivered) > 0 {
			ours = append(ours, a)
		}
	}
	if len(e.s.Audiences()) != 2 || len(ours) != 1 || ours[0].ID != res.Targets[0].AudienceID || len(ours[0].Delivered) != len(fx.hashes) {
		t.Fatalf("%d audiences, %d with hashes: want the lost create found, not a second one made", len(e.s.Audiences()), len(ours))
	}
}

// Item 10: an audience another advertiser shared with this one is never
// updated, and never taken for the one an unclear create made.
func TestSharedAudienceIsNeverAdoptedOrUpdated(t *testing.T) {
	const owner = "7999999999999999999"
	t.Run("update", func(t *testing.T) {
		e := newEnv(t, standin.Options{})
		fx := writeManifest(t, t.TempDir(), "su", "separate", []string{tiktok.EmailSHA256}, 2, 600)
		id := e.s.ShareAudience(owner, "theirs", tiktok.EmailSHA256, e.adv)
		_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceID: id})
		if err == nil || !strings.Contains(err.Error(), "shared") {
			t.Fatalf("append to a shared audience = %v", err)
		}
		if n := e.s.Stats().Uploads; n != 0 {
			t.Fatalf("%d files uploaded for a refused job", n)
		}
	})
	t.Run("adopt", func(t *testing.T) {
		e := newEnv(t, standin.Options{})
		fx := writeManifest(t, t.TempDir(), "sa", "separate", []string{tiktok.EmailSHA256}, 2, 600)
		shared := e.s.ShareAudience(owner, "look-alike name", tiktok.EmailSHA256, e.adv)
		e.s.FailNext("create", 0, 502) // not processed, outcome unknown to us
		var later string
		e.ev.hook = func(ev upload.Event) {
			if ev.Kind == upload.EventRetry && later == "" {
				// One shared while we wait: new since the create, still not ours.
				later = e.s.ShareAudience(owner, "look-alike name", tiktok.EmailSHA256, e.adv)
			}
		}
		res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "look-alike name"})
		if err != nil {
			t.Fatal(err)
		}
		if later == "" {
			t.Fatal("no retry event: the unclear create was not exercised")
		}
		id := res.Targets[0].AudienceID
		if id == shared || id == later {
			t.Fatal("adopted an audience shared by another advertiser")
		}
		for _, a := range e.s.Audiences() {
			if a.ID == id && (a.Advertiser != e.adv || len(a.Delivered) != len(fx.hashes)) {
				t.Fatalf("our audience %+v", a)
			}
		}
	})
	t.Run("two candidates stop", func(t *testing.T) {
		e := newEnv(t, standin.Options{})
		fx := writeManifest(t, t.TempDir(), "s2", "separate", []string{tiktok.EmailSHA256}, 2, 600)
		e.s.DropNext("create")
		e.ev.hook = func(ev upload.Event) {
			if ev.Kind == upload.EventRetry {
				e.s.AddAudience(e.adv, "twice", tiktok.EmailSHA256)
			}
		}
		_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "twice"})
		if err == nil || !strings.Contains(err.Error(), "cannot be told which") {
			t.Fatalf("two new same-named audiences = %v, want a stop naming them", err)
		}
		if n := len(e.s.Audiences()); n != 2 {
			t.Fatalf("%d audiences, want the lost one and the other only", n)
		}
	})
}

// Item 11: the history entry of an earlier batch that shows up late does
// not pass for the next batch's, whose outcome was unknown.
func TestLateHistoryEntryDoesNotPassForTheNextBatch(t *testing.T) {
	e := newEnv(t, standin.Options{})
	ctx := context.Background()
	base := writeManifest(t, t.TempDir(), "lb", "separate", []string{tiktok.EmailSHA256}, 1, 1000)
	res, err := e.u.Run(ctx, upload.Request{ManifestPath: base.manifest, AdvertiserID: e.adv, AudienceName: "late"})
	if err != nil {
		t.Fatal(err)
	}
	more := writeManifest(t, t.TempDir(), "lm", "separate", []string{tiktok.EmailSHA256}, 51, 2) // two APPEND batches
	e.s.LagNextHistory(1)                                                                        // the first APPEND's entry misses the next get
	done := 0
	e.ev.hook = func(ev upload.Event) {
		if ev.Kind == upload.EventBatchDone {
			done++
		}
		if ev.Kind == upload.EventBatchDone && done == 1 {
			e.s.FailNext("update", 0, 502) // the second APPEND: not applied, outcome unknown
		}
	}
	if _, err := e.u.Run(ctx, upload.Request{ManifestPath: more.manifest, AdvertiserID: e.adv, AudienceID: res.Targets[0].AudienceID}); err != nil {
		t.Fatal(err)
	}
	if e.s.Stats().Faults != 1 {
		t.Fatalf("%d faults: the unclear update was not exercised", e.s.Stats().Faults)
	}
	a := checkExactlyOnce(t, e.s, "late", append(append([]string(nil), base.hashes...), more.hashes...))
	if got := strings.Join(a.History, ","); got != "CREATE,APPEND,APPEND" {
		t.Fatalf("history %s", got)
	}
}

// Item 12: nothing is sent unless every file is a regular file inside the
// manifest's folder whose every line is a hash row of its declared type and
// whose MD5 is the manifest's.
func TestFilesAreCheckedBeforeAnyByteGoesOut(t *testing.T) {
	rawEmail := "alice.unhashed@example.com"
	cases := []struct {
		name   string
		layout string
		edit   func(t *testing.T, dir, manifest string)
		want   string
	}{
		{"symlinked file", "separate", func(t *testing.T, dir, manifest string) {
			p := filepath.Join(dir, "email_sha256-00000.csv")
			outside := filepath.Join(t.TempDir(), "elsewhere.csv")
			b, _ := os.ReadFile(p)
			os.WriteFile(outside, b, 0o600)
			os.Remove(p)
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"symlinked folder", "separate", func(t *testing.T, dir, manifest string) {
			outside := t.TempDir()
			b, _ := os.ReadFile(filepath.Join(dir, "email_sha256-00000.csv"))
			os.WriteFile(filepath.Join(outside, "email_sha256-00000.csv"), b, 0o600)
			if err := os.Symlink(outside, filepath.Join(dir, "sub")); err != nil {
				t.Fatal(err)
			}
			editManifest(t, manifest, func(m map[string]any) { m["files"].([]any)[0].(map[string]any)["path"] = "sub/email_sha256-00000.csv" })
		}, "symlink"},
		{"path outside", "separate", func(t *testing.T, dir, manifest string) {
			editManifest(t, manifest, func(m map[string]any) { m["files"].([]any)[0].(map[string]any)["path"] = "../x.csv" })
		}, "inside the manifest's folder"},
		{"raw identifier", "separate", func(t *testing.T, dir, manifest string) {
			setFile(t, manifest, 0, sha("a")+"\n"+rawEmail+"\n"+sha("b")+"\n", 3)
		}, "line 2 is not a SHA-256 hash"},
		{"uppercase hash", "separate", func(t *testing.T, dir, manifest string) {
			setFile(t, manifest, 1, strings.ToUpper(sha("a"))+"\n", 1)
		}, "line 1"},
		{"raw in combined", "combined", func(t *testing.T, dir, manifest string) {
			setFile(t, manifest, 0, "Email_SHA256,Phone_SHA256\n"+sha("a")+","+rawEmail+"\n", 1)
		}, "line 2"},
		{"old header spelling", "combined", func(t *testing.T, dir, manifest string) {
			setFile(t, manifest, 0, "email_SHA256,phone_SHA256\n"+sha("a")+","+sha("b")+"\n", 1)
		}, "header"},
		{"header not the declared columns", "combined", func(t *testing.T, dir, manifest string) {
			editManifest(t, manifest, func(m map[string]any) {
				m["mappings"] = []any{map[string]any{"column": "e", "type": "email"}, map[string]any{"column": "p", "type": "phone"}}
			})
			setFile(t, manifest, 0, "Phone_SHA256,Email_SHA256\n"+sha("a")+","+sha("b")+"\n", 1)
		}, "the header is not Email_SHA256,Phone_SHA256"},
		{"MD5 differs", "separate", func(t *testing.T, dir, manifest string) {
			p := filepath.Join(dir, "email_sha256-00001.csv")
			b, _ := os.ReadFile(p)
			copy(b, sha("changed")) // same size, other (valid) hashes
			os.WriteFile(p, b, 0o600)
		}, "MD5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, standin.Options{})
			dir := t.TempDir()
			fx := writeManifest(t, dir, "chk", tc.layout, []string{tiktok.EmailSHA256}, 3, 5)
			tc.edit(t, dir, fx.manifest)
			_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "checked"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), rawEmail) {
				t.Fatal("the error quotes the raw identifier")
			}
			if n := e.s.Stats().Requests; n != 0 {
				t.Fatalf("%d requests reached TikTok", n)
			}
		})
	}
}

// Item 12: a file changed after the check is not sent, and TikTok's
// signature error never leads to hashing the changed file anew and sending
// it again.
func TestChangedFileIsNeverSent(t *testing.T) {
	t.Run("changed before its upload", func(t *testing.T) {
		e := newEnv(t, standin.Options{}, func(_ *tiktok.Config, u *upload.Config) { u.Concurrency = 1 })
		dir := t.TempDir()
		fx := writeManifest(t, dir, "cb", "separate", []string{tiktok.EmailSHA256}, 3, 5)
		swapped := sha("swapped in")
		e.ev.hook = func(ev upload.Event) {
			if ev.Kind == upload.EventFileStart && ev.FileIndex == 1 {
				p := filepath.Join(dir, "email_sha256-00001.csv")
				b, _ := os.ReadFile(p)
				copy(b, swapped)
				os.WriteFile(p, b, 0o600)
			}
		}
		_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "changed"})
		if err == nil || !strings.Contains(err.Error(), "email_sha256-00001.csv changed") {
			t.Fatalf("err = %v", err)
		}
		if e.s.Received()[swapped] != 0 {
			t.Fatal("the changed file reached TikTok")
		}
	})
	t.Run("signature error", func(t *testing.T) {
		s := standin.New(standin.Options{})
		c, err := tiktok.New(tiktok.Config{BaseURL: standintest.Start(t, s), AccessToken: s.Token(), QPS: 1000})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "email.csv")
		checked := sha("checked") + "\n"
		sum := md5.Sum([]byte(checked))
		// The file on disk is no longer the one whose MD5 was checked.
		os.WriteFile(p, []byte(sha("edited!")+"\n"), 0o600)
		_, err = c.UploadFile(context.Background(), tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: hex.EncodeToString(sum[:])})
		if err == nil || !strings.Contains(err.Error(), "changed") {
			t.Fatalf("err = %v, want the file named as changed", err)
		}
		if st := s.Stats(); st.Uploads != 0 || st.Requests != 1 {
			t.Fatalf("stats %+v: the changed file was hashed anew and sent again", st)
		}
	})
}

// TikTok keeps at most 500 files per audience: a run that would need more
// stops before sending anything and says what to do.
func TestMoreThan500FilesStopsBeforeSending(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "many", "separate", []string{tiktok.EmailSHA256}, 501, 1)
	_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "many"})
	if err == nil || !strings.Contains(err.Error(), "501") || !strings.Contains(err.Error(), "at most 500") || !strings.Contains(err.Error(), "--max-file-mb") {
		t.Fatalf("err = %v", err)
	}
	if n := e.s.Stats().Requests; n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

// Item 8: while a job runs, a second uploader on the same state database
// (another process in practice: the lock is the OS's) is refused and told
// who holds the job.
func TestSecondUploaderOnTheSameJobIsRefused(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "lk", "separate", []string{tiktok.EmailSHA256}, 3, 400)
	statePath := filepath.Join(t.TempDir(), "shared.db")
	open := func() *upload.Uploader {
		st, err := upload.OpenStore(statePath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		c, err := tiktok.New(tiktok.Config{BaseURL: e.base, AccessToken: e.s.Token(), QPS: 1000})
		if err != nil {
			t.Fatal(err)
		}
		u, err := upload.New(upload.Config{Client: c, Store: st, Sink: e.ev})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	first, second := open(), open()
	req := upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "locked"}
	var secondErr error
	tried := false
	e.ev.hook = func(ev upload.Event) {
		if ev.Kind == upload.EventFileStart && !tried {
			tried = true
			_, secondErr = second.Run(context.Background(), req)
		}
	}
	if _, err := first.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(secondErr, upload.ErrLocked) || !strings.Contains(secondErr.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second run = %v, want it refused naming this process", secondErr)
	}
	checkExactlyOnce(t, e.s, "locked", fx.hashes)
	// Once the first is done, the job is free again.
	e.ev.hook = nil
	if res, err := second.Run(context.Background(), req); err != nil || !res.AlreadyOK {
		t.Fatalf("after the first ended: %+v %v", res, err)
	}
}
