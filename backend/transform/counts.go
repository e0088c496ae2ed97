package transform

import "github.com/audience-uploader/audience-uploader/backend/identifiers"

// valueCounts count, per mapping, what one platform's rules made of the
// values: a batch's in its tally, the run's in the collector.
type valueCounts struct {
	valid, prehashed []int64
	invalid          map[invalidKey]int64
}

type invalidKey struct {
	mapping int
	reason  identifiers.Reason
}

// reset empties the counts for a run of mappings columns, keeping memory.
func (v *valueCounts) reset(mappings int) {
	if len(v.valid) != mappings {
		v.valid = make([]int64, mappings)
		v.prehashed = make([]int64, mappings)
	}
	clear(v.valid)
	clear(v.prehashed)
	if v.invalid == nil {
		v.invalid = map[invalidKey]int64{}
	}
	clear(v.invalid)
}

// count adds one value's outcome for mapping i; it reports whether the
// value is sent (valid or already hashed).
func (v *valueCounts) count(r identifiers.Result, i int) bool {
	switch r.Status {
	case identifiers.Valid:
		v.valid[i]++
	case identifiers.Prehashed:
		v.prehashed[i]++
	default:
		v.invalid[invalidKey{i, r.Reason}]++
		return false
	}
	return true
}

// add adds o's counts.
func (v *valueCounts) add(o *valueCounts) {
	for i := range o.valid {
		v.valid[i] += o.valid[i]
		v.prehashed[i] += o.prehashed[i]
	}
	for k, n := range o.invalid {
		v.invalid[k] += n
	}
}

// into adds the counts to types under name(i), mapping i's type or key
// (two columns of one type count together).
func (v *valueCounts) into(types map[string]*TypeCounters, name func(i int) string) {
	for i := range v.valid {
		tc := typeCounter(types, name(i))
		tc.Valid += v.valid[i]
		tc.Prehashed += v.prehashed[i]
	}
	for k, n := range v.invalid {
		typeCounter(types, name(k.mapping)).Invalid[string(k.reason)] += n
	}
}

// typeCounter is types[name], created if needed.
func typeCounter(types map[string]*TypeCounters, name string) *TypeCounters {
	tc := types[name]
	if tc == nil {
		tc = &TypeCounters{Invalid: map[string]int64{}}
		types[name] = tc
	}
	return tc
}
