package openapi_test

import (
	"cmp"
	"slices"
	"testing"

	"github.com/raccordo/raccordo/internal/openapi"
)

// TestRoutesAsTheNamedDocument checks that Routes, which reads the
// generated document and names each path itself, lists what the document
// with its parameters named (the one famid serves) lists: the same paths,
// methods, services, operations and query parameters.
func TestRoutesAsTheNamedDocument(t *testing.T) {
	got, err := openapi.Routes()
	if err != nil {
		t.Fatal(err)
	}
	want := routesOfTheNamedDocument(t)
	if len(got) == 0 || !slices.EqualFunc(sortRoutes(got), sortRoutes(want), func(a, b openapi.Route) bool {
		return a.Method == b.Method && a.Path == b.Path && a.Service == b.Service && a.Operation == b.Operation && slices.Equal(a.Query, b.Query)
	}) {
		t.Errorf("Routes lists %d routes:\n%v\nthe named document %d:\n%v", len(got), got, len(want), want)
	}
	for _, rt := range got {
		if rt.Path == "/v1/regions/{region}/supportEntries/{supportEntry}" {
			return
		}
	}
	t.Error("no route has the path /v1/regions/{region}/supportEntries/{supportEntry}")
}

func routesOfTheNamedDocument(tb testing.TB) []openapi.Route {
	named, err := openapi.NameParameters(openapi.Generated)
	if err != nil {
		tb.Fatal(err)
	}
	routes, err := openapi.RoutesOf(named)
	if err != nil {
		tb.Fatal(err)
	}
	return routes
}

func sortRoutes(routes []openapi.Route) []openapi.Route {
	return slices.SortedFunc(slices.Values(routes), func(a, b openapi.Route) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	})
}

// BenchmarkRoutes reads the routes from the generated document, as every
// famid start does, against the baseline of naming the whole document
// first (nameParameters), as Routes did before.
func BenchmarkRoutes(b *testing.B) {
	b.Run("generated", func(b *testing.B) {
		for b.Loop() {
			if _, err := openapi.RoutesOf(openapi.Generated); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=named-document", func(b *testing.B) {
		for b.Loop() {
			routesOfTheNamedDocument(b)
		}
	})
}
