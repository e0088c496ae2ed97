package records

// The bounds on what an .xlsx workbook states, in one place. Memory is bounded by these numbers, never by
// what a file claims: each one is checked before anything is allocated from the value it bounds. A file
// past a structural bound ends with a sentence naming it; a cell past a value bound is a counted bad row
// (file, sheet, row, column) and reading goes on. Any reader of sheet XML must keep them (the tests in
// bounds_test.go and backend/cli/bounds_test.go hold through the public reader, whatever parses the XML).
const (
	// maxXLSXCellChars is the longest cell value read: Excel's own limit for one cell, 32,767 characters.
	// No identifier is near it; a longer value (a file Excel could not have written) is a counted bad value,
	// and its characters are counted as they stream past, never kept.
	maxXLSXCellChars = 32767
	// maxXLSXRowBytes bounds the text of one row, as DefaultMaxRecordBytes bounds a text record: 16,384
	// cells each at Excel's limit would be 2 GiB. A longer row is a counted bad row.
	maxXLSXRowBytes = DefaultMaxRecordBytes
	// maxXLSXColumns is Excel's last column, XFD: a cell reference past it is a counted bad row, so a row's
	// cells never number more.
	maxXLSXColumns = 16384
	// maxXLSXRows is Excel's last row: a row number past it means a damaged sheet.
	maxXLSXRows = 1048576
	// maxXLSXDepth bounds element nesting in any part read (a worksheet is about 5 deep, rich text 7).
	maxXLSXDepth = 64
	// maxXLSXTagBytes bounds one tag with its attributes; a cell's or row's tag is well under 200 bytes.
	maxXLSXTagBytes = 64 << 10
	// maxXLSXSharedStrings bounds the shared-strings table's entries (8 bytes of index each, 64 MiB at
	// most): Excel's 1,048,576 rows with 8 distinct text columns.
	maxXLSXSharedStrings = 8 << 20
	// maxXLSXSharedBytes bounds the shared strings' text held in memory (a 1M-row list with six text
	// columns of 25 characters is 125 MB; with a full index, 192 MiB, under the fuzz ceiling). The strings are kept in memory, never in a temporary file:
	// they are the customer's identifiers.
	maxXLSXSharedBytes = 128 << 20
	// maxXLSXWorkbookPart bounds the workbook and its relationships, decoded whole (sheet names and
	// their parts; thousands of sheets stay under 1 MiB).
	maxXLSXWorkbookPart = 8 << 20

	// ZIP entries' stated sizes, checked before any entry is read (checkXLSXSizes).
	maxXLSXPart     = 256 << 20 // an entry other than a worksheet or the shared strings (styles, images…)
	maxXLSXUnzipped = 4 << 30   // all entries together (Excel's 1,048,576-row limit keeps real lists well below)
	maxDeflateRatio = 1100      // DEFLATE cannot expand more than about 1032:1; a larger ratio is a lie or a ZIP bomb
	maxXLSXScan     = 64 << 20  // how far an encrypted workbook is scanned for its marker (it is refused either way)
)
