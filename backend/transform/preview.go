package transform

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// PreviewOptions configure Preview.
type PreviewOptions struct {
	Source      inputs.Source
	Format      records.Format
	Header      records.HeaderMode // CSV/TXT: does the first row name the columns? "" detects it
	Mappings    []Mapping
	Region      string
	PhoneFormat identifiers.PhoneFormat
	Rows        int // default 20
	// Destinations as in Options: with destination.Meta each cell also
	// shows what Meta's rules make of the value (PreviewCell.Meta).
	Destinations []destination.Platform
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
	// Meta is the value by Meta's rules, when Meta is a destination.
	Meta *PreviewMetaCell `json:"meta,omitempty"`
}

// PreviewMetaCell shows one value by Meta's rules: its key, its normalized
// text and the cell sent (a hash, or a MADID in clear), or why it is not.
type PreviewMetaCell struct {
	Key        string `json:"key"`
	Normalized string `json:"normalized,omitempty"`
	Cell       string `json:"cell,omitempty"`
	Status     string `json:"status"` // valid, prehashed, rejected
	Reason     string `json:"reason,omitempty"`
	ReasonText string `json:"reason_text,omitempty"`
}

// PreviewRow is one input record's transformation.
type PreviewRow struct {
	Part  string        `json:"part,omitempty"` // the file, when the input is a list of files
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
	// MetaValidShare is the same by Meta's rules, when Meta is a destination.
	MetaValidShare map[string]float64 `json:"meta_valid_share,omitempty"`
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
	var metaNorm *identifiers.MetaNormalizer
	if slices.Contains(opts.Destinations, destination.Meta) {
		if metaNorm, err = identifiers.NewMetaNormalizer(opts.Region); err != nil {
			return nil, &UsageError{Err: err}
		}
	}
	cols := make([]string, len(opts.Mappings))
	for i, m := range opts.Mappings {
		cols[i] = m.Column
	}
	values := make([]records.Value, len(cols))
	res := &PreviewResult{ValidShare: map[string]float64{}}
	good := make([]int, 2*len(cols)) // TikTok's, then Meta's
	// Parts are read in order until the rows are shown; the first decides
	// whether CSV parts have a header row.
	parts := opts.Source.PartList()
	header := opts.Header
	for k := 0; k < len(parts) && len(res.Rows) < opts.Rows; k++ {
		rd, closer, err := openRecords(ctx, parts[k], opts.Format, header, nil)
		if err != nil {
			if len(parts) > 1 && isEmptyPart(err, parts[k].Name) {
				continue
			}
			return nil, err
		}
		if rd.Format() == records.FormatCSV && (header == "" || header == records.HeaderAuto) {
			header = records.HeaderNo
			if rd.HasHeader() {
				header = records.HeaderYes
			}
		}
		err = previewPart(ctx, rd, parts[k].Name, len(parts) > 1, opts, cols, norm, metaNorm, values, good, res)
		closer.Close()
		if err != nil {
			return nil, err
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
	if metaNorm != nil {
		res.MetaValidShare = map[string]float64{}
	}
	for i, m := range opts.Mappings {
		if parsed > 0 {
			res.ValidShare[m.Column] = float64(good[i]) / float64(parsed)
			if metaNorm != nil {
				res.MetaValidShare[m.Column] = float64(good[len(cols)+i]) / float64(parsed)
			}
		}
	}
	return res, nil
}

// previewPart adds one part's first rows to res.
func previewPart(ctx context.Context, rd *records.Reader, name string, named bool, opts PreviewOptions, cols []string, norm *identifiers.Normalizer,
	metaNorm *identifiers.MetaNormalizer, values []records.Value, good []int, res *PreviewResult) error {
	ex, err := rd.NewExtractor(cols)
	if err != nil {
		return &UsageError{Err: err}
	}
	part := ""
	if named {
		part = name
	}
	var chunk records.Chunk
	for len(res.Rows) < opts.Rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := rd.NextChunk(&chunk, opts.Rows-len(res.Rows))
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		for _, e := range chunk.Errors {
			res.Rows = append(res.Rows, PreviewRow{Part: part, Line: e.Line, Error: e.Error()})
		}
		for _, sp := range chunk.Records {
			row := PreviewRow{Part: part, Line: sp.Line}
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
				if metaNorm != nil {
					cell.Meta = previewMeta(metaNorm, m.Type, v)
					if cell.Meta.Status != "rejected" {
						good[len(cols)+i]++
					}
				}
				row.Cells = append(row.Cells, cell)
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return nil
}

// previewMeta is one value by Meta's rules.
func previewMeta(n *identifiers.MetaNormalizer, t identifiers.Type, v records.Value) *PreviewMetaCell {
	k := identifiers.MetaKeyFor(t)
	mc := &PreviewMetaCell{Key: k.SchemaName()}
	r := identifiers.Result{Status: identifiers.Rejected, Reason: identifiers.ReasonEmpty}
	switch v.Kind {
	case records.String, records.Number:
		r = n.Normalize(k, v.Bytes)
	case records.Missing, records.Null:
	default:
		r.Reason = identifiers.ReasonInvalidType
	}
	switch r.Status {
	case identifiers.Valid:
		mc.Status, mc.Normalized = "valid", string(r.Normalized)
		mc.Cell = string(identifiers.AppendMetaCell(nil, k, r))
	case identifiers.Prehashed:
		mc.Status, mc.Cell = "prehashed", string(identifiers.AppendMetaCell(nil, k, r))
	default:
		mc.Status, mc.Reason, mc.ReasonText = "rejected", string(r.Reason), r.Reason.Description()
	}
	return mc
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
func Discover(ctx context.Context, src inputs.Source, format records.Format, header records.HeaderMode, sample int, region string) (*records.Schema, error) {
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
	if len(src.Parts) == 0 {
		rd, closer, err := openRecords(ctx, src, format, header, nil)
		if err != nil {
			return nil, err
		}
		defer closer.Close()
		return records.Discover(rd, sample, norm)
	}
	// A list of files: a sample across them, from the parts it reads.
	return discoverParts(ctx, src, format, header, sample, norm)
}
