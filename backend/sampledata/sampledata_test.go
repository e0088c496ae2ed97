package sampledata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteJSONLIsDeterministicValidJSON(t *testing.T) {
	var a, b bytes.Buffer
	st, err := WriteJSONL(&a, Options{Rows: 5000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteJSONL(&b, Options{Rows: 5000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed gave different files")
	}
	if st.Rows != 5000 || st.Duplicates < 150 || st.Duplicates > 350 || st.Invalid < 50 || st.Invalid > 150 {
		t.Errorf("stats %+v: want about 5%% duplicates and 2%% invalid", st)
	}
	sc := bufio.NewScanner(&a)
	n := 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		for _, k := range []string{"customer_id", "email", "phone", "idfa", "gaid", "plan"} {
			if _, ok := rec[k]; !ok {
				t.Fatalf("line %d lacks %s", n+1, k)
			}
		}
		n++
	}
	if n != 5000 {
		t.Errorf("%d lines", n)
	}
}
