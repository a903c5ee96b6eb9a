package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestUpdateNamingOnlyOutputOnlyWritesNothing: an Update whose mask names
// only output-only fields (a PATCH body holding the etag) has nothing to
// change: it answers the partner as it is and writes nothing, no new etag,
// revision or change-log entry, as a mask naming only a resource's own
// output-only fields (a meeting's state) already did.
func TestUpdateNamingOnlyOutputOnlyWritesNothing(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartner(t, ctx, s)
		revision := func() int64 { return s.revision(t, lombardia) }
		cur, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("udp-milano")})
		if err != nil {
			t.Fatal(err)
		}
		before := revision()
		for _, paths := range [][]string{{"etag"}, {"name", "etag", "create_time", "update_time"}} {
			in := proto.CloneOf(cur)
			in.DisplayName = "Cambiato"
			got, err := s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			if err != nil {
				t.Fatalf("update with mask %v: %v", paths, err)
			}
			if !proto.Equal(got, cur) {
				t.Errorf("update with mask %v answered %v, want the partner as it is, %v", paths, got, cur)
			}
		}
		if after := revision(); after != before {
			t.Errorf("revision after the updates naming only output-only fields: %d, want %d", after, before)
		}
		if now, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: cur.GetName()}); err != nil || !proto.Equal(now, cur) {
			t.Errorf("partner after the updates: %v, %v; want it unchanged, %v", now, err, cur)
		}
	})
}

// maskedUpdate is what TestEveryUpdateMaskOfOutputOnlyWritesNothing and
// TestEveryUpdateOfABodyFromAGet need to know of the resource type an
// Update method changes, besides its output-only fields, which they read
// from the API's .proto files (ownOutputOnly).
type maskedUpdate struct {
	// edit is a mutable string field the tests change in the request.
	edit string
	// moves are the output-only fields every write changes (a meeting's
	// sequence), besides the etag and update_time.
	moves []string
	// consultant: the seed's consultant (who wrote the record) updates it,
	// not the region's admin.
	consultant bool
}

// maskedUpdates are the types of every Update method that takes an
// update_mask; the tests fail on an Update missing here.
var maskedUpdates = map[string]maskedUpdate{
	"fami.v1.Partner":            {edit: "display_name"},
	"fami.v1.Contact":            {edit: "display_name"},
	"fami.v1.Network":            {edit: "display_name"},
	"fami.v1.Project":            {edit: "title"},
	"fami.v1.Protocol":           {edit: "title"},
	"fami.v1.Meeting":            {edit: "title", moves: []string{"sequence"}},
	"fami.v1.SupportEntry":       {edit: "notes", consultant: true},
	"fami.v1.MonitoringReport":   {edit: "notes"},
	"fami.v1.CapacityAssessment": {edit: "display_name", consultant: true},
}

// ownOutputOnly reads from the API's .proto files, by message, the
// top-level fields whose comment starts "Output only", besides the
// standard ones (name, etag, create_time, update_time): the fields the API
// reference tells a client the server owns. Each must be a capability's
// own output-only field, which an Update ignores.
func ownOutputOnly(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("../../proto/fami/v1/*.proto")
	if err != nil || len(files) == 0 {
		t.Fatalf("the API's .proto files: %v, %v", files, err)
	}
	field := regexp.MustCompile(`^  (?:repeated |optional )?[\w.]+ (\w+) = \d+;`)
	standard := []string{"name", "etag", "create_time", "update_time"}
	own := map[string][]string{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		message, outputOnly := "", false
		for line := range strings.Lines(string(b)) {
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "message "):
				message = "fami.v1." + strings.Fields(line)[1]
			case line == "}":
				message = ""
			case strings.HasPrefix(line, "  // "):
				outputOnly = outputOnly || strings.HasPrefix(line, "  // Output only")
				continue
			default:
				if m := field.FindStringSubmatch(line); m != nil && message != "" && outputOnly && !slices.Contains(standard, m[1]) {
					own[message] = append(own[message], m[1])
				}
			}
			outputOnly = false
		}
	}
	if len(own) == 0 {
		t.Fatal(`no field of the API's .proto files is marked "Output only": has the comments' style changed?`)
	}
	return own
}

// TestEveryUpdateMaskOfOutputOnlyWritesNothing: on every Update that takes
// an update_mask, found by walking the API, a mask naming fields, only
// output-only ones (the standard ones, and the resource's own), answers
// the resource as it is and writes nothing: no new etag, revision or
// change-log entry, though the request carries a changed field. An empty
// mask still means every mutable field: the same request without a mask
// changes it, one revision and one change later. It would fail if a mask
// of output-only fields were taken for the empty one, and if the empty one
// lost its meaning.
func TestEveryUpdateMaskOfOutputOnlyWritesNothing(t *testing.T) {
	t.Parallel()
	updates := updateMethods(t)
	outputOnly := ownOutputOnly(t)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		reads := standardReads(t)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		changesSince := func(rev int64) (int64, int) {
			t.Helper()
			res, err := admin.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, SinceRevision: rev, PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return res.GetRevision(), len(res.GetChanges())
		}
		for typ, procedure := range updates {
			mu, own := maskedUpdates[typ], outputOnly[typ]
			s := admin
			if mu.consultant {
				s = consultant
			}
			get := func() protoreflect.Message {
				t.Helper()
				return getByName(t, s, reads[typ].get, names[typ])
			}
			update := func(res protoreflect.Message, paths []string) (protoreflect.Message, error) {
				return updateWithMask(t, s, procedure, res, paths)
			}
			cur := get()
			edited := func() protoreflect.Message {
				in := proto.CloneOf(cur.Interface()).ProtoReflect()
				setString(in, mu.edit, "Cambiato da "+kind)
				return in
			}
			before, _ := changesSince(0)
			masks := [][]string{{"etag"}, {"name", "etag", "create_time", "update_time"}, {"updateTime"}}
			if len(own) > 0 {
				masks = append(masks, own, append([]string{"etag"}, own...))
			}
			for _, paths := range masks {
				got, err := update(edited(), paths)
				if err != nil {
					t.Errorf("%s with mask %v: %v", procedure, paths, err)
					continue
				}
				if !proto.Equal(got.Interface(), cur.Interface()) {
					t.Errorf("%s with mask %v answered %v, want it as it is, %v", procedure, paths, got.Interface(), cur.Interface())
				}
			}
			if rev, n := changesSince(before); rev != before || n != 0 {
				t.Errorf("%s: after masks of output-only fields, revision %d and %d changes since %d; want none", procedure, rev, n, before)
			}
			if now := get(); !proto.Equal(now.Interface(), cur.Interface()) {
				t.Errorf("%s: %s after masks of output-only fields is %v, want it unchanged, %v", procedure, typ, now.Interface(), cur.Interface())
			}
			got, err := update(edited(), nil)
			if err != nil {
				t.Fatalf("%s without a mask: %v", procedure, err)
			}
			if v := got.Get(got.Descriptor().Fields().ByName(protoreflect.Name(mu.edit))).String(); v != "Cambiato da "+kind {
				t.Errorf("%s without a mask left %s %q, want it changed: an empty mask means every mutable field", procedure, mu.edit, v)
			}
			if rev, n := changesSince(before); rev != before+1 || n != 1 {
				t.Errorf("%s without a mask: revision %d and %d changes since %d; want one", procedure, rev, n, before)
			}
		}
	})
}

// getByName reads the resource name through the Get method get on s.
func getByName(t *testing.T, s surface, get, name string) protoreflect.Message {
	t.Helper()
	in, out := requestOf(t, get)
	setString(in, "name", name)
	if err := s.c.Invoke(t.Context(), get, in.Interface(), out.Interface()); err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return out
}

// updateWithMask sends res to the Update method procedure on s with a mask
// of paths, or none when paths is nil (a REST PATCH without updateMask).
func updateWithMask(t *testing.T, s surface, procedure string, res protoreflect.Message, paths []string) (protoreflect.Message, error) {
	t.Helper()
	in, out := requestOf(t, procedure)
	fields := in.Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.Message() != nil && f.Message().FullName() == res.Descriptor().FullName() {
			in.Set(f, protoreflect.ValueOfMessage(res))
		}
	}
	if paths != nil {
		in.Set(fields.ByName("update_mask"), protoreflect.ValueOfMessage((&fieldmaskpb.FieldMask{Paths: paths}).ProtoReflect()))
	}
	return out, s.c.Invoke(t.Context(), procedure, in.Interface(), out.Interface())
}

// TestEveryUpdateOfABodyFromAGet: on every Update that takes an
// update_mask, found by walking the API, a client that reads a resource,
// changes one mutable field and sends the whole body back without a mask
// updates it (AIP-203: output-only fields in a request are ignored, not
// refused). REST sends a PATCH without updateMask, from whose body
// grpc-gateway derives the mask; gRPC, Connect and gRPC-Web send the mask
// the gateway would derive, every field the body sets. The body's
// output-only strings are also forged, and none of the resource's
// output-only fields moves but those every write moves (etag,
// update_time, a meeting's sequence). It fails while an Update refuses
// its own output-only fields in a mask, and if one wrote them.
func TestEveryUpdateOfABodyFromAGet(t *testing.T) {
	t.Parallel()
	updates := updateMethods(t)
	outputOnly := ownOutputOnly(t)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		names := seedEveryType(t, ts)
		reads := standardReads(t)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		for typ, procedure := range updates {
			mu := maskedUpdates[typ]
			s := admin
			if mu.consultant {
				s = consultant
			}
			cur := getByName(t, s, reads[typ].get, names[typ])
			body := proto.CloneOf(cur.Interface()).ProtoReflect()
			want := "Cambiato da " + kind
			setString(body, mu.edit, want)
			fields := body.Descriptor().Fields()
			kept := append([]string{"name", "create_time"}, outputOnly[typ]...)
			for _, name := range kept {
				if f := fields.ByName(protoreflect.Name(name)); f.Kind() == protoreflect.StringKind && !f.IsList() && name != "name" {
					body.Set(f, protoreflect.ValueOfString("forged"))
				}
			}
			var paths []string // REST: the gateway derives the mask from the body
			if kind != "rest" {
				paths = bodyMask(t, body.Interface())
			}
			got, err := updateWithMask(t, s, procedure, body, paths)
			if err != nil {
				t.Errorf("%s with the body of a GET and mask %v: %v", procedure, paths, err)
				continue
			}
			if v := got.Get(fields.ByName(protoreflect.Name(mu.edit))).String(); v != want {
				t.Errorf("%s with the body of a GET left %s %q, want %q", procedure, mu.edit, v, want)
			}
			for _, name := range kept {
				f := fields.ByName(protoreflect.Name(name))
				if slices.Contains(mu.moves, name) {
					continue
				}
				if !got.Get(f).Equal(cur.Get(f)) {
					t.Errorf("%s with the body of a GET moved output-only %s: %v, was %v", procedure, name, got.Get(f), cur.Get(f))
				}
			}
			if now := getByName(t, s, reads[typ].get, names[typ]); !proto.Equal(now.Interface(), got.Interface()) {
				t.Errorf("%s: %s after the update is %v, want what the update answered, %v", procedure, typ, now.Interface(), got.Interface())
			}
		}
	})
}

// TestRESTPatchOfTheBytesAGetAnswered is TestEveryUpdateOfABodyFromAGet
// as a REST client without protobuf does it: the JSON a GET answered, one
// mutable field changed in it and nothing else, sent back as it is with
// PATCH and no updateMask, is 200 with the change.
func TestRESTPatchOfTheBytesAGetAnswered(t *testing.T) {
	t.Parallel()
	updates := updateMethods(t)
	ts := startServer(t, server.Config{})
	names := seedEveryType(t, ts)
	admin := newSurface(t, ts, "rest").c.rest
	consultant := newSurfaceFor(t, ts, "rest", auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion}).c.rest
	for typ := range updates {
		mu := maskedUpdates[typ]
		s := admin
		if mu.consultant {
			s = consultant
		}
		path := "/v1/" + names[typ]
		read, err := s.send(t.Context(), http.MethodGet, path, nil, nil)
		if err != nil || read.Status != http.StatusOK {
			t.Fatalf("GET %s: %v, %+v", path, err, read)
		}
		var body map[string]any
		if err := json.Unmarshal(read.Body, &body); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		md, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(typ))
		if err != nil {
			t.Fatal(err)
		}
		key := md.(protoreflect.MessageDescriptor).Fields().ByName(protoreflect.Name(mu.edit)).JSONName()
		body[key] = "Cambiato con PATCH"
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.send(t.Context(), http.MethodPatch, path, nil, b)
		if err != nil {
			t.Fatalf("PATCH %s: %v", path, err)
		}
		var got map[string]any
		if res.Status != http.StatusOK || json.Unmarshal(res.Body, &got) != nil || got[key] != "Cambiato con PATCH" {
			t.Errorf("PATCH %s without updateMask, the body a GET answered with %s changed: %d %s", path, key, res.Status, res.Body)
		}
	}
}

// TestUpdateOfABodyFromAGetWithNestedFields: a body read with a set
// message field (a project's programme) sent back whole, without a mask,
// updates: grpc-gateway derives a path per field inside it
// ("programme.measure"), and each is applied, changed or not.
func TestUpdateOfABodyFromAGetWithNestedFields(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		_, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Lab", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31",
			Programme: &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "2c", Action: "e"}}})
		if err != nil {
			t.Fatal(err)
		}
		cur, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("lab")})
		if err != nil {
			t.Fatal(err)
		}
		body := proto.CloneOf(cur)
		body.Title = "Laboratorio"
		body.Programme.Measure = "3a"
		var mask *fieldmaskpb.FieldMask // REST: the gateway derives it from the body
		if kind != "rest" {
			mask = &fieldmaskpb.FieldMask{Paths: bodyMask(t, body)}
		}
		got, err := s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: body, UpdateMask: mask})
		if err != nil {
			t.Fatalf("update with the body of a GET and mask %v: %v", mask.GetPaths(), err)
		}
		want := &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "3a", Action: "e"}
		if got.GetTitle() != "Laboratorio" || !proto.Equal(got.GetProgramme(), want) {
			t.Errorf("update with the body of a GET: title %q, programme %v; want Laboratorio and %v", got.GetTitle(), got.GetProgramme(), want)
		}
	})
}

// bodyMask is the mask grpc-gateway derives from a PATCH body without
// updateMask: the paths of every field m's JSON sets.
func bodyMask(t *testing.T, m proto.Message) []string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mask, err := runtime.FieldMaskFromRequestBody(bytes.NewReader(b), m)
	if err != nil {
		t.Fatal(err)
	}
	return mask.GetPaths()
}

// updateMethods returns the procedure of every Update method that takes an
// update_mask, by the resource type it answers; each must be in
// maskedUpdates.
func updateMethods(t *testing.T) map[string]string {
	t.Helper()
	updates := map[string]string{}
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				if !strings.HasPrefix(string(m.Name()), "Update") || m.Input().Fields().ByName("update_mask") == nil {
					continue
				}
				typ := string(m.Output().FullName())
				if _, ok := maskedUpdates[typ]; !ok {
					t.Errorf("%s takes an update_mask but %s is not in maskedUpdates", m.FullName(), typ)
				}
				updates[typ] = "/" + string(svc.FullName()) + "/" + string(m.Name())
			}
		}
		return true
	})
	if len(updates) != len(maskedUpdates) {
		t.Errorf("found %d Update methods with a mask, want %d (maskedUpdates)", len(updates), len(maskedUpdates))
	}
	return updates
}
