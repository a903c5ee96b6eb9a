package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestArchivedNetworkRefusedOnTheField: hours logged for, and a meeting
// scheduled in, an archived network (ADR 30) are refused, and the form
// says so in Italian beside the network it names, and above the form what
// archiving means; nothing is saved. Before, both were saved.
func TestArchivedNetworkRefusedOnTheField(t *testing.T) {
	f, c, network := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	if _, err := famiv1.NewNetworkServiceClient(f.seed).UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: network, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	const (
		onTheField = `Questa rete è archiviata: non accetta nuovi incontri, ore di supporto o protocolli.`
		onTheForm  = `Una rete o un ente indicati sono archiviati`
	)

	c.signIn("mrossi@lombardia")
	res, page := c.do("POST", "/ore", entryForm(c.csrf("/ore"), network))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-network-err">`+onTheField) || !strings.Contains(page, onTheForm) {
		t.Errorf("hours for the archived network: status %d; want 422, the network's field saying %q and the form %q", res.StatusCode, onTheField, onTheForm)
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("%d entries saved, want none", n)
	}

	admin := f.client(t)
	admin.signIn("admin@lombardia")
	day := f.Clock.Now().In(rome()).AddDate(0, 0, 10).Format("02/01/2006")
	res, page = admin.do("POST", "/incontri", url.Values{"csrf": {admin.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {day},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-networks-err">`+onTheField) || !strings.Contains(page, onTheForm) {
		t.Errorf("a meeting of the archived network: status %d; want 422, the networks' field saying %q and the form %q", res.StatusCode, onTheField, onTheForm)
	}
}
