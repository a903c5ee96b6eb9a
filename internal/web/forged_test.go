package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestForgedHiddenFieldSaidOnTheForm: a field the page sends hidden, sent
// as no page sends it (a content hash that is no hash, on signing), is
// refused with a message on the form, 422, saying that the form is not
// the page's and nothing was saved, and no field marked. It was marked
// beside the hidden field, shown nowhere, under "check the fields marked".
func TestForgedHiddenFieldSaidOnTheForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	b := f.client(t)
	b.signIn("anna@lombardia")
	res, _ := b.do("POST", "/protocolli", url.Values{"csrf": {b.csrf("/protocolli/nuovo")}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1 - Le parti collaborano."}, "valid_from": {"01/01/2025"},
		"party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"}, "party.1.partner": {cpia}, "party.1.role": {"PARTY_ROLE_SIGNATORY"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create the protocol: status %d", res.StatusCode)
	}
	path, _, _ := strings.Cut(res.Header.Get("Location"), "?")
	if res, _ = b.do("POST", path+"/apri", url.Values{"csrf": {b.csrf(path)}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open for signature: status %d", res.StatusCode)
	}
	res, page := b.do("POST", path+"/firma", url.Values{"csrf": {b.csrf(path)}, "content_hash": {"contraffatto"}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("sign with a forged content hash: status %d, want 422", res.StatusCode)
	}
	if !strings.Contains(page, `id="form-error"`) || !strings.Contains(page, "Il modulo inviato non è quello che questa pagina ha mostrato") {
		t.Errorf("sign with a forged content hash: the form does not say that it is not the page's")
	}
	if strings.Contains(page, `-err"`) {
		t.Errorf("sign with a forged content hash: a field is marked, where the user can fix none")
	}
	p, err := famiv1.NewProtocolServiceClient(f.conn).GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{
		Name: "regions/lombardia/protocols/" + path[strings.LastIndexByte(path, '/')+1:]})
	if err != nil || len(p.GetSignatures()) != 0 {
		t.Errorf("after the forged signature: %v, %v; want the protocol unsigned", p.GetSignatures(), err)
	}
}
