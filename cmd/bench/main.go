// Command bench measures the transform end to end, as a user runs it: the
// CLI binary on a generated JSONL file on disk, to files and a manifest. It
// reports rows/s and the process's peak resident memory for each layout,
// with all cores and with one worker.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

func main() {
	dir := flag.String("dir", "bench-out", "working folder for the generated input and outputs")
	rows := flag.Int64("rows", 10_000_000, "rows in the main benchmark file")
	bigRows := flag.Int64("big-rows", 50_000_000, "rows for the memory-at-scale run (0 to skip)")
	keep := flag.Bool("keep", true, "keep generated inputs for the next run")
	flag.Parse()
	if err := run(*dir, *rows, *bigRows, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dir string, rows, bigRows int64, keep bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, "audience-uploader")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the CLI: %w", err)
	}
	fmt.Printf("machine: %d cores, %s/%s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	// CPU seconds (user+sys) show the work per row even when other
	// processes share the machine and the wall-clock figures suffer.
	fmt.Printf("%-34s %12s %10s %12s %10s %12s\n", "run", "rows", "seconds", "rows/s", "CPU s", "peak RSS")

	input, err := ensureInput(dir, rows)
	if err != nil {
		return err
	}
	cases := []struct {
		name string
		args []string
	}{
		{"combined, all cores", []string{"--layout", "combined"}},
		{"separate, all cores", []string{"--layout", "separate"}},
		{"combined, 1 worker", []string{"--layout", "combined", "--workers", "1"}},
	}
	for _, c := range cases {
		if err := measure(bin, dir, fmt.Sprintf("%s (%dM rows)", c.name, rows/1_000_000), input, c.args); err != nil {
			return err
		}
	}
	if bigRows > 0 {
		big, err := ensureInput(dir, bigRows)
		if err != nil {
			return err
		}
		if err := measure(bin, dir, fmt.Sprintf("combined, all cores (%dM rows)", bigRows/1_000_000), big, []string{"--layout", "combined"}); err != nil {
			return err
		}
		if !keep {
			os.Remove(big)
		}
	}
	if !keep {
		os.Remove(input)
	}
	return nil
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

func measure(bin, dir, name, input string, extra []string) error {
	out := filepath.Join(dir, "out")
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	args := append([]string{"transform", "--input", input, "--out", out, "--json",
		"--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa", "--map", "gaid=gaid"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	stdout, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var m struct {
		Counters struct {
			RowsRead int64 `json:"rows_read"`
		} `json:"counters"`
	}
	if err := json.Unmarshal(stdout, &m); err != nil {
		return fmt.Errorf("%s: reading the manifest: %w", name, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%-34s %12d %10.2f %12.0f %10.2f %8d MiB\n", name, m.Counters.RowsRead, elapsed.Seconds(),
		float64(m.Counters.RowsRead)/elapsed.Seconds(), cpu.Seconds(), ru.Maxrss/1024) // Maxrss is KiB on Linux
	return os.RemoveAll(out)
}
