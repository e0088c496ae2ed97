package records

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchRows makes n customer rows of about 200 bytes with 6 fields.
func benchRows(n int, format Format) []byte {
	var b bytes.Buffer
	switch format {
	case FormatCSV:
		b.WriteString("customer_id,email,phone,idfa,first_name,signup_date\n")
	case FormatJSON:
		b.WriteString("[\n")
	}
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("firstname.lastname%07d@example-mail.com", i)
		phone := fmt.Sprintf("+1 (613) 555-%04d", i%10000)
		idfa := fmt.Sprintf("%08X-D195-4A8B-AF47-44683FE11DB9", i)
		switch format {
		case FormatCSV:
			fmt.Fprintf(&b, "%d,%s,\"%s\",%s,Alexandria Catherine,2024-03-%02dT10:11:12Z\n", 1000000+i, email, phone, idfa, i%28+1)
		default:
			if format == FormatJSON && i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `{"customer_id":%d,"email":"%s","phone":"%s","idfa":"%s","first_name":"Alexandria Catherine","signup_date":"2024-03-%02dT10:11:12Z"}`,
				1000000+i, email, phone, idfa, i%28+1)
			if format == FormatJSONL {
				b.WriteByte('\n')
			}
		}
	}
	if format == FormatJSON {
		b.WriteString("\n]\n")
	}
	return b.Bytes()
}

func benchFrame(b *testing.B, format Format) {
	data := benchRows(100000, format)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var c Chunk
	cpu := startCPU(b)
	defer cpu.report(b, int64(len(data)))
	for b.Loop() {
		r, err := Open(bytes.NewReader(data), Options{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := r.NextChunk(&c, 4096)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(c.Records)
		}
		if n != 100000 {
			b.Fatalf("%d records", n)
		}
	}
}

func BenchmarkFrameJSONL(b *testing.B)     { benchFrame(b, FormatJSONL) }
func BenchmarkFrameCSV(b *testing.B)       { benchFrame(b, FormatCSV) }
func BenchmarkFrameJSONArray(b *testing.B) { benchFrame(b, FormatJSON) }

func benchExtract(b *testing.B, format Format) {
	data := benchRows(1000, format)
	r, err := Open(bytes.NewReader(data), Options{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var c Chunk
	if err := r.NextChunk(&c, 1000); err != nil {
		b.Fatal(err)
	}
	fields := []string{"email", "phone", "idfa", "customer_id"}
	ex, err := r.NewExtractor(fields)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]Value, len(fields))
	recs := c.Records
	size := 0
	for _, s := range recs {
		size += s.End - s.Start
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	i := 0
	cpu := startCPU(b)
	defer cpu.report(b, 0)
	for b.Loop() {
		s := recs[i]
		if err := ex.Extract(c.Data[s.Start:s.End], s.Line, out); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(recs) {
			i = 0
		}
	}
}

func BenchmarkExtractJSONL(b *testing.B) { benchExtract(b, FormatJSONL) }
func BenchmarkExtractCSV(b *testing.B)   { benchExtract(b, FormatCSV) }

// BenchmarkFrameJSONLGzip frames gzip-compressed JSON Lines; SetBytes counts the uncompressed bytes.
func BenchmarkFrameJSONLGzip(b *testing.B) {
	plain := benchRows(100000, FormatJSONL)
	data := gz(b, string(plain))
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var c Chunk
	cpu := startCPU(b)
	defer cpu.report(b, int64(len(plain)))
	for b.Loop() {
		r, err := Open(bytes.NewReader(data), Options{Name: "bench.gz"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			err := r.NextChunk(&c, 4096)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
