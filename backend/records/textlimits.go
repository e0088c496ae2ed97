package records

// The bounds on what a text file (CSV, TSV, TXT, JSON Lines, JSON; compressed or not) makes the reader
// hold, in one place. Memory is bounded by these numbers, never by the file: the framer holds at most one
// record, and every length, count and depth inside a record is bounded by the record's own bound.
const (
	// DefaultMaxRecordBytes bounds one record: a CSV row (with every quoted field in it, however many lines
	// it spans) or a JSON value, and so every field, value and header row. A longer record is a counted bad
	// row (file, line) and reading goes on after it; its bytes stream past without being kept. No list of
	// identifiers has rows near 1 MiB; Excel's cell limit, 32,767 characters, is the bound of one value in
	// the other formats (xlsxlimits.go), and a row of identifiers is a handful of them.
	DefaultMaxRecordBytes = 1 << 20
	// maxWalkDepth bounds how deep schema discovery descends into JSON objects (it recurses); deeper ones
	// are reported as one object field. Nesting itself is counted, never stacked: framing (frame.go) keeps a
	// depth counter and extraction (skipContainer) a 64-bit bracket stack, so any depth a 1 MiB record can
	// hold costs nothing.
	maxWalkDepth = 32
	// maxBracketCheckDepth is how deep skipContainer checks that brackets match (a uint64 bit stack);
	// deeper, brackets are only counted.
	maxBracketCheckDepth = 64
	// maxFields bounds the distinct JSON paths discovery tracks; more are ignored with a warning.
	maxFields = 10000
	// zstdMaxWindow bounds the memory one zstd frame may ask for (the format allows up to 3.75 TB; zstd's own
	// command line refuses more than 128 MiB without --long, so real files stay under it). gzip and bzip2
	// need fixed, small state whatever the file says.
	zstdMaxWindow = 128 << 20
)
