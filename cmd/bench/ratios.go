package main

// The ratios of issue 20's table, each printed directly: Excel (as openpyxl
// writes it) vs the same rows as CSV, JSONL vs a floor that only reads lines
// and hashes, compressed text vs the same text uncompressed. Each pair runs
// interleaved, runs times, and the ratio is of the medians; the range of the
// per-run ratios is printed too, since the machine is shared.
//
// With -reference-bin (a CLI built from an earlier commit), every input is
// also transformed by it and by this CLI with one worker, and the output
// folders must be byte-identical (the manifest's run id and timings aside).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

//go:embed openpyxl_book.py
var openpyxlScript []byte

// ratioCases are the table's format rows; a zero count skips one.
type ratioCases struct {
	excelRows, textRows int64
	referenceBin        string
	compressions        string // of gz, zst, bz2
}

// pair measures a and b interleaved runs times and prints b/a of the medians.
func pair(bin, dir string, runs int, nameA, inA, nameB, inB, what, target string) (result, result, error) {
	var as, bs []result
	var ratios []float64
	for range runs {
		a, err := measure(bin, dir, inA, nil, []string{"--layout", "combined"})
		if err != nil {
			return result{}, result{}, fmt.Errorf("%s: %w", nameA, err)
		}
		b, err := measure(bin, dir, inB, nil, []string{"--layout", "combined"})
		if err != nil {
			return result{}, result{}, fmt.Errorf("%s: %w", nameB, err)
		}
		as, bs = append(as, a), append(bs, b)
		ratios = append(ratios, b.rowsPerSecond()/a.rowsPerSecond())
	}
	report(nameA, as)
	report(nameB, bs)
	ma, mb := median(as), median(bs)
	// On a busy shared machine wall time follows the CPU share a run gets; the CPU-time ratio (same
	// rows, so a/b of CPU seconds) tells the work per row apart from the neighbours' load.
	fmt.Printf("  %s rows/s (medians): %.2f (runs %.2f-%.2f; target %s); by CPU seconds %.2f; peak RSS %d MiB\n",
		what, mb.rowsPerSecond()/ma.rowsPerSecond(), slices.Min(ratios), slices.Max(ratios), target, ma.cpu/mb.cpu, maxRSS(bs))
	return ma, mb, nil
}

func (c ratioCases) run(bin, dir string, runs int, keep bool) error {
	if c.excelRows > 0 {
		fmt.Printf("\nExcel written by openpyxl vs the same rows as CSV, combined, all cores\n")
		csvPath, err := ensurePlainCSV(dir, c.excelRows)
		if err != nil {
			return err
		}
		xlsx, err := ensureOpenpyxlBook(dir, csvPath, c.excelRows)
		if err != nil {
			return err
		}
		if _, _, err := pair(bin, dir, runs, fmt.Sprintf("CSV (%s rows)", millions(c.excelRows)), csvPath,
			fmt.Sprintf("Excel .xlsx, openpyxl (%s rows)", millions(c.excelRows)), xlsx,
			"Excel / CSV", ">= 0.50, peak RSS <= 200 MiB"); err != nil {
			return err
		}
		if err := c.sameOutputs(bin, dir, csvPath, xlsx); err != nil {
			return err
		}
	}
	if c.textRows > 0 {
		jsonl, err := ensureInput(dir, c.textRows)
		if err != nil {
			return err
		}
		fmt.Printf("\nJSONL combined vs the floor: read each line, SHA-256 four short values, on %d cores\n", runtime.NumCPU())
		var fl, tr []result
		var ratios []float64
		for range runs {
			f, err := floor(jsonl)
			if err != nil {
				return err
			}
			t, err := measure(bin, dir, jsonl, nil, []string{"--layout", "combined"})
			if err != nil {
				return err
			}
			fl, tr = append(fl, f), append(tr, t)
			ratios = append(ratios, t.seconds/f.seconds)
		}
		report(fmt.Sprintf("floor (%s rows)", millions(c.textRows)), fl)
		report(fmt.Sprintf("JSONL combined (%s rows)", millions(c.textRows)), tr)
		fmt.Printf("  JSONL / floor seconds (medians): %.2f (runs %.2f-%.2f; target <= 2.00); by CPU seconds %.2f\n",
			median(tr).seconds/median(fl).seconds, slices.Min(ratios), slices.Max(ratios), median(tr).cpu/median(fl).cpu)

		fmt.Printf("\ncompressed text vs the same text uncompressed (CSV, %s rows), combined, all cores\n", millions(c.textRows))
		plain, err := ensurePlainCSV(dir, c.textRows)
		if err != nil {
			return err
		}
		inputs := []string{jsonl, plain}
		for _, z := range []struct{ ext, target string }{{"gz", ">= 0.80"}, {"zst", ">= 0.80"}, {"bz2", ">= 0.50"}} {
			if !slices.Contains(strings.Split(c.compressions, ","), z.ext) {
				continue
			}
			packed, err := ensureCompressed(plain, z.ext)
			if err != nil {
				return err
			}
			if _, _, err := pair(bin, dir, runs, fmt.Sprintf("CSV (%s rows)", millions(c.textRows)), plain,
				fmt.Sprintf("CSV .%s (%s rows)", z.ext, millions(c.textRows)), packed,
				"."+z.ext+" / uncompressed", z.target); err != nil {
				return err
			}
			inputs = append(inputs, packed)
		}
		if err := c.sameOutputs(bin, dir, inputs...); err != nil {
			return err
		}
	}
	return nil
}

// ensurePlainCSV writes the sample rows as an uncompressed CSV file.
func ensurePlainCSV(dir string, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("customers-%d.csv", rows))
	return path, generate(path, fmt.Sprintf("%d rows of CSV", rows), func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		cw := csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
		rec := make([]string, 0, len(csvHeader))
		if err := eachSampleRow(rows, func(_ int64, r *sampleRow) error { return cw.Write(r.csvRecord(rec)) }); err != nil {
			return err
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return f.Close()
	})
}

// ensureOpenpyxlBook converts the CSV file to .xlsx with openpyxl (Debian's python3-openpyxl).
func ensureOpenpyxlBook(dir, csvPath string, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("customers-%d-openpyxl.xlsx", rows))
	return path, generate(path, fmt.Sprintf("%d rows of Excel by openpyxl", rows), func(tmp string) error {
		script := filepath.Join(dir, "openpyxl_book.py")
		if err := os.WriteFile(script, openpyxlScript, 0o644); err != nil {
			return err
		}
		var last error
		for _, py := range []string{"/usr/bin/python3", "python3"} {
			cmd := exec.Command(py, script, csvPath, tmp)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if last = cmd.Run(); last == nil {
				return nil
			}
			last = fmt.Errorf("%s: %v: %s", py, last, stderr.Bytes())
		}
		return fmt.Errorf("openpyxl could not write the workbook (install it: flock /tmp/apt.lock tools/apt-ensure.sh python3-openpyxl): %w", last)
	})
}

// ensureCompressed writes path's bytes compressed: gzip and zstd in Go, bzip2 by its command-line tool.
func ensureCompressed(path, ext string) (string, error) {
	out := path + "." + ext
	return out, generate(out, "."+ext+" of "+filepath.Base(path), func(tmp string) error {
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer dst.Close()
		switch ext {
		case "gz":
			w, _ := gzip.NewWriterLevel(dst, gzip.DefaultCompression)
			if _, err := io.Copy(w, src); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		case "zst":
			w, err := zstd.NewWriter(dst)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, src); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		case "bz2":
			cmd := exec.Command("bzip2", "-c")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = src, dst, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("bzip2 (apt package bzip2): %w", err)
			}
		}
		return dst.Close()
	})
}

// floor reads the JSONL file line by line and SHA-256-hashes four short values of each line (the 16 bytes
// after each of the first four '":' in it), on every core: the least work any transform of the file does.
func floor(path string) (result, error) {
	start := time.Now()
	cpuStart := processCPU()
	f, err := os.Open(path)
	if err != nil {
		return result{}, err
	}
	defer f.Close()
	blocks := make(chan []byte, 4)
	var rows int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sink [32]byte
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			var acc [32]byte
			for b := range blocks {
				for len(b) > 0 {
					line := b
					if i := bytes.IndexByte(b, '\n'); i >= 0 {
						line, b = b[:i], b[i+1:]
					} else {
						b = nil
					}
					rest := line
					for range 4 {
						i := bytes.Index(rest, []byte(`":`))
						if i < 0 {
							break
						}
						rest = rest[i+2:]
						v := rest[:min(16, len(rest))]
						h := sha256.Sum256(v)
						acc[0] ^= h[0]
					}
					n++
				}
			}
			mu.Lock()
			rows += n
			sink[0] ^= acc[0]
			mu.Unlock()
		}()
	}
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		b := make([]byte, 1<<20)
		n, err := io.ReadFull(br, b)
		b = b[:n]
		if n > 0 {
			// Whole lines only: the rest of the last line joins this block.
			if b[len(b)-1] != '\n' {
				tail, terr := br.ReadBytes('\n')
				b = append(b, tail...)
				if terr != nil && terr != io.EOF {
					return result{}, terr
				}
			}
			blocks <- b
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return result{}, err
		}
	}
	close(blocks)
	wg.Wait()
	_ = sink
	return result{rows: rows, seconds: time.Since(start).Seconds(), cpu: processCPU() - cpuStart}, nil
}

// sameOutputs transforms each input with the reference CLI and with bin, one worker each (so the output
// order is fixed), and fails unless every output file is byte-identical; the manifests are compared with
// their run id, creation time and timings taken out.
func (c ratioCases) sameOutputs(bin, dir string, inputs ...string) error {
	if c.referenceBin == "" {
		return nil
	}
	for _, in := range inputs {
		var sums [2]map[string][32]byte
		for i, b := range []string{c.referenceBin, bin} {
			out := filepath.Join(dir, fmt.Sprintf("same-%d", i))
			os.RemoveAll(out)
			cmd := exec.Command(b, "transform", "--input", in, "--out", out, "--workers", "1", "--layout", "combined",
				"--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa", "--map", "gaid=gaid")
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s on %s: %w", b, in, err)
			}
			sums[i] = map[string][32]byte{}
			entries, err := os.ReadDir(out)
			if err != nil {
				return err
			}
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join(out, e.Name()))
				if err != nil {
					return err
				}
				if e.Name() == "manifest.json" {
					if data, err = withoutRunStamps(data); err != nil {
						return err
					}
				}
				sums[i][e.Name()] = sha256.Sum256(data)
			}
			os.RemoveAll(out)
		}
		if len(sums[0]) != len(sums[1]) {
			return fmt.Errorf("%s: the reference CLI wrote %d files, this one %d", in, len(sums[0]), len(sums[1]))
		}
		for name, want := range sums[0] {
			if got, ok := sums[1][name]; !ok || got != want {
				return fmt.Errorf("%s: output %s differs from the reference CLI's", in, name)
			}
		}
		fmt.Printf("  outputs of %s: %d files byte-identical to the reference CLI's\n", filepath.Base(in), len(sums[1]))
	}
	return nil
}

// withoutRunStamps is the manifest without the fields that differ on every run.
func withoutRunStamps(manifest []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("reading a manifest: %w", err)
	}
	delete(m, "run_id")
	delete(m, "created_at")
	if counters, ok := m["counters"].(map[string]any); ok {
		delete(counters, "elapsed_seconds")
		delete(counters, "rows_per_second")
	}
	return json.Marshal(m)
}

// processCPU is this process's user+system CPU seconds so far.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
