package server

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestEveryRPCHasARule walks every method of every fami.v1 service in the
// generated descriptors: a method without a rule in the merged policy would
// be refused by default, and a rule for a method that exists nowhere (in
// fami.v1 or among the server's own services) is a typo.
func TestEveryRPCHasARule(t *testing.T) {
	rights, err := policy()
	if err != nil {
		t.Fatalf("merging the capabilities' rights: %v", err)
	}
	seen := map[string]bool{}
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				proc := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				seen[proc] = true
				if _, ok := rights[proc]; !ok {
					t.Errorf("%s has no rule: add it to the Rights of the package implementing %s", proc, sd.Name())
				}
			}
		}
		return true
	})
	if len(seen) == 0 {
		t.Fatal("found no methods: the generated descriptors are not linked")
	}
	for proc := range rights {
		if !seen[proc] && !isMethod(proc) {
			t.Errorf("rule for %s, which is not a method of any service", proc)
		}
	}
}

// isMethod reports whether procedure ("/package.Service/Method") names a
// method of a service linked into the server.
func isMethod(procedure string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if !ok {
		return false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	return ok && sd.Methods().ByName(protoreflect.Name(method)) != nil
}

// TestUnknownProcedureIsDenied: the merged policy refuses a procedure no
// capability declares, even to the ministry.
func TestUnknownProcedureIsDenied(t *testing.T) {
	rights, err := policy()
	if err != nil {
		t.Fatal(err)
	}
	err = rights.Authorize("/fami.v1.PartnerService/Nope", principal.Principal{Subject: "x", Role: principal.Ministry}, &famiv1.GetPartnerRequest{})
	if got, want := errs.CodeOf(err), errs.PermissionDenied; got != want {
		t.Fatalf("code = %v, want %v", got, want)
	}
}

// TestFeedTypesFollowTheLists: what each feed reader gets of a region's
// change feed is what its Gets and Lists give it. The region's admin reads
// every type, its systems every type a region stores (they may not list
// accounts and service tokens, which live outside the regions' logs) but
// others' calendar feed tokens, the ministry every type but contacts and
// individual support entries, whose reads refuse it, and others' calendar
// feed tokens. The monitoring settings, which have a Get and no List, are
// read by both.
func TestFeedTypesFollowTheLists(t *testing.T) {
	rights, err := policy()
	if err != nil {
		t.Fatal(err)
	}
	types := feedTypes(rights, ownedTypes())
	as := func(p principal.Principal) []string {
		t.Helper()
		got, err := types(principal.With(t.Context(), p), "lombardia", nil)
		if err != nil {
			t.Fatalf("%s: %v", p.Role, err)
		}
		return got
	}
	if got := as(principal.Principal{Subject: "admin", Role: principal.RegionAdmin, Region: "lombardia"}); got != nil {
		t.Errorf("the region's admin reads %v, want every type (no filter)", got)
	}
	const calendarTokens = "fami.v1.CalendarToken"
	regionTypes := []string{"fami.v1.Partner", "fami.v1.Project", "fami.v1.Network", "fami.v1.Contact", "fami.v1.Protocol",
		"fami.v1.Meeting", calendarTokens, "fami.v1.SupportEntry", "fami.v1.ClosedPeriod",
		"fami.v1.CapacityAssessment", "fami.v1.Survey", "fami.v1.MonitoringReport", "fami.v1.MonitoringSettings"}
	got := as(principal.Principal{Subject: "system", Role: principal.RegionalSystem, Region: "lombardia"})
	for _, typ := range regionTypes {
		if slices.Contains(got, typ) != (typ != calendarTokens) {
			t.Errorf("the region's system reads %s: %t, want %t (reads %v)", typ, slices.Contains(got, typ), typ != calendarTokens, got)
		}
	}
	got = as(principal.Principal{Subject: "ministero", Role: principal.Ministry})
	ministry := principal.With(t.Context(), principal.Principal{Subject: "ministero", Role: principal.Ministry})
	for _, typ := range regionTypes {
		hidden := typ == "fami.v1.Contact" || typ == "fami.v1.SupportEntry" || typ == calendarTokens
		if slices.Contains(got, typ) == hidden {
			t.Errorf("the ministry reads %s: %t, want %t (reads %v)", typ, !hidden, hidden, got)
		}
		if !hidden {
			continue
		}
		_, err := types(ministry, "lombardia", []string{"fami.v1.Partner", typ})
		if e := errs.As(err); e == nil || e.Reason != errs.RoleNotAllowed {
			t.Errorf("the ministry asking for %s: got %v, want ROLE_NOT_ALLOWED", typ, err)
		}
	}
}
