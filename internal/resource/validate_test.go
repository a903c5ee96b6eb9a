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

// TestValidateMatchesAFaultInsideAListByWhatItIs: a fault inside a list
// the elements of another list hold (an action a network project lists
// twice, a contact two attendance lines name) is matched with the
// stored one by what it is (the rule's words and the value), not by the
// element that holds it: an element inserted before it, or one before it
// that changed, does not make a duplicate kept as stored new, and a new
// one is still refused (of equal faults, the later is the new one).
func TestValidateMatchesAFaultInsideAListByWhatItIs(t *testing.T) {
	network := func(projects ...[]string) *famiv1.Network {
		n := &famiv1.Network{}
		for i, actions := range projects {
			n.Projects = append(n.Projects, &famiv1.NetworkProject{Project: string(rune('p' + i)), Actions: actions})
		}
		return n
	}
	rules := func(v *errs.Violations, n *famiv1.Network) {
		for i, p := range n.GetProjects() {
			seen := map[string]bool{}
			for j, a := range p.GetActions() {
				if seen[a] {
					v.Add(errs.Indexed(errs.Indexed("network.projects", i)+".actions", j), "%q is listed twice", a)
				}
				seen[a] = true
			}
		}
	}
	stored := network([]string{"x", "x"})
	for _, c := range []struct {
		what   string
		next   *famiv1.Network
		fields []string // nil: accepted
	}{
		{"a project inserted before the one listing an action twice", network([]string{"w", "x"}, []string{"x", "x"}), nil},
		{"the same inserted listing it twice too", network([]string{"x", "x"}, []string{"x", "x"}), []string{"network.projects[1].actions[1]"}},
	} {
		err := resource.Validate("network", stored, c.next, rules)
		if c.fields == nil {
			if err != nil {
				t.Errorf("%s: %v, want accepted", c.what, err)
			}
			continue
		}
		errstest.Want(t, c.what, err, errs.Invalid, "INVALID_ARGUMENT", c.fields...)
	}

	attendance := func(contacts ...[]string) *famiv1.RecordAttendanceRequest {
		r := &famiv1.RecordAttendanceRequest{}
		for _, cs := range contacts {
			r.Attendance = append(r.Attendance, &famiv1.PartnerAttendance{Contacts: cs})
		}
		return r
	}
	named := func(v *errs.Violations, r *famiv1.RecordAttendanceRequest) {
		seen := map[string]bool{}
		for i, a := range r.GetAttendance() {
			for j, c := range a.GetContacts() {
				if seen[c] {
					v.Add(errs.Indexed(errs.Indexed("attendance", i)+".contacts", j), "%s is named twice", c)
				}
				seen[c] = true
			}
		}
	}
	recorded := attendance([]string{"y", "x"}, []string{"x"})
	if err := resource.Validate("", recorded, attendance([]string{"x"}, []string{"x"}), named); err != nil {
		t.Errorf("the first line changed, the second sent again as it was: %v, want accepted", err)
	}
	err := resource.Validate("", recorded, attendance([]string{"y", "x"}, []string{"x"}, []string{"x"}), named)
	errstest.Want(t, "a third line naming the contact again", err, errs.Invalid, "INVALID_ARGUMENT", "attendance[2].contacts[0]")
}
