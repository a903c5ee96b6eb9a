package opendata

import (
	"github.com/raccordo/raccordo/internal/territory"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"strconv"
	"time"

	"github.com/raccordo/raccordo/internal/csvfile"
)

// The licence of every dataset: Creative Commons Attribution 4.0, the
// default licence of Italian public-sector open data.
const (
	licenceURL   = "https://creativecommons.org/licenses/by/4.0/"
	licenceName  = "CC-BY-4.0"
	licenceTitle = "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)"
)

// Update frequency: the data changes whenever the regions record
// something; re-users are told daily (EU frequency vocabulary).
const (
	frequencyURI = "http://publications.europa.eu/resource/authority/frequency/DAILY"
	themeURI     = "http://publications.europa.eu/resource/authority/data-theme/SOCI"
	languageURI  = "http://publications.europa.eu/resource/authority/language/ITA"
)

// published is a dataset as built: its table, files and modification.
type published struct {
	*table
	csv, json *file
	modified  time.Time
}

// build renders every file of a snapshot. latest is the time of the
// platform's latest change: a dataset whose content changed is modified
// then, one that did not keeps its date.
func (h *Handler) build(ctx context.Context, key, base string, latest time.Time) (*snapshot, error) {
	tables, err := h.tables(ctx)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{key: key, files: map[string]*file{}}
	var sets []*published
	modified := time.Time{}
	for _, t := range tables {
		csvBody, err := t.csv()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(csvBody)
		hash := hex.EncodeToString(sum[:])
		v, ok := h.modified[t.name]
		if !ok || v.hash != hash {
			v = version{hash: hash, time: latest}
			h.modified[t.name] = v
		}
		jsonBody, err := t.json(v.time)
		if err != nil {
			return nil, err
		}
		p := &published{table: t, modified: v.time,
			csv:  newFile("text/csv; charset=utf-8; header=present", csvBody, v.time),
			json: newFile("application/json", jsonBody, v.time)}
		snap.files[t.name+".csv"], snap.files[t.name+".json"] = p.csv, p.json
		sets = append(sets, p)
		if h.madeFiles != nil {
			h.madeFiles()
		}
		if v.time.After(modified) {
			modified = v.time
		}
	}
	for name, render := range map[string]func(string, []*published, time.Time) (string, []byte, error){
		"catalog.jsonld":   h.catalog,
		"datapackage.json": h.datapackage,
		"feed.atom":        h.feed,
		"index.html":       h.index,
	} {
		ctype, body, err := render(base, sets, modified)
		if err != nil {
			return nil, err
		}
		snap.files[name] = newFile(ctype, body, modified)
	}
	return snap, nil
}

// add writes a row of the table into its CSV and JSON.
func (t *table) add(row []string) error {
	if err := t.startCSV(); err != nil {
		return err
	}
	if err := t.csvOut.Write(row); err != nil {
		return err
	}
	obj := make(map[string]any, len(row))
	for i, c := range t.columns {
		obj[c.name] = typed(c.typ, row[i])
	}
	js, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if t.rows > 0 {
		t.jsonRows.WriteByte(',')
	}
	t.jsonRows.Write(js)
	t.rows++
	return nil
}

// startCSV starts the table's CSV, once: RFC 4180, UTF-8 without a
// byte-order mark (what validators and harvesters expect), a header row
// of column names.
func (t *table) startCSV() error {
	if t.csvOut != nil {
		return nil
	}
	t.csvOut = csvfile.NewWriter(&t.csvBody)
	header := make([]string, len(t.columns))
	for i, c := range t.columns {
		header[i] = c.name
	}
	return t.csvOut.Write(header)
}

// csv is the table as CSV, once its rows are added.
func (t *table) csv() ([]byte, error) {
	if err := t.startCSV(); err != nil {
		return nil, err
	}
	if err := t.csvOut.Flush(); err != nil {
		return nil, err
	}
	return t.csvBody.Bytes(), nil
}

// json renders the table as a JSON document: its description and its rows
// as objects, numbers and booleans typed, missing values null. The rows
// were rendered as they were added; MarshalIndent indents them with the
// rest.
func (t *table) json(modified time.Time) ([]byte, error) {
	rows := make([]byte, 0, t.jsonRows.Len()+2)
	rows = append(append(append(rows, '['), t.jsonRows.Bytes()...), ']')
	t.jsonRows = bytes.Buffer{} // rendered: let the compact copy go
	return json.MarshalIndent(map[string]any{
		"nome":        t.name,
		"titolo":      t.title,
		"descrizione": t.description,
		"licenza":     licenceURL,
		"modificato":  modified.Format(time.RFC3339),
		"campi":       t.schema()["fields"],
		"dati":        json.RawMessage(rows),
	}, "", " ")
}

func typed(typ, v string) any {
	if v == "" {
		return nil
	}
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "number":
		return json.Number(v)
	case "boolean":
		return v == "true"
	}
	return v
}

// schema is the table's Frictionless Table Schema.
func (t *table) schema() map[string]any {
	var fields []map[string]any
	for _, c := range t.columns {
		f := map[string]any{"name": c.name, "type": c.typ, "title": c.title}
		if c.description != "" {
			f["description"] = c.description
		}
		cons := map[string]any{}
		if c.required {
			cons["required"] = true
		}
		if len(c.enum) > 0 {
			cons["enum"] = c.enum
		}
		if c.pattern != "" {
			cons["pattern"] = c.pattern
		}
		if c.typ == "integer" || c.typ == "number" {
			cons["minimum"] = 0
		}
		if len(cons) > 0 {
			f["constraints"] = cons
		}
		fields = append(fields, f)
	}
	return map[string]any{"fields": fields, "missingValues": []string{""}, "primaryKey": t.primaryKey}
}

// datapackage renders the Frictionless (tabular) data package.
func (h *Handler) datapackage(_ string, sets []*published, modified time.Time) (string, []byte, error) {
	var resources []map[string]any
	for _, s := range sets {
		resources = append(resources, map[string]any{
			"name":        s.name,
			"title":       s.title,
			"description": s.description,
			"path":        s.name + ".csv",
			"profile":     "tabular-data-resource",
			"format":      "csv",
			"mediatype":   "text/csv",
			"encoding":    "utf-8",
			"dialect":     map[string]any{"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": `"`, "doubleQuote": true, "header": true},
			"schema":      s.schema(),
		})
	}
	body, err := json.MarshalIndent(map[string]any{
		"profile":   "tabular-data-package",
		"name":      "raccordo-dati-aperti",
		"title":     "Raccordo - dati aperti della governance multilivello del FAMI",
		"licenses":  []map[string]any{{"name": licenceName, "path": licenceURL, "title": licenceTitle}},
		"created":   modified.Format(time.RFC3339),
		"keywords":  []string{"FAMI", "integrazione", "reti territoriali"},
		"resources": resources,
	}, "", " ")
	return "application/json", body, err
}

// catalog renders the DCAT-AP_IT catalogue as JSON-LD: the catalogue, its
// datasets and, for each, its CSV and JSON distributions.
func (h *Handler) catalog(base string, sets []*published, modified time.Time) (string, []byte, error) {
	root := base + Prefix
	publisher := map[string]any{
		"@type":          []string{"foaf:Agent", "dcatapit:Agent"},
		"foaf:name":      h.opts.Publisher,
		"dct:identifier": h.opts.PublisherID,
	}
	licence := map[string]any{
		"@id":       licenceURL,
		"@type":     []string{"dct:LicenseDocument", "dcatapit:LicenseDocument"},
		"dct:type":  map[string]any{"@id": "http://purl.org/adms/licencetype/Attribution"},
		"foaf:name": licenceTitle,
	}
	date := func(t time.Time) map[string]any {
		return map[string]any{"@value": t.In(territory.Rome).Format(time.DateOnly), "@type": "xsd:date"}
	}
	text := func(s string) map[string]any { return map[string]any{"@value": s, "@language": "it"} }
	var datasets []map[string]any
	for _, s := range sets {
		var dists []map[string]any
		for _, d := range []struct {
			ext, media, format string
		}{{"csv", "text/csv", "CSV"}, {"json", "application/json", "JSON"}} {
			url := root + s.name + "." + d.ext
			dists = append(dists, map[string]any{
				"@id":              url,
				"@type":            []string{"dcat:Distribution", "dcatapit:Distribution"},
				"dct:title":        text(s.title + " (" + d.format + ")"),
				"dcat:accessURL":   map[string]any{"@id": url},
				"dcat:downloadURL": map[string]any{"@id": url},
				"dcat:mediaType":   d.media,
				"dct:format":       map[string]any{"@id": "http://publications.europa.eu/resource/authority/file-type/" + d.format},
				"dct:license":      licence,
				"dct:modified":     date(s.modified),
			})
		}
		datasets = append(datasets, map[string]any{
			"@id":                    root + "#" + s.name,
			"@type":                  []string{"dcat:Dataset", "dcatapit:Dataset"},
			"dct:identifier":         h.opts.PublisherID + ":raccordo:" + s.name,
			"dct:title":              text(s.title),
			"dct:description":        text(s.description),
			"dct:modified":           date(s.modified),
			"dct:publisher":          publisher,
			"dct:rightsHolder":       publisher,
			"dct:accrualPeriodicity": map[string]any{"@id": frequencyURI},
			"dct:language":           map[string]any{"@id": languageURI},
			"dcat:theme":             map[string]any{"@id": themeURI},
			"dcat:keyword":           s.keywords,
			"dct:conformsTo":         map[string]any{"@id": root + "datapackage.json"},
			"dcat:distribution":      dists,
		})
	}
	body, err := json.MarshalIndent(map[string]any{
		"@context": map[string]any{
			"dcat":     "http://www.w3.org/ns/dcat#",
			"dct":      "http://purl.org/dc/terms/",
			"foaf":     "http://xmlns.com/foaf/0.1/",
			"dcatapit": "http://dati.gov.it/onto/dcatapit#",
			"xsd":      "http://www.w3.org/2001/XMLSchema#",
		},
		"@id":                root + "catalog.jsonld",
		"@type":              []string{"dcat:Catalog", "dcatapit:Catalog"},
		"dct:title":          text("Raccordo - catalogo dei dati aperti"),
		"dct:description":    text("Dati aperti della governance multilivello dei piani di integrazione FAMI: progetti, reti territoriali, protocolli di collaborazione e ore di supporto."),
		"dct:publisher":      publisher,
		"dct:modified":       date(modified),
		"dct:language":       map[string]any{"@id": languageURI},
		"dcat:themeTaxonomy": map[string]any{"@id": "http://publications.europa.eu/resource/authority/data-theme"},
		"foaf:homepage":      map[string]any{"@id": root},
		"dcat:dataset":       datasets,
	}, "", " ")
	return "application/ld+json", body, err
}

// atom is the feed of dataset updates (RFC 4287): one entry per dataset
// whose id changes with its content, so a re-user downloads what changed.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Rights  string      `xml:"rights"`
	Entries []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID      string     `xml:"id"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Summary string     `xml:"summary"`
	Links   []atomLink `xml:"link"`
}

func (h *Handler) feed(base string, sets []*published, modified time.Time) (string, []byte, error) {
	root := base + Prefix
	f := atomFeed{
		ID: root + "feed.atom", Title: "Raccordo - aggiornamenti dei dati aperti", Updated: modified.Format(time.RFC3339),
		Author: atomAuthor{Name: h.opts.Publisher}, Rights: licenceTitle,
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: root + "feed.atom"}, {Rel: "alternate", Type: "text/html", Href: root}},
	}
	for _, s := range sets {
		f.Entries = append(f.Entries, atomEntry{
			ID:      "urn:sha256:" + s.csv.etag[1:len(s.csv.etag)-1],
			Title:   s.title,
			Updated: s.modified.Format(time.RFC3339),
			Summary: s.title + ": " + strconv.Itoa(s.rows) + " righe, aggiornato il " + s.modified.In(territory.Rome).Format("02/01/2006 15:04") + ".",
			Links: []atomLink{
				{Rel: "alternate", Type: "text/csv", Href: root + s.name + ".csv"},
				{Rel: "enclosure", Type: "application/json", Href: root + s.name + ".json"},
				{Rel: "describedby", Type: "application/json", Href: root + "datapackage.json"},
			},
		})
	}
	body, err := xml.MarshalIndent(f, "", " ")
	return "application/atom+xml; charset=utf-8", append([]byte(xml.Header), body...), err
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Raccordo - dati aperti</title>
<link rel="alternate" type="application/atom+xml" title="Aggiornamenti" href="feed.atom">
<link rel="alternate" type="application/ld+json" title="Catalogo DCAT-AP_IT" href="catalog.jsonld">
</head>
<body>
<main>
<h1>Dati aperti della governance multilivello del FAMI</h1>
<p>Pubblicati da {{.Publisher}} con licenza <a href="{{.LicenceURL}}" rel="license">{{.Licence}}</a>: si possono riutilizzare citando la fonte.
Contengono solo dati approvati e non personali; i conteggi di persone inferiori a {{.MinPersons}} sono soppressi.
Ultimo aggiornamento: {{.Modified}}.</p>
<p>Per i programmi: <a href="catalog.jsonld">catalogo DCAT-AP_IT</a>, <a href="datapackage.json">data package Frictionless</a> con gli schemi delle tabelle,
<a href="feed.atom">feed Atom degli aggiornamenti</a>.</p>
{{range .Sets}}
<section>
<h2>{{.Title}}</h2>
<p>{{.Description}}</p>
<p>{{.Rows}} righe, aggiornato il {{.Modified}}. Scarica: <a href="{{.Name}}.csv">CSV</a> · <a href="{{.Name}}.json">JSON</a></p>
</section>
{{end}}
</main>
</body>
</html>
`))

func (h *Handler) index(_ string, sets []*published, modified time.Time) (string, []byte, error) {
	type set struct {
		Name, Title, Description, Modified string
		Rows                               int
	}
	data := struct {
		Publisher, Licence, LicenceURL, Modified string
		MinPersons                               int
		Sets                                     []set
	}{h.opts.Publisher, licenceTitle, licenceURL, modified.In(territory.Rome).Format("02/01/2006 15:04"), minPersons, nil}
	for _, s := range sets {
		data.Sets = append(data.Sets, set{s.name, s.title, s.description, s.modified.In(territory.Rome).Format("02/01/2006 15:04"), s.rows})
	}
	var buf bytes.Buffer
	err := indexPage.Execute(&buf, data)
	return "text/html; charset=utf-8", buf.Bytes(), err
}
