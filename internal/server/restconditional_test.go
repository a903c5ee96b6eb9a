package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// conditional sends a REST request with the bearer token of ts and the
// headers given as name, value pairs, and answers the exchange.
func conditional(t *testing.T, ts *testServer, method, path string, body []byte, headers ...string) *restResponse {
	t.Helper()
	res, err := newRESTSurface(t, ts, ts.token).send(t.Context(), method, path, nil, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// wantProblem checks that res is the problem document of status and
// reason whose violations name fields (nil: any), and returns it.
func wantProblem(t *testing.T, what string, res *restResponse, status int, reason string, fields []string) *callError {
	t.Helper()
	e, ok := asCallError(problemError("", what, res))
	if !ok || e.HTTPStatus != status || e.Reason != reason || (fields != nil && !slices.Equal(e.Fields, fields)) {
		t.Errorf("%s: got HTTP %d %s, want %d %s naming %v", what, res.Status, res.Body, status, reason, fields)
		return &callError{}
	}
	return e
}

// guardedPartner starts a server holding lombardia's udp-milano
// (seedPartner) and answers it, an administrator's gRPC surface, the
// partner's name and its REST path.
func guardedPartner(t *testing.T) (ts *testServer, admin surface, name, path string) {
	t.Helper()
	ts = startServer(t, server.Config{})
	admin = newSurface(t, ts, "grpc")
	seedPartner(t, t.Context(), admin)
	name = lombardia + "/partners/udp-milano"
	return ts, admin, name, "/v1/" + name
}

// TestRESTRefusesConditionalHeaders: what REST does not evaluate of
// HTTP's preconditions is refused, naming the header, and writes nothing:
// ignored, a precondition would let through the write its sender meant to
// stop (a lost update). If-Unmodified-Since (an HTTP-date, blind within
// its second); If-None-Match on a write other than a create's "*"; an
// If-Match that is neither "*" nor a list of entity tags (both, none, a
// tag without its quotes), or on a read, or on a method
// that takes no etag; and an If-Match that says another etag than the
// request's own field, where the server would have to guess which one the
// client meant.
func TestRESTRefusesConditionalHeaders(t *testing.T) {
	t.Parallel()
	ts, admin, name, path := guardedPartner(t)
	ctx := t.Context()
	before, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	current := `"` + before.GetEtag() + `"`
	rename := []byte(`{"displayName":"Sovrascritto"}`)
	for _, tt := range []struct {
		method, path string
		body         []byte
		headers      []string
		fields       []string
	}{
		{http.MethodDelete, path, nil, []string{"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}, []string{"If-Unmodified-Since"}},
		{http.MethodPatch, path, rename, []string{"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT", "If-Match", current}, []string{"If-Unmodified-Since"}},
		{http.MethodPatch, path, rename, []string{"If-None-Match", "*"}, []string{"If-None-Match"}},
		{http.MethodDelete, path, nil, []string{"If-None-Match", `"stale"`}, []string{"If-None-Match"}},
		{http.MethodPatch, path, rename, []string{"If-Match", `*, ` + current}, []string{"If-Match"}},
		{http.MethodPatch, path, rename, []string{"If-Match", ` , `}, []string{"If-Match"}},
		{http.MethodPatch, path, rename, []string{"If-Match", current + `, 1`}, []string{"If-Match"}},
		{http.MethodPatch, path, rename, []string{"If-Match", strings.Repeat(`"stale", `, 16) + current}, []string{"If-Match"}},
		{http.MethodDelete, path, nil, []string{"If-Match", before.GetEtag()}, []string{"If-Match"}},
		{http.MethodGet, path, nil, []string{"If-Match", current}, []string{"If-Match"}},
		{http.MethodPost, "/v1/" + lombardia + "/partners?partnerId=altro", []byte(`{"displayName":"Altro","kind":"PARTNER_KIND_PLAN_OFFICE"}`), []string{"If-Match", "*"}, []string{"If-Match"}},
		{http.MethodPatch, path, []byte(`{"displayName":"Sovrascritto","etag":"` + before.GetEtag() + `"}`), []string{"If-Match", `"stale"`}, []string{"If-Match", "partner.etag"}},
		{http.MethodDelete, path + "?etag=" + before.GetEtag(), nil, []string{"If-Match", `"stale"`}, []string{"If-Match", "etag"}},
	} {
		what := tt.method + " " + tt.path + " with " + tt.headers[0] + ": " + tt.headers[1]
		res := conditional(t, ts, tt.method, tt.path, tt.body, tt.headers...)
		wantProblem(t, what, res, http.StatusBadRequest, "INVALID_ARGUMENT", tt.fields)
	}
	after, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil || after.GetEtag() != before.GetEtag() || after.GetDisplayName() != before.GetDisplayName() {
		t.Errorf("after the refused requests: got %v, %v; want the partner as it was, %v", after, err, before)
	}
	if _, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: lombardia + "/partners/altro"}); err == nil {
		t.Errorf("the create refused for its If-Match created its partner")
	}
}

// TestRESTIfMatch: If-Match on a write is the request's etag field said
// as an HTTP header. A stale or weak tag stops the write with 412
// Precondition Failed, the reason ETAG_MISMATCH and the current etag in
// the metadata, and writes nothing; the tag a GET answered lets it
// through; "*" asks only that the resource exist. The body's etag, sent
// alone, is refused 409 as before.
func TestRESTIfMatch(t *testing.T) {
	t.Parallel()
	ts, admin, name, path := guardedPartner(t)
	ctx := t.Context()
	read := conditional(t, ts, http.MethodGet, path, nil)
	tag := read.Header.Get("ETag")
	if read.Status != http.StatusOK || tag == "" {
		t.Fatalf("GET %s: HTTP %d, ETag %q; want 200 with an ETag", path, read.Status, tag)
	}
	rename := func(to string) []byte { return []byte(`{"displayName":"` + to + `"}`) }
	if res := conditional(t, ts, http.MethodPatch, path, rename("Primo"), "If-Match", tag); res.Status != http.StatusOK {
		t.Fatalf("PATCH with the ETag read: HTTP %d %s, want 200", res.Status, res.Body)
	}
	now, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil || now.GetDisplayName() != "Primo" {
		t.Fatalf("after the PATCH: %v, %v; want the partner renamed Primo", now, err)
	}

	// tag is stale now: every write it guards is stopped.
	for _, tt := range []struct {
		method, ifMatch string
		body            []byte
	}{
		{http.MethodPatch, tag, rename("Perso")},
		{http.MethodPatch, `W/"` + now.GetEtag() + `"`, rename("Perso")}, // strong comparison: a weak tag never matches
		{http.MethodDelete, tag, nil},
	} {
		what := tt.method + " " + path + " with If-Match: " + tt.ifMatch
		res := conditional(t, ts, tt.method, path, tt.body, "If-Match", tt.ifMatch)
		e := wantProblem(t, what, res, http.StatusPreconditionFailed, "ETAG_MISMATCH", nil)
		if e.Metadata["etag"] != now.GetEtag() || e.Metadata["resource"] != name {
			t.Errorf("%s: metadata %v, want the etag %s of %s", what, e.Metadata, now.GetEtag(), name)
		}
	}
	// The body's etag, without the header, keeps its 409.
	stale := []byte(`{"displayName":"Perso","etag":"` + tag[1:len(tag)-1] + `"}`)
	wantProblem(t, "PATCH with a stale etag in its body", conditional(t, ts, http.MethodPatch, path, stale), http.StatusConflict, "ETAG_MISMATCH", nil)
	if after, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name}); err != nil || after.GetEtag() != now.GetEtag() || after.GetDisplayName() != "Primo" {
		t.Errorf("after the stopped writes: %v, %v; want the partner as it was, %v", after, err, now)
	}

	if res := conditional(t, ts, http.MethodPatch, path, rename("Secondo"), "If-Match", "*"); res.Status != http.StatusOK {
		t.Errorf("PATCH with If-Match: *: HTTP %d %s, want 200", res.Status, res.Body)
	}
	current := conditional(t, ts, http.MethodGet, path, nil).Header.Get("ETag")
	if res := conditional(t, ts, http.MethodDelete, path, nil, "If-Match", current); res.Status != http.StatusOK {
		t.Errorf("DELETE with the current ETag: HTTP %d %s, want 200", res.Status, res.Body)
	}
	if _, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name}); err == nil {
		t.Errorf("the partner is still there after its DELETE")
	}
	wantProblem(t, "DELETE of a missing partner with If-Match: *", conditional(t, ts, http.MethodDelete, path, nil, "If-Match", "*"), http.StatusNotFound, "NOT_FOUND", nil)
}

// TestRESTIfNoneMatchOnCreate: If-None-Match: * on a create asks that
// the name be free; a taken one is 412 Precondition Failed, with the
// reason ALREADY_EXISTS, and the resource there is left as it was.
func TestRESTIfNoneMatchOnCreate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	path := "/v1/" + lombardia + "/partners?partnerId=udp-milano"
	create := func(display string) *restResponse {
		return conditional(t, ts, http.MethodPost, path, []byte(`{"displayName":"`+display+`","kind":"PARTNER_KIND_PLAN_OFFICE"}`), "If-None-Match", "*")
	}
	if res := create("Primo"); res.Status != http.StatusOK {
		t.Fatalf("POST with If-None-Match: * of a free name: HTTP %d %s, want 200", res.Status, res.Body)
	}
	wantProblem(t, "POST with If-None-Match: * of a taken name", create("Secondo"), http.StatusPreconditionFailed, "ALREADY_EXISTS", nil)
	got, err := newSurface(t, ts, "grpc").GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: lombardia + "/partners/udp-milano"})
	if err != nil || got.GetDisplayName() != "Primo" {
		t.Errorf("after the refused create: %v, %v; want the first partner, Primo", got, err)
	}
}

// TestRESTETag: a REST read of a resource answers its etag as a strong
// ETag, and If-None-Match naming it (weakly compared, or "*") answers 304
// Not Modified with the ETag and no body; a stale one, or a change since,
// the resource whole. A List has no ETag.
func TestRESTETag(t *testing.T) {
	t.Parallel()
	ts, admin, name, path := guardedPartner(t)
	ctx := t.Context()
	res := conditional(t, ts, http.MethodGet, path, nil)
	var body struct{ Etag string }
	if err := json.Unmarshal(res.Body, &body); err != nil || res.Status != http.StatusOK || body.Etag == "" {
		t.Fatalf("GET %s: HTTP %d %s, %v; want the partner", path, res.Status, res.Body, err)
	}
	tag := `"` + body.Etag + `"`
	if got := res.Header.Get("ETag"); got != tag {
		t.Errorf("GET %s: ETag %q, want the body's etag quoted, %s", path, got, tag)
	}
	for _, inm := range []string{tag, "W/" + tag, `"stale", ` + tag, "*"} {
		res := conditional(t, ts, http.MethodGet, path, nil, "If-None-Match", inm)
		if res.Status != http.StatusNotModified || len(res.Body) != 0 || res.Header.Get("ETag") != tag || res.ContentType != "" {
			t.Errorf("GET with If-None-Match: %s: HTTP %d, ETag %q, Content-Type %q, %d bytes; want 304 with the ETag and nothing else", inm, res.Status, res.Header.Get("ETag"), res.ContentType, len(res.Body))
		}
	}
	if res := conditional(t, ts, http.MethodGet, path, nil, "If-None-Match", `"stale"`); res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte(body.Etag)) {
		t.Errorf("GET with a stale If-None-Match: HTTP %d %s, want 200 with the partner", res.Status, res.Body)
	}
	if _, err := admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: name, DisplayName: "Cambiato"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
		t.Fatal(err)
	}
	changed := conditional(t, ts, http.MethodGet, path, nil, "If-None-Match", tag)
	if changed.Status != http.StatusOK || changed.Header.Get("ETag") == tag || !bytes.Contains(changed.Body, []byte("Cambiato")) {
		t.Errorf("GET after a change with the old ETag: HTTP %d, ETag %q, %s; want 200 with the changed partner and a new ETag", changed.Status, changed.Header.Get("ETag"), changed.Body)
	}
	if list := conditional(t, ts, http.MethodGet, "/v1/"+lombardia+"/partners", nil); list.Status != http.StatusOK || list.Header.Get("ETag") != "" {
		t.Errorf("GET of the partners' list: HTTP %d, ETag %q; want 200 without an ETag", list.Status, list.Header.Get("ETag"))
	}
}

// TestRESTIfMatchOnACustomMethod: a custom method that takes an etag
// (reopening a closed period) is guarded by If-Match as an Update or a
// Delete is: a stale tag is 412 and leaves the period closed.
func TestRESTIfMatchOnACustomMethod(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	admin := newSurface(t, ts, "grpc")
	period, err := admin.ClosePeriod(t.Context(), &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriodId: "giugno",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2014-06-01", EndDate: "2014-06-30", Reason: "chiuso"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/" + period.GetName() + ":reopen"
	reopen := []byte(`{"reason":"correzione"}`)
	e := wantProblem(t, "POST "+path+" with a stale If-Match", conditional(t, ts, http.MethodPost, path, reopen, "If-Match", `"0"`), http.StatusPreconditionFailed, "ETAG_MISMATCH", nil)
	if e.Metadata["etag"] != period.GetEtag() {
		t.Errorf("the stale reopen's metadata %v, want the period's etag %s", e.Metadata, period.GetEtag())
	}
	if res := conditional(t, ts, http.MethodPost, path, reopen, "If-Match", `"`+period.GetEtag()+`"`); res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte("correzione")) {
		t.Errorf("POST %s with the period's ETag: HTTP %d %s, want 200 with the period reopened", path, res.Status, res.Body)
	}
}

// TestRESTIfMatchOfSeveralTags: an If-Match that lists several entity
// tags, in one field value or in several, holds when any of them is the
// resource's etag (RFC 9110, section 13.1.1), and fails 412, writing
// nothing, when none is, or when the only one that is is weak.
func TestRESTIfMatchOfSeveralTags(t *testing.T) {
	t.Parallel()
	ts, admin, name, path := guardedPartner(t)
	ctx := t.Context()
	current := func() string {
		t.Helper()
		p, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return `"` + p.GetEtag() + `"`
	}
	rename := func(to string) []byte { return []byte(`{"displayName":"` + to + `"}`) }
	// Each write changes the etag: each list is made with the current one,
	// where the tag CURRENT stands.
	for i, headers := range [][]string{
		{"If-Match", `"stale", CURRENT`},
		{"If-Match", `"stale"`, "If-Match", "CURRENT"},
		{"If-Match", `CURRENT, "stale"`},
		{"If-Match", `W/"stale", CURRENT, "1000"`},
	} {
		tag := current()
		for j := range headers {
			headers[j] = strings.ReplaceAll(headers[j], "CURRENT", tag)
		}
		to := fmt.Sprintf("Nome %d", i)
		if res := conditional(t, ts, http.MethodPatch, path, rename(to), headers...); res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte(to)) {
			t.Errorf("PATCH with %q: HTTP %d %s, want 200 with the partner renamed", headers, res.Status, res.Body)
		}
	}
	before := current()
	for _, ifMatch := range []string{`"stale", "1000"`, `W/` + before + `, "stale"`} {
		e := wantProblem(t, "PATCH with If-Match: "+ifMatch, conditional(t, ts, http.MethodPatch, path, rename("Perso"), "If-Match", ifMatch),
			http.StatusPreconditionFailed, "ETAG_MISMATCH", nil)
		if `"`+e.Metadata["etag"]+`"` != before {
			t.Errorf("PATCH with If-Match: %s: metadata %v, want the current etag %s", ifMatch, e.Metadata, before)
		}
	}
	if after := current(); after != before {
		t.Errorf("after the stopped writes: etag %s, want %s (nothing written)", after, before)
	}
	if res := conditional(t, ts, http.MethodDelete, path, nil, "If-Match", `"stale", `+before); res.Status != http.StatusOK {
		t.Errorf("DELETE with a list naming the current etag: HTTP %d %s, want 200", res.Status, res.Body)
	}
}

// TestRESTWritesAnswerTheirETag: a REST write whose answer is the
// resource it names (a create's new resource, an update's, a custom
// method's) answers its etag as the ETag, as a read does, so that the
// client's next write can send it in If-Match without reading again; and
// that ETag guards that next write as a read's does.
func TestRESTWritesAnswerTheirETag(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	etagOf := func(what string, res *restResponse) string {
		t.Helper()
		var body struct{ Etag string }
		if err := json.Unmarshal(res.Body, &body); err != nil || res.Status != http.StatusOK || body.Etag == "" {
			t.Fatalf("%s: HTTP %d %s, %v; want the resource", what, res.Status, res.Body, err)
		}
		if got, want := res.Header.Get("ETag"), `"`+body.Etag+`"`; got != want {
			t.Errorf("%s: ETag %q, want the body's etag quoted, %s", what, got, want)
		}
		return res.Header.Get("ETag")
	}
	path := "/v1/" + lombardia + "/partners/udp-milano"
	created := etagOf("POST a partner", conditional(t, ts, http.MethodPost, "/v1/"+lombardia+"/partners?partnerId=udp-milano",
		[]byte(`{"displayName":"Primo","kind":"PARTNER_KIND_PLAN_OFFICE"}`)))
	updated := etagOf("PATCH with the create's ETag", conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Secondo"}`), "If-Match", created))
	etagOf("PATCH with the PATCH's ETag", conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Terzo"}`), "If-Match", updated))
	wantProblem(t, "PATCH with the first PATCH's ETag, stale now", conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Perso"}`), "If-Match", updated),
		http.StatusPreconditionFailed, "ETAG_MISMATCH", nil)

	closed := etagOf("POST a closed period", conditional(t, ts, http.MethodPost, "/v1/"+lombardia+"/closedPeriods?closedPeriodId=giugno",
		[]byte(`{"startDate":"2014-06-01","endDate":"2014-06-30","reason":"chiuso"}`)))
	etagOf("POST :reopen with the close's ETag", conditional(t, ts, http.MethodPost, "/v1/"+lombardia+"/closedPeriods/giugno:reopen",
		[]byte(`{"reason":"correzione"}`), "If-Match", closed))
	if res := conditional(t, ts, http.MethodDelete, path, nil); res.Status != http.StatusOK || res.Header.Get("ETag") != "" {
		t.Errorf("DELETE: HTTP %d, ETag %q; want 200 without an ETag (nothing is left to tag)", res.Status, res.Header.Get("ETag"))
	}
}

// TestRESTIfNoneMatchOnACreateOfAnotherName: If-None-Match: * is a
// create's by the shape of its route, a POST to a collection, not by its
// method's name: ClosePeriod creates a closed period, and a taken id is
// 412 as any create's.
func TestRESTIfNoneMatchOnACreateOfAnotherName(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	path := "/v1/" + lombardia + "/closedPeriods?closedPeriodId=giugno"
	closePeriod := func(reason string) *restResponse {
		return conditional(t, ts, http.MethodPost, path, []byte(`{"startDate":"2014-06-01","endDate":"2014-06-30","reason":"`+reason+`"}`), "If-None-Match", "*")
	}
	if res := closePeriod("primo"); res.Status != http.StatusOK {
		t.Fatalf("POST %s with If-None-Match: * of a free id: HTTP %d %s, want 200", path, res.Status, res.Body)
	}
	wantProblem(t, "POST with If-None-Match: * of a taken id", closePeriod("secondo"), http.StatusPreconditionFailed, "ALREADY_EXISTS", nil)
}

// TestRESTRetryOfAWriteOfSeveralTags: the retry of a write, with the same
// request_id and the same If-Match list, after it was made with a tag
// other than the list's first, answers the first result, as the retry of
// a write of one tag does. The write was recorded under the tag it was
// made with, and a retry that tried the first tag alone was refused as
// a request_id reused for another request, REQUEST_ID_REUSED.
func TestRESTRetryOfAWriteOfSeveralTags(t *testing.T) {
	t.Parallel()
	ts, admin, _, _ := guardedPartner(t)
	c, err := admin.CreateContact(t.Context(), &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "op-01", Contact: &famiv1.Contact{
		DisplayName: "Operatore Uno", Role: famiv1.SupportOperatorRole(1), Partner: partnerName("udp-milano")}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/" + c.GetName() + "?requestId=rinomina-1"
	ifMatch := `"stale", "` + c.GetEtag() + `"`
	first := conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Operatore Due"}`), "If-Match", ifMatch)
	if first.Status != http.StatusOK {
		t.Fatalf("PATCH with If-Match: %s: HTTP %d %s, want 200", ifMatch, first.Status, first.Body)
	}
	retry := conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Operatore Due"}`), "If-Match", ifMatch)
	if retry.Status != http.StatusOK || !bytes.Equal(retry.Body, first.Body) {
		t.Errorf("its retry with the same request_id: HTTP %d %s, want 200 with the first answer %s", retry.Status, retry.Body, first.Body)
	}
	other := conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Operatore Tre"}`), "If-Match", ifMatch)
	wantProblem(t, "the same request_id for another body", other, http.StatusBadRequest, "INVALID_ARGUMENT", []string{"request_id"})
}

// TestRESTWriteOfSeveralTagsRecordedOnce: a REST write that the server
// makes again with another tag of its If-Match list (nextTag) is one
// request to its client, and one access line and one count in the
// metrics, with the code its client got; the refused tries were each a
// line and a count of ABORTED or INVALID_ARGUMENT, which an operator
// read as refusals no client saw. Three requests: one made again after
// ETAG_MISMATCH, its retry (same request_id) made again after
// REQUEST_ID_REUSED, and one whose list names no current tag.
func TestRESTWriteOfSeveralTagsRecordedOnce(t *testing.T) {
	t.Parallel()
	var logged syncbuf.Buffer
	ts := startServer(t, server.Config{MetricsAddr: "127.0.0.1:0", Logger: textLog(&logged, slog.LevelInfo)})
	admin := newSurface(t, ts, "grpc")
	seedPartner(t, t.Context(), admin)
	p, err := admin.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: lombardia + "/partners/udp-milano"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/" + p.GetName() + "?requestId=rinomina-1"
	ifMatch := `"stale", "` + p.GetEtag() + `"`
	for i, want := range []int{http.StatusOK, http.StatusOK} {
		if res := conditional(t, ts, http.MethodPatch, path, []byte(`{"displayName":"Nuovo nome"}`), "If-Match", ifMatch); res.Status != want {
			t.Fatalf("PATCH %d with If-Match: %s: HTTP %d %s, want %d", i+1, ifMatch, res.Status, res.Body, want)
		}
	}
	wantProblem(t, "PATCH with a list naming no current tag", conditional(t, ts, http.MethodPatch, "/v1/"+p.GetName(), []byte(`{"displayName":"Perso"}`), "If-Match", `"stale", "1000"`),
		http.StatusPreconditionFailed, "ETAG_MISMATCH", nil)

	m := scrape(t, ts.metricsURL())
	for code, want := range map[string]float64{"OK": 2, "ABORTED": 1, "INVALID_ARGUMENT": 0} {
		got, _ := sample(m, "raccordo_rpc_requests_total", `method="UpdatePartner"`, `surface="rest"`, `code="`+code+`"`)
		if got != want {
			t.Errorf("raccordo_rpc_requests_total of REST's UpdatePartner, code %s: %v, want %v", code, got, want)
		}
	}
	ts.Stop()
	var codes []string
	for _, l := range server.LogLines(logged.String(), "rpc") {
		if strings.Contains(l, "procedure=/fami.v1.PartnerService/UpdatePartner protocol=rest ") {
			_, code, _ := strings.Cut(l, " code=")
			code, _, _ = strings.Cut(code, " ")
			codes = append(codes, code)
		}
	}
	if !slices.Equal(codes, []string{"OK", "OK", "ABORTED"}) {
		t.Errorf("access lines of REST's UpdatePartner: codes %q, want one per request: OK, OK, ABORTED", codes)
	}
}
