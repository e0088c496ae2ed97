package main

// Inputs in the other formats (issue 10): Parquet, a list split into gzip
// CSV parts, and an Excel workbook. Each is written from the same
// deterministic rows the JSONL benchmark file holds (sampledata, seed 1), so
// the figures compare formats, not data.

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

// sampleRow is one row of the sample list. Phone is the text a user's
// export would hold: the quoted string, or the bare number's digits.
type sampleRow struct {
	CustomerID int64
	Email      string
	Phone      string
	phoneIsNum bool
	IDFA       string
	GAID       string
	Plan       string
}

// eachSampleRow generates rows sample rows (the JSONL benchmark's data) and
// hands each to fn in order.
func eachSampleRow(rows int64, fn func(i int64, r *sampleRow) error) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := sampledata.WriteJSONL(pw, sampledata.Options{Rows: rows, Seed: 1})
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var line struct {
		CustomerID int64           `json:"customer_id"`
		Email      string          `json:"email"`
		Phone      json.RawMessage `json:"phone"`
		IDFA       string          `json:"idfa"`
		GAID       string          `json:"gaid"`
		Plan       string          `json:"plan"`
	}
	var r sampleRow
	for i := int64(0); sc.Scan(); i++ {
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("reading generated row %d: %w", i+1, err)
		}
		r = sampleRow{CustomerID: line.CustomerID, Email: line.Email, IDFA: line.IDFA, GAID: line.GAID, Plan: line.Plan}
		if len(line.Phone) > 0 && line.Phone[0] == '"' {
			if err := json.Unmarshal(line.Phone, &r.Phone); err != nil {
				return fmt.Errorf("reading generated row %d: %w", i+1, err)
			}
		} else {
			r.Phone, r.phoneIsNum = string(line.Phone), true
		}
		if err := fn(i, &r); err != nil {
			return err
		}
	}
	return sc.Err()
}

// generate writes a file once through a ".partial" name, so an interrupted
// generation is never taken for a finished input; later runs reuse it.
func generate(path, what string, write func(tmp string) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "generating %s into %s ...\n", what, path)
	start := time.Now()
	tmp := path + ".partial"
	os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("generating %s: %w", path, err)
	}
	fmt.Fprintf(os.Stderr, "  done in %.0f s\n", time.Since(start).Seconds())
	return os.Rename(tmp, path)
}

// parquetRow has the 4 identifier columns and 6 other columns; the 4 that
// sampledata does not have are derived from the customer id.
type parquetRow struct {
	CustomerID    int64   `parquet:"customer_id"`
	Email         string  `parquet:"email"`
	Phone         string  `parquet:"phone"`
	IDFA          string  `parquet:"idfa"`
	GAID          string  `parquet:"gaid"`
	Plan          string  `parquet:"plan,dict"`
	Country       string  `parquet:"country,dict"`
	SignupDate    string  `parquet:"signup_date"`
	LifetimeValue float64 `parquet:"lifetime_value"`
	OptedIn       bool    `parquet:"opted_in"`
}

var countries = []string{"US", "US", "US", "GB", "FR", "CA", "DE"}

// parquetRowsPerGroup gives a 10M-row file 10 row groups (about what
// Spark's 128 MiB row groups give for rows this size), and a small
// validation file several.
func parquetRowsPerGroup(rows int64) int64 { return max(1, min(1_000_000, rows/8)) }

// ensureParquet writes the sample rows as snappy Parquet.
func ensureParquet(dir string, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("customers-%d.snappy.parquet", rows))
	return path, generate(path, fmt.Sprintf("%d rows of Parquet", rows), func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		w := parquet.NewGenericWriter[parquetRow](bw, parquet.Compression(&parquet.Snappy),
			parquet.MaxRowsPerRowGroup(parquetRowsPerGroup(rows)))
		batch := make([]parquetRow, 0, 4096)
		flush := func() error {
			_, err := w.Write(batch)
			batch = batch[:0]
			return err
		}
		err = eachSampleRow(rows, func(i int64, r *sampleRow) error {
			c := uint64(r.CustomerID) * 0x9e3779b97f4a7c15 // spread the ids over the derived values
			batch = append(batch, parquetRow{
				CustomerID: r.CustomerID, Email: r.Email, Phone: r.Phone, IDFA: r.IDFA, GAID: r.GAID, Plan: r.Plan,
				Country:       countries[c>>32%uint64(len(countries))],
				SignupDate:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(c>>40%2000)).Format(time.DateOnly),
				LifetimeValue: float64(c>>44%100000) / 100,
				OptedIn:       c>>20&1 == 1,
			})
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return err
		}
		return f.Close()
	})
}

var csvHeader = []string{"customer_id", "email", "phone", "idfa", "gaid", "plan"}

func (r *sampleRow) csvRecord(rec []string) []string {
	return append(rec[:0], strconv.FormatInt(r.CustomerID, 10), r.Email, r.Phone, r.IDFA, r.GAID, r.Plan)
}

// gzipCSV is a gzip-compressed CSV file being written.
type gzipCSV struct {
	f  *os.File
	bw *bufio.Writer
	gz *gzip.Writer
	cw *csv.Writer
}

// BestSpeed keeps generating 2 x 10M rows short; reading cost is about the
// same at any level.
func createGzipCSV(path string) (*gzipCSV, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	gz, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	g := &gzipCSV{f: f, bw: bw, gz: gz, cw: csv.NewWriter(gz)}
	return g, g.cw.Write(csvHeader)
}

func (g *gzipCSV) close() error {
	g.cw.Flush()
	err := g.cw.Error()
	if err == nil {
		err = g.gz.Close()
	}
	if err == nil {
		err = g.bw.Flush()
	}
	if cerr := g.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ensureGzipCSV writes the sample rows twice in one pass: as one gzip CSV
// file, and split evenly into parts gzip CSV files (each with the header,
// named as Spark names them) in a folder.
func ensureGzipCSV(dir string, rows int64, parts int) (file, folder string, err error) {
	file = filepath.Join(dir, fmt.Sprintf("customers-%d.csv.gz", rows))
	folder = filepath.Join(dir, fmt.Sprintf("customers-%d-%dparts", rows, parts))
	_, errFile := os.Stat(file)
	_, errFolder := os.Stat(folder)
	if errFile == nil && errFolder == nil {
		return file, folder, nil
	}
	os.Remove(file)
	os.RemoveAll(folder)
	err = generate(file, fmt.Sprintf("%d rows of gzip CSV, as one file and as %d parts", rows, parts), func(tmp string) error {
		tmpFolder := folder + ".partial"
		os.RemoveAll(tmpFolder)
		if err := os.MkdirAll(tmpFolder, 0o755); err != nil {
			return err
		}
		one, err := createGzipCSV(tmp)
		if err != nil {
			return err
		}
		var part *gzipCSV
		partNo := -1
		rec := make([]string, 0, len(csvHeader))
		err = eachSampleRow(rows, func(i int64, r *sampleRow) error {
			// Part p holds rows [p*rows/parts, (p+1)*rows/parts).
			for int64(partNo+1) < int64(parts) && i >= int64(partNo+1)*rows/int64(parts) {
				if part != nil {
					if err := part.close(); err != nil {
						return err
					}
				}
				partNo++
				var err error
				name := fmt.Sprintf("part-%05d-bench-c000.csv.gz", partNo)
				if part, err = createGzipCSV(filepath.Join(tmpFolder, name)); err != nil {
					return err
				}
			}
			rec = r.csvRecord(rec)
			if err := one.cw.Write(rec); err != nil {
				return err
			}
			return part.cw.Write(rec)
		})
		if part != nil {
			if cerr := part.close(); err == nil {
				err = cerr
			}
		}
		if cerr := one.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		return os.Rename(tmpFolder, folder)
	})
	return file, folder, err
}

// ensureXLSX writes the sample rows as one sheet through excelize's stream
// writer: numbers (customer ids, phones a spreadsheet holds as numbers) as
// number cells, the rest as strings.
func ensureXLSX(dir string, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("customers-%d.xlsx", rows))
	return path, generate(path, fmt.Sprintf("%d rows of Excel", rows), func(tmp string) error {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		header := make([]any, len(csvHeader))
		for i, h := range csvHeader {
			header[i] = h
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		cells := make([]any, len(csvHeader))
		err = eachSampleRow(rows, func(i int64, r *sampleRow) error {
			cells[0], cells[1], cells[2], cells[3], cells[4], cells[5] = r.CustomerID, r.Email, r.Phone, r.IDFA, r.GAID, r.Plan
			if r.phoneIsNum {
				n, err := strconv.ParseInt(r.Phone, 10, 64)
				if err != nil {
					return err
				}
				cells[2] = n
			}
			cell, err := excelize.CoordinatesToCellName(1, int(i)+2)
			if err != nil {
				return err
			}
			return sw.SetRow(cell, cells)
		})
		if err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		// SaveAs wants an .xlsx name; the temporary name is not one.
		out, err := os.Create(tmp)
		if err != nil {
			return err
		}
		if _, err := f.WriteTo(out); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// otherFormats are the issue 10 cases; a zero row count skips one.
type otherFormats struct {
	parquetRows, s3Rows, xlsxRows int64
	s3Parts                       int
}

// run measures the other formats (combined layout, all cores, one run
// each: these runs are long and the machine is shared) and prints
// each target's figure. jsonl is the JSONL file's combined-layout median.
func (o otherFormats) run(bin, dir string, jsonlRows int64, jsonl result, keep bool) error {
	if o.parquetRows <= 0 && o.s3Rows <= 0 && o.xlsxRows <= 0 {
		return nil
	}
	combined := []string{"--layout", "combined"}
	fmt.Printf("\nother formats: combined layout, all cores\n")
	if o.parquetRows > 0 {
		input, err := ensureParquet(dir, o.parquetRows)
		if err != nil {
			return err
		}
		var got []result
		r, err := measure(bin, dir, input, nil, combined)
		if err != nil {
			return fmt.Errorf("Parquet: %w", err)
		}
		got = append(got, r)
		report(fmt.Sprintf("Parquet snappy, 10 cols (%s rows)", millions(o.parquetRows)), got)
		m := median(got)
		fmt.Printf("  Parquet / JSONL (%s rows) rows/s: %.2f (target >= 1.00); peak RSS %d MiB (target <= 300)\n",
			millions(jsonlRows), m.rowsPerSecond()/jsonl.rowsPerSecond(), maxRSS(got))
		if !keep {
			os.Remove(input)
		}
	}
	if o.s3Rows > 0 {
		if err := o.runS3(bin, dir, combined, keep); err != nil {
			return err
		}
	}
	if o.xlsxRows > 0 {
		input, err := ensureXLSX(dir, o.xlsxRows)
		if err != nil {
			return err
		}
		r, err := measure(bin, dir, input, nil, combined)
		if err != nil {
			return fmt.Errorf("Excel: %w", err)
		}
		report(fmt.Sprintf("Excel .xlsx, 6 cols (%s rows)", millions(o.xlsxRows)), []result{r})
		fmt.Printf("  Excel peak RSS %d MiB (target <= 300)\n", r.rssMiB)
		if !keep {
			os.Remove(input)
		}
	}
	return nil
}

// runS3 compares the list read from an S3 prefix of parts with the same
// list as one local file, and as the same parts in a local folder (which
// tells the cost of parts apart from the cost of S3).
func (o otherFormats) runS3(bin, dir string, combined []string, keep bool) error {
	parts := max(o.s3Parts, 1)
	file, folder, err := ensureGzipCSV(dir, o.s3Rows, parts)
	if err != nil {
		return err
	}
	srv, err := startS3(dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	prefix := fmt.Sprintf("exports/customers-%d/", o.s3Rows)
	if err := srv.upload(folder, prefix); err != nil {
		return err
	}
	cases := []struct {
		name, input string
		env         []string
		got         []result
	}{
		{name: "gzip CSV, 1 local file", input: file},
		{name: fmt.Sprintf("gzip CSV, %d parts, S3 prefix", parts), input: "s3://" + benchBucket + "/" + prefix, env: srv.env},
		{name: fmt.Sprintf("gzip CSV, %d parts, local folder", parts), input: folder},
	}
	for i := range cases {
		r, err := measure(bin, dir, cases[i].input, cases[i].env, combined)
		if err != nil {
			return fmt.Errorf("%s: %w", cases[i].name, err)
		}
		cases[i].got = append(cases[i].got, r)
	}
	for _, c := range cases {
		report(fmt.Sprintf("%s (%s rows)", c.name, millions(o.s3Rows)), c.got)
	}
	local, s3 := median(cases[0].got), median(cases[1].got)
	fmt.Printf("  S3 prefix / local file rows/s: %.2f (target >= 0.80)\n", s3.rowsPerSecond()/local.rowsPerSecond())
	if !keep {
		os.Remove(file)
		os.RemoveAll(folder)
	}
	return os.RemoveAll(filepath.Join(dir, "s3root"))
}

func maxRSS(rs []result) int64 {
	var m int64
	for _, r := range rs {
		m = max(m, r.rssMiB)
	}
	return m
}

func millions(n int64) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return strconv.FormatInt(n, 10)
}
