package standin

import "sort"

// people is an audience's membership: a row is one person's cells
// ("KEY=value"); rows that share any cell are one person.
type people struct {
	index map[string]*person
	all   map[*person]struct{}
}

type person struct{ cells map[string]struct{} }

func newPeople() *people {
	return &people{index: map[string]*person{}, all: map[*person]struct{}{}}
}

func (p *people) size() int { return len(p.all) }

// add makes cells one person, merging every member it shares a cell with.
func (p *people) add(cells []string) {
	var into *person
	for _, c := range cells {
		other := p.index[c]
		switch {
		case other == nil || other == into:
		case into == nil:
			into = other
		default:
			for oc := range other.cells {
				into.cells[oc] = struct{}{}
				p.index[oc] = into
			}
			delete(p.all, other)
		}
	}
	if into == nil {
		into = &person{cells: map[string]struct{}{}}
		p.all[into] = struct{}{}
	}
	for _, c := range cells {
		into.cells[c] = struct{}{}
		p.index[c] = into
	}
}

// matching returns the members that share a cell with cells.
func (p *people) matching(cells []string) []*person {
	var out []*person
	for _, c := range cells {
		if m := p.index[c]; m != nil && !contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func contains(ps []*person, p *person) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// remove takes out every member that shares a cell with cells.
func (p *people) remove(cells []string) {
	for _, m := range p.matching(cells) {
		for c := range m.cells {
			delete(p.index, c)
		}
		delete(p.all, m)
	}
}

// list returns each member's sorted cells, sorted.
func (p *people) list() [][]string {
	out := make([][]string, 0, len(p.all))
	for m := range p.all {
		cells := make([]string, 0, len(m.cells))
		for c := range m.cells {
			cells = append(cells, c)
		}
		sort.Strings(cells)
		out = append(out, cells)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
