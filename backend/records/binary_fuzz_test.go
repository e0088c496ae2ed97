package records

import (
	"io"
	"testing"
)

// readBinary opens data as Parquet or Excel and reads every row of every column, as schema then transform
// would. Any outcome but a panic (or a hang) is fine: a damaged file must end in an error.
func readBinary(t *testing.T, data []byte, format Format) {
	// A library that allocates what a damaged file states can exhaust memory and kill the fuzzing worker
	// without a report (or stall it past the fuzzer's 10 s limit); past the ceiling, the input fails
	// instead, and is saved.
	defer memoryCeiling(t, len(data))()
	r, err := openBytes(data, Options{Name: "fuzz.bin", Format: format})
	if err != nil {
		return
	}
	defer r.Close()
	if r.tab != nil && len(r.Header()) == 0 {
		t.Fatal("opened with no columns")
	}
	if _, err := Discover(r, 20, nil); err != nil {
		return
	}
	ex, err := r.NewExtractor(r.Header())
	if err != nil {
		t.Fatalf("NewExtractor over the header after Discover: %v", err)
	}
	vals := make([]Value, len(r.Header()))
	var c Chunk
	for n := 0; n < 200; n++ {
		err := r.NextChunk(&c, 64)
		if err == io.EOF {
			return
		}
		if err != nil {
			return
		}
		for _, sp := range c.Records {
			if err := ex.Extract(c.Data[sp.Start:sp.End], sp.Line, vals); err != nil {
				t.Fatalf("a record the reader encoded does not decode: %v", err)
			}
		}
	}
}

func FuzzParquet(f *testing.F) {
	for _, name := range []string{"list_gzip.parquet", "encrypted.parquet"} {
		b := fixture(f, name)
		f.Add(b)
		f.Add(b[:len(b)-100])
	}
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	// Found by this target: a footer length of 695 MiB in a 14-byte file, which parquet-go allocated.
	f.Add([]byte("PAR1\x97G'\xb8z+PAR1"))
	hostileSeeds(f, ".parquet")
	f.Fuzz(func(t *testing.T, data []byte) { readBinary(t, data, FormatParquet) })
}

func FuzzXLSX(f *testing.F) {
	b := fixture(f, "list.xlsx")
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(append(append([]byte(nil), oleMagic...), make([]byte, 600)...))
	hostileSeeds(f, ".xlsx")
	f.Fuzz(func(t *testing.T, data []byte) { readBinary(t, data, FormatXLSX) })
}
