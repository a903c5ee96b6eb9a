package server_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/server"
)

// TestWritesOfTheWildcardNameTheirField: every write of the API (each
// RPC whose HTTP rule is no GET: the creates, updates, deletes and custom
// methods), sent with its parent or name under regions/-, AIP-159's
// wildcard that only reads take, is INVALID_ARGUMENT naming that field
// (parent, name, or the name of the resource an update sends), on every
// surface, for the ministry (which may read regions/-) as for a region's
// administrator: not NOT_FOUND, nor a national read refused.
func TestWritesOfTheWildcardNameTheirField(t *testing.T) {
	t.Parallel()
	routes, err := openapi.Routes()
	if err != nil {
		t.Fatal(err)
	}
	type write struct {
		procedure, field, value string
		method                  protoreflect.MethodDescriptor
	}
	var writes []write
	for _, rt := range routes {
		if rt.Method == http.MethodGet {
			continue
		}
		method := strings.TrimLeft(strings.TrimPrefix(rt.Operation, rt.Service+"_"), "0123456789")
		procedure := "/fami.v1." + rt.Service + "/" + method
		rule, ok := httpRules[procedure]
		if !ok {
			t.Errorf("%s %s: no REST rule for %s", rt.Method, rt.Path, procedure)
			continue
		}
		open := strings.Index(rule.path, "{")
		if open < 0 {
			continue // a login, a logout: no region
		}
		field := rule.path[open+1 : open+strings.Index(rule.path[open:], "}")]
		// The route's path with the wildcard for the region and an id for
		// every other variable, cut where the field's template ends.
		segs := strings.Split(strings.TrimPrefix(rt.Path, "/v1/"), "/")
		last := len(segs) - 1
		segs[last], _, _ = strings.Cut(segs[last], ":")
		if field == "parent" {
			segs = segs[:last]
		}
		for i, seg := range segs {
			switch {
			case seg == "{region}":
				segs[i] = "-"
			case strings.HasPrefix(seg, "{"):
				segs[i] = "x"
			}
		}
		m, err := methodOf(procedure)
		if err != nil {
			t.Fatal(err)
		}
		writes = append(writes, write{procedure, field, strings.Join(segs, "/"), m})
	}
	if len(writes) < 50 {
		t.Fatalf("%d writes found, want the API's", len(writes))
	}
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		for who, s := range map[string]surface{"the ministry": newSurfaceFor(t, ts, kind, ministrySpec), "an administrator": newSurface(t, ts, kind)} {
			for _, w := range writes {
				req, res := newMessage(t, w.method.Input()), newMessage(t, w.method.Output())
				m := req.ProtoReflect()
				path := strings.Split(w.field, ".")
				for _, name := range path[:len(path)-1] {
					m = m.Mutable(m.Descriptor().Fields().ByName(protoreflect.Name(name))).Message()
				}
				m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(path[len(path)-1])), protoreflect.ValueOfString(w.value))
				err := s.c.Invoke(t.Context(), w.procedure, req, res)
				checkErr(t, who+" "+w.procedure+" of "+w.value, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{w.field}})
			}
		}
	})
}

// newMessage is an empty message of the generated type of d.
func newMessage(t *testing.T, d protoreflect.MessageDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}
