package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusesNonLoopbackAndBadCatalog: the stand-in listens on loopback
// only and names what is wrong with its catalog.
func TestRefusesNonLoopbackAndBadCatalog(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"memberships": [], "querys": []}`), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0", "--catalog", bad}, "is not a loopback address"},
		{[]string{"--addr", "127.0.0.1:0"}, "--catalog is required"},
		{[]string{"--catalog", filepath.Join(dir, "missing.json")}, "reading the catalog"},
		{[]string{"--catalog", bad}, `unknown field "querys"`},
	}
	for _, tc := range cases {
		if err := run(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
