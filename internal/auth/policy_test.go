package auth_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestEveryRPCHasARule walks every method of every fami.v1 service in the
// generated descriptors: a method without a rule would be refused by
// default, and a rule without a method is a typo.
func TestEveryRPCHasARule(t *testing.T) {
	rights := auth.Rights()
	seen := map[string]bool{}
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				proc := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				seen[proc] = true
				if _, ok := rights[proc]; !ok {
					t.Errorf("%s has no rule in auth.Rights()", proc)
				}
			}
		}
		return true
	})
	if len(seen) == 0 {
		t.Fatal("found no methods: the generated descriptors are not linked")
	}
	for proc := range rights {
		if !seen[proc] {
			t.Errorf("rule for %s, which is not a method of any service", proc)
		}
	}
}

func TestUnknownProcedureIsDenied(t *testing.T) {
	err := auth.Rights().Authorize("/fami.v1.PartnerService/Nope", principal.Principal{Subject: "x", Role: principal.Ministry}, &famiv1.GetPartnerRequest{})
	if got, want := errs.CodeOf(err), errs.PermissionDenied; got != want {
		t.Fatalf("code = %v, want %v", got, want)
	}
}

func TestInRegion(t *testing.T) {
	rule := auth.InRegion("partner.name", principal.RegionAdmin, principal.Ministry)
	req := &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardia/partners/p"}}
	for _, tc := range []struct {
		name string
		p    principal.Principal
		req  *famiv1.UpdatePartnerRequest
		want errs.Code
		ok   bool
	}{
		{"anonymous", principal.Anonymous, req, errs.Unauthenticated, false},
		{"own region", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"}, req, 0, true},
		{"other region", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "veneto"}, req, errs.PermissionDenied, false},
		{"ministry anywhere", principal.Principal{Subject: "m", Role: principal.Ministry}, req, 0, true},
		{"role not listed", principal.Principal{Subject: "c", Role: principal.Consultant, Region: "lombardia"}, req, errs.PermissionDenied, false},
		{"no name", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"}, &famiv1.UpdatePartnerRequest{}, errs.Invalid, false},
		{"prefix trick", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"},
			&famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardiax/partners/p"}}, errs.PermissionDenied, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rule(tc.p, tc.req)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := errs.CodeOf(err); got != tc.want {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "partners/p") && tc.want == errs.PermissionDenied {
				t.Errorf("a refusal names the resource: %v", err)
			}
		})
	}
}
