package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
)

// Audience is one audience of either platform as `status` and `audiences`
// print it (and --json gives it), read through the destination seam.
type Audience struct {
	Platform destination.Platform `json:"platform"`
	ID       string               `json:"audience_id"`
	Name     string               `json:"name"`
	// SizeLower and SizeUpper bound the matched people (Meta gives a
	// range, TikTok one number); -1 while the platform shows none.
	SizeLower int       `json:"size_lower"`
	SizeUpper int       `json:"size_upper"`
	Ready     bool      `json:"ready"`
	Status    string    `json:"status"` // in words
	Updated   time.Time `json:"updated,omitzero"`
}

// AudienceOf is a seam audience of platform p as printed.
func AudienceOf(p destination.Platform, a destination.Audience) Audience {
	return Audience{Platform: p, ID: a.ID, Name: a.Name, SizeLower: a.SizeLower, SizeUpper: a.SizeUpper, Ready: a.Ready, Status: a.Status, Updated: a.Updated}
}

// Size says the matched size in words.
func (a Audience) Size() string {
	switch {
	case a.SizeLower < 0 || a.SizeUpper < 0:
		return "size not available yet"
	case a.Platform == destination.TikTok:
		return fmt.Sprintf("%d matched users", a.SizeLower)
	case a.SizeLower == a.SizeUpper:
		return fmt.Sprintf("%d people", a.SizeLower)
	}
	return fmt.Sprintf("%d to %d people", a.SizeLower, a.SizeUpper)
}

// PrintAudience prints one audience on a line.
func PrintAudience(w io.Writer, a Audience) {
	state := "not ready"
	if a.Ready {
		state = "ready"
	}
	fmt.Fprintf(w, "Audience %s (%s): %s, %s; %s\n", a.ID, a.Name, state, a.Size(), a.Status)
}

// PrintAudiences prints audiences as a table.
func PrintAudiences(w io.Writer, list []Audience) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSIZE\tREADY\tSTATUS\tUPDATED")
	for _, a := range list {
		updated := ""
		if !a.Updated.IsZero() {
			updated = a.Updated.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\n", a.ID, a.Name, a.Size(), a.Ready, a.Status, updated)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d audience(s)\n", len(list))
}
