// Package directio writes large files past the operating system's page
// cache where the platform allows it. Output files are written once and not
// read back soon, so caching them only costs CPU: on Linux a buffered write
// copies every byte into freshly allocated cache pages, several times the
// cost of the write itself, while an O_DIRECT write hands the buffer to the
// device. Direct writes need buffers aligned to, and lengths that are
// multiples of, Alignment; the last, shorter piece of a file is written
// after Disable.
package directio

import "unsafe"

// Alignment is the buffer address and length multiple that direct writes
// need: the largest logical block size of common devices.
const Alignment = 4096

// AlignedBuffer returns an empty slice with capacity n (rounded up to a
// multiple of Alignment) whose first byte is aligned to Alignment.
func AlignedBuffer(n int) []byte {
	n = (n + Alignment - 1) &^ (Alignment - 1)
	raw := make([]byte, n+Alignment)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&raw[0])) & (Alignment - 1)); r != 0 {
		off = Alignment - r
	}
	return raw[off : off : off+n]
}

// IsAligned reports whether buf may be written directly: its address and
// length are multiples of Alignment.
func IsAligned(buf []byte) bool {
	return len(buf) > 0 && len(buf)%Alignment == 0 && uintptr(unsafe.Pointer(&buf[0]))%Alignment == 0
}
