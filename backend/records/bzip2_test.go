package records

import (
	"bytes"
	stdbzip2 "compress/bzip2"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cosnicolaou/pbzip2"
)

// The parallel decoder gives compress/bzip2's text, byte for byte: many blocks, concatenated streams (as
// pbzip2 and `cat a.bz2 b.bz2` make them), an empty stream among them, a source that returns a byte a
// read, and text of long runs (one block holding many times its size).
func TestParallelBzip2MatchesCompressBzip2(t *testing.T) {
	text := sampleText(60_000) // ~3 MB: 30 blocks at level 1
	runs := bytes.Repeat([]byte("a"), 5_000_000)
	empty := bzip2Bytes(t, nil, 9)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"blocks of 100 kB", bzip2Bytes(t, text, 1)},
		{"blocks of 900 kB", bzip2Bytes(t, text, 9)},
		{"three streams, one empty", append(append(bzip2Bytes(t, text[:1_000_000], 2), empty...), bzip2Bytes(t, text[1_000_000:], 3)...)},
		{"runs", bzip2Bytes(t, runs, 1)},
		{"empty", empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := io.ReadAll(stdbzip2.NewReader(bytes.NewReader(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range []io.Reader{bytes.NewReader(tc.data), iotest.OneByteReader(bytes.NewReader(tc.data))} {
				r := newParallelBzip2(src)
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("read %d bytes, error %v; want compress/bzip2's %d", len(got), err, len(want))
				}
				if len(tc.data) > 1000 { // one byte a read is slow: the first source is enough for the rest
					break
				}
			}
		})
	}
}

// Damage anywhere in a many-block stream is an error (a block's CRC, its structure, the stream's CRC, a
// cut), never text that ends early as if the file had.
func TestParallelBzip2Damage(t *testing.T) {
	good := bzip2Bytes(t, sampleText(20_000), 1)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		bad := append([]byte(nil), good...)
		switch i % 3 {
		case 0: // flip a bit
			at := 4 + rng.IntN(len(bad)-4)
			bad[at] ^= 1 << rng.IntN(8)
		case 1: // cut
			bad = bad[:4+rng.IntN(len(bad)-4)]
		case 2: // overwrite a run of bytes
			at := 4 + rng.IntN(len(bad)-20)
			for j := at; j < at+16; j++ {
				bad[j] = byte(rng.Uint32())
			}
		}
		r := newParallelBzip2(bytes.NewReader(bad))
		_, err := io.ReadAll(r)
		r.Close()
		if err == nil {
			t.Fatalf("case %d (%d of %d bytes): no error", i, len(bad), len(good))
		}
	}
}

// Through Open, damage is a sentence naming the file.
func TestParallelBzip2DamageNamesTheFile(t *testing.T) {
	data := bzip2Bytes(t, sampleText(20_000), 1)
	data[len(data)/2] ^= 0x10
	r, err := Open(bytes.NewReader(data), Options{Name: "list.csv.bz2"})
	if err == nil {
		_, _, err = readAll(t, r, 1000)
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "list.csv.bz2") || !strings.Contains(err.Error(), "corrupt or truncated bzip2 data") {
		t.Fatalf("error %v; want one naming list.csv.bz2 and saying the data is corrupt", err)
	}
}

// mergeBlocks puts back the magic a false match took out: the two halves and the magic between them are
// the block's bits again, at every bit offset.
func TestMergeBlocksRestoresTheSplitBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	whole := make([]byte, 64)
	for i := range whole {
		whole[i] = byte(rng.Uint32())
	}
	for split := 0; split < 200; split += 7 {
		for off := range 8 {
			// whole's bits with the magic written at bit split: what the scanner split.
			var w bitWriter
			w.put(0, off) // the block starts at bit off of its first byte
			w.appendBits(whole, 0, split)
			w.appendBits(bzip2BlockMagic[:], 0, 48)
			w.appendBits(whole, split, 300-split)
			want := w.buf

			var a, b bitWriter
			a.put(0, off)
			a.appendBits(whole, 0, split)
			b.put(0, 3)
			b.appendBits(whole, split, 300-split)
			m := mergeBlocks(pbzip2.CompressedBlock{Data: a.buf, BitOffset: off, SizeInBits: split},
				pbzip2.CompressedBlock{Data: b.buf, BitOffset: 3, SizeInBits: 300 - split})
			if m.SizeInBits != 348 || m.BitOffset != 0 {
				t.Fatalf("merged %d bits at offset %d; want 348 at 0", m.SizeInBits, m.BitOffset)
			}
			var got bitWriter
			got.put(0, off)
			got.appendBits(m.Data, 0, m.SizeInBits)
			if !bytes.Equal(got.buf, want) {
				t.Fatalf("split at bit %d, offset %d: merged bits differ", split, off)
			}
		}
	}
}
