package appsvc

import (
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/records/hostile"
)

// Every hostile file (backend/records/hostile: one or more per bound of the readers' limits files,
// the DECIMAL(18, 2000000000) column and 600 MB cell among them) ends cleanly in the app's
// discovery and in its run: with a sentence naming the file and what is wrong, or with the bad row
// counted and the good rows read. The app's process is this one, so it is still here to check.
func TestHostileFilesEndCleanlyInTheApp(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads files that unpack to 600 MB")
	}
	for _, hc := range hostile.Cases() {
		t.Run(hc.Name, func(t *testing.T) {
			path, err := hc.Write(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			s, rec, _ := newService(t)
			names := func(msg string) bool {
				return strings.Contains(strings.ToLower(msg), strings.ToLower(hc.Name)) && strings.Contains(msg, hc.Want)
			}
			fatal := hc.Want != "" && !hc.Counted

			sc, err := s.DiscoverInput(DiscoverRequest{Path: path, Region: "US"})
			switch {
			case fatal:
				if err == nil || !names(err.Error()) {
					t.Fatalf("discovery: %v; want a sentence naming %s and saying %q", err, hc.Name, hc.Want)
				}
			case err != nil:
				t.Fatalf("discovery: %v", err)
			case hc.Counted && (len(sc.Malformed) != 1 || !names(sc.Malformed[0].Error())):
				t.Fatalf("discovery's malformed rows %v; want the one bad row, saying %q", sc.Malformed, hc.Want)
			}

			_, err = s.StartRun(RunRequest{Path: path, Audience: "Hostile", Mappings: []Mapping{{"email", "email"}}, Region: "US", Layout: "combined"})
			if err != nil {
				if !fatal || !names(err.Error()) {
					t.Fatalf("starting the run: %v", err)
				}
				return
			}
			d := rec.wait(t)
			switch {
			case fatal:
				if d.Status != jobs.StatusFailed || !names(d.Error) {
					t.Fatalf("run ended %s (%q); want failed with a sentence naming %s and saying %q", d.Status, d.Error, hc.Name, hc.Want)
				}
			case d.Status != jobs.StatusSucceeded:
				t.Fatalf("run ended %s: %s", d.Status, d.Error)
			default:
				c := d.Manifest.Counters
				wantBad := int64(0)
				if hc.Counted {
					wantBad = 1
				}
				if c.RowsRead != int64(hc.GoodRows) || c.Malformed != wantBad {
					t.Fatalf("run read %d rows, %d malformed; want %d and %d", c.RowsRead, c.Malformed, hc.GoodRows, wantBad)
				}
				if hc.Counted && (len(c.MalformedErrors) != 1 || !names(c.MalformedErrors[0].Error())) {
					t.Fatalf("run's malformed rows %v; want the one bad row, saying %q", c.MalformedErrors, hc.Want)
				}
			}
		})
	}
}
