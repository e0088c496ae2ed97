package appsvc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// TestRunForMetaAndBoth: the wizard's destinations reach the transform:
// both writes TikTok's files and meta-rows.tsv in one run, Meta alone only
// the rows file; the history names each run's destinations and the ad
// account.
func TestRunForMetaAndBoth(t *testing.T) {
	s, rec, _ := newService(t)
	set := s.Settings()
	set.Meta.AdAccount = "act_42"
	if _, err := s.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dests  []string
		tiktok bool
		want   string
	}{
		{[]string{"tiktok", "meta"}, true, "tiktok,meta"},
		{[]string{"meta"}, false, "meta"},
		{nil, true, "tiktok"},
	} {
		info, err := s.StartRun(RunRequest{Path: sample(t), Audience: "Both", Mappings: allMappings, Region: "US", Layout: "combined", Destinations: c.dests})
		if err != nil {
			t.Fatal(err)
		}
		d := rec.wait(t)
		if d.Status != jobs.StatusSucceeded {
			t.Fatalf("%v: %+v", c.dests, d)
		}
		metaFiles := d.Manifest.FilesFor(destination.Meta)
		tiktokFiles := d.Manifest.FilesFor(destination.TikTok)
		wantMeta := slices.Contains(c.dests, "meta")
		if (len(metaFiles) == 1) != wantMeta || (len(tiktokFiles) > 0) != c.tiktok {
			t.Fatalf("%v: files %+v", c.dests, d.Manifest.Files)
		}
		if wantMeta {
			b, err := os.ReadFile(filepath.Join(info.OutputDir, transform.MetaRowsName))
			if err != nil || d.Manifest.Meta == nil || int64(strings.Count(string(b), "\n")) != d.Manifest.Meta.RowsWritten || d.Manifest.Meta.RowsWritten == 0 {
				t.Fatalf("%v: meta rows %d lines, counters %+v (%v)", c.dests, strings.Count(string(b), "\n"), d.Manifest.Meta, err)
			}
		}
		j, err := s.store.Get(s.ctx, info.JobID)
		if err != nil || j.Destination != c.want || (wantMeta && j.AdAccount != "act_42") || j.RowsWritten == 0 {
			t.Fatalf("%v: history %+v (%v)", c.dests, j, err)
		}
	}
	if _, err := s.StartRun(RunRequest{Path: sample(t), Audience: "x", Mappings: allMappings, Destinations: []string{"snap"}}); err == nil || !strings.Contains(err.Error(), "Choose TikTok, Meta or both") {
		t.Fatalf("unknown destination: %v", err)
	}
}
