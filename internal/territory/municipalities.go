package territory

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/raccordo/raccordo/internal/namekey"
)

// Municipality is one ISTAT municipality (comune).
//
// RegionID is the slug of the unit in Regions, already resolved for the
// autonomous provinces, so callers never see Trentino-Alto Adige.
type Municipality struct {
	ISTATCode     string
	Name          string
	ProvinceCode  string
	Province      string
	ProvinceAbbr  string
	RegionID      string
	CadastralCode string
	Population    int64
}

// Municipalities is an index of the ISTAT municipalities. It is never
// modified after LoadMunicipalities returns, so it is safe for concurrent
// use without locking. A nil *Municipalities behaves as an empty list, which
// lets the server run without a municipality file.
type Municipalities struct {
	list     []Municipality     // file order
	byCode   map[string]int     // ISTAT code -> index in list
	sorted   []entry            // all municipalities, in search order
	byRegion map[string][]entry // region ID -> its municipalities, in search order
}

// entry pairs a municipality with its name's key (namekey.Of), computed once at load
// time so that Search does no per-keystroke normalisation of the data.
type entry struct {
	key string // namekey.Of(Name)
	idx int    // index in Municipalities.list
}

// header is the exact column layout of the municipality file. The region
// name column is required for the layout but not kept: RegionID replaces it.
var header = []string{
	"istat_code", "name", "province_code", "province", "province_abbr",
	"region_code", "region", "cadastral_code", "population",
}

// Column positions in header, named so that validation reads clearly.
const (
	colISTATCode = iota
	colName
	colProvinceCode
	colProvince
	colProvinceAbbr
	colRegionCode
	colRegion
	colCadastralCode
	colPopulation
)

// utf8BOM is stripped from the start of the input because spreadsheet tools
// commonly add it when exporting CSV, and it would corrupt the first column
// name.
const utf8BOM = "\uFEFF"

// LoadMunicipalitiesFile reads a municipality list from the CSV file at
// path. Parse errors are prefixed with the path so operators can find the
// offending file.
func LoadMunicipalitiesFile(path string) (*Municipalities, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := LoadMunicipalities(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// LoadMunicipalities parses a municipality list in CSV form. The header must
// match the expected columns exactly, and every row is validated, because a
// silently skipped or misassigned municipality would surface much later as a
// wrong territorial attribution. Errors name the line and the column.
func LoadMunicipalities(r io.Reader) (*Municipalities, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}

	cr := csv.NewReader(br)
	cr.FieldsPerRecord = len(header)
	got, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("line 1: missing header")
	}
	if err != nil && !errors.Is(err, csv.ErrFieldCount) {
		return nil, err
	}
	if err := checkHeader(got); err != nil {
		return nil, err
	}

	m := &Municipalities{
		byCode:   make(map[string]int),
		byRegion: make(map[string][]entry),
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		mun, err := parseRow(cr, rec)
		if err != nil {
			return nil, err
		}
		if _, dup := m.byCode[mun.ISTATCode]; dup {
			line, _ := cr.FieldPos(colISTATCode)
			return nil, fmt.Errorf("line %d: %s %q: duplicate code", line, header[colISTATCode], mun.ISTATCode)
		}
		m.byCode[mun.ISTATCode] = len(m.list)
		m.list = append(m.list, mun)
	}

	m.sorted = make([]entry, len(m.list))
	for i, mun := range m.list {
		m.sorted[i] = entry{key: namekey.Of(mun.Name), idx: i}
	}
	slices.SortFunc(m.sorted, m.compare)
	// Filtering the sorted slice keeps each region's slice in search order
	// without sorting again.
	for _, e := range m.sorted {
		id := m.list[e.idx].RegionID
		m.byRegion[id] = append(m.byRegion[id], e)
	}
	return m, nil
}

// checkHeader reports the first expected column that is missing, or, when
// all are present, the first one out of place.
func checkHeader(got []string) error {
	for _, want := range header {
		if !slices.Contains(got, want) {
			return fmt.Errorf("line 1: header: missing column %q", want)
		}
	}
	// Every expected name is present, so got has at least len(header)
	// fields and indexing it below is safe.
	for i, want := range header {
		if got[i] != want {
			return fmt.Errorf("line 1: header: column %d is %q, want %q", i+1, got[i], want)
		}
	}
	if len(got) != len(header) {
		return fmt.Errorf("line 1: header: unexpected column %q", got[len(header)])
	}
	return nil
}

// parseRow validates one record and converts it to a Municipality. cr is
// used only to report the line of the offending field.
func parseRow(cr *csv.Reader, rec []string) (Municipality, error) {
	field := func(col int) string { return strings.TrimSpace(rec[col]) }
	fail := func(col int, why string) error {
		line, _ := cr.FieldPos(col)
		return fmt.Errorf("line %d: %s %q: %s", line, header[col], field(col), why)
	}

	mun := Municipality{
		ISTATCode:     field(colISTATCode),
		Name:          field(colName),
		ProvinceCode:  field(colProvinceCode),
		Province:      field(colProvince),
		ProvinceAbbr:  field(colProvinceAbbr),
		CadastralCode: field(colCadastralCode),
	}
	if !isDigits(mun.ISTATCode, 6) {
		return Municipality{}, fail(colISTATCode, "want six digits")
	}
	if mun.Name == "" {
		return Municipality{}, fail(colName, "want a non-empty name")
	}
	if !isDigits(mun.ProvinceCode, 3) {
		return Municipality{}, fail(colProvinceCode, "want three digits")
	}
	id, ok := regionIDFor(field(colRegionCode), mun.ProvinceCode)
	if !ok {
		if field(colRegionCode) == trentinoAltoAdige {
			return Municipality{}, fail(colRegionCode, fmt.Sprintf("province_code %q is neither Bolzano (021) nor Trento (022)", mun.ProvinceCode))
		}
		return Municipality{}, fail(colRegionCode, "unknown region")
	}
	mun.RegionID = id
	if p := field(colPopulation); p != "" {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return Municipality{}, fail(colPopulation, "want a non-negative integer")
		}
		mun.Population = n
	}
	return mun, nil
}

// isDigits reports whether s is exactly n ASCII digits. ISTAT codes keep
// their leading zeros, so they are validated as text, not as numbers.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compare orders entries by folded name, then name, then code. Ordering by
// the folded name first keeps every prefix match contiguous, which is what
// lets Search use a binary search.
func (m *Municipalities) compare(a, b entry) int {
	return cmp.Or(
		strings.Compare(a.key, b.key),
		strings.Compare(m.list[a.idx].Name, m.list[b.idx].Name),
		strings.Compare(m.list[a.idx].ISTATCode, m.list[b.idx].ISTATCode),
	)
}

// Len returns the number of municipalities.
func (m *Municipalities) Len() int {
	if m == nil {
		return 0
	}
	return len(m.list)
}

// Lookup returns the municipality with the given six-digit ISTAT code.
func (m *Municipalities) Lookup(code string) (Municipality, bool) {
	if m == nil {
		return Municipality{}, false
	}
	i, ok := m.byCode[code]
	if !ok {
		return Municipality{}, false
	}
	return m.list[i], true
}

// InRegion reports whether the municipality with the given ISTAT code
// belongs to the region regionID. Unknown codes belong to no region.
func (m *Municipalities) InRegion(code, regionID string) bool {
	mun, ok := m.Lookup(code)
	return ok && mun.RegionID == regionID
}

// Search returns the municipalities of regionID whose name starts with
// namePrefix, ordered by name then code. regionID "" or "-" searches all
// regions; an unknown region yields nothing. The prefix is compared as
// names are (namekey.Of: case, accents and runs of spaces ignored), so
// users can type "cantu" for "Cantù"; a space it ends with still ends a
// word. An empty prefix returns the whole region. The result is a fresh slice owned by the
// caller.
func (m *Municipalities) Search(regionID, namePrefix string) []Municipality {
	if m == nil {
		return nil
	}
	entries := m.sorted
	if regionID != "" && regionID != "-" {
		entries = m.byRegion[regionID]
	}
	prefix := namekey.Of(namePrefix)
	if prefix != "" && strings.TrimRightFunc(namePrefix, unicode.IsSpace) != namePrefix {
		prefix += " " // "san " starts "San Marco", not "Sannazzaro"
	}
	start, _ := slices.BinarySearchFunc(entries, prefix, func(e entry, p string) int {
		return strings.Compare(e.key, p)
	})
	end := start
	for end < len(entries) && strings.HasPrefix(entries[end].key, prefix) {
		end++
	}
	if start == end {
		return nil
	}
	out := make([]Municipality, 0, end-start)
	for _, e := range entries[start:end] {
		out = append(out, m.list[e.idx])
	}
	return out
}
