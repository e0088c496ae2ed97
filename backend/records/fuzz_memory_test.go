package records

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/records/hostile"
)

// maxFuzzAlloc is the fuzz targets' memory ceiling: more than reading any input honestly needs (read
// buffers of a MiB or so, the bounded tables of the limits files). An input that makes a reader hold or
// allocate more is a finding (issue 18): memory is bounded by the tool, never by what a file states.
const maxFuzzAlloc = 256 << 20

// memoryCeiling watches the heap while one fuzz input is read. A watchdog samples the live heap every
// few milliseconds and panics past the ceiling, which ends the fuzzing worker with the input saved as a
// crasher, before a larger allocation could take the machine's memory; stop then fails the input if
// all it allocated, live or not, came to more than the ceiling.
func memoryCeiling(t *testing.T, size int) (stop func()) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before, start := ms.TotalAlloc, liveHeap()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if h := liveHeap(); h > start+maxFuzzAlloc {
					panic(fmt.Sprintf("reading a %d-byte input holds %d MiB of heap, over the fuzz targets' %d MiB ceiling", size, (h-start)>>20, maxFuzzAlloc>>20))
				}
			}
		}
	}()
	return func() {
		close(done)
		runtime.ReadMemStats(&ms)
		if n := ms.TotalAlloc - before; n > maxFuzzAlloc {
			t.Fatalf("reading a %d-byte input allocated %d MiB, over the fuzz targets' %d MiB ceiling", size, n>>20, maxFuzzAlloc>>20)
		}
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// liveHeap is the bytes of heap objects (live, or dead and not yet swept); cheap, unlike ReadMemStats.
func liveHeap() uint64 {
	s := make([]metrics.Sample, 1)
	copy(s, heapSample)
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// hostileSeeds adds the hostile files of the given extension (backend/records/hostile: the issue's
// DECIMAL(18, 2000000000) column, and its oversized cell at 256 KiB, among them) to a fuzz target's corpus.
func hostileSeeds(f *testing.F, ext string) {
	dir := f.TempDir()
	for _, c := range hostile.FuzzSeeds() {
		if filepath.Ext(c.Name) != ext {
			continue
		}
		p, err := c.Write(dir)
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		os.Remove(p)
	}
}

// The watchdog is a real ceiling: an allocation past it is caught while it is held.
func TestMemoryCeilingCatchesAHeldAllocation(t *testing.T) {
	caught := make(chan any, 1)
	start := liveHeap()
	var held []byte
	func() {
		defer func() { caught <- recover() }()
		held = make([]byte, maxFuzzAlloc+(64<<20))
		for i := range held {
			held[i] = 1
		}
		if liveHeap() <= start+maxFuzzAlloc {
			panic("not seen")
		}
		panic("seen")
	}()
	if got := <-caught; got != "seen" {
		t.Fatalf("live heap did not show a %d MiB allocation: %v", len(held)>>20, got)
	}
}
