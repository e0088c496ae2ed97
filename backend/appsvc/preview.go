package appsvc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Discover reads a sample of the file and suggests a type for each column;
// for CSV/TXT it detects whether the first row names the columns, and the
// schema says what it found (header_row).
func (s *Service) Discover(path string, region string) (*records.Schema, error) {
	return s.DiscoverWithHeader(path, region, string(records.HeaderAuto))
}

// DiscoverWithHeader is Discover with the person's answer to "does the first
// row name the columns?": "yes", "no", or "auto" (or "") to detect it.
func (s *Service) DiscoverWithHeader(path, region, header string) (*records.Schema, error) {
	return s.discover(path, region, header, "")
}

func (s *Service) discover(path, region, header, sheet string) (*records.Schema, error) {
	hm, err := records.ParseHeaderMode(header)
	if err != nil {
		return nil, sentence(err, "Choose auto, yes or no.")
	}
	src, err := s.openSource(path)
	if err != nil {
		return nil, err
	}
	src.Sheet = sheet
	if region == "" {
		region = s.Settings().DefaultRegion
	}
	sc, err := transform.Discover(s.ctx, src, records.FormatAuto, hm, transform.DefaultSample, region)
	if err != nil {
		return nil, sentence(err, "Check that the file is CSV, TSV, TXT, JSON, JSON Lines, Parquet or Excel (.xlsx), or choose another file.")
	}
	return sc, nil
}

// DiscoverRequest is Discover with every choice Step 1 and the columns step
// can make: the header answer and, for an Excel workbook, the sheet.
type DiscoverRequest struct {
	Path   string `json:"path"`
	Region string `json:"region"`
	Header string `json:"header"` // CSV/TXT: auto (or ""), yes or no
	Sheet  string `json:"sheet"`  // Excel: the worksheet ("" for the first)
}

// DiscoverInput is DiscoverWithHeader that also reads the chosen sheet.
func (s *Service) DiscoverInput(req DiscoverRequest) (*records.Schema, error) {
	return s.discover(req.Path, req.Region, req.Header, req.Sheet)
}

// Mapping is a column and the identifier type the person gave it.
type Mapping struct {
	Column string `json:"column"`
	Type   string `json:"type"` // email, phone, idfa, gaid
}

func toMappings(in []Mapping) ([]transform.Mapping, error) {
	if len(in) == 0 {
		return nil, errors.New("No column is marked as an identifier. Mark at least one column as PII with a type (email, phone, IDFA or GAID).")
	}
	out := make([]transform.Mapping, 0, len(in))
	for _, m := range in {
		if m.Column == "" {
			return nil, errors.New("A mapping has no column name. Go back to Define columns and check the table.")
		}
		tm, err := transform.ParseMapping(m.Column + "=" + strings.ToLower(m.Type))
		if err != nil {
			return nil, fmt.Errorf("The column %q has no valid PII type (%v). Choose email, phone, IDFA or GAID.", records.SafeColumnName(m.Column), err)
		}
		out = append(out, tm)
	}
	return out, nil
}

// PreviewRequest asks for the first rows transformed.
type PreviewRequest struct {
	Path        string    `json:"path"`
	Mappings    []Mapping `json:"mappings"`
	Region      string    `json:"region"`
	PhoneFormat string    `json:"phone_format"`
	Rows        int       `json:"rows"`
	Header      string    `json:"header"` // CSV/TXT: auto (or ""), yes or no, as given to Discover
	Sheet       string    `json:"sheet"`  // Excel: the worksheet ("" for the first), as given to DiscoverInput
}

// Preview transforms the first rows (20 by default).
func (s *Service) Preview(req PreviewRequest) (*transform.PreviewResult, error) {
	maps, err := toMappings(req.Mappings)
	if err != nil {
		return nil, err
	}
	pf, err := identifiers.ParsePhoneFormat(orDefault(req.PhoneFormat, "digits"))
	if err != nil {
		return nil, sentence(err, "Choose digits or +E.164.")
	}
	src, err := s.openSource(req.Path)
	if err != nil {
		return nil, err
	}
	src.Sheet = req.Sheet
	rows := req.Rows
	if rows <= 0 || rows > 200 {
		rows = transform.DefaultPreviewRows
	}
	res, err := transform.Preview(s.ctx, transform.PreviewOptions{
		Source: src, Format: records.FormatAuto, Header: records.HeaderMode(req.Header), Mappings: maps,
		Region: orDefault(req.Region, s.Settings().DefaultRegion), PhoneFormat: pf, Rows: rows,
	})
	if err != nil {
		return nil, sentence(err, "Check the column types, or go back and choose another file.")
	}
	return res, nil
}
