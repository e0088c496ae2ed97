package syncs_test

import (
	"bufio"
	"context"
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
// is its own: "transform" (the plain transform of the list) or "plan" (the
// sync's dry run against the state of the previous generation).
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
		fmt.Fprintf(os.Stderr, "plan: %+v\n", *p)
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
// work on a shared machine) and its peak RSS.
func runChild(b *testing.B, mode string, env ...string) (time.Duration, time.Duration, int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(append(os.Environ(), "SYNC_TEST_CHILD="+mode), env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v %s", mode, err, errb.String())
	}
	var ns, hwm int64
	fmt.Sscan(string(out), &ns, &hwm)
	b.Logf("%s: %s", mode, strings.TrimSpace(errb.String()))
	return time.Duration(ns), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), hwm
}

// writeBenchList writes n people (email, phone); people whose number is a
// multiple of 100 get another phone in generation 2, so 1% of rows change.
func writeBenchList(b *testing.B, path string, n, gen int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("email,phone\n")
	for i := 0; i < n; i++ {
		v := 200
		if gen == 2 && i%100 == 0 {
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
		tt, tcpu, trss := runChild(b, "transform", "SYNC_TEST_LIST="+list, "SYNC_TEST_OUT="+out)
		os.RemoveAll(out)
		pt, pcpu, prss := runChild(b, "plan", "SYNC_TEST_DIR="+dir, "SYNC_TEST_BASE="+base, "SYNC_TEST_TOKEN="+s.Token(), "SYNC_TEST_STATE="+state)
		b.Logf("round %d: transform %.1f s (%.1f s CPU), plan %.1f s (%.1f s CPU): %.2f× (%.2f× CPU)",
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
	// The real run plans as the dry run does and also keeps its new rows
	// file: the time until its upload starts is its plan.
	start, planned := time.Now(), time.Duration(0)
	res, err := svc.Run(context.Background(), "bench", func(p syncs.Progress) {
		if p.Stage == "upload" && planned == 0 {
			planned = time.Since(start)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(planned.Seconds(), "run_plan_s")
	b.ReportMetric(planned.Seconds()/(transformTime.Seconds()/rounds), "run_plan/transform")
	b.ReportMetric(100*float64(res.BytesUploaded)/float64(res.FullBytes), "upload_%_of_full")
	// The state is its rows file and its links file (rows of people still
	// in the list that are not in it any more, like a changed phone's old row).
	entries, _ := os.ReadDir(filepath.Join(dir, "bench"))
	var stateBytes, stateIDs int64
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rows-") {
			n, ids := countStateFile(b, filepath.Join(dir, "bench", e.Name()))
			stateBytes, stateIDs = stateBytes+n, stateIDs+ids
		}
	}
	b.ReportMetric(float64(stateBytes)/float64(stateIDs), "state_B/identifier")
	b.Logf("run: %+v", res.Plan)
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
