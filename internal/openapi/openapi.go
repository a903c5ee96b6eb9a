// Package openapi serves the REST API's OpenAPI documents: the Swagger 2.0
// one protoc-gen-openapiv2 generates from the gateway's own HTTP mapping
// (buf.gen.yaml writes it to spec/, with the header, security scheme and
// error responses of proto/fami/v1/fami_openapi.yaml), its path parameters
// named in the singular (nameParameters), each operation's conditional
// headers and answers written in (conditionalHeaders), completed with the
// routes the gateway does not serve (extra.swagger.json: downloads,
// calendars, health, JWKS), and the same document as OpenAPI 3.0, which
// the Italian interoperability guidelines (AgID ModI) ask for.
//
// Both are built once, when the package is first used, from files compiled
// into the binary: the conversion is deterministic and takes milliseconds,
// so a second generated file (and a staleness check for it) would add
// nothing. TestDocuments checks that they build and agree.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

var (
	//go:embed spec/fami.swagger.json
	generated []byte
	//go:embed extra.swagger.json
	extra []byte
)

// generatedNamed is the generated document with its path parameters
// named in the singular (nameParameters).
var generatedNamed = sync.OnceValues(func() ([]byte, error) { return nameParameters(generated) })

// documents holds the built documents.
var documents = sync.OnceValues(func() (docs [2][]byte, err error) {
	gen, err := generatedNamed()
	if err != nil {
		return docs, err
	}
	if gen, err = conditionalHeaders(gen); err != nil {
		return docs, err
	}
	if docs[0], err = merge(gen, extra); err != nil {
		return docs, err
	}
	docs[1], err = toV3(docs[0])
	return docs, err
})

// Document returns the OpenAPI 2.0 document.
func Document() ([]byte, error) {
	d, err := documents()
	return d[0], err
}

// Document3 returns the OpenAPI 3.0 document.
func Document3() ([]byte, error) {
	d, err := documents()
	return d[1], err
}

// nameParameters renames the path parameters protoc-gen-openapiv2 named
// by cutting the "s" off the collection before them
// (expand_slashed_path_patterns: supportEntries/{supportEntrie}) to the
// collection's singular (supportEntries/{supportEntry}), in the paths
// and in their operations' parameters.
func nameParameters(gen []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(gen, &doc); err != nil {
		return nil, fmt.Errorf("generated document: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	named := make(map[string]any, len(paths))
	for path, item := range paths {
		path, renamed := namePath(path)
		if _, dup := named[path]; dup {
			return nil, fmt.Errorf("generated document: two paths are %s once their parameters are named", path)
		}
		named[path] = item
		if len(renamed) == 0 {
			continue
		}
		// The path item's parameters, then each operation's.
		fields, _ := item.(map[string]any)
		lists := []any{fields["parameters"]}
		for _, op := range fields {
			if op, ok := op.(map[string]any); ok {
				lists = append(lists, op["parameters"])
			}
		}
		for _, list := range lists {
			params, _ := list.([]any)
			for _, p := range params {
				p, _ := p.(map[string]any)
				name, _ := p["name"].(string)
				if to, ok := renamed[name]; ok && p["in"] == "path" {
					p["name"] = to
				}
			}
		}
	}
	doc["paths"] = named
	return json.Marshal(doc)
}

// namePath is path with its parameters named in the singular of their
// collection where the generator cut the "s" off (nameParameters), and the
// names it changed, old to new.
func namePath(path string) (string, map[string]string) {
	renamed := map[string]string{}
	segs := strings.Split(path, "/")
	for i := 1; i < len(segs); i++ {
		name, verb, _ := strings.Cut(strings.TrimPrefix(segs[i], "{"), "}")
		collection := segs[i-1]
		if !strings.HasPrefix(segs[i], "{") || name != strings.TrimSuffix(collection, "s") || singular(collection) == name {
			continue
		}
		renamed[name] = singular(collection)
		segs[i] = "{" + singular(collection) + "}" + verb
	}
	return strings.Join(segs, "/"), renamed
}

// singular is a collection id in the singular, by the English rules the
// API's collection ids follow (AIP-122: the plural of the resource's
// name): supportEntries is supportEntry, partners is partner.
func singular(collection string) string {
	if stem, ok := strings.CutSuffix(collection, "ies"); ok {
		return stem + "y"
	}
	return strings.TrimSuffix(collection, "s")
}

// merge adds extra's paths, parameters, responses, definitions, security
// schemes and tags to the generated document. A path or a name both define
// is an error: extra only adds what the generator cannot know.
func merge(gen, extra []byte) ([]byte, error) {
	var doc, add map[string]any
	if err := json.Unmarshal(gen, &doc); err != nil {
		return nil, fmt.Errorf("generated document: %w", err)
	}
	if err := json.Unmarshal(extra, &add); err != nil {
		return nil, fmt.Errorf("extra.swagger.json: %w", err)
	}
	for section, v := range add {
		if section == "tags" {
			tags, _ := doc["tags"].([]any)
			doc["tags"] = append(tags, v.([]any)...)
			continue
		}
		into, _ := doc[section].(map[string]any)
		if into == nil {
			into = map[string]any{}
			doc[section] = into
		}
		entries, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("extra.swagger.json: %s is not an object", section)
		}
		for name, entry := range entries {
			if _, dup := into[name]; dup {
				return nil, fmt.Errorf("extra.swagger.json: %s %q is already in the generated document", section, name)
			}
			into[name] = entry
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// toV3 converts the Swagger 2.0 document to OpenAPI 3.0 (kin-openapi),
// then says what Swagger 2.0 cannot: the token is an HTTP bearer token,
// and errors are application/problem+json.
func toV3(v2 []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(v2, &doc2); err != nil {
		return nil, err
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3: %w", err)
	}
	// The API is wherever the document was fetched from.
	doc3.Servers = openapi3.Servers{{URL: "/", Description: "the server that serves this document"}}
	doc3.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "JWT",
		Description: "A token from POST /v1/auth:login, or a service token, sent as \"Authorization: Bearer <token>\".",
	}}
	problemContent := func(r *openapi3.ResponseRef) {
		if r == nil || r.Value == nil || r.Ref != "" {
			return
		}
		for mt, c := range r.Value.Content {
			if mt == "application/json" {
				delete(r.Value.Content, mt)
				r.Value.Content["application/problem+json"] = c
			}
		}
	}
	for _, r := range doc3.Components.Responses {
		problemContent(r)
	}
	for _, item := range doc3.Paths.Map() {
		for _, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				if code == "default" || code >= "400" {
					problemContent(r)
				}
			}
		}
	}
	if err := doc3.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, fmt.Errorf("OpenAPI 3 document: %w", err)
	}
	return json.MarshalIndent(doc3, "", "  ")
}

// Route is one REST route the gateway serves, as the generated document
// describes it.
type Route struct {
	// Method is the HTTP method, upper case: "GET".
	Method string
	// Path is the path template with one segment per resource name
	// segment: "/v1/regions/{region}/partners/{partner}".
	Path string
	// Service is the gRPC service's simple name: "PartnerService".
	Service string
	// Operation is the operation's id: "PartnerService_GetPartner", with
	// a number after the method for its further bindings
	// ("MonitoringService_SummarizeMonitoring2").
	Operation string
	// Query names the query parameters the route reads, as the document
	// writes them (JSON names, dotted into messages: "pageSize"); a route
	// whose body is the whole request has none.
	Query []string
}

// Routes lists the gateway's routes from the generated document alone
// (not the routes outside the gateway), built from the same HTTP mapping
// as the gateway's code.
var Routes = sync.OnceValues(func() ([]Route, error) { return routes(generated) })

// routes reads the routes of the generated document gen, its paths named
// as nameParameters names them. Every famid start builds its REST router
// from them, so it decodes only the fields a route needs into structs:
// going through nameParameters, which must decode the whole document
// (about 480 KB) into maps and encode it again, cost an eighth of a start
// under -race (BenchmarkRoutes).
func routes(gen []byte) ([]Route, error) {
	type operation struct {
		Tags        []string `json:"tags"`
		OperationID string   `json:"operationId"`
		Parameters  []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	}
	// A path item's operations, by method; its other fields (parameters,
	// extensions) are left undecoded.
	type pathItem struct {
		Get, Put, Post, Delete, Options, Head, Patch *operation
	}
	var doc struct {
		Paths map[string]pathItem `json:"paths"`
	}
	if err := json.Unmarshal(gen, &doc); err != nil {
		return nil, fmt.Errorf("generated document: %w", err)
	}
	var routes []Route
	seen := make(map[string]bool, len(doc.Paths))
	for generatedPath, item := range doc.Paths {
		path, _ := namePath(generatedPath)
		if seen[path] {
			return nil, fmt.Errorf("generated document: two paths are %s once their parameters are named", path)
		}
		seen[path] = true
		for _, m := range []struct {
			method string
			op     *operation
		}{
			{http.MethodGet, item.Get}, {http.MethodPut, item.Put}, {http.MethodPost, item.Post}, {http.MethodDelete, item.Delete},
			{http.MethodOptions, item.Options}, {http.MethodHead, item.Head}, {http.MethodPatch, item.Patch},
		} {
			op := m.op
			if op == nil {
				continue
			}
			if len(op.Tags) != 1 {
				return nil, fmt.Errorf("generated document: %s %s has tags %q, want its service", m.method, path, op.Tags)
			}
			rt := Route{Method: m.method, Path: path, Service: op.Tags[0], Operation: op.OperationID}
			for _, p := range op.Parameters {
				if p.In == "query" {
					rt.Query = append(rt.Query, p.Name)
				}
			}
			routes = append(routes, rt)
		}
	}
	return routes, nil
}

// Handler serves the OpenAPI 2.0 document.
func Handler() http.Handler { return serve(Document) }

// Handler3 serves the OpenAPI 3.0 document.
func Handler3() http.Handler { return serve(Document3) }

func serve(doc func() ([]byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := doc()
		if err != nil {
			http.Error(w, "the OpenAPI document does not build", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	})
}
