package syncs

import (
	"sort"
	"strings"
	"testing"
)

func TestNaturalLessOrdersNamesAsPeopleDo(t *testing.T) {
	names := []string{"crm-1-10.csv", "crm-1-9.csv", "crm-2-1.csv", "crm-1-1.csv", "crm-10-1.csv", "crm-2026-11-08.csv", "crm-2026-11-01.csv", "crm-1-09b.csv"}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	want := "crm-1-1.csv crm-1-9.csv crm-1-09b.csv crm-1-10.csv crm-2-1.csv crm-10-1.csv crm-2026-11-01.csv crm-2026-11-08.csv"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
	if naturalLess("a", "a") || !naturalLess("a", "ab") || naturalLess("part-10", "part-9") {
		t.Fatal("basic cases")
	}
}
