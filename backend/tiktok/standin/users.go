package standin

import (
	"sort"
	"strings"
)

// userGraph is the stand-in's idea of TikTok's users: identifiers that
// appeared together in any row ever uploaded (by any advertiser), or that a
// test linked, belong to one user. It is a union-find over identifiers; a
// user is named by its smallest identifier. Caller holds Server.mu.
type userGraph struct {
	ids    map[string]int32 // identifier -> node
	names  []string         // node -> identifier
	parent []int32
	min    []string // root -> the user's smallest identifier (its name)
	// onMerge is told when two users become one (loser's root into winner's).
	onMerge func(winner, loser int32)
}

func newUserGraph() *userGraph { return &userGraph{ids: map[string]int32{}} }

// node returns the identifier's node, adding it as a user of its own.
func (g *userGraph) node(id string) int32 {
	if n, ok := g.ids[id]; ok {
		return n
	}
	n := int32(len(g.parent))
	g.ids[id] = n
	g.names = append(g.names, id)
	g.parent = append(g.parent, n)
	g.min = append(g.min, id)
	return n
}

func (g *userGraph) root(n int32) int32 {
	for g.parent[n] != n {
		g.parent[n] = g.parent[g.parent[n]]
		n = g.parent[n]
	}
	return n
}

// link makes the identifiers one user and returns its root.
func (g *userGraph) link(ids ...string) int32 {
	if len(ids) == 0 {
		return -1
	}
	r := g.root(g.node(ids[0]))
	for _, id := range ids[1:] {
		o := g.root(g.node(id))
		if o == r {
			continue
		}
		if o < r { // keep the older root: stable names in the members' maps
			r, o = o, r
		}
		g.parent[o] = r
		if g.min[o] < g.min[r] {
			g.min[r] = g.min[o]
		}
		if g.onMerge != nil {
			g.onMerge(r, o)
		}
	}
	return r
}

// userOf returns the root of a known identifier's user, or -1.
func (g *userGraph) userOf(id string) int32 {
	n, ok := g.ids[id]
	if !ok {
		return -1
	}
	return g.root(n)
}

// rowNodes returns the nodes of a row's identifiers (fields split by ',',
// empty fields skipped), linking them into one user.
func (g *userGraph) rowNodes(row string) []int32 {
	var ids []string
	for _, f := range strings.Split(row, ",") {
		if f != "" {
			ids = append(ids, f)
		}
	}
	g.link(ids...)
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = g.node(id)
	}
	return out
}

// Link makes the identifiers (hex hashes) one user, as TikTok knows that
// one person has them all though no uploaded row says so.
func (s *Server) Link(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users.link(ids...)
}

// UserOf names the user an identifier belongs to (the user's smallest
// identifier), or "" if the identifier was never uploaded nor linked.
func (s *Server) UserOf(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.users.userOf(id)
	if r < 0 {
		return ""
	}
	return s.users.min[r]
}

// UserIdentifiers returns every identifier of the user that holds id, sorted.
func (s *Server) UserIdentifiers(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.users.userOf(id)
	if r < 0 {
		return nil
	}
	var out []string
	for n := range s.users.parent {
		if s.users.root(int32(n)) == r {
			out = append(out, s.users.names[n])
		}
	}
	sort.Strings(out)
	return out
}

// mergeMembers keeps every audience's members right when two users become
// one: the merged user is a member wherever either was.
func (s *Server) mergeMembers(winner, loser int32) {
	for _, a := range s.audiences {
		if a.users == nil {
			continue
		}
		if _, ok := a.users[loser]; ok {
			delete(a.users, loser)
			a.users[winner] = struct{}{}
		}
	}
}

// matched returns the users a file's rows match: every user any identifier
// of any row belongs to.
func (s *Server) matched(files []*file) map[int32]struct{} {
	out := map[int32]struct{}{}
	for _, f := range files {
		for _, row := range f.userRows {
			for _, n := range row {
				out[s.users.root(n)] = struct{}{}
			}
		}
	}
	return out
}
