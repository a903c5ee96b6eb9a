package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/openapi"
)

// TestRequestShapes: the shapes REST's preconditions decide by hold for
// every route of the HTTP mapping. Every PATCH is an Update whose etag is
// the resource's it sends (requestEtag), a create (restRoute.create) is
// no PATCH and has no etag of its own, and every create's method is named
// Create, but ClosePeriod's, which creates a closed period.
func TestRequestShapes(t *testing.T) {
	_, table := routeTable(t)
	creates := map[string]bool{}
	for _, rts := range table {
		for _, rt := range rts {
			resource, etag := requestEtag(rt.input)
			switch {
			case rt.method == http.MethodPatch && (resource == nil || etag == nil):
				t.Errorf("%s %v: a PATCH whose request sends no resource with an etag", rt.procedure, rt.segs)
			case rt.create && etag != nil:
				t.Errorf("%s: a create that takes an etag (%s)", rt.procedure, etag.FullName())
			case rt.create:
				_, method := splitProcedure(rt.procedure)
				creates[method] = true
			}
		}
	}
	for method := range creates {
		if !strings.HasPrefix(method, "Create") && method != "ClosePeriod" {
			t.Errorf("%s has a create's route", method)
		}
	}
	if len(creates) < 12 || !creates["ClosePeriod"] || !creates["CreatePartner"] {
		t.Errorf("the creates found: %v, want the API's", creates)
	}
}

// TestConditionalHeadersDocumented: the OpenAPI document lists, for each
// operation of the HTTP mapping, the conditional headers the server
// evaluates on its route, and only those: If-Match on a write whose
// request takes an etag (requestEtag), If-None-Match "*" on a create
// (restRoute.create), If-None-Match and 304 on a GET whose answer is the
// resource it names, with an etag (tagAnswer); and 412 on the first two.
func TestConditionalHeadersDocumented(t *testing.T) {
	t.Parallel()
	routes, table := routeTable(t)
	b, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Ref string `json:"$ref"`
			}
			Responses map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{} // by operation id: the parameters and 304/412 it lists
	for _, item := range doc.Paths {
		for _, op := range item {
			for _, p := range op.Parameters {
				if name, ok := strings.CutPrefix(p.Ref, "#/parameters/"); ok && strings.HasPrefix(name, "if") {
					documented[op.OperationID] = append(documented[op.OperationID], name)
				}
			}
			for _, code := range []string{"304", "412"} {
				if _, ok := op.Responses[code]; ok {
					documented[op.OperationID] = append(documented[op.OperationID], code)
				}
			}
		}
	}
	checked := 0
	for _, route := range routes {
		var rt *restRoute
		for _, rts := range table {
			for i := range rts {
				if rts[i].procedure == "/fami.v1."+route.Service+"/"+strings.TrimRight(strings.TrimPrefix(route.Operation, route.Service+"_"), "0123456789") &&
					rts[i].method == route.Method && len(rts[i].segs) == len(strings.Split(strings.TrimPrefix(route.Path, "/"), "/")) {
					rt = &rts[i]
				}
			}
		}
		if rt == nil {
			t.Fatalf("%s %s: not in the table", route.Method, route.Path)
		}
		_, method := splitProcedure(rt.procedure)
		output := rt.input.ParentFile().Services().ByName(protoreflect.Name(route.Service)).Methods().ByName(protoreflect.Name(method)).Output()
		var want []string
		_, etag := requestEtag(rt.input)
		switch {
		case rt.method == http.MethodGet && output.Fields().ByName("etag") != nil && rt.input.Fields().ByName("name") != nil:
			want = []string{"ifNoneMatch", "304"}
		case rt.create:
			want = []string{"ifNoneMatchCreate", "412"}
		case rt.method != http.MethodGet && etag != nil:
			want = []string{"ifMatch", "412"}
		}
		if got := documented[route.Operation]; !slices.Equal(got, want) {
			t.Errorf("%s %s (%s): the document lists %q, want %q", route.Method, route.Path, route.Operation, got, want)
		}
		if want != nil {
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("%d operations with conditional headers, want the API's", checked)
	}
}
