package transform

import (
	"context"
	"fmt"
	"io"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// PreviewOptions configure Preview.
type PreviewOptions struct {
	Source      Source
	Format      records.Format
	Header      records.HeaderMode // CSV/TXT: does the first row name the columns? "" detects it
	Mappings    []Mapping
	Region      string
	PhoneFormat identifiers.PhoneFormat
	Rows        int // default 20
}

// PreviewCell shows what happens to one mapped value.
type PreviewCell struct {
	Column     string `json:"column"`
	Type       string `json:"type"`
	Original   string `json:"original"`
	Normalized string `json:"normalized,omitempty"`
	Hash       string `json:"hash,omitempty"`
	Status     string `json:"status"` // valid, prehashed, rejected
	Reason     string `json:"reason,omitempty"`
	ReasonText string `json:"reason_text,omitempty"`
}

// PreviewRow is one input record's transformation.
type PreviewRow struct {
	Line  int64         `json:"line"`
	Cells []PreviewCell `json:"cells,omitempty"`
	Error string        `json:"error,omitempty"` // a malformed record
}

// PreviewResult is the first rows, transformed, and what they suggest about
// the whole file.
type PreviewResult struct {
	Rows []PreviewRow `json:"rows"`
	// ValidShare is, per mapped column, the share of previewed values that
	// will be uploaded (valid or already hashed).
	ValidShare map[string]float64 `json:"valid_share"`
}

// Preview transforms only the first rows; it reads no more of the input
// than those rows need.
func Preview(ctx context.Context, opts PreviewOptions) (*PreviewResult, error) {
	if opts.Rows <= 0 {
		opts.Rows = DefaultPreviewRows
	}
	if opts.Region == "" {
		opts.Region = "US"
	}
	if len(opts.Mappings) == 0 {
		return nil, usageErrorf("no column is mapped to an identifier type: map at least one to preview")
	}
	var err error
	if opts.Mappings, err = resolveMappings(opts.Mappings); err != nil {
		return nil, err
	}
	norm, err := identifiers.NewNormalizer(identifiers.Options{Region: opts.Region, PhoneFormat: opts.PhoneFormat})
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	rd, _, closer, err := openRecords(ctx, opts.Source, opts.Format, opts.Header)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	cols := make([]string, len(opts.Mappings))
	for i, m := range opts.Mappings {
		cols[i] = m.Column
	}
	ex, err := rd.NewExtractor(cols)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	values := make([]records.Value, len(cols))
	res := &PreviewResult{ValidShare: map[string]float64{}}
	good := make([]int, len(cols))
	var chunk records.Chunk
	for len(res.Rows) < opts.Rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := rd.NextChunk(&chunk, opts.Rows-len(res.Rows))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", opts.Source.Name, err)
		}
		for _, e := range chunk.Errors {
			res.Rows = append(res.Rows, PreviewRow{Line: e.Line, Error: e.Error()})
		}
		for _, sp := range chunk.Records {
			row := PreviewRow{Line: sp.Line}
			if err := ex.Extract(chunk.Data[sp.Start:sp.End], sp.Line, values); err != nil {
				row.Error = err.Error()
				res.Rows = append(res.Rows, row)
				continue
			}
			for i, m := range opts.Mappings {
				v := values[i]
				cell := PreviewCell{Column: m.Column, Type: m.Type.String(), Original: originalText(v)}
				r := normalizeValue(norm, m.Type, v)
				switch r.Status {
				case identifiers.Valid:
					cell.Status = "valid"
					cell.Normalized = string(r.Normalized)
					cell.Hash = string(identifiers.HexHash(r.Hash, nil))
					good[i]++
				case identifiers.Prehashed:
					cell.Status = "prehashed"
					cell.Hash = string(identifiers.HexHash(r.Hash, nil))
					good[i]++
				default:
					cell.Status = "rejected"
					cell.Reason = string(r.Reason)
					cell.ReasonText = r.Reason.Description()
				}
				row.Cells = append(row.Cells, cell)
			}
			res.Rows = append(res.Rows, row)
		}
	}
	if len(res.Rows) > opts.Rows {
		res.Rows = res.Rows[:opts.Rows]
	}
	parsed := 0
	for _, r := range res.Rows {
		if r.Error == "" {
			parsed++
		}
	}
	for i, m := range opts.Mappings {
		if parsed > 0 {
			res.ValidShare[m.Column] = float64(good[i]) / float64(parsed)
		}
	}
	return res, nil
}

// originalText shows a value as the person would recognise it.
func originalText(v records.Value) string {
	switch v.Kind {
	case records.Missing:
		return ""
	case records.Null:
		return "null"
	}
	return string(v.Bytes)
}

// Discover reads a sample of records and reports the fields found, with a
// suggested identifier type for each, and whether a CSV/TXT file's first row
// names its columns (header decides, or says; "" detects it).
func Discover(ctx context.Context, src Source, format records.Format, header records.HeaderMode, sample int, region string) (*records.Schema, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	if region == "" {
		region = "US"
	}
	norm, err := identifiers.NewNormalizer(identifiers.Options{Region: region})
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	rd, _, closer, err := openRecords(ctx, src, format, header)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return records.Discover(rd, sample, norm)
}
