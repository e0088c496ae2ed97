package synccmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/authcmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/synccmd"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// execute mirrors cli.Execute with a root holding only the sync command,
// reading inputs as backend/cli/commands does (local, s3://, cleanrooms://).
func execute(args ...string) (int, string, string) {
	root := &cobra.Command{Use: "audience-uploader", SilenceUsage: true, SilenceErrors: true}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cli.UsageError(err) })
	root.AddCommand(synccmd.Commands(inputs.NewResolver(authcmd.Openers()))...)
	root.SetArgs(args)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(&errb, "error: %s\n", err)
		code = 1
		if cli.IsUsage(err) {
			code = 2
		}
	}
	return code, out.String(), errb.String()
}

func writeList(t *testing.T, path string, from, to int) {
	var b strings.Builder
	b.WriteString("email,phone\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "user%05d@example.com,+1 415 200 %04d\n", i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSyncCommands(t *testing.T) {
	s := standin.New(standin.Options{MatchRate: 1})
	base := standintest.Start(t, s)
	data := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", data)
	t.Setenv("TIKTOK_API_BASE_URL", base)
	t.Setenv("TIKTOK_ACCESS_TOKEN", s.Token())
	list := filepath.Join(t.TempDir(), "crm.csv")
	writeList(t, list, 0, 1100)

	if code, _, errs := execute("sync", "save", "crm", "--input", list, "--audience", "CRM"); code != 2 || !strings.Contains(errs, "--map") {
		t.Fatalf("save without --map: %d %s", code, errs)
	}
	if code, _, errs := execute("sync", "save", "crm", "--input", list, "--map", "email=email", "--map", "phone=phone",
		"--audience", "CRM", "--advertiser-id", s.Advertiser()); code != 0 {
		t.Fatalf("save: %d %s", code, errs)
	}
	if code, _, errs := execute("sync", "run", "nope"); code != 2 || !strings.Contains(errs, "no such sync") {
		t.Fatalf("run of an unknown sync: %d %s", code, errs)
	}

	// Dry run: the plan, nothing uploaded.
	code, out, errs := execute("sync", "run", "crm", "--dry-run", "--json")
	var plan map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil || plan["action"] != "create" || plan["rows_now"] != 1100.0 || plan["dry_run"] != true {
		t.Fatalf("dry run: %d %s %s", code, out, errs)
	}
	if s.Stats().Uploads != 0 {
		t.Fatal("the dry run uploaded")
	}

	code, out, errs = execute("sync", "run", "crm", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["action"] != "create" || res["audience_id"] == "" || res["files_uploaded"] != 1.0 {
		t.Fatalf("run: %d %s %s", code, out, errs)
	}
	id := res["audience_id"].(string)

	writeList(t, list, 10, 1110)
	code, out, errs = execute("sync", "run", "crm")
	if code != 0 || !strings.Contains(out, "added 10, removed 10, unchanged 1090") || !strings.Contains(out, "action: update") {
		t.Fatalf("second run: %d %s %s", code, out, errs)
	}
	if n := len(s.Members(id)); n != 1100 || len(s.Audiences()) != 1 {
		t.Fatalf("%d members, %d audiences", n, len(s.Audiences()))
	}

	code, out, _ = execute("sync", "list", "--json")
	var syncsList []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &syncsList) != nil || len(syncsList) != 1 || syncsList[0]["audience_id"] != id {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ = execute("sync", "show", "crm"); code != 0 || !strings.Contains(out, "+10 −10") || !strings.Contains(out, "1100 rows") {
		t.Fatalf("show: %d %s", code, out)
	}

	// Another process holds the sync: the run says so and exits 1.
	fl := flock.New(filepath.Join(data, "syncs", "crm", "run.lock"))
	if ok, err := fl.TryLock(); !ok || err != nil {
		t.Fatal("cannot take the lock", err)
	}
	code, _, errs = execute("sync", "run", "crm")
	fl.Unlock()
	if code != 1 || !strings.Contains(errs, "already running") {
		t.Fatalf("run while held: %d %s", code, errs)
	}

	if code, _, _ = execute("sync", "run", "--all", "--json"); code != 0 {
		t.Fatalf("run --all: %d", code)
	}
	if code, _, _ = execute("sync", "delete", "crm"); code != 0 {
		t.Fatalf("delete: %d", code)
	}
	if _, err := os.Stat(filepath.Join(data, "syncs", "crm")); !os.IsNotExist(err) {
		t.Fatal("the sync's folder is still there")
	}
}
