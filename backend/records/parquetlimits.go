package records

import (
	"fmt"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The bounds on what a Parquet file states, in one place. Memory is bounded by these numbers, never by
// what a file claims: parquet-go allocates what a footer or page header says before reading the bytes
// behind it, so each size, count and scale is checked first (parquetguard.go, checkParquetSchema). A file
// past a structural bound ends with a sentence naming it; a value past maxParquetValueBytes is a counted
// bad row (file, row, column) and reading goes on.
const (
	// maxParquetFooter bounds the footer (metadata): even thousands of row groups of hundreds of columns
	// stay far below.
	maxParquetFooter = 256 << 20
	// maxParquetPageSize bounds one page, compressed or not, and its decoded values. Writers cut pages at
	// about 1 MiB (parquet-mr, Arrow, DuckDB, Polars); 128 MiB is a hundred times that, and keeps a page
	// with its decompressed copy and decoded values under the app's memory.
	maxParquetPageSize = 128 << 20
	// maxThriftDepth bounds the nesting of structs and lists in a footer or page header.
	maxThriftDepth = 64
	// maxParquetDepth bounds the schema's nesting (parquet-go builds it recursively; real files nest
	// a list of structs a few levels deep).
	maxParquetDepth = 64
	// maxDecimalPrecision is the most digits a DECIMAL may have here: 38, as in Spark, Arrow's decimal128,
	// DuckDB and SQL Server; a DECIMAL's scale is 0 <= scale <= precision. A scale is how many zeros a
	// value's text gets, so it is checked before any value is read.
	maxDecimalPrecision = 38
	// maxParquetValueBytes is the longest string value read: as long as the longest Excel cell in UTF-8
	// (32,767 characters of up to 4 bytes). No identifier is near it; a longer value is a counted bad value.
	maxParquetValueBytes = 4 * maxXLSXCellChars
	// Row-group row counts are never allocated from: rows are read in batches, and a page may state no
	// more values than its row group has rows (checkParquetPages), nor more than fit maxParquetPageSize.
	// Dictionary pages are held to the same page size, and to values their bytes can hold.
)

// checkParquetSchema checks the footer's schema before parquet-go builds it: every group's children
// are within the list, nesting is at most maxParquetDepth, and every DECIMAL has 0 <= scale <=
// precision <= 38.
func checkParquetSchema(name string, footer []byte) error {
	var meta struct {
		Schema []format.SchemaElement `thrift:"2,required"`
	}
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &meta); err != nil {
		return fmt.Errorf("%s is not a readable Parquet file (damaged footer: %v)", name, err)
	}
	schema := meta.Schema
	if len(schema) == 0 {
		return fmt.Errorf("%s is not a readable Parquet file (its footer has no schema)", name)
	}
	// Children still to come at each open level; the schema is listed depth first.
	var open []int64
	for i := range schema {
		el := &schema[i]
		for len(open) > 0 && open[len(open)-1] == 0 {
			open = open[:len(open)-1]
		}
		if i > 0 {
			if len(open) == 0 {
				return fmt.Errorf("%s is not a readable Parquet file (damaged schema: element %d belongs to no group)", name, i+1)
			}
			open[len(open)-1]--
		}
		if n, ok := el.NumChildren.Get(); ok && n > 0 {
			if int64(n) > int64(len(schema)-i-1) {
				return fmt.Errorf("%s is not a readable Parquet file (damaged schema: %q says it has %d columns, more than the schema lists)", name, SafeColumnName(el.Name), n)
			}
			open = append(open, int64(n))
			if len(open) > maxParquetDepth+1 {
				return fmt.Errorf("%s is not a readable Parquet file: its columns are nested more than %d deep", name, maxParquetDepth)
			}
		}
		scale, precision, decimal := int64(0), int64(0), false
		if d, ok := el.LogicalType.Value.(*format.DecimalType); ok && d != nil {
			scale, precision, decimal = int64(d.Scale), int64(d.Precision), true
		} else if ct, ok := el.ConvertedType.Get(); ok && ct == deprecated.Decimal {
			s, _ := el.Scale.Get()
			p, _ := el.Precision.Get()
			scale, precision, decimal = int64(s), int64(p), true
		}
		if decimal && (scale < 0 || precision < 1 || scale > precision || precision > maxDecimalPrecision) {
			return fmt.Errorf("%s is not a readable Parquet file: column %q says it is DECIMAL(%d, %d), and a decimal has at most %d digits with 0 <= scale <= precision; the file is damaged or was written wrongly", name, SafeColumnName(el.Name), precision, scale, maxDecimalPrecision)
		}
	}
	return nil
}
