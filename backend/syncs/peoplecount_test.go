package syncs_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// The plan's people count is exact for a list the people graph holds whole,
// and past that says it is an upper bound: here every two rows share a
// phone (one person each pair), which only a graph of all rows can see.
func TestPeopleNowSaysWhenItIsAnUpperBound(t *testing.T) {
	e := newEnv(t, standin.Options{})
	write := func(rows int) {
		var b strings.Builder
		b.WriteString("email,phone\n")
		for i := range rows {
			fmt.Fprintf(&b, "p%07d@example.com,+1 415 %03d %04d\n", i, 200+i/2/10000, i/2%10000)
		}
		if err := os.WriteFile(e.list, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.save("pairs", nil)
	for _, c := range []struct {
		rows, people int
		atMost       bool
	}{{2000, 1000, false}, {100_002, 100_002, true}} {
		write(c.rows)
		p, err := e.svc.Plan(context.Background(), "pairs", nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.PeopleNow != int64(c.people) || p.PeopleNowAtMost != c.atMost {
			t.Errorf("%d rows in pairs: people now %d (at most: %v), want %d (%v)", c.rows, p.PeopleNow, p.PeopleNowAtMost, c.people, c.atMost)
		}
	}
}
