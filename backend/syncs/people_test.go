package syncs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// TikTok may list a run's last batch only after the run has committed: the
// next run recognises that entry as its own, not as a change made
// elsewhere (which would force a REPLACE).
func TestLateHistoryEntryIsTheSyncsOwn(t *testing.T) {
	for lag := 1; lag <= 4; lag++ {
		e := newEnv(t, standin.Options{})
		e.writeList(span(0, 1200), nil)
		e.save("crm", nil)
		r1 := e.run("crm")
		e.writeList(span(0, 1220), nil)
		e.s.LagNextHistory(lag) // the APPEND's entry stays out of the next answers
		if r2 := e.run("crm"); r2.Action != syncs.ActionUpdate {
			t.Fatalf("lag %d, generation 2: %+v", lag, r2.Plan)
		}
		e.writeList(span(0, 1240), nil)
		r3 := e.run("crm")
		if r3.Action != syncs.ActionUpdate || strings.Contains(r3.Reason, "outside") {
			t.Fatalf("lag %d, generation 3 took the late entry for someone else's: %+v", lag, r3.Plan)
		}
		e.checkMembers(r1.AudienceID)
		// A change made elsewhere is still seen as one.
		e.s.ChangeElsewhere(r1.AudienceID, "APPEND")
		e.writeList(span(0, 1250), nil)
		if r4 := e.run("crm"); r4.Action != syncs.ActionReplace || !strings.Contains(r4.Reason, "outside") {
			t.Fatalf("lag %d, a change elsewhere: %+v", lag, r4.Plan)
		}
	}
}

// listModel is a customer list that changes the ways real ones do. Every
// identifier is new when it first appears and never comes back once its
// person left (a sync cannot know of links from rows it never saw).
type listModel struct {
	rnd    *rand.Rand
	next   int
	people [][]listRow // each person's rows
	phones bool        // the list has a phone column
}

type listRow struct{ email, phone string }

func (m *listModel) id(kind string) string {
	m.next++
	if kind == "email" {
		return fmt.Sprintf("p%06d@example.com", m.next)
	}
	return fmt.Sprintf("+1 415 %03d %04d", 200+m.next/10000%700, m.next%10000)
}

func (m *listModel) newPerson() []listRow {
	r := listRow{email: m.id("email")}
	if m.phones {
		r.phone = m.id("phone")
		switch m.rnd.IntN(10) {
		case 0: // a second phone: two rows
			return []listRow{r, {email: r.email, phone: m.id("phone")}}
		case 1: // no e-mail
			r.email = ""
		case 2: // no phone
			r.phone = ""
		}
	}
	return []listRow{r}
}

// step changes the list: people join and leave, phones and e-mails change,
// a person's second row leaves, a new row shares a current person's phone.
func (m *listModel) step() {
	n := len(m.people)
	for range m.rnd.IntN(n/25 + 1) { // leave (never below TikTok's floor)
		if len(m.people) > 1050 {
			i := m.rnd.IntN(len(m.people))
			m.people = append(m.people[:i], m.people[i+1:]...)
		}
	}
	for range m.rnd.IntN(n/25 + 1) {
		m.people = append(m.people, m.newPerson())
	}
	for range m.rnd.IntN(n/30 + 1) {
		p := m.people[m.rnd.IntN(len(m.people))]
		r := &p[m.rnd.IntN(len(p))]
		switch {
		case m.phones && m.rnd.IntN(2) == 0 && r.phone != "":
			r.phone = m.id("phone")
		case r.email != "":
			r.email = m.id("email")
		}
	}
	if !m.phones {
		return
	}
	for range m.rnd.IntN(4) { // one of a person's two rows leaves
		i := m.rnd.IntN(len(m.people))
		if len(m.people[i]) > 1 {
			m.people[i] = m.people[i][1:]
		}
	}
	for range m.rnd.IntN(4) { // a new row shares a current person's phone: the same person by the graph
		i := m.rnd.IntN(len(m.people))
		if ph := m.people[i][0].phone; ph != "" {
			m.people[i] = append(m.people[i], listRow{email: m.id("email"), phone: ph})
		}
	}
	for range m.rnd.IntN(3) { // a row gains an e-mail it did not have
		p := m.people[m.rnd.IntN(len(m.people))]
		if p[0].email == "" {
			p[0].email = m.id("email")
		}
	}
}

// write writes the list, some rows twice, in a random order.
func (m *listModel) write(path string) error {
	var lines []string
	for _, p := range m.people {
		for _, r := range p {
			l := r.email
			if m.phones {
				l += "," + r.phone
			}
			lines = append(lines, l)
			if m.rnd.IntN(20) == 0 {
				lines = append(lines, l)
			}
		}
	}
	m.rnd.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	head := "email"
	if m.phones {
		head = "email,phone"
	}
	return os.WriteFile(path, []byte(head+"\n"+strings.Join(lines, "\n")+"\n"), 0o600)
}

// listPeople is the list's people by the stand-in's user graph: its hashed
// rows, as a plain transform with the sync's settings writes them, each
// named by the user of its first identifier.
func (e *env) listPeople(mappings []transform.Mapping, layout transform.Layout) []string {
	e.t.Helper()
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		e.t.Fatal(err)
	}
	out := filepath.Join(e.t.TempDir(), "out")
	m, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Mappings: mappings, Layout: layout})
	if err != nil {
		e.t.Fatal(err)
	}
	var rows []string
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(out, f.Path))
		if err != nil {
			e.t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if f.CalculateType == "MULTIPLE_TYPES" {
			lines = lines[1:]
		}
		rows = append(rows, lines...)
	}
	return e.people(rows)
}

// Hundreds of generations of a changing list, in both layouts: after every
// run the audience's users are exactly the list's people, by the
// stand-in's user graph, and there is one audience.
func TestPropertyAudienceUsersAreTheListsPeople(t *testing.T) {
	gens := map[string]int{"combined": 160, "separate": 90}
	if testing.Short() {
		gens = map[string]int{"combined": 25, "separate": 15}
	}
	for _, layout := range []string{"combined", "separate"} {
		t.Run(layout, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			e := newEnv(t, standin.Options{})
			m := &listModel{rnd: rand.New(rand.NewPCG(seed, 17)), phones: layout == "combined"}
			for range 1100 {
				m.people = append(m.people, m.newPerson())
			}
			mappings := []transform.Mapping{mustMap("email=email")}
			if m.phones {
				mappings = append(mappings, mustMap("phone=phone"))
			}
			e.save("crm", func(d *syncs.Definition) { d.Mappings, d.Layout = mappings, layout })
			var id string
			actions := map[string]int{}
			for g := range gens[layout] {
				if g > 0 {
					m.step()
				}
				if err := m.write(e.list); err != nil {
					t.Fatal(err)
				}
				r, err := e.svc.Run(context.Background(), "crm", nil)
				if err != nil {
					t.Fatalf("generation %d (seed %d): %v", g, seed, err)
				}
				actions[r.Action]++
				if id == "" {
					id = r.AudienceID
				}
				if n := len(e.s.Audiences()); n != 1 || r.AudienceID != id {
					t.Fatalf("generation %d: %d audiences, run into %s, want 1 (%s)", g, n, r.AudienceID, id)
				}
				got, want := e.s.Members(id), e.listPeople(mappings, transform.Layout(layout))
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("generation %d (seed %d, %s: %s): the audience has %d users, the list %d people; missing %d, extra %d",
						g, seed, r.Action, r.Reason, len(got), len(want), len(minus(want, got)), len(minus(got, want)))
				}
				if r.PeopleNow != int64(len(want)) {
					t.Fatalf("generation %d: the plan counts %d people, the list has %d", g, r.PeopleNow, len(want))
				}
			}
			t.Logf("actions: %v", actions)
			if actions[syncs.ActionUpdate] < gens[layout]/2 {
				t.Fatalf("only %d of %d runs were updates: the generations test little of the diff", actions[syncs.ActionUpdate], gens[layout])
			}
		})
	}
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// killScenario: 1200 people; then 60 leave, 40 change phone and 50 join,
// so the second run sends a REMOVE and then an APPEND.
func killScenario(e *env) {
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	e.run("crm")
	changed := map[int]int{}
	for i := 100; i < 140; i++ {
		changed[i] = 1
	}
	e.writeList(span(60, 1250), changed)
}

// The second run is killed after each of its requests in turn (during the
// REMOVE, while the APPEND waits for TikTok to list it, during the APPEND,
// during the state commit); the next run finishes it: the same people,
// one audience, every batch applied once and every row delivered as often
// as by a run that was not killed.
func TestKillAtEveryPointThenRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	opts := standin.Options{ResponseDelay: 30 * time.Millisecond}
	ref := newEnv(t, opts)
	killScenario(ref)
	before := ref.s.Stats().Requests
	rr := ref.run("crm")
	requests := int(ref.s.Stats().Requests - before)
	want := ref.s.Audiences()[0]
	if h := strings.Join(want.History, ","); h != "CREATE,REMOVE,APPEND" || rr.Removed != 60 || rr.Added != 50 || rr.Changed != 40 {
		t.Fatalf("reference run: history %s, plan %+v", h, rr.Plan)
	}
	ref.checkMembers(rr.AudienceID)
	for k := 1; k <= requests+1; k++ {
		e := newEnv(t, opts)
		killScenario(e)
		before := e.s.Stats().Requests
		c := startChild(t, "1", e.dir, e.base, e.s.Token(), e.state, "crm")
		c.killWhen(t, func() bool { return int(e.s.Stats().Requests-before) >= k },
			func() string {
				return fmt.Sprintf("kill point %d: the run made only %d requests in a minute", k, e.s.Stats().Requests-before)
			},
			func() {
				if k > requests {
					time.Sleep(opts.ResponseDelay + 3*time.Millisecond) // the last answer arrives: the commit is under way
				}
			})
		r := e.run("crm")
		a := e.s.Audiences()
		if len(a) != 1 {
			t.Fatalf("kill point %d: %d audiences", k, len(a))
		}
		if h := strings.Join(a[0].History, ","); h != "CREATE,REMOVE,APPEND" {
			t.Fatalf("kill point %d of %d: history %s, want CREATE,REMOVE,APPEND (rerun: %s, %s)", k, requests, h, r.Action, r.Reason)
		}
		if len(a[0].Delivered) != len(want.Delivered) {
			t.Fatalf("kill point %d: %d hashes delivered, want %d", k, len(a[0].Delivered), len(want.Delivered))
		}
		for h, n := range want.Delivered {
			if a[0].Delivered[h] != n {
				t.Fatalf("kill point %d: a hash was delivered %d times, want %d", k, a[0].Delivered[h], n)
			}
		}
		e.checkMembers(a[0].ID)
		if _, err := os.Stat(filepath.Join(e.dir, "crm", "pending.json")); !os.IsNotExist(err) {
			t.Fatalf("kill point %d: a pending run is left", k)
		}
		// And the run after that has nothing to do.
		if r := e.run("crm"); r.Action != syncs.ActionNone {
			t.Fatalf("kill point %d: the run after the rerun: %+v", k, r.Plan)
		}
	}
	t.Logf("killed after each of %d requests, and once during the commit", requests)
}
