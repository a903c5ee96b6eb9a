package territory_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/raccordo/raccordo/internal/territory"
)

// realFile is the ISTAT list shipped with the repository, relative to the
// package directory in which go test runs.
const realFile = "../../../shared/data/comuni-istat.csv"

// loadReal parses the real file once for all tests, since every test only
// reads from the immutable index.
var loadReal = sync.OnceValues(func() (*territory.Municipalities, error) {
	return territory.LoadMunicipalitiesFile(realFile)
})

func realMunicipalities(t *testing.T) *territory.Municipalities {
	t.Helper()
	m, err := loadReal()
	if err != nil {
		t.Fatalf("LoadMunicipalitiesFile(%q): %v", realFile, err)
	}
	return m
}

const csvHeader = "istat_code,name,province_code,province,province_abbr,region_code,region,cadastral_code,population\n"

func TestRealFile(t *testing.T) {
	m := realMunicipalities(t)
	if got, want := m.Len(), 7904; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}

	tests := []struct {
		code          string
		wantName      string
		wantRegion    string
		wantCadastral string
		wantAbbr      string
	}{
		{code: "015146", wantName: "Milano", wantRegion: "lombardia", wantCadastral: "F205", wantAbbr: "MI"},
		{code: "021001", wantName: "Aldino", wantRegion: "bolzano", wantCadastral: "A179", wantAbbr: "BZ"},
		{code: "022205", wantName: "Trento", wantRegion: "trento", wantCadastral: "L378", wantAbbr: "TN"},
		{code: "022161", wantName: "Rovereto", wantRegion: "trento", wantCadastral: "H612", wantAbbr: "TN"},
		{code: "007003", wantName: "Aosta", wantRegion: "valle-d-aosta", wantCadastral: "A326", wantAbbr: "AO"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, ok := m.Lookup(tt.code)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tt.code)
			}
			if got.Name != tt.wantName || got.RegionID != tt.wantRegion ||
				got.CadastralCode != tt.wantCadastral || got.ProvinceAbbr != tt.wantAbbr {
				t.Errorf("Lookup(%q) = %+v, want name %q, region %q, cadastral %q, abbr %q",
					tt.code, got, tt.wantName, tt.wantRegion, tt.wantCadastral, tt.wantAbbr)
			}
			if !m.InRegion(tt.code, tt.wantRegion) {
				t.Errorf("InRegion(%q, %q) = false, want true", tt.code, tt.wantRegion)
			}
			if m.InRegion(tt.code, "sicilia") {
				t.Errorf("InRegion(%q, %q) = true, want false", tt.code, "sicilia")
			}
		})
	}

	if _, ok := m.Lookup("999999"); ok {
		t.Errorf("Lookup(%q) found, want not found", "999999")
	}

	// Every municipality must resolve to a known unit, and Trentino-Alto
	// Adige must never leak through as a region of its own.
	perRegion := make(map[string]int)
	for _, r := range territory.Regions() {
		perRegion[r.ID] = len(m.Search(r.ID, ""))
	}
	total := 0
	for _, n := range perRegion {
		total += n
	}
	if got, want := total, m.Len(); got != want {
		t.Errorf("sum of per-region Search counts = %d, want %d", got, want)
	}
	if got, want := perRegion["bolzano"]+perRegion["trento"], 282; got != want {
		t.Errorf("bolzano+trento municipalities = %d, want %d", got, want)
	}
}

func TestRealFileSearch(t *testing.T) {
	m := realMunicipalities(t)

	tests := []struct {
		name      string
		region    string
		prefix    string
		wantCodes []string // must all be present in the result
		wantNone  bool
	}{
		{name: "milano in lombardia", region: "lombardia", prefix: "mil", wantCodes: []string{"015146"}},
		{name: "aldino anywhere with dash", region: "-", prefix: "aldino", wantCodes: []string{"021001"}},
		{name: "aldino anywhere with empty region", region: "", prefix: "ALDINO", wantCodes: []string{"021001"}},
		{name: "aldino in bolzano", region: "bolzano", prefix: "Ald", wantCodes: []string{"021001"}},
		{name: "aldino not in trento", region: "trento", prefix: "aldino", wantNone: true},
		{name: "accent-insensitive cantu", region: "lombardia", prefix: "cantu", wantCodes: []string{"013041"}},
		{name: "accented query mondovì", region: "piemonte", prefix: "MONDOVÌ", wantCodes: []string{"004130"}},
		{name: "accent-insensitive mondovi", region: "piemonte", prefix: "mondovi", wantCodes: []string{"004130"}},
		{name: "french accents", region: "valle-d-aosta", prefix: "chatillon", wantCodes: []string{"007020"}},
		{name: "upper-case prefix", region: "-", prefix: "ALTAVILLA", wantCodes: []string{"006007", "024004", "064002", "065005", "082004"}},
		{name: "typographic apostrophe", region: "lombardia", prefix: "Sant’Angelo  lod", wantCodes: []string{"098050"}},
		{name: "a space ends a word", region: "lombardia", prefix: "  cassano  d ", wantNone: true},
		{name: "a space ends a word, then the next", region: "lombardia", prefix: "cassano  d'", wantCodes: []string{"015059"}},
		{name: "unknown region", region: "atlantide", prefix: "mil", wantNone: true},
		{name: "no match", region: "-", prefix: "zzzz", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Search(tt.region, tt.prefix)
			if tt.wantNone {
				if len(got) != 0 {
					t.Errorf("Search(%q, %q) = %d results, want none", tt.region, tt.prefix, len(got))
				}
				return
			}
			codes := make([]string, len(got))
			for i, mun := range got {
				codes[i] = mun.ISTATCode
				if tt.region != "" && tt.region != "-" && mun.RegionID != tt.region {
					t.Errorf("Search(%q, %q) returned %s %q in region %q", tt.region, tt.prefix, mun.ISTATCode, mun.Name, mun.RegionID)
				}
			}
			for _, want := range tt.wantCodes {
				if !slices.Contains(codes, want) {
					t.Errorf("Search(%q, %q) = %v, want it to contain %s", tt.region, tt.prefix, codes, want)
				}
			}
		})
	}
}

func TestSearchOrder(t *testing.T) {
	t.Run("same name ordered by code", func(t *testing.T) {
		got := codesOf(realMunicipalities(t).Search("-", "peglio"))
		want := []string{"013178", "041041"}
		if !slices.Equal(got, want) {
			t.Errorf("Search(%q, %q) = %v, want %v", "-", "peglio", got, want)
		}
	})

	t.Run("accented names sort with their base letters", func(t *testing.T) {
		m := mustLoad(t, csvHeader+
			"013041,Cantù,013,Como,CO,03,Lombardia,B639,38717\n"+
			"012031,Cantello,012,Varese,VA,03,Lombardia,B634,4700\n"+
			"013040,Canzo,013,Como,CO,03,Lombardia,B641,5000\n"+
			"015999,Canta,015,Milano,MI,03,Lombardia,Z999,1\n")
		got := namesOf(m.Search("lombardia", "can"))
		want := []string{"Canta", "Cantello", "Cantù", "Canzo"}
		if !slices.Equal(got, want) {
			t.Errorf("Search(%q, %q) = %v, want %v", "lombardia", "can", got, want)
		}
	})
}

func TestSearchResultIsACopy(t *testing.T) {
	m := realMunicipalities(t)
	first := m.Search("lombardia", "milano")
	if len(first) == 0 {
		t.Fatalf("Search(%q, %q) found nothing", "lombardia", "milano")
	}
	first[0].Name = "mutated"
	first[0].RegionID = "sicilia"

	got, _ := m.Lookup(first[0].ISTATCode)
	if got.Name == "mutated" || got.RegionID == "sicilia" {
		t.Errorf("Lookup after mutating a Search result = %+v, want it unchanged", got)
	}
	again := m.Search("lombardia", "milano")
	if got, want := again[0].Name, "Milano"; got != want {
		t.Errorf("Search again: first name = %q, want %q", got, want)
	}
}

func TestNilMunicipalities(t *testing.T) {
	var m *territory.Municipalities
	if got, want := m.Len(), 0; got != want {
		t.Errorf("nil Len() = %d, want %d", got, want)
	}
	if _, ok := m.Lookup("015146"); ok {
		t.Errorf("nil Lookup(%q) found, want not found", "015146")
	}
	if m.InRegion("015146", "lombardia") {
		t.Errorf("nil InRegion(%q, %q) = true, want false", "015146", "lombardia")
	}
	if got := m.Search("-", ""); got != nil {
		t.Errorf("nil Search = %v, want nil", got)
	}
}

func TestLoadBadInput(t *testing.T) {
	const good = "015146,Milano,015,Milano,MI,03,Lombardia,F205,1371498\n"
	tests := []struct {
		name       string
		input      string
		wantLine   string
		wantColumn string
	}{
		{
			name:       "wrong header",
			input:      strings.Replace(csvHeader, "province_abbr", "sigla", 1) + good,
			wantLine:   "line 1",
			wantColumn: "province_abbr",
		},
		{
			name:       "reordered header",
			input:      strings.Replace(csvHeader, "name,province_code", "province_code,name", 1) + good,
			wantLine:   "line 1",
			wantColumn: "name",
		},
		{
			name:       "five-digit code",
			input:      csvHeader + good + "01500,Foo,015,Milano,MI,03,Lombardia,F205,1\n",
			wantLine:   "line 3",
			wantColumn: "istat_code",
		},
		{
			name:       "non-numeric code",
			input:      csvHeader + "01514a,Foo,015,Milano,MI,03,Lombardia,F205,1\n",
			wantLine:   "line 2",
			wantColumn: "istat_code",
		},
		{
			name:       "duplicate code",
			input:      csvHeader + good + good,
			wantLine:   "line 3",
			wantColumn: "istat_code",
		},
		{
			name:       "unknown region code",
			input:      csvHeader + "015146,Milano,015,Milano,MI,99,Atlantide,F205,1\n",
			wantLine:   "line 2",
			wantColumn: "region_code",
		},
		{
			name:       "province code used as region code",
			input:      csvHeader + "021001,Aldino,021,Bolzano,BZ,021,Bolzano,A179,1\n",
			wantLine:   "line 2",
			wantColumn: "region_code",
		},
		{
			name:       "trentino-alto adige outside bolzano and trento",
			input:      csvHeader + "015146,Milano,015,Milano,MI,04,Trentino,F205,1\n",
			wantLine:   "line 2",
			wantColumn: "region_code",
		},
		{
			name:       "negative population",
			input:      csvHeader + good + "015147,Foo,015,Milano,MI,03,Lombardia,F205,-5\n",
			wantLine:   "line 3",
			wantColumn: "population",
		},
		{
			name:       "non-numeric population",
			input:      csvHeader + "015146,Milano,015,Milano,MI,03,Lombardia,F205,many\n",
			wantLine:   "line 2",
			wantColumn: "population",
		},
		{
			name:       "empty name",
			input:      csvHeader + "015146,,015,Milano,MI,03,Lombardia,F205,1\n",
			wantLine:   "line 2",
			wantColumn: "name",
		},
		{
			name:       "wrong field count",
			input:      csvHeader + "015146,Milano,015\n",
			wantLine:   "line 2",
			wantColumn: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := territory.LoadMunicipalities(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("LoadMunicipalities = %d municipalities, want an error", m.Len())
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if !strings.Contains(msg, tt.wantLine+":") {
				t.Errorf("error %q does not mention %q", msg, tt.wantLine)
			}
			if !strings.Contains(msg, tt.wantColumn) {
				t.Errorf("error %q does not mention column %q", msg, tt.wantColumn)
			}
		})
	}
}

func TestLoadErrorFormat(t *testing.T) {
	_, err := territory.LoadMunicipalities(strings.NewReader(csvHeader + "01500,Foo,015,Milano,MI,03,Lombardia,F205,1\n"))
	if err == nil {
		t.Fatal("LoadMunicipalities: got no error, want one")
	}
	if got, want := err.Error(), `line 2: istat_code "01500": want six digits`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestLoadTolerant(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{name: "BOM", input: "\uFEFF" + csvHeader + "015146,Milano,015,Milano,MI,03,Lombardia,F205,1371498\n"},
		{name: "empty population", input: csvHeader + "015146,Milano,015,Milano,MI,03,Lombardia,F205,\n"},
		{name: "CRLF line endings", input: strings.ReplaceAll(csvHeader+"015146,Milano,015,Milano,MI,03,Lombardia,F205,1371498\n", "\n", "\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustLoad(t, tt.input)
			if got, want := m.Len(), 1; got != want {
				t.Fatalf("Len() = %d, want %d", got, want)
			}
			got, ok := m.Lookup("015146")
			if !ok || got.Name != "Milano" || got.RegionID != "lombardia" {
				t.Errorf("Lookup(%q) = %+v, %v, want Milano in lombardia", "015146", got, ok)
			}
		})
	}

	t.Run("header only", func(t *testing.T) {
		m := mustLoad(t, csvHeader)
		if got, want := m.Len(), 0; got != want {
			t.Errorf("Len() = %d, want %d", got, want)
		}
		if got := m.Search("-", ""); got != nil {
			t.Errorf("Search on empty list = %v, want nil", got)
		}
	})
}

func mustLoad(t *testing.T, input string) *territory.Municipalities {
	t.Helper()
	m, err := territory.LoadMunicipalities(strings.NewReader(input))
	if err != nil {
		t.Fatalf("LoadMunicipalities: %v", err)
	}
	return m
}

func codesOf(ms []territory.Municipality) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ISTATCode
	}
	return out
}

func namesOf(ms []territory.Municipality) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func TestLoadMunicipalitiesFileMissing(t *testing.T) {
	if _, err := territory.LoadMunicipalitiesFile("testdata/does-not-exist.csv"); err == nil {
		t.Error("LoadMunicipalitiesFile on a missing file: got no error, want one")
	}
}

func TestConcurrentReads(t *testing.T) {
	m := realMunicipalities(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, prefix := range []string{"", "s", "san", "mil", "cantu"} {
				m.Search("-", prefix)
				m.Search("lombardia", prefix)
			}
			m.Lookup("015146")
		})
	}
	wg.Wait()
}

func BenchmarkSearch(b *testing.B) {
	m, err := loadReal()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.Search("-", "san g")
		m.Search("lombardia", "mi")
	}
}
