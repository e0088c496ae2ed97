// Command bench measures the transform end to end, as a user runs it: the
// CLI binary on a generated JSONL file on disk, to files and a manifest. It
// reports rows/s and the process's peak resident memory for each layout,
// with all cores and with one worker. Each case runs several times,
// interleaved with the others, and the median is reported with the range:
// on a shared virtual machine single runs vary by 20% or more.
//
// Then, each skippable by its flag, the other input formats (formats.go):
// the same rows as snappy Parquet, as 64 gzip CSV parts under an S3 prefix
// on versitygw next to one local gzip CSV file, and as an Excel workbook.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

func main() {
	dir := flag.String("dir", "bench-out", "working folder for the generated input and outputs")
	rows := flag.Int64("rows", 10_000_000, "rows in the main benchmark file (0: only the ratio comparisons)")
	bigRows := flag.Int64("big-rows", 50_000_000, "rows for the memory-at-scale run (0 to skip)")
	keep := flag.Bool("keep", true, "keep generated inputs for the next run")
	runs := flag.Int("runs", 3, "runs of each 10M-row case (the median is reported)")
	var o otherFormats
	flag.Int64Var(&o.parquetRows, "parquet-rows", 10_000_000, "rows in the snappy Parquet file (0 to skip)")
	flag.Int64Var(&o.s3Rows, "s3-rows", 10_000_000, "rows in the gzip CSV list read from an S3 prefix on versitygw and from one local file (0 to skip)")
	flag.IntVar(&o.s3Parts, "s3-parts", 64, "parts the S3 list is split into")
	flag.Int64Var(&o.xlsxRows, "xlsx-rows", 1_000_000, "rows in the Excel workbook (0 to skip)")
	var rc ratioCases
	flag.Int64Var(&rc.excelRows, "excel-csv-rows", 200_000, "rows of the Excel-by-openpyxl vs CSV comparison (0 to skip)")
	flag.Int64Var(&rc.textRows, "text-rows", 2_000_000, "rows of the JSONL-vs-floor and compressed-vs-plain comparisons (0 to skip)")
	flag.StringVar(&rc.compressions, "compressions", "gz,zst,bz2", "compressed-vs-plain cases to run")
	flag.StringVar(&rc.referenceBin, "reference-bin", "", "a CLI built from an earlier commit: the outputs of every ratio input must be byte-identical to its")
	flag.Parse()
	if err := run(*dir, *rows, *bigRows, max(*runs, 1), *keep, o, rc); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dir string, rows, bigRows int64, runs int, keep bool, other otherFormats, ratios ratioCases) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, "audience-uploader")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the CLI: %w", err)
	}
	fmt.Printf("machine: %d cores, %s/%s; median of %d runs (range of rows/s)\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runs)
	// CPU seconds (user+sys) show the work per row even when other
	// processes share the machine and the wall-clock figures suffer.
	fmt.Printf("%-46s %10s %8s %10s %19s %7s %9s\n", "run", "rows", "seconds", "rows/s", "(range)", "CPU s", "peak RSS")

	if err := ratios.run(bin, dir, runs, keep); err != nil {
		return err
	}
	if rows <= 0 {
		return nil
	}
	fmt.Println()
	input, err := ensureInput(dir, rows)
	if err != nil {
		return err
	}
	cases := []struct {
		name string
		args []string
		got  []result
	}{
		{name: "combined, all cores", args: []string{"--layout", "combined"}},
		{name: "separate, all cores", args: []string{"--layout", "separate"}},
		{name: "combined, 1 worker", args: []string{"--layout", "combined", "--workers", "1"}},
	}
	for range runs {
		for i := range cases {
			r, err := measure(bin, dir, input, nil, cases[i].args)
			if err != nil {
				return fmt.Errorf("%s: %w", cases[i].name, err)
			}
			cases[i].got = append(cases[i].got, r)
		}
	}
	for _, c := range cases {
		report(fmt.Sprintf("%s (%s rows)", c.name, millions(rows)), c.got)
	}
	if comb, sep := median(cases[0].got), median(cases[1].got); comb.rowsPerSecond() > 0 {
		fmt.Printf("  separate / combined rows/s (medians): %.2f (target >= 0.95)\n", sep.rowsPerSecond()/comb.rowsPerSecond())
	}
	if bigRows > 0 {
		big, err := ensureInput(dir, bigRows)
		if err != nil {
			return err
		}
		r, err := measure(bin, dir, big, nil, []string{"--layout", "combined"})
		if err != nil {
			return fmt.Errorf("combined, %d rows: %w", bigRows, err)
		}
		report(fmt.Sprintf("combined, all cores (%s rows, 1 run)", millions(bigRows)), []result{r})
		if !keep {
			os.Remove(big)
		}
	}
	if !keep {
		os.Remove(input)
	}
	return other.run(bin, dir, rows, median(cases[0].got), keep)
}

// ensureInput generates the sample file once; later runs reuse it.
func ensureInput(dir string, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("customers-%d.jsonl", rows))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	fmt.Fprintf(os.Stderr, "generating %d rows into %s ...\n", rows, path)
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	if _, err := sampledata.WriteJSONL(f, sampledata.Options{Rows: rows, Seed: 1}); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// result is one run of the CLI.
type result struct {
	rows    int64
	seconds float64
	cpu     float64
	rssMiB  int64
}

func (r result) rowsPerSecond() float64 { return float64(r.rows) / r.seconds }

// median is the run with the median wall time.
func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.seconds, b.seconds) })
	return sorted[len(sorted)/2]
}

func report(name string, rs []result) {
	m := median(rs)
	lo, hi := m.rowsPerSecond(), m.rowsPerSecond()
	var rss int64
	for _, r := range rs {
		lo, hi = min(lo, r.rowsPerSecond()), max(hi, r.rowsPerSecond())
		rss = max(rss, r.rssMiB)
	}
	fmt.Printf("%-46s %10d %8.2f %10.0f %19s %7.2f %5d MiB\n", name, m.rows, m.seconds, m.rowsPerSecond(),
		fmt.Sprintf("(%.0f-%.0f)", lo, hi), m.cpu, rss)
}

// measure runs one transform; env nil means this process's environment.
func measure(bin, dir, input string, env, extra []string) (result, error) {
	out := filepath.Join(dir, "out")
	if err := os.RemoveAll(out); err != nil {
		return result{}, err
	}
	args := append([]string{"transform", "--input", input, "--out", out, "--json",
		"--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa", "--map", "gaid=gaid"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr, cmd.Env = os.Stderr, env
	var stdoutBuf bytes.Buffer
	cmd.Stdout = &stdoutBuf
	start := time.Now()
	err := cmd.Start()
	var peakKiB int64
	if err == nil {
		stop := make(chan struct{})
		polled := make(chan int64)
		go func() { polled <- pollPeakRSS(cmd.Process.Pid, stop) }()
		err = cmd.Wait()
		close(stop)
		peakKiB = <-polled
	}
	elapsed := time.Since(start)
	stdout := stdoutBuf.Bytes()
	if err != nil {
		return result{}, err
	}
	var m struct {
		Counters struct {
			RowsRead int64 `json:"rows_read"`
		} `json:"counters"`
	}
	if err := json.Unmarshal(stdout, &m); err != nil {
		return result{}, fmt.Errorf("reading the manifest: %w", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	// Go starts children with vfork, so the child's Maxrss starts at this
	// process's own peak (which holds a generated input): prefer the child's
	// VmHWM, polled while it runs.
	rssKiB := ru.Maxrss // KiB on Linux
	if peakKiB > 0 {
		rssKiB = peakKiB
	}
	r := result{rows: m.Counters.RowsRead, seconds: elapsed.Seconds(), cpu: cpu.Seconds(), rssMiB: rssKiB / 1024}
	return r, os.RemoveAll(out)
}

// pollPeakRSS reads a running process's peak resident size (VmHWM, KiB) from
// /proc every 20 ms until stop is closed; 0 when /proc does not say.
func pollPeakRSS(pid int, stop <-chan struct{}) int64 {
	var peak int64
	status := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(status); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					var kib int64
					if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib); err == nil && kib > peak {
						peak = kib
					}
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}
