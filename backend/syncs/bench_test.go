package syncs_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// benchChild runs one measured step in its own process, so its peak RSS
// and its disk writes are its own: "transform" (the plain transform of the
// list), "plan" (the sync's dry run against the state of the previous
// generation) or "run" (a real run: it also prints the time until its
// upload starts and the bytes it wrote to disk).
func benchChild(mode string) int {
	ctx := context.Background()
	if p := os.Getenv("SYNC_TEST_CPUPROFILE"); p != "" {
		f, _ := os.Create(p + "." + mode)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	switch mode {
	case "transform":
		src, err := inputs.LocalFile(os.Getenv("SYNC_TEST_LIST"))
		if err == nil {
			_, err = transform.Run(ctx, transform.Options{Source: src, OutDir: os.Getenv("SYNC_TEST_OUT"),
				Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	case "plan":
		svc := benchService(os.Getenv("SYNC_TEST_DIR"), os.Getenv("SYNC_TEST_BASE"), os.Getenv("SYNC_TEST_TOKEN"), os.Getenv("SYNC_TEST_STATE"))
		last, stage := time.Now(), "start"
		p, err := svc.Plan(ctx, "bench", func(pr syncs.Progress) {
			if pr.Stage != stage {
				fmt.Fprintf(os.Stderr, "%s %s; ", stage, time.Since(last).Round(time.Millisecond))
				last, stage = time.Now(), pr.Stage
			}
		})
		fmt.Fprintf(os.Stderr, "%s %s\n", stage, time.Since(last).Round(time.Millisecond))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "plan: %s, %d rows appended, %d removed\n", p.Action, p.AppendRows, p.RemoveRows)
	case "run":
		svc := benchService(os.Getenv("SYNC_TEST_DIR"), os.Getenv("SYNC_TEST_BASE"), os.Getenv("SYNC_TEST_TOKEN"), os.Getenv("SYNC_TEST_STATE"))
		var planned time.Duration
		res, err := svc.Run(ctx, "bench", func(p syncs.Progress) {
			if p.Stage == "upload" && planned == 0 {
				planned = time.Since(start)
			}
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "run: %s, %d of %d bytes sent; %s\n", res.Action, res.BytesUploaded, res.FullBytes, res.Reason)
		fmt.Printf("%d %d %d %d %d\n", time.Since(start).Nanoseconds(), vmHWM(), planned.Nanoseconds(), diskWrites(), 1000*res.BytesUploaded/max(res.FullBytes, 1))
		return 0
	}
	fmt.Printf("%d %d\n", time.Since(start).Nanoseconds(), vmHWM())
	return 0
}

// vmHWM is this process's peak resident set in bytes (Linux). Rusage's
// maxrss of a child is no good here: exec carries the parent's peak over.
func vmHWM() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// diskWrites is the bytes this process made the system write to storage
// (Linux /proc/self/io: written, less the pages deleted before they reached
// the disk, such as the sort's spilled runs).
func diskWrites() int64 {
	b, _ := os.ReadFile("/proc/self/io")
	var w, cancelled int64
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "write_bytes:":
				w = v
			case "cancelled_write_bytes:":
				cancelled = v
			}
		}
	}
	return w - cancelled
}

// benchService uses the engine's defaults (all cores, 50 MiB files).
func benchService(dir, base, token, state string) *syncs.Service {
	svc, err := syncs.New(syncs.Config{Dir: dir, Connect: connectFunc(base, token, state)})
	if err != nil {
		panic(err)
	}
	return svc
}

// runChild runs the test binary in mode and returns its elapsed time, its
// CPU time (user and system: less swayed than the elapsed time by other
// work on a shared machine), its peak RSS and any further figures it printed.
func runChild(b *testing.B, mode string, env ...string) (time.Duration, time.Duration, int64, []int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(append(os.Environ(), "SYNC_TEST_CHILD="+mode), env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v %s", mode, err, errb.String())
	}
	var ns, hwm int64
	var more []int64
	for i, f := range strings.Fields(string(out)) {
		v, _ := strconv.ParseInt(f, 10, 64)
		switch i {
		case 0:
			ns = v
		case 1:
			hwm = v
		default:
			more = append(more, v)
		}
	}
	if mode != "run" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", mode, strings.TrimSpace(errb.String()))
	}
	return time.Duration(ns), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), hwm, more
}

// writeBenchList writes n people (email, phone); from generation 2 on,
// people whose number ends in 00 get another phone, from generation 3 those
// ending in 01 too, and so on: 1% of the rows change from one to the next.
func writeBenchList(b *testing.B, path string, n, gen int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("email,phone\n")
	for i := 0; i < n; i++ {
		v := 200
		if i%100 < gen-1 {
			v = 300
		}
		fmt.Fprintf(w, "person%08d@example.com,+1 415 %03d %04d\n", i, v+i/10000%100, i%10000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// BenchmarkSyncPlan: a list of SYNC_BENCH_ROWS rows (default 1M; the issue's
// target is 10M), combined layout, 1% of rows changed since the last run.
// Reports the plan's (the dry run's) elapsed and CPU time against a plain
// transform of the same list, the real run's time until its upload starts,
// the plan's peak RSS, the bytes a run sends against a full upload, and
// the state's bytes per identifier. SYNC_BENCH_ROUNDS=3 alternates the
// transform and the plan three times and averages them.
func BenchmarkSyncPlan(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SYNC_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	tmp := b.TempDir()
	s := standin.New(standin.Options{NoRecord: true, MatchRate: 1})
	base := standintest.Start(b, s)
	dir, state, list := filepath.Join(tmp, "syncs"), filepath.Join(tmp, "upload.db"), filepath.Join(tmp, "list.csv")
	svc := benchService(dir, base, s.Token(), state)
	writeBenchList(b, list, n, 1)
	if _, err := svc.Save(syncs.Definition{Name: "bench", Input: list, AudienceName: "bench", AdvertiserID: s.Advertiser(),
		Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Run(context.Background(), "bench", nil); err != nil {
		b.Fatal(err)
	}
	writeBenchList(b, list, n, 2)
	// The two children alternate SYNC_BENCH_ROUNDS times (default 1) and
	// the figures are averages over all of them (peaks: the highest), so
	// one child's bad luck on a shared machine weighs less.
	perN := 1
	if v, err := strconv.Atoi(os.Getenv("SYNC_BENCH_ROUNDS")); err == nil && v > 0 {
		perN = v
	}
	var transformTime, planTime, transformCPU, planCPU time.Duration
	var transformPeak, planPeak int64
	b.ResetTimer()
	for i := 0; i < b.N*perN; i++ {
		out := filepath.Join(tmp, fmt.Sprintf("t%d", i))
		tt, tcpu, trss, _ := runChild(b, "transform", "SYNC_TEST_LIST="+list, "SYNC_TEST_OUT="+out)
		os.RemoveAll(out)
		pt, pcpu, prss, _ := runChild(b, "plan", "SYNC_TEST_DIR="+dir, "SYNC_TEST_BASE="+base, "SYNC_TEST_TOKEN="+s.Token(), "SYNC_TEST_STATE="+state)
		fmt.Fprintf(os.Stderr, "round %d: transform %.1f s (%.1f s CPU), plan %.1f s (%.1f s CPU): %.2f× (%.2f× CPU)\n",
			i+1, tt.Seconds(), tcpu.Seconds(), pt.Seconds(), pcpu.Seconds(), pt.Seconds()/tt.Seconds(), pcpu.Seconds()/tcpu.Seconds())
		transformTime, planTime, transformCPU, planCPU = transformTime+tt, planTime+pt, transformCPU+tcpu, planCPU+pcpu
		transformPeak, planPeak = max(transformPeak, trss), max(planPeak, prss)
	}
	rounds := float64(b.N * perN)
	b.ReportMetric(transformTime.Seconds()/rounds, "transform_s")
	b.ReportMetric(planTime.Seconds()/rounds, "plan_s")
	b.ReportMetric(planTime.Seconds()/transformTime.Seconds(), "plan/transform")
	b.ReportMetric(transformCPU.Seconds()/rounds, "transform_cpu_s")
	b.ReportMetric(planCPU.Seconds()/rounds, "plan_cpu_s")
	b.ReportMetric(planCPU.Seconds()/transformCPU.Seconds(), "plan/transform_cpu")
	b.ReportMetric(float64(transformPeak)/(1<<20), "transform_peak_MiB")
	b.ReportMetric(float64(planPeak)/(1<<20), "plan_peak_MiB")
	b.StopTimer()
	// The real runs plan as the dry run does, and write their delta of the
	// state before the upload starts: the time until then is their plan,
	// compared with a plain transform of the same list just before it.
	// SYNC_BENCH_RUNS runs (default 3), each 1% more changed than the last;
	// past its bounds a run merges the deltas into a new base after its
	// commit, which the bytes written include.
	runs := 3
	if v, err := strconv.Atoi(os.Getenv("SYNC_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	var plannedSum, pairedSum time.Duration
	var runPeak, writtenSum, writtenMax, stateWrittenSum int64
	for r := 0; r < runs; r++ {
		if r > 0 {
			writeBenchList(b, list, n, r+2)
		}
		out := filepath.Join(tmp, fmt.Sprintf("r%d", r))
		tt, _, _, _ := runChild(b, "transform", "SYNC_TEST_LIST="+list, "SYNC_TEST_OUT="+out)
		os.RemoveAll(out)
		before := stateFiles(b, filepath.Join(dir, "bench"))
		total, _, rss, more := runChild(b, "run", "SYNC_TEST_DIR="+dir, "SYNC_TEST_BASE="+base, "SYNC_TEST_TOKEN="+s.Token(), "SYNC_TEST_STATE="+state)
		var newState int64
		for f, size := range stateFiles(b, filepath.Join(dir, "bench")) {
			if _, ok := before[f]; !ok {
				newState += size
			}
		}
		planned, written := time.Duration(more[0]), more[1]
		fmt.Fprintf(os.Stderr, "run %d: %.1f s until the upload, %.2f× the transform just before (%.1f s; the run %.1f s in all); %.1f MB written to disk (%.1f MB of it the state's new files); peak RSS %.0f MiB; %.1f%% of a full upload sent\n",
			r+1, planned.Seconds(), planned.Seconds()/tt.Seconds(), tt.Seconds(), total.Seconds(), float64(written)/1e6, float64(newState)/1e6, float64(rss)/(1<<20), float64(more[2])/10)
		plannedSum, pairedSum, runPeak = plannedSum+planned, pairedSum+tt, max(runPeak, rss)
		writtenSum, writtenMax, stateWrittenSum = writtenSum+written, max(writtenMax, written), stateWrittenSum+newState
		if r == 0 {
			b.ReportMetric(float64(more[2])/10, "upload_%_of_full")
		}
	}
	b.ReportMetric(plannedSum.Seconds()/float64(runs), "run_plan_s")
	b.ReportMetric(plannedSum.Seconds()/pairedSum.Seconds(), "run_plan/transform")
	b.ReportMetric(float64(runPeak)/(1<<20), "run_peak_MiB")
	b.ReportMetric(float64(writtenSum)/float64(runs)/1e6, "run_written_MB")
	b.ReportMetric(float64(writtenMax)/1e6, "run_written_max_MB")
	b.ReportMetric(float64(stateWrittenSum)/float64(runs)/1e6, "run_state_written_MB")
	// The state per identifier: its files' bytes over the identifiers of
	// its rows (a delta's removed rows are bytes but no identifiers).
	stateBytes, stateIDs := stateSize(b, filepath.Join(dir, "bench"))
	b.ReportMetric(float64(stateBytes)/float64(stateIDs), "state_B/identifier")
}

// stateFiles are the sizes of a sync folder's rows files, by name.
func stateFiles(b *testing.B, dir string) map[string]int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "rows-") {
			out[e.Name()] = info.Size()
		}
	}
	return out
}

// stateSize reads a sync's state.json: its files' bytes, and the
// identifiers of its rows (the base's and added rows', less the removed).
func stateSize(b *testing.B, dir string) (size, ids int64) {
	var st struct {
		RowsFile  string `json:"rows_file"`
		LinksFile string `json:"links_file"`
		Deltas    []struct{ Add, Del string }
	}
	raw, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	if err != nil {
		b.Fatal(err)
	}
	add := func(f string, sign int64) {
		if f != "" {
			n, k := countStateFile(b, filepath.Join(dir, f))
			size, ids = size+n, ids+sign*k
		}
	}
	add(st.RowsFile, 1)
	add(st.LinksFile, 1)
	for _, d := range st.Deltas {
		add(d.Add, 1)
		add(d.Del, -1)
	}
	return size, ids
}

// countStateFile returns a binary rows file's size and identifiers (each
// row: a 2-byte mask, then 32 bytes per bit set).
func countStateFile(b *testing.B, path string) (size, ids int64) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var mask [2]byte
	for {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			break
		}
		k := int64(bits.OnesCount16(uint16(mask[0])<<8 | uint16(mask[1])))
		if _, err := r.Discard(int(32 * k)); err != nil {
			b.Fatal(err)
		}
		size, ids = size+2+32*k, ids+k
	}
	return size, ids
}
