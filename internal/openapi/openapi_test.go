package openapi_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/openapi"
)

// TestDocuments builds both documents and checks what a reader relies
// on: a real header, the bearer scheme, problem documents for errors and
// the routes outside the gateway.
func TestDocuments(t *testing.T) {
	v2, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	v3, err := openapi.Document3()
	if err != nil {
		t.Fatal(err)
	}
	var d2, d3 struct {
		OpenAPI    string `json:"openapi"`
		Info       struct{ Title, Version string }
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string }
		}
	}
	if err := json.Unmarshal(v2, &d2); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(v3, &d3); err != nil {
		t.Fatal(err)
	}
	if d2.Info.Title != "Raccordo API" || d2.Info.Version != "v1" || d3.Info != d2.Info {
		t.Errorf("info: v2 %+v, v3 %+v", d2.Info, d3.Info)
	}
	if !strings.HasPrefix(d3.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", d3.OpenAPI)
	}
	if s := d3.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("v3 bearer scheme %+v", s)
	}
	for _, p := range []string{
		"/v1/regions/{region}/partners/{partner}", "/v1/regions/{region}/supportEntries:export",
		"/v1/regions/{region}/meetings.ics", "/v1/regions/{region}:backup",
		"/.well-known/jwks.json", "/healthz", "/readyz",
	} {
		if d2.Paths[p] == nil || d3.Paths[p] == nil {
			t.Errorf("path %s missing (v2 %v, v3 %v)", p, d2.Paths[p] != nil, d3.Paths[p] != nil)
		}
	}
	// The documents describe the HTTP port; /metrics is on the metrics
	// listener.
	if d2.Paths["/metrics"] != nil || d3.Paths["/metrics"] != nil {
		t.Error("path /metrics is documented on the HTTP port")
	}
	for p := range d2.Paths {
		if strings.Contains(p, "{name") || strings.Contains(p, "{parent") {
			t.Errorf("path %s: want the resource's segments, not its whole name", p)
		}
	}
	// A resource's id is named in the singular of its collection, by the
	// English rule (the generator cut the "s": {supportEntrie}).
	for _, d := range []map[string]map[string]json.RawMessage{d2.Paths, d3.Paths} {
		for p, item := range d {
			if strings.Contains(p, "ie}") {
				t.Errorf("path %s: a parameter is no English singular", p)
			}
			for _, op := range item {
				if strings.Contains(string(op), `"supportEntrie"`) {
					t.Errorf("path %s: an operation has the parameter supportEntrie", p)
				}
			}
		}
	}
	const entry = "/v1/regions/{region}/supportEntries/{supportEntry}"
	if d2.Paths[entry] == nil || d3.Paths[entry] == nil || !strings.Contains(string(d2.Paths[entry]["get"]), `"name": "supportEntry"`) {
		t.Errorf("path %s or its parameter supportEntry missing (v2 %v, v3 %v)", entry, d2.Paths[entry] != nil, d3.Paths[entry] != nil)
	}
	if len(d2.Paths) != len(d3.Paths) {
		t.Errorf("%d paths in v2, %d in v3", len(d2.Paths), len(d3.Paths))
	}
	if !strings.Contains(string(v3), `"application/problem+json"`) {
		t.Error("v3 has no problem+json error responses")
	}
}

// TestRedoclyLint lints both documents with Redocly's CLI (npm
// @redocly/cli), which .ci/run installs and names in REDOCLY; it must find
// no error.
func TestRedoclyLint(t *testing.T) {
	redocly := os.Getenv("REDOCLY")
	if redocly == "" {
		t.Skip("REDOCLY is not set (.ci/run installs @redocly/cli and sets it)")
	}
	dir := t.TempDir()
	for name, doc := range map[string]func() ([]byte, error){"openapi.json": openapi.Document, "openapi3.json": openapi.Document3} {
		b, err := doc()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(redocly, "lint", "--format=summary", path).CombinedOutput()
		if err != nil {
			t.Errorf("redocly lint %s: %v\n%s", name, err, out)
		}
	}
}

// TestPathParametersAreSingulars: in both published documents, every path
// parameter that follows a collection is that collection's English
// singular (partners/{partner}, supportEntries/{supportEntry}), and every
// operation's path parameters are exactly its path's. protoc-gen-openapiv2
// derives a parameter by cutting the collection's last "s"
// (supportEntries/{supportEntrie}); openapi.nameParameters renames them,
// and this catches a new collection whose plural it gets wrong.
func TestPathParametersAreSingulars(t *testing.T) {
	for name, doc := range map[string]func() ([]byte, error){"v2": openapi.Document, "v3": openapi.Document3} {
		b, err := doc()
		if err != nil {
			t.Fatal(err)
		}
		type param struct {
			Ref      string `json:"$ref"`
			Name, In string
		}
		var d struct {
			Paths      map[string]map[string]json.RawMessage
			Parameters map[string]param // v2
			Components struct {
				Parameters map[string]param // v3
			}
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		resolve := func(p param) param {
			if name, ok := strings.CutPrefix(p.Ref, "#/parameters/"); ok {
				return d.Parameters[name]
			}
			if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				return d.Components.Parameters[name]
			}
			return p
		}
		checked := 0
		for path, item := range d.Paths {
			var inPath []string
			segs := strings.Split(path, "/")
			for i, seg := range segs {
				param, ok := strings.CutPrefix(seg, "{")
				if !ok {
					continue
				}
				param, _, _ = strings.Cut(param, "}") // {supportEntry}:reject
				inPath = append(inPath, param)
				collection := segs[i-1]
				if !isSingularOf(param, collection) {
					t.Errorf("%s %s: parameter {%s} is not the singular of %q", name, path, param, collection)
				}
				checked++
			}
			for method, raw := range item {
				var op struct{ Parameters []param }
				if err := json.Unmarshal(raw, &op); err != nil {
					continue // a path item's other fields
				}
				var declared []string
				for _, p := range op.Parameters {
					if p = resolve(p); p.In == "path" {
						declared = append(declared, p.Name)
					}
				}
				if strings.Join(declared, ",") != strings.Join(inPath, ",") {
					t.Errorf("%s %s %s: path parameters %q, want the path's %q", name, method, path, declared, inPath)
				}
			}
		}
		if checked < 50 {
			t.Errorf("%s: %d path parameters checked, want the whole API's", name, checked)
		}
	}
}

// isSingularOf reports whether param is the English singular of the
// collection id: partners of partner, supportEntries of supportEntry. A
// collection in "-ies" has its singular in "-y", as every such collection
// of the API does: cutting the "s" alone gives {supportEntrie}.
func isSingularOf(param, collection string) bool {
	if stem, ok := strings.CutSuffix(collection, "ies"); ok {
		return param == stem+"y"
	}
	return collection == param+"s"
}
