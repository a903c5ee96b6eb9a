package resource_test

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/resource"
)

// networkRules are rules of the shape of a capability's: a value rule of
// the name, one of each member's partner, one between fields (the lead is
// the first member's partner), and a check made only when nothing was
// recorded before it (members at most 3), as a daily cap is.
func networkRules(v *errs.Violations, n *famiv1.Network) {
	if n.GetDisplayName() == "´" {
		v.Add("network.display_name", "is an accent alone")
	}
	seen := map[string]bool{}
	for i, m := range n.GetMembers() {
		if seen[m.GetPartner()] {
			v.Add(errs.Indexed("network.members", i)+".partner", "is listed twice")
		}
		seen[m.GetPartner()] = true
	}
	if len(n.GetMembers()) == 0 || n.GetMembers()[0].GetPartner() != n.GetLeadPartner() {
		v.Add("network.lead_partner", "is not the first member")
	}
	if v.Len() == 0 && len(n.GetMembers()) > 3 {
		v.Add("network.members", "has more than 3")
	}
}

// TestValidateLeavesOutWhatTheStoredResourceHad: an update is not refused
// for a violation the stored resource already has at a value it keeps,
// also where an element of a list moved (a member inserted or removed
// before it); a value it changes, a new fault between fields and a check
// made only when nothing was recorded before it are still refused, and a
// Create (nothing stored) is checked whole.
func TestValidateLeavesOutWhatTheStoredResourceHad(t *testing.T) {
	members := func(partners ...string) []*famiv1.Member {
		var out []*famiv1.Member
		for _, p := range partners {
			out = append(out, &famiv1.Member{Partner: p})
		}
		return out
	}
	stored := &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "b")}
	for _, c := range []struct {
		what   string
		stored *famiv1.Network
		next   *famiv1.Network
		fields []string // nil: accepted
	}{
		{"another field", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "b"), Description: "x"}, nil},
		{"a create", nil, stored, []string{"network.display_name", "network.members[2].partner"}},
		{"the name fixed", stored, &famiv1.Network{DisplayName: "Rete", LeadPartner: "a", Members: members("a", "b", "b")}, nil},
		{"a new duplicate", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "b", "a")}, []string{"network.members[3].partner"}},
		{"a member inserted before the duplicate, which is kept: the cap then checked", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "c", "b", "b")}, []string{"network.members"}},
		{"a member removed before the duplicate", &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "c", "b", "b")}, stored, nil},
		{"the duplicate listed a third time", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "c", "b", "b")}, []string{"network.members[4].partner"}},
		{"a member inserted between the two", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "c", "b")}, []string{"network.members"}},
		{"a fault between fields", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "b", Members: members("a", "b", "b")}, []string{"network.lead_partner"}},
		{"a check made on no violation", stored, &famiv1.Network{DisplayName: "´", LeadPartner: "a", Members: members("a", "b", "b", "c")}, []string{"network.members"}},
	} {
		err := resource.Validate("network", c.stored, c.next, networkRules)
		if c.fields == nil {
			if err != nil {
				t.Errorf("%s: %v, want accepted", c.what, err)
			}
			continue
		}
		errstest.Want(t, c.what, err, errs.Invalid, "INVALID_ARGUMENT", c.fields...)
	}
	renamed := &famiv1.Network{DisplayName: "´´", LeadPartner: "a", Members: members("a", "b", "b")}
	err := resource.Validate("network", stored, renamed, func(v *errs.Violations, n *famiv1.Network) {
		if n.GetDisplayName() != "Rete" {
			v.Add("network.display_name", "is not Rete")
		}
	})
	errstest.Want(t, "the name changed to another the same rule refuses", err, errs.Invalid, "INVALID_ARGUMENT", "network.display_name")
}

// TestValidateARequestsOwnFields: with field "", the rules name the
// fields of r itself, a request that records a list the resource holds;
// an item recorded before and sent again is not refused for a fault it
// had, wherever it now is in the list, and a new one is; with nothing
// recorded, the list is checked whole.
func TestValidateARequestsOwnFields(t *testing.T) {
	items := func(descriptions ...string) *famiv1.RecordMinutesRequest {
		r := &famiv1.RecordMinutesRequest{}
		for _, d := range descriptions {
			r.ActionItems = append(r.ActionItems, &famiv1.ActionItem{Description: d})
		}
		return r
	}
	rules := func(v *errs.Violations, r *famiv1.RecordMinutesRequest) {
		for i, it := range r.GetActionItems() {
			if it.GetDescription() == "´" {
				v.Add(errs.Indexed("action_items", i)+".description", "is an accent alone")
			}
		}
	}
	recorded := items("Prima", "´")
	if err := resource.Validate("", recorded, items("Nuova", "Prima", "´"), rules); err != nil {
		t.Errorf("the item sent again, moved: %v, want accepted", err)
	}
	err := resource.Validate("", recorded, items("´", "Prima", "´"), rules)
	// Of two equal items, the later is the new one.
	errstest.Want(t, "a new item with the fault", err, errs.Invalid, "INVALID_ARGUMENT", "action_items[2].description")
	err = resource.Validate("", nil, items("´"), rules)
	errstest.Want(t, "a first recording", err, errs.Invalid, "INVALID_ARGUMENT", "action_items[0].description")
}
