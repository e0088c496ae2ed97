package records

import (
	"bytes"
	"compress/bzip2"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/cosnicolaou/pbzip2"
)

// A bzip2 stream is a run of blocks, each compressed on its own and found by its 48-bit magic (bit-aligned).
// compress/bzip2 decodes on one core, at about 20 MB of text a second here, so the text's reader waited on
// it; parallelBzip2 decodes the blocks on every core instead. pbzip2's scanner splits the stream at the
// magics (concatenated streams, empty ones and each stream's CRC handled); each block is then made a
// stream of its own (header, block, end-of-stream marker with the block's CRC) and decoded by
// compress/bzip2, which checks its CRC; the stream's CRC, the blocks' CRCs combined, is checked here.
//
// Memory is bounded whatever the file says: at most bzip2BlocksAhead blocks are scanned ahead of the one
// being read, and a block's text is handed over in pieces, at most bzip2PiecesAhead of them decoded ahead
// of the reader (bzip2's first run-length stage turns 5 bytes into up to 259, so one 900 kB block can hold
// ~46 MB of text). pbzip2's own decompressor held each block's whole text.
const (
	bzip2BlocksAhead = 3
	bzip2PiecesAhead = 4
	bzip2PieceSize   = 256 << 10
)

var (
	bzip2BlockMagic = [6]byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}
	bzip2EndMagic   = [6]byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90}
)

// bzip2Block is one scanned block and the text its worker decodes, in pieces.
type bzip2Block struct {
	pbzip2.CompressedBlock
	pieces chan []byte // closed after the last piece, once err is set
	err    error
	// started is false when decoding failed before any text (what a false match of the magic inside a
	// block does to both halves); the reader then tries the block merged with the next one.
	started bool
	merged  bool // two blocks merged so: not merged again
}

type parallelBzip2 struct {
	ctx    context.Context
	cancel context.CancelFunc
	order  chan *bzip2Block // scanned blocks, in stream order
	work   chan *bzip2Block // the same blocks, for the workers
	wg     sync.WaitGroup
	err    error // the scanner's, read after order is closed
	pool   sync.Pool

	cur       *bzip2Block
	piece     []byte // unread part of the current piece
	pieceBuf  []byte // the current piece, handed back to pool when used up
	streamCRC uint32 // the CRCs of this stream's blocks read so far, combined
	rerr      error  // the error every later Read returns

	// For Inflation, on the reader's goroutine: the text read and the compressed bytes of the blocks it
	// came from, and both at the end of the last block read to its end.
	text, compressed         int64
	doneText, doneCompressed int64
}

func newParallelBzip2(src io.Reader) *parallelBzip2 {
	ctx, cancel := context.WithCancel(context.Background())
	b := &parallelBzip2{ctx: ctx, cancel: cancel, order: make(chan *bzip2Block, bzip2BlocksAhead),
		work: make(chan *bzip2Block, bzip2BlocksAhead)}
	b.pool.New = func() any { return make([]byte, bzip2PieceSize) }
	workers := runtime.GOMAXPROCS(0)
	// The scanner takes the stream's header in one Read: hand it over whole, whatever src's reads return.
	var head [4]byte
	n, _ := io.ReadFull(src, head[:])
	src = io.MultiReader(bytes.NewReader(head[:n]), src)
	b.wg.Add(1 + workers)
	go b.scan(pbzip2.NewScanner(src))
	for range workers {
		go b.decodeBlocks()
	}
	return b
}

func (b *parallelBzip2) scan(sc *pbzip2.Scanner) {
	defer b.wg.Done()
	defer close(b.work)
	defer close(b.order)
	for sc.Scan(b.ctx) {
		blk := &bzip2Block{CompressedBlock: sc.Block(), pieces: make(chan []byte, bzip2PiecesAhead)}
		select {
		case b.order <- blk:
		case <-b.ctx.Done():
			return
		}
		select {
		case b.work <- blk:
		case <-b.ctx.Done():
			return
		}
	}
	b.err = sc.Err()
}

func (b *parallelBzip2) decodeBlocks() {
	defer b.wg.Done()
	for blk := range b.work {
		b.decode(blk)
	}
}

// decode sends blk's text in pieces, then closes blk.pieces.
func (b *parallelBzip2) decode(blk *bzip2Block) {
	defer close(blk.pieces)
	if len(blk.Data) == 0 {
		return // an empty stream's end: no block, only the CRC
	}
	zr := bzip2.NewReader(bytes.NewReader(singleBlockStream(blk.CompressedBlock)))
	for {
		p := b.pool.Get().([]byte)
		n, err := readPiece(zr, p)
		if n > 0 {
			blk.started = true
			select {
			case blk.pieces <- p[:n]:
			case <-b.ctx.Done():
				return
			}
		} else {
			b.pool.Put(p)
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			blk.err = err
			return
		}
	}
}

// readPiece fills p from r, short only at the end or on an error.
func readPiece(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (b *parallelBzip2) Read(p []byte) (int, error) {
	for len(b.piece) == 0 {
		if b.rerr != nil {
			return 0, b.rerr
		}
		if b.pieceBuf != nil {
			b.pool.Put(b.pieceBuf[:cap(b.pieceBuf)])
			b.pieceBuf = nil
		}
		if err := b.nextPiece(); err != nil {
			b.rerr = err
			return 0, err
		}
	}
	n := copy(p, b.piece)
	b.piece = b.piece[n:]
	b.text += int64(n)
	return n, nil
}

// nextPiece makes b.piece the next piece of text, moving on to the next block when one ends.
func (b *parallelBzip2) nextPiece() error {
	for {
		if b.cur == nil {
			blk, ok := <-b.order
			if !ok {
				if b.err != nil {
					return b.err
				}
				if b.ctx.Err() != nil {
					return b.ctx.Err()
				}
				return io.EOF
			}
			b.cur = blk
			b.compressed += int64(len(blk.Data))
		}
		if piece, ok := <-b.cur.pieces; ok {
			b.piece, b.pieceBuf = piece, piece
			return nil
		}
		blk := b.cur
		b.cur = nil
		if blk.err != nil {
			if blk.started || blk.merged {
				return blk.err
			}
			merged, err := b.mergeWithNext(blk)
			if err != nil {
				return err
			}
			b.cur = merged
			continue
		}
		b.doneText, b.doneCompressed = b.text, b.compressed
		if err := b.endBlock(blk.CompressedBlock); err != nil {
			return err
		}
	}
}

// endBlock adds a read block's CRC to the stream's and checks the stream's at its end.
func (b *parallelBzip2) endBlock(blk pbzip2.CompressedBlock) error {
	if len(blk.Data) > 0 {
		b.streamCRC = (b.streamCRC<<1 | b.streamCRC>>31) ^ blk.CRC
	}
	if blk.EOS {
		if b.streamCRC != blk.StreamCRC {
			return fmt.Errorf("bzip2 data invalid: stream checksum mismatch")
		}
		b.streamCRC = 0
	}
	return nil
}

// mergeWithNext handles a block that failed before any text: when the next block failed so too, the
// two are one block split at a false match of the magic inside it (rare: 2^-48 a bit), and the merged
// block is decoded and read in their place. Otherwise blk is damaged.
func (b *parallelBzip2) mergeWithNext(blk *bzip2Block) (*bzip2Block, error) {
	next, ok := <-b.order
	if !ok {
		return nil, blk.err
	}
	for piece := range next.pieces { // a next block that started is a real one
		b.pool.Put(piece[:cap(piece)])
	}
	if next.err == nil || next.started {
		return nil, blk.err
	}
	b.compressed += int64(len(next.Data))
	merged := &bzip2Block{CompressedBlock: mergeBlocks(blk.CompressedBlock, next.CompressedBlock),
		pieces: make(chan []byte, bzip2PiecesAhead), merged: true}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.decode(merged)
	}()
	return merged, nil
}

// Inflation is the text per compressed byte of the blocks read to their end; within the first, its
// stream's block size over its compressed size (the text of a block without long runs of one byte).
func (b *parallelBzip2) Inflation() float64 {
	switch {
	case b.doneCompressed > 0:
		return float64(b.doneText) / float64(b.doneCompressed)
	case b.cur != nil && len(b.cur.Data) > 0:
		return max(float64(b.cur.StreamBlockSize)/float64(len(b.cur.Data)), 1)
	}
	return 1
}

// Close stops the scanner and the workers and waits for them.
func (b *parallelBzip2) Close() error {
	b.cancel()
	b.wg.Wait()
	return nil
}

// singleBlockStream is blk as a bzip2 stream of its own: the header, the block magic, the block's bits
// (shifted to start on a byte), the end-of-stream magic and the stream's CRC, which for one block is the
// block's.
func singleBlockStream(blk pbzip2.CompressedBlock) []byte {
	var w bitWriter
	w.buf = make([]byte, 0, 4+6+len(blk.Data)+11)
	w.buf = append(w.buf, 'B', 'Z', 'h', byte('0'+blk.StreamBlockSize/100_000))
	w.buf = append(w.buf, bzip2BlockMagic[:]...)
	w.n = len(w.buf) * 8
	w.appendBits(blk.Data, blk.BitOffset, blk.SizeInBits)
	w.appendBits(bzip2EndMagic[:], 0, 48)
	w.appendBits([]byte{byte(blk.CRC >> 24), byte(blk.CRC >> 16), byte(blk.CRC >> 8), byte(blk.CRC)}, 0, 32)
	return w.buf
}

// mergeBlocks is a's bits, the block magic and b's: the block a false match of the magic split in two.
func mergeBlocks(a, b pbzip2.CompressedBlock) pbzip2.CompressedBlock {
	var w bitWriter
	w.appendBits(a.Data, a.BitOffset, a.SizeInBits)
	w.appendBits(bzip2BlockMagic[:], 0, 48)
	w.appendBits(b.Data, b.BitOffset, b.SizeInBits)
	m := a
	m.Data, m.BitOffset, m.SizeInBits = w.buf, 0, w.n
	m.EOS, m.StreamCRC = b.EOS, b.StreamCRC
	return m
}

// bitWriter appends bits, most significant first, as bzip2 writes them.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

// appendBits appends size bits of src, starting at bit off of src[0].
func (w *bitWriter) appendBits(src []byte, off, size int) {
	for size > 0 {
		// The next up-to-8 bits of src at bit offset off.
		i, s := off/8, off%8
		v := uint16(src[i]) << 8
		if i+1 < len(src) {
			v |= uint16(src[i+1])
		}
		k := min(8, size)
		bits := byte(v<<s>>8) >> (8 - k) // k bits, right-aligned
		w.put(bits, k)
		off += k
		size -= k
	}
}

// put appends the low k bits of v.
func (w *bitWriter) put(v byte, k int) {
	for k > 0 {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		free := 8 - w.n%8
		take := min(free, k)
		chunk := (v >> (k - take)) & (1<<take - 1)
		w.buf[len(w.buf)-1] |= chunk << (free - take)
		w.n += take
		k -= take
	}
}
