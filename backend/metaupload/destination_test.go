package metaupload

import (
	"context"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
)

// TestDestinationSeam drives Meta only through destination.Destination:
// deliver (creating), status with size and words, list, rename, replace,
// delete.
func TestDestinationSeam(t *testing.T) {
	e := newEnv(t, standin.Options{})
	u, done := e.uploader()
	defer done()
	var d destination.Destination = &Destination{Client: u.cfg.Client, Uploader: u}
	ctx := context.Background()
	caps := d.Capabilities()
	if caps.Platform != destination.Meta || caps.MaxRowsPerRequest != 10000 || len(caps.Keys) != 14 {
		t.Fatalf("capabilities %+v", caps)
	}
	path, _, cells := emails(t, 1500, "seam")
	res, err := d.Deliver(ctx, destination.Delivery{JobID: "seam-1", AudienceName: "Seam", Action: destination.Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	if err != nil || res.Rows != 1500 {
		t.Fatalf("deliver %+v %v", res, err)
	}
	st, err := d.Status(ctx, res.AudienceID)
	if err != nil || st.SizeLower != 1500 || !st.Ready || st.Status != "ready for use" {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := d.Rename(ctx, res.AudienceID, "Seam 2"); err != nil {
		t.Fatal(err)
	}
	small, _, _ := emails(t, 10, "seam-small")
	if _, err := d.Deliver(ctx, destination.Delivery{JobID: "seam-2", AudienceID: res.AudienceID, Action: destination.Replace, Schema: []string{"EMAIL_SHA256"}, RowsPath: small}); err != nil {
		t.Fatal(err)
	}
	list, err := d.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "Seam 2" || list[0].SizeUpper != 10 || list[0].Status != "too small to be used yet" {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := d.Delete(ctx, res.AudienceID); err != nil {
		t.Fatal(err)
	}
	if list, _ := d.List(ctx); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
	_ = cells
}
