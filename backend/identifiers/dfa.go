package identifiers

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// digitDFA decides whole-string membership in a regular language over the
// ASCII digits. libphonenumber's national-number patterns are matched
// anchored at both ends ("^(?:P)$"), so only membership matters, and a DFA
// built from the same pattern answers exactly what regexp would, ~20x faster.
type digitDFA struct {
	next   [][10]int32 // -1: dead
	accept []bool
}

const maxDFAStates = 4096

// buildDigitDFA compiles pattern with the same parser regexp uses and runs
// the subset construction. It returns nil when the pattern uses something the
// construction does not model (assertions) or the DFA would be too large; the
// caller then uses regexp.
func buildDigitDFA(pattern string) *digitDFA {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	d := &digitDFA{}
	index := map[string]int32{}
	var queue [][]uint32

	// closure expands pcs over empty transitions; ok is false on an
	// instruction the construction does not model.
	closure := func(start []uint32) (set []uint32, ok bool) {
		seen := map[uint32]bool{}
		stack := slices.Clone(start)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[pc] {
				continue
			}
			seen[pc] = true
			inst := &prog.Inst[pc]
			switch inst.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, inst.Out, inst.Arg)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, inst.Out)
			case syntax.InstMatch, syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				set = append(set, pc)
			case syntax.InstFail:
			default:
				return nil, false
			}
		}
		slices.Sort(set)
		return set, true
	}
	key := func(set []uint32) string {
		var b strings.Builder
		for _, pc := range set {
			b.WriteString(strconv.FormatUint(uint64(pc), 36))
			b.WriteByte(',')
		}
		return b.String()
	}
	add := func(set []uint32) int32 {
		k := key(set)
		if i, ok := index[k]; ok {
			return i
		}
		i := int32(len(d.next))
		index[k] = i
		d.next = append(d.next, [10]int32{})
		acc := false
		for _, pc := range set {
			if prog.Inst[pc].Op == syntax.InstMatch {
				acc = true
			}
		}
		d.accept = append(d.accept, acc)
		queue = append(queue, set)
		return i
	}
	start, ok := closure([]uint32{uint32(prog.Start)})
	if !ok {
		return nil
	}
	add(start)
	for s := 0; s < len(queue); s++ {
		if len(d.next) > maxDFAStates {
			return nil
		}
		for digit := 0; digit < 10; digit++ {
			var targets []uint32
			for _, pc := range queue[s] {
				inst := &prog.Inst[pc]
				if inst.Op != syntax.InstMatch && inst.MatchRune(rune('0'+digit)) {
					targets = append(targets, inst.Out)
				}
			}
			if len(targets) == 0 {
				d.next[s][digit] = -1
				continue
			}
			set, ok := closure(targets)
			if !ok {
				return nil
			}
			if len(set) == 0 {
				d.next[s][digit] = -1
				continue
			}
			d.next[s][digit] = add(set)
		}
	}
	return d
}

// match reports whether the whole of s is in the language; decided is false
// when s holds something other than ASCII digits.
func (d *digitDFA) match(s []byte) (ok, decided bool) {
	st := int32(0)
	for _, c := range s {
		c -= '0'
		if c > 9 {
			return false, false
		}
		st = d.next[st][c]
		if st < 0 {
			return false, true
		}
	}
	return d.accept[st], true
}
