package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

const capacityPage = "/reti/rete-bergamo/capacita"

// capacityForm is a valid new assessment's form, with csrf.
func capacityForm(csrf, measure, t0Date string) url.Values {
	return url.Values{"csrf": {csrf}, "new_measure": {measure}, "new_display_name": {"Competenza di co-progettazione"},
		"new_t0": {"2"}, "new_t0_date": {t0Date}, "new_t1": {"3,5"}, "new_t1_date": {"01/10/2026"}, "new_notes": {"Rilevata in plenaria"}}
}

// assessment reads the stored assessment of the Bergamo network, or its error.
func (f *famid) assessment(measure string) (*famiv1.CapacityAssessment, error) {
	return famiv1.NewEvaluationServiceClient(f.conn).GetCapacityAssessment(f.admin("lombardia"), &famiv1.GetCapacityAssessmentRequest{
		Name: "regions/lombardia/networks/rete-bergamo/capacityAssessments/" + measure})
}

// TestCapacityAssessmentRecorded: the region admin records a network's
// capacity measure from the network's page, typed the Italian way (3,5;
// gg/mm/aaaa); the service stores it as typed and the page lists it with
// its variation, the newest measurement first.
func TestCapacityAssessmentRecorded(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.annaInBergamo(t)
	admin := f.adminIn(t)
	admin.wantPage("/reti/rete-bergamo", http.StatusOK, `href="/reti/rete-bergamo/capacita"`)
	admin.wantPage(capacityPage, http.StatusOK, "Nessuna misura rilevata.", `action="/reti/rete-bergamo/capacita"`)

	res, _ := admin.do("POST", capacityPage, capacityForm(admin.csrf(capacityPage), "co-progettazione", "01/02/2026"))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != capacityPage {
		t.Fatalf("record a measure: status %d to %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), capacityPage)
	}
	a, err := f.assessment("co-progettazione")
	if err != nil || a.GetT0() != 2 || a.GetT1() != 3.5 || a.GetT0Date() != "2026-02-01" || a.GetT1Date() != "2026-10-01" || a.GetScaleMax() != 5 {
		t.Fatalf("stored: %v, %v", a, err)
	}
	older := capacityForm(admin.csrf(capacityPage), "autonomia", "01/01/2025")
	older.Set("new_display_name", "Autonomia della rete")
	older.Del("new_t1")
	older.Del("new_t1_date")
	if res, _ = admin.do("POST", capacityPage, older); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record a second measure: status %d", res.StatusCode)
	}
	page := admin.wantPage(capacityPage, http.StatusOK, "Misura registrata.", "3,50 / 5", "1,50", "Non ancora rilevato")
	if i, j := strings.Index(page, "Competenza di co-progettazione"), strings.Index(page, "Autonomia della rete"); i < 0 || j < 0 || i > j {
		t.Errorf("the measure measured in 2026 is not listed before the one of 2025 (at %d and %d)", i, j)
	}
}

// TestCapacityAssessmentRefusedOnItsField: a score off the scale and a T1
// date before T0 are refused by the service, and the form says so in
// Italian beside each field, keeping what was typed; nothing is stored.
func TestCapacityAssessmentRefusedOnItsField(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.annaInBergamo(t)
	admin := f.adminIn(t)
	v := capacityForm(admin.csrf(capacityPage), "co-progettazione", "01/02/2026")
	v.Set("new_t0", "9")
	v.Set("new_t1_date", "01/01/2026")
	res, page := admin.do("POST", capacityPage, v)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("record a score of 9 out of 5: status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{`id="f-new_t0-err">Indica un punteggio da 1 al massimo della scala.`,
		`id="f-new_t1_date-err">Indica la data della seconda rilevazione`, `value="9"`, `value="Competenza di co-progettazione"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused form does not show %s", want)
		}
	}
	if _, err := f.assessment("co-progettazione"); status.Code(err) != codes.NotFound {
		t.Errorf("the refused measure: %v, want NOT_FOUND", err)
	}
}

// TestCapacityAssessmentRights: network staff read the network's measures
// but are offered no form, and a form they forge is refused by the
// service, nothing stored; an archived network offers no form to anyone
// and says why.
func TestCapacityAssessmentRights(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, _, _ := f.annaInBergamo(t)
	admin := f.adminIn(t)
	if res, _ := admin.do("POST", capacityPage, capacityForm(admin.csrf(capacityPage), "co-progettazione", "01/02/2026")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record a measure: status %d", res.StatusCode)
	}
	page := anna.wantPage(capacityPage, http.StatusOK, "Competenza di co-progettazione")
	if strings.Contains(page, `action="/reti/rete-bergamo/capacita"`) {
		t.Error("network staff are offered the form of a new measure")
	}
	res, _ := anna.do("POST", capacityPage, capacityForm(anna.csrf(capacityPage), "forgiata", "01/02/2026"))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a measure forged by network staff: status %d, want 403", res.StatusCode)
	}
	if _, err := f.assessment("forgiata"); status.Code(err) != codes.NotFound {
		t.Errorf("the forged measure: %v, want NOT_FOUND", err)
	}

	if _, err := famiv1.NewNetworkServiceClient(f.seed).UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: network, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	page = admin.wantPage(capacityPage, http.StatusOK, "Competenza di co-progettazione", "La rete è archiviata: non si registrano nuove misure.")
	if strings.Contains(page, `action="/reti/rete-bergamo/capacita"`) {
		t.Error("an archived network's page offers the form of a new measure")
	}
}
