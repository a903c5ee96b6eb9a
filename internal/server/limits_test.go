package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/server"
)

// hostileNetwork returns a network request with n members that name
// nothing: each one is a violation (and a store lookup) if the server
// looks at it.
func hostileNetwork(n int) *famiv1.CreateNetworkRequest {
	members := make([]*famiv1.Member, n)
	for i := range members {
		members[i] = &famiv1.Member{Partner: fmt.Sprintf("x%d", i)}
	}
	return &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "hostile", Network: &famiv1.Network{DisplayName: "hostile", Members: members}}
}

// TestRepeatedFieldLimits checks that a request whose repeated fields are
// far beyond their limits is refused at once, naming the field, on every
// surface: 60,000 network members or batch-approve names used to take
// minutes of CPU (and the deadline did not stop it).
//
// "At once" is counted, not timed: the server runs in this process, and
// the refusal of 60,000 elements must allocate about what the refusal of
// MaxRepeated+1 does, where decoding or validating the elements allocates
// at least once for each. A deadline was the bound before, and under
// -race on a loaded machine the refusal came close to it.
func TestRepeatedFieldLimits(t *testing.T) {
	ts := startServer(t, server.Config{MunicipalitiesFile: municipalitiesFile})
	const many, over = 60_000, check.MaxRepeated + 1
	// The names are made once, for the largest request: every surface's
	// batch requests take their first n (60,000 Sprintfs under -race for
	// each of the eight requests were a tenth of the test's CPU).
	names := make([]string, many)
	for i := range names {
		names[i] = fmt.Sprintf("%s/supportEntries/x%d", lombardia, i)
	}
	namesOf := func(n int) []string { return names[:n:n] }
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			s := newSurface(t, ts, kind)
			calls := []struct {
				what, field string
				req         func(n int) proto.Message
				send        func(proto.Message) error
			}{
				{"CreateNetwork with %d members", "network.members",
					func(n int) proto.Message { return hostileNetwork(n) },
					func(m proto.Message) error {
						_, err := s.CreateNetwork(ctx, m.(*famiv1.CreateNetworkRequest))
						return err
					}},
				{"BatchApprove with %d names", "names",
					func(n int) proto.Message {
						return &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia, Names: namesOf(n)}
					},
					func(m proto.Message) error {
						_, err := s.BatchApproveSupportEntries(ctx, m.(*famiv1.BatchApproveSupportEntriesRequest))
						return err
					}},
				{"BatchReject with %d names", "names",
					func(n int) proto.Message {
						return &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia, Names: namesOf(n), Reason: "no"}
					},
					func(m proto.Message) error {
						_, err := s.BatchRejectSupportEntries(ctx, m.(*famiv1.BatchRejectSupportEntriesRequest))
						return err
					}},
			}
			for _, c := range calls {
				// A refusal's allocations, less what the test's client
				// allocates to encode the request: REST's protojson
				// allocates for each element, the binary codecs do not.
				refusal := func(n int) uint64 {
					req := c.req(n)
					var err error
					all := mallocsOf(func() { err = c.send(req) })
					checkErr(t, fmt.Sprintf(c.what, n), err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{c.field}})
					encode := proto.Marshal
					if kind == "rest" {
						encode = protojson.Marshal
					}
					encoding := mallocsOf(func() { encode(req) })
					return all - min(all, encoding)
				}
				base, got := refusal(over), refusal(many)
				// Decoding or validating the elements past the first
				// MaxRepeated+1 would allocate at least once for each; a
				// tenth of that leaves room for the process's other work.
				if bound := base + (many-over)/10; got > bound {
					t.Errorf("%s: the refusal allocated %d times, %d for %d elements: it works on each element (at most %d)",
						fmt.Sprintf(c.what, many), got, base, over, bound)
				}
			}
		})
	}
}

// mallocsOf is how many heap allocations the process makes while f runs.
func mallocsOf(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// TestConnectJSONCountsOversizedFields: a Connect request with a JSON
// body (as a browser or curl sends it) has its repeated fields counted
// before they are decoded, as the binary codecs and REST's decoder do.
// connect-go's JSON codec decoded every element first (4 MB of empty
// members: 550 ms of CPU, BenchmarkHostileRequest). The elements here
// are numbers where names are strings, so a decoder that reads them fails
// on the first one, with no field named.
func TestConnectJSONCountsOversizedFields(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	body := []byte(`{"parent":"` + lombardia + `","names":[0` + strings.Repeat(",0", 1500) + `]}`)
	for _, contentType := range []string{"application/json", "application/json; charset=utf-8"} {
		t.Run(contentType, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+famiv1connect.SupportServiceBatchApproveSupportEntriesProcedure, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Authorization", "Bearer "+ts.token)
			res, got := fetch(t, http.DefaultClient, req)
			var answer struct {
				Code    string `json:"code"`
				Details []struct {
					Type  string `json:"type"`
					Value string `json:"value"`
				} `json:"details"`
			}
			if err := json.Unmarshal(got, &answer); err != nil {
				t.Fatalf("status %d, body %q: %v", res.StatusCode, got, err)
			}
			var fields []string
			for _, d := range answer.Details {
				if d.Type != "google.rpc.BadRequest" {
					continue
				}
				raw, err := base64.RawStdEncoding.DecodeString(d.Value)
				if err != nil {
					t.Fatal(err)
				}
				var br errdetails.BadRequest
				if err := proto.Unmarshal(raw, &br); err != nil {
					t.Fatal(err)
				}
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
			if res.StatusCode != http.StatusBadRequest || answer.Code != "invalid_argument" || !slices.Equal(fields, []string{"names"}) {
				t.Errorf("1,501 names as JSON numbers: status %d, code %q, fields %v; want 400, invalid_argument naming names (body %.300s)",
					res.StatusCode, answer.Code, fields, got)
			}
		})
	}
}

// TestViolationsReportedAreBounded checks that a request with a thousand
// invalid members lists the first errs.MaxViolations and counts the rest.
func TestViolationsReportedAreBounded(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{MunicipalitiesFile: municipalitiesFile})
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			_, err := newSurface(t, ts, kind).CreateNetwork(t.Context(), hostileNetwork(1000))
			e, ok := asCallError(err)
			if !ok || e.Code != codes.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
			if got := len(e.Fields); got != errs.MaxViolations {
				t.Errorf("got %d field violations, want the first %d", got, errs.MaxViolations)
			}
			if !strings.Contains(e.Message, "more)") {
				t.Errorf("message %q does not count the violations left out", e.Message)
			}
		})
	}
}

// BenchmarkHostileRequest sends the costliest invalid requests that fit in
// the 4 MB message limit, pre-encoded, over Connect, and reports the
// process's CPU time per request (server and the thin client together;
// docs/benchmarks.md):
//
//   - invalid-1000x4KB: 1,000 members (the most the guard lets through),
//     each naming a 4 KB partner that cannot exist with an undefined role,
//     so the service validates every one: the most violations a request
//     can carry. Target: cpu-ms/op under 100.
//   - members-4MB: about 2 million empty members, counted on the wire by
//     the server's codec (check.Unmarshal) and refused by the
//     repeated-field guard without being decoded.
//   - members-4MB-rest: the same as JSON over REST, counted by the
//     gateway's decoder (check.UnmarshalJSON) and refused alike.
//   - members-4MB-connect-json: the same JSON over Connect, counted by
//     the Connect JSON codec (check.UnmarshalJSON too).
func BenchmarkHostileRequest(b *testing.B) {
	ts := startServer(b, server.Config{MunicipalitiesFile: municipalitiesFile, Logger: textLog(io.Discard, slog.LevelInfo)})
	limit := server.DefaultMaxMessageBytes - 1024
	// fill adds members until the request is just under the limit (sizes
	// are summed per member: re-measuring the request would be quadratic).
	fill := func(member func(i int) *famiv1.Member) []byte {
		req := hostileNetwork(0)
		size := proto.Size(req)
		for i := 0; ; i++ {
			m := member(i)
			n := proto.Size(m)
			n += 1 + protowire.SizeVarint(uint64(n)) // tag and length
			if size+n+8 > limit {                    // +8: the network's own length prefix
				break
			}
			size += n
			req.Network.Members = append(req.Network.Members, m)
		}
		body, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	long := strings.Repeat("p", 4000)
	shapes := map[string][]byte{
		"members-4MB":      fill(func(int) *famiv1.Member { return &famiv1.Member{} }),
		"invalid-1000x4KB": fill(func(i int) *famiv1.Member { return &famiv1.Member{Partner: fmt.Sprint(long, i), Role: 99} }),
	}
	// The same two million empty members as JSON over REST: "{}," each.
	json := []byte(`{"displayName":"hostile","members":[{}` + strings.Repeat(`,{}`, (limit-64)/3) + `]}`)
	connectURL := ts.httpURL() + famiv1connect.NetworkServiceCreateNetworkProcedure
	restURL := ts.httpURL() + "/v1/" + lombardia + "/networks?networkId=hostile"
	hc := &http.Client{}
	for _, name := range []string{"members-4MB", "invalid-1000x4KB", "members-4MB-rest", "members-4MB-connect-json"} {
		body, url, contentType := shapes[name], connectURL, "application/proto"
		switch name {
		case "members-4MB-rest":
			body, url, contentType = json, restURL, "application/json"
		case "members-4MB-connect-json":
			body, contentType = []byte(`{"parent":"`+lombardia+`","networkId":"hostile","network":`+string(json)+`}`), "application/json"
		}
		b.Run(name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				before := cpuTime()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", contentType)
				req.Header.Set("Authorization", "Bearer "+ts.token)
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest {
					b.Fatalf("got HTTP %d, want 400", res.StatusCode)
				}
				cpu += cpuTime() - before
			}
			b.ReportMetric(float64(len(body))/(1<<20), "MB/req")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// TestHostileTextAndDates checks, on every surface, that a name with a
// bidirectional override and a date in year 0000 are refused naming the
// field (both used to be stored).
func TestHostileTextAndDates(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			_, err := s.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "spoof-" + kind,
				Partner: &famiv1.Partner{DisplayName: "Comune\u202Eexe.txt", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}})
			checkErr(t, "bidi override in a name", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"partner.display_name"}})
			// The violation's own reason reaches every surface: REST's
			// problem document as gRPC's BadRequest.
			if e, ok := asCallError(err); ok && !slices.Equal(e.FieldReasons, []string{errs.TextInvisibleCharacter}) {
				t.Errorf("bidi override in a name: got violation reasons %q, want [%s]", e.FieldReasons, errs.TextInvisibleCharacter)
			}
			_, err = s.CreateProject(t.Context(), &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "old-" + kind, Project: &famiv1.Project{
				Code: "PROG-1", Title: "Progetto", StartDate: "0000-01-01", EndDate: "2021-12-31"}})
			e, ok := asCallError(err)
			if !ok || e.Code != codes.InvalidArgument || !slices.Contains(e.Fields, "project.start_date") {
				t.Errorf("project starting 0000-01-01: got %v, want INVALID_ARGUMENT naming project.start_date", err)
			}
		})
	}
}

// TestGRPCHeadersBounded: a call's headers on the gRPC port are bounded as
// on the HTTP port (2 MiB): a 3 MiB token is refused before the server
// reads it, and no call is recorded, while a 1 MiB one still reaches the
// verifier (TestTokenAttacks). The gRPC port took 16 MiB of headers, grpc-go's
// bound, decoded for every call and checked by the verifier.
func TestGRPCHeadersBounded(t *testing.T) {
	t.Parallel()
	ts := startRecording(t, server.Config{})
	conn := dialGRPC(t, ts.testServer, strings.Repeat("a", 3<<20))
	since := ts.mark()
	_, err := famiv1.NewPartnerServiceClient(conn).GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p1"})
	if e, ok := asCallError(grpcErr(err)); !ok || e.Code == codes.Unauthenticated || e.Code == codes.OK {
		t.Errorf("GetPartner with a 3 MiB token: %v, want it refused before the verifier", err)
	}
	if lines := server.LogLines(ts.log.String()[since.log:], "rpc"); len(lines) != 0 {
		t.Errorf("access lines %q, want none: the call was not to be read", lines)
	}
}

// TestEmptyListsAreRequired: every list that takes one to a bound of
// things (check.Listed) refuses an empty one on every surface, naming its
// field and saying what it takes, in the words each said before they
// shared one check: a batch read's and a batch review's names, a survey's
// questions, a network's members and a meeting's attendance.
func TestEmptyListsAreRequired(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		survey := matrixSurvey()
		survey.Questions = nil
		for _, c := range []struct {
			call, message string
			err           error
		}{
			{"BatchGetPartners", "invalid names: is required: at least one partner",
				second(admin.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia}))},
			{"BatchApproveSupportEntries", "invalid names: is required: at least one entry",
				second(admin.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia}))},
			{"CreateSurvey", "invalid survey.questions: is required",
				second(admin.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "vuoto", Survey: survey}))},
			{"CreateNetwork", "invalid network.members: is required: at least the lead partner",
				second(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "vuota",
					Network: &famiv1.Network{DisplayName: "Vuota", LeadPartner: partnerName("udp")}}))},
			{"RecordAttendance", "invalid attendance: is required: list the partners present (attendees 0 records a partner's absence)",
				second(admin.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: names["fami.v1.Meeting"]}))},
		} {
			got, ok := asCallError(c.err)
			// The first violation is the message's; a network without
			// members also names its lead partner as none of them.
			if !ok || got.Code != codes.InvalidArgument || !strings.HasPrefix(got.Message, c.message) {
				t.Errorf("%s with an empty list: %v, want INVALID_ARGUMENT %q", c.call, c.err, c.message)
			}
		}
	})
}

// second is the error of a call's two results.
func second[T any](_ T, err error) error { return err }
