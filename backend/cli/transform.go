package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// OpenInput resolves an --input value through sources: a file, a folder or
// a glob of part files read as one list (backend/inputs), or an s3:// or
// cleanrooms:// URL when sources has their openers.
func OpenInput(sources *inputs.Resolver, input string) (inputs.Source, error) {
	if input == "" {
		return inputs.Source{}, UsageError(fmt.Errorf("--input is required"))
	}
	return sources.Open(input)
}

// TransformFlags are the flags shared by preview, transform and commands
// that transform before uploading.
type TransformFlags struct {
	// Sources opens --input (nil: local paths only); the command tree sets it.
	Sources *inputs.Resolver

	Input       string
	Format      string
	Header      string
	Sheet       string
	Maps        []string
	Region      string
	PhoneFormat string
	OutDir      string
	Layout      string
	MaxFileMB   int
	Workers     int
	DedupMB     int
	// Destinations are the platforms the output is for ("tiktok", "meta");
	// none means TikTok.
	Destinations []string
}

// AddInput registers --input, --format, --header, --map, --region and --phone-format.
func (f *TransformFlags) AddInput(c *cobra.Command) {
	c.Flags().StringVar(&f.Input, "input", "", "input file, folder of part files, glob ('exports/*.csv.gz'), s3:// object or prefix ending in /, or cleanrooms://MEMBERSHIP_ID/QUERY_ID|latest (JSON Lines, JSON array, CSV/TSV/TXT, Parquet, Excel .xlsx; gzip, zstd or bzip2 accepted)")
	c.Flags().StringVar(&f.Format, "format", "auto", "input format: auto, jsonl, json, csv, parquet or xlsx")
	f.addHeader(c)
	c.Flags().StringArrayVar(&f.Maps, "map", nil, "COLUMN=TYPE, TYPE one of email, phone, idfa, gaid (repeat for each column)")
	c.Flags().StringVar(&f.Region, "region", "US", "default phone region for numbers without a country code (ISO 3166 code)")
	c.Flags().StringVar(&f.PhoneFormat, "phone-format", "digits", "phone string hashed: digits (16134444444) or e164 (+16134444444)")
}

// AddOutput registers --out, --layout, --max-file-mb, --workers and --dedup-memory-mb.
func (f *TransformFlags) AddOutput(c *cobra.Command) {
	c.Flags().StringVar(&f.OutDir, "out", "", "output folder (created; must be new or empty)")
	c.Flags().StringVar(&f.Layout, "layout", "auto", "auto, combined (one MULTIPLE_TYPES file) or separate (one file set per type)")
	c.Flags().IntVar(&f.MaxFileMB, "max-file-mb", 50, "split output files larger than this (MiB, at most 250)")
	c.Flags().IntVar(&f.Workers, "workers", 0, "normalizing goroutines (0: one per core)")
	c.Flags().IntVar(&f.DedupMB, "dedup-memory-mb", 512, "memory for exact deduplication before it spills to disk (MiB)")
}

// AddDestinations registers --destination (transform: one output for
// several platforms; run and upload name theirs themselves).
func (f *TransformFlags) AddDestinations(c *cobra.Command) {
	c.Flags().StringSliceVar(&f.Destinations, "destination", []string{"tiktok"}, "platforms to write for: tiktok, meta or tiktok,meta (one read of the list; Meta's rows go to meta-rows.tsv)")
}

// ParseDestination accepts "tiktok" or "meta" (any case; "" is tiktok).
func ParseDestination(s string) (destination.Platform, error) {
	switch p := destination.Platform(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return destination.TikTok, nil
	case destination.TikTok, destination.Meta:
		return p, nil
	}
	return "", UsageError(fmt.Errorf("--destination %q: use tiktok or meta", s))
}

// addHeader registers --header and --sheet.
func (f *TransformFlags) addHeader(c *cobra.Command) {
	c.Flags().StringVar(&f.Header, "header", "auto", "CSV/TXT/Excel: does the first row name the columns? auto (detect), yes or no (columns are then column_1, column_2, …)")
	c.Flags().StringVar(&f.Sheet, "sheet", "", "Excel: the worksheet to read (default: the first)")
}

// source opens --input, with the --sheet to read.
func (f *TransformFlags) source() (inputs.Source, error) {
	src, err := OpenInput(f.Sources, f.Input)
	src.Sheet = f.Sheet
	return src, err
}

func (f *TransformFlags) header() (records.HeaderMode, error) {
	h, err := records.ParseHeaderMode(f.Header)
	if err != nil {
		return "", UsageError(err)
	}
	return h, nil
}

func (f *TransformFlags) format() (records.Format, error) {
	fm, err := records.ParseFormat(f.Format)
	if err != nil {
		return "", UsageError(err)
	}
	return fm, nil
}

func (f *TransformFlags) mappings() ([]transform.Mapping, error) {
	if len(f.Maps) == 0 {
		return nil, UsageError(fmt.Errorf("--map COLUMN=TYPE is required at least once"))
	}
	var ms []transform.Mapping
	for _, s := range f.Maps {
		m, err := transform.ParseMapping(s)
		if err != nil {
			return nil, UsageError(err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func (f *TransformFlags) phoneFormat() (identifiers.PhoneFormat, error) {
	pf, err := identifiers.ParsePhoneFormat(f.PhoneFormat)
	if err != nil {
		return 0, UsageError(err)
	}
	return pf, nil
}

// Options builds the transform options; progress may be nil.
func (f *TransformFlags) Options(progress func(transform.Progress)) (transform.Options, error) {
	var o transform.Options
	var err error
	if o.Mappings, err = f.mappings(); err != nil {
		return o, err
	}
	if o.Format, err = f.format(); err != nil {
		return o, err
	}
	if o.Header, err = f.header(); err != nil {
		return o, err
	}
	if o.PhoneFormat, err = f.phoneFormat(); err != nil {
		return o, err
	}
	layout, err := transform.ParseLayout(f.Layout)
	if err != nil {
		return o, UsageError(err)
	}
	if f.OutDir == "" {
		return o, UsageError(fmt.Errorf("--out is required"))
	}
	if f.MaxFileMB < 1 || f.MaxFileMB > 250 {
		return o, UsageError(fmt.Errorf("--max-file-mb must be between 1 and 250 (TikTok's upload limit)"))
	}
	if o.Source, err = f.source(); err != nil {
		return o, err
	}
	o.Region = strings.ToUpper(f.Region)
	o.OutDir = f.OutDir
	o.Layout = layout
	o.MaxFileBytes = int64(f.MaxFileMB) << 20
	o.Workers = f.Workers
	o.DedupMemoryBytes = int64(f.DedupMB) << 20
	o.Progress = progress
	if o.Destinations, err = f.destinations(); err != nil {
		return o, err
	}
	return o, nil
}

// destinations parses --destination.
func (f *TransformFlags) destinations() ([]destination.Platform, error) {
	var out []destination.Platform
	for _, d := range f.Destinations {
		p, err := ParseDestination(d)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func newSchemaCmd(sources *inputs.Resolver) *cobra.Command {
	f := TransformFlags{Sources: sources}
	var sample int
	var asJSON bool
	c := &cobra.Command{
		Use:   "schema --input PATH",
		Short: "List the fields of a customer list with suggested identifier types",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			format, err := f.format()
			if err != nil {
				return err
			}
			header, err := f.header()
			if err != nil {
				return err
			}
			src, err := f.source()
			if err != nil {
				return err
			}
			schema, err := transform.Discover(c.Context(), src, format, header, sample, "US")
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.OutOrStdout(), schema)
			}
			if len(src.Parts) > 0 {
				fmt.Fprintf(c.OutOrStdout(), "%d files, %d bytes in all, read as one list (first: %s).\n", len(src.Parts), src.Size, src.Parts[0].Name)
			}
			printSchema(c.OutOrStdout(), schema)
			return nil
		},
	}
	c.Flags().StringVar(&f.Input, "input", "", "input file, folder of part files, glob, s3:// object or prefix, or cleanrooms://MEMBERSHIP_ID/QUERY_ID|latest")
	c.Flags().StringVar(&f.Format, "format", "auto", "input format: auto, jsonl, json, csv, parquet or xlsx")
	f.addHeader(c)
	c.Flags().IntVar(&sample, "sample", transform.DefaultSample, "records to read")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func quoteSheets(names []string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		q = append(q, strconv.Quote(records.SafeColumnName(n)))
	}
	return strings.Join(q, ", ")
}

func printSchema(w io.Writer, s *records.Schema) {
	fmt.Fprintf(w, "%s: %s", s.Name, s.Format)
	if s.Delimiter != "" {
		fmt.Fprintf(w, " (delimiter %q)", s.Delimiter)
	}
	fmt.Fprintf(w, ", %d records sampled\n", s.Records)
	if s.Sheet != "" {
		fmt.Fprintf(w, "Sheet %q (the workbook has %d: %s); choose another with --sheet NAME.\n", records.SafeColumnName(s.Sheet), len(s.Sheets), quoteSheets(s.Sheets))
	}
	if s.Rows != nil {
		fmt.Fprintf(w, "%d rows (stated by the file).\n", *s.Rows)
	}
	if s.HeaderRow != nil && !*s.HeaderRow {
		fmt.Fprintf(w, "No header row found (%s): every row is data and the columns are named column_1 to column_%d.\n", s.HeaderReason, len(s.Fields))
		fmt.Fprintln(w, "If the first row does name the columns, run again with --header yes.")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tFILLED\tSUGGESTION")
	for _, fl := range s.Fields {
		sug := "-"
		if fl.Suggestion != nil {
			sug = fmt.Sprintf("%s (%.0f%%: %s)", fl.Suggestion.TypeName, fl.Suggestion.Confidence*100, fl.Suggestion.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f%%\t%s\n", fl.Name, fl.Type, fl.FillRate*100, sug)
	}
	tw.Flush()
	for _, m := range s.Malformed {
		fmt.Fprintf(w, "malformed: %s\n", m)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

func newPreviewCmd(sources *inputs.Resolver) *cobra.Command {
	f := TransformFlags{Sources: sources}
	var rows int
	var asJSON bool
	c := &cobra.Command{
		Use:   "preview --input PATH --map COLUMN=TYPE [--map ...]",
		Short: "Show the first rows transformed: original, normalized, hash or why rejected",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var o transform.PreviewOptions
			var err error
			if o.Mappings, err = f.mappings(); err != nil {
				return err
			}
			if o.Format, err = f.format(); err != nil {
				return err
			}
			if o.Header, err = f.header(); err != nil {
				return err
			}
			if o.PhoneFormat, err = f.phoneFormat(); err != nil {
				return err
			}
			if o.Source, err = f.source(); err != nil {
				return err
			}
			o.Region = strings.ToUpper(f.Region)
			o.Rows = rows
			if o.Destinations, err = f.destinations(); err != nil {
				return err
			}
			res, err := transform.Preview(c.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.OutOrStdout(), res)
			}
			printPreview(c.OutOrStdout(), res)
			return nil
		},
	}
	f.AddInput(c)
	f.AddDestinations(c)
	c.Flags().IntVar(&rows, "rows", transform.DefaultPreviewRows, "rows to show")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printPreview(w io.Writer, res *transform.PreviewResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tCOLUMN\tTYPE\tORIGINAL\tNORMALIZED\tRESULT")
	for _, r := range res.Rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%d\t\t\t\t\tmalformed: %s\n", r.Line, r.Error)
			continue
		}
		for _, c := range r.Cells {
			result := c.Hash
			if c.Status == "rejected" {
				result = "rejected: " + c.Reason
			} else if c.Status == "prehashed" {
				result = c.Hash + " (already hashed)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Line, c.Column, c.Type, c.Original, c.Normalized, result)
			if m := c.Meta; m != nil {
				result := m.Cell
				if m.Status == "rejected" {
					result = "rejected: " + m.Reason
				}
				fmt.Fprintf(tw, "\t\tmeta %s\t\t%s\t%s\n", m.Key, m.Normalized, result)
			}
		}
	}
	tw.Flush()
}

func newTransformCmd(sources *inputs.Resolver) *cobra.Command {
	f := TransformFlags{Sources: sources}
	var asJSON bool
	c := &cobra.Command{
		Use:   "transform --input PATH --map COLUMN=TYPE [--map ...] --out DIR",
		Short: "Normalize, hash and deduplicate a customer list into TikTok customer files and a manifest",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			bar := NewProgressBar(c.ErrOrStderr(), "transforming")
			o, err := f.Options(bar.Update)
			if err != nil {
				return err
			}
			m, err := transform.Run(c.Context(), o)
			bar.Finish()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.OutOrStdout(), m)
			}
			PrintManifest(c.OutOrStdout(), f.OutDir, m)
			return nil
		},
	}
	f.AddInput(c)
	f.AddOutput(c)
	f.AddDestinations(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON on stdout")
	return c
}

// PrintManifest summarizes a finished transform for people.
func PrintManifest(w io.Writer, dir string, m *transform.Manifest) {
	c := m.Counters
	fmt.Fprintf(w, "Read %d rows of %s in %s (%.0f rows/s).\n", c.RowsRead, m.Input, time.Duration(c.ElapsedSeconds*float64(time.Second)).Round(time.Millisecond), c.RowsPerSecond)
	tiktok := len(c.Types) > 0 || m.Meta == nil
	if tiktok {
		fmt.Fprintf(w, "Wrote %d rows in %d file(s), %s layout, to %s (run %s)\n", c.RowsWritten, len(m.FilesFor(destination.TikTok)), m.Layout, dir, m.RunID)
	}
	if mc := m.Meta; mc != nil {
		fmt.Fprintf(w, "Wrote %d rows for Meta (schema %s) to %s (run %s)\n", mc.RowsWritten, strings.Join(mc.Schema, ","), filepath.Join(dir, transform.MetaRowsName), m.RunID)
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	if tiktok {
		printTypes(w, "TYPE", c.Types)
		if c.DuplicateRows > 0 {
			fmt.Fprintf(w, "Duplicate rows removed: %d\n", c.DuplicateRows)
		}
		if c.NoIdentifier > 0 {
			fmt.Fprintf(w, "Rows with no usable identifier: %d\n", c.NoIdentifier)
		}
	}
	if mc := m.Meta; mc != nil {
		printTypes(w, "META KEY", mc.Keys)
		if mc.DuplicateRows > 0 {
			fmt.Fprintf(w, "Meta: duplicate rows removed: %d\n", mc.DuplicateRows)
		}
		if mc.NoIdentifier > 0 {
			fmt.Fprintf(w, "Meta: rows with no usable identifier: %d\n", mc.NoIdentifier)
		}
	}
	if c.Malformed > 0 {
		fmt.Fprintf(w, "Malformed rows skipped: %d\n", c.Malformed)
		for _, e := range c.MalformedErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
		if int64(len(c.MalformedErrors)) < c.Malformed {
			fmt.Fprintf(w, "  … and %d more\n", c.Malformed-int64(len(c.MalformedErrors)))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tTYPE\tROWS\tBYTES\tMD5")
	for _, f := range m.Files {
		typ := f.CalculateType
		if f.For() != destination.TikTok {
			typ = string(f.For()) + ": " + strings.Join(f.Schema, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", f.Path, typ, f.Rows, f.Bytes, f.MD5)
	}
	tw.Flush()
}

// printTypes is the table of one platform's counters by type or key.
func printTypes(w io.Writer, title string, types map[string]*transform.TypeCounters) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n%s\tVALID\tALREADY HASHED\tDUPLICATE\tREJECTED\n", title)
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := types[n]
		var rej []string
		reasons := make([]string, 0, len(t.Invalid))
		for r := range t.Invalid {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			rej = append(rej, fmt.Sprintf("%s %d", r, t.Invalid[r]))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", n, t.Valid, t.Prehashed, t.Duplicate, strings.Join(rej, ", "))
	}
	tw.Flush()
}

// ProgressBar draws transform progress on a terminal; elsewhere it is silent.
type ProgressBar struct {
	bar *progressbar.ProgressBar
	w   io.Writer
	d   string
}

// NewProgressBar returns a bar on w when w is a terminal.
func NewProgressBar(w io.Writer, description string) *ProgressBar {
	p := &ProgressBar{w: w, d: description}
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		p.w = nil
	}
	return p
}

// Update is a transform.Progress callback.
func (p *ProgressBar) Update(pr transform.Progress) {
	if p.w == nil {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(pr.BytesTotal,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.d),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.Describe(fmt.Sprintf("%s %d rows", p.d, pr.Rows))
	p.bar.Set64(pr.BytesRead)
}

// Finish clears the bar.
func (p *ProgressBar) Finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// CleanUpInterruptedTransforms is called when the app or the CLI starts: it
// removes what transforms killed earlier left (their staging folders of
// hashes) and lets this process's transforms note theirs in the data folder,
// so the next start finds them wherever they are. It only reports on w.
func CleanUpInterruptedTransforms(w io.Writer) {
	dir, err := datadir.Path()
	if err != nil {
		return // no data folder: transforms still sweep beside their output
	}
	removed, err := transform.CleanUpInterrupted(dir)
	for _, r := range removed {
		fmt.Fprintf(w, "Removed the unfinished output of an interrupted transform: %s\n", r)
	}
	if err != nil {
		fmt.Fprintf(w, "warning: %v\n", err)
	}
}
