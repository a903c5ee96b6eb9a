package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestBufCurlReflect runs `go tool buf curl --reflect` against both
// listeners: the gRPC port (grpc-go's reflection) and the HTTP port
// (connect-go's grpcreflect, Connect protocol over h2c).
func TestBufCurlReflect(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs buf")
	}
	// go test puts its own GOROOT/bin first on the PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run buf: %v", err)
	}
	// buf is pinned in the generators' module (tools/go.mod).
	args := []string{"tool", "-modfile=../../tools/go.mod"}
	// Built first, outside the calls' deadline: on a cold build cache
	// under load, building buf took past the two minutes, and go tool
	// was killed while it compiled (signal: killed), whatever the server
	// did. The calls below find it in the build cache.
	if out, err := exec.CommandContext(t.Context(), goBin, append(args, "buf", "--version")...).CombinedOutput(); err != nil {
		t.Fatalf("build buf: %v\n%s", err, out)
	}
	ts := startServer(t, server.Config{})
	for _, tt := range []struct {
		port string
		args []string
	}{
		{"gRPC", []string{"--protocol", "grpc", "http://" + ts.grpcAddr()}},
		{"HTTP", []string{"--protocol", "connect", ts.httpURL()}},
	} {
		t.Run(tt.port, func(t *testing.T) {
			base := tt.args[len(tt.args)-1]
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, append(append(args, "buf", "curl", "--http2-prior-knowledge", "--reflect"), append(tt.args[:len(tt.args)-1],
				"-d", `{"pageSize":1}`, base+"/fami.v1.RegionService/ListRegions")...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
			}
			if err := json.Unmarshal(out, &struct{}{}); err != nil {
				t.Fatalf("buf curl printed %s, want JSON", out)
			}
			if !strings.Contains(string(out), `"regions/piemonte"`) {
				t.Errorf("buf curl printed %s, want the first region", out)
			}
		})
	}
}

// grpcWebFrames splits a gRPC-Web body into its data messages and its
// trailers.
func grpcWebFrames(t *testing.T, body []byte) (msgs [][]byte, trailers http.Header) {
	t.Helper()
	trailers = http.Header{}
	for len(body) > 0 {
		if len(body) < 5 {
			t.Fatalf("truncated gRPC-Web frame %q", body)
		}
		flag, n := body[0], binary.BigEndian.Uint32(body[1:5])
		frame := body[5 : 5+n]
		body = body[5+n:]
		if flag&0x80 == 0 {
			msgs = append(msgs, frame)
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(frame)), "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			trailers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return msgs, trailers
}

// TestGRPCWebText calls the server as Google's grpc-web client does in its
// default text mode: base64 bodies, application/grpc-web-text.
func TestGRPCWebText(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	call := func(procedure string, req proto.Message, token string) (*http.Response, []byte) {
		t.Helper()
		b, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		frame := append([]byte{0, 0, 0, 0, 0}, b...)
		binary.BigEndian.PutUint32(frame[1:5], uint32(len(b)))
		hr, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+procedure, strings.NewReader(base64.StdEncoding.EncodeToString(frame)))
		hr.Header.Set("Content-Type", "application/grpc-web-text")
		hr.Header.Set("Accept", "application/grpc-web-text")
		hr.Header.Set("X-Grpc-Web", "1")
		if token != "" {
			hr.Header.Set("Authorization", "Bearer "+token)
		}
		res, text := fetch(t, http.DefaultClient, hr)
		body, err := base64.StdEncoding.DecodeString(string(text))
		if err != nil {
			t.Fatalf("response body %q is not base64: %v", text, err)
		}
		return res, body
	}

	res, body := call("/fami.v1.RegionService/ListRegions", &famiv1.ListRegionsRequest{}, "")
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "application/grpc-web-text") {
		t.Fatalf("got %s %q, want 200 application/grpc-web-text", res.Status, ct)
	}
	msgs, trailers := grpcWebFrames(t, body)
	if len(msgs) != 1 || trailers.Get("grpc-status") != "0" {
		t.Fatalf("got %d messages, trailers %v; want one message and grpc-status 0", len(msgs), trailers)
	}
	regions := &famiv1.ListRegionsResponse{}
	if err := proto.Unmarshal(msgs[0], regions); err != nil || len(regions.GetRegions()) != 21 {
		t.Errorf("got %d regions (%v), want 21", len(regions.GetRegions()), err)
	}

	// An error is a trailers-only answer, as in binary mode: the status
	// in the headers (or in a trailer frame).
	res, body = call("/fami.v1.PartnerService/ListPartners", &famiv1.ListPartnersRequest{Parent: lombardia}, "")
	_, trailers = grpcWebFrames(t, body)
	if got := trailers.Get("grpc-status") + res.Header.Get("Grpc-Status"); got != "16" {
		t.Errorf("an anonymous ListPartners: grpc-status %q (trailers %v, headers %v), want 16 (UNAUTHENTICATED)", got, trailers, res.Header)
	}

	// A body that is not base64 is the client's error, decoded as it is
	// read: INVALID_ARGUMENT.
	hr, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+"/fami.v1.RegionService/ListRegions", strings.NewReader("AAAA!not base64"))
	hr.Header.Set("Content-Type", "application/grpc-web-text")
	hr.Header.Set("X-Grpc-Web", "1")
	res, text := fetch(t, http.DefaultClient, hr)
	body, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		t.Fatalf("response body %q is not base64: %v", text, err)
	}
	_, trailers = grpcWebFrames(t, body)
	if got := trailers.Get("grpc-status") + res.Header.Get("Grpc-Status"); got != "3" {
		t.Errorf("a body that is not base64: grpc-status %q (trailers %v, headers %v), want 3 (INVALID_ARGUMENT)", got, trailers, res.Header)
	}
}

// TestHTTPAnswersAreNotStored checks, on the real server, that the HTTP
// listener's answers carrying region data (REST, its problem documents,
// Connect, gRPC-Web, the web application's pages) and the probes tell
// caches not to keep them and browsers not to sniff them, while the public
// documents keep their own caching rules. None of these handlers sets the
// two headers itself: the listener does, once, before its routes.
func TestHTTPAnswersAreNotStored(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	grpcWebFrame := func(m proto.Message) *bytes.Reader {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		frame := append([]byte{0, 0, 0, 0, 0}, b...)
		binary.BigEndian.PutUint32(frame[1:5], uint32(len(b)))
		return bytes.NewReader(frame)
	}
	listPartners := "/fami.v1.PartnerService/ListPartners"
	for _, tt := range []struct {
		name, method, path, contentType, token string
		body                                   io.Reader
		status                                 int
		cacheControl                           string
	}{
		{"rest", http.MethodGet, "/v1/" + lombardia + "/partners", "", ts.token, nil, http.StatusOK, "no-store"},
		{"rest problem", http.MethodGet, "/v1/" + lombardia + "/partners", "", "", nil, http.StatusUnauthorized, "no-store"},
		{"rest problem before the route", http.MethodGet, "/v1/" + lombardia + "/partners?filter=%ff", "", ts.token, nil, http.StatusBadRequest, "no-store"},
		{"connect", http.MethodPost, listPartners, "application/json", ts.token, strings.NewReader(`{"parent":"` + lombardia + `"}`), http.StatusOK, "no-store"},
		{"grpcweb", http.MethodPost, listPartners, "application/grpc-web+proto", ts.token, grpcWebFrame(&famiv1.ListPartnersRequest{Parent: lombardia}), http.StatusOK, "no-store"},
		{"web page", http.MethodGet, "/accedi", "", "", nil, http.StatusOK, "no-store"},
		{"web not found", http.MethodGet, "/nessuna-pagina", "", "", nil, http.StatusNotFound, "no-store"},
		{"healthz", http.MethodGet, "/healthz", "", "", nil, http.StatusOK, "no-store"},
		// Their own rules.
		{"csv export", http.MethodGet, "/v1/" + lombardia + "/supportEntries:export", "", ts.token, nil, http.StatusOK, "no-store"},
		{"calendar feed", http.MethodGet, "/v1/" + lombardia + "/meetings.ics", "", ts.token, nil, http.StatusOK, "private, no-cache"},
		{"open data", http.MethodGet, "/opendata/catalog.jsonld", "", "", nil, http.StatusOK, "public, max-age=60"},
		{"openapi", http.MethodGet, "/openapi.json", "", "", nil, http.StatusOK, "no-cache"},
		{"jwks", http.MethodGet, "/.well-known/jwks.json", "", "", nil, http.StatusOK, "max-age=300"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, ts.httpURL()+tt.path, tt.body)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, body := fetch(t, http.DefaultClient, req)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", res.StatusCode, body, tt.status)
			}
			if got := res.Header.Values("Cache-Control"); len(got) != 1 || got[0] != tt.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tt.cacheControl)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
}

// TestGRPCWebTextStream watches the change feed in gRPC-Web text mode:
// every message must arrive as soon as it is sent (the base64 is padded at
// each flush), decodable 4 characters at a time as browsers decode it.
func TestGRPCWebTextStream(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: time.Hour})
	// A message held back would never come: the deadline ends the read,
	// at the bound of every wait for an event (waittest).
	ctx, cancel := context.WithTimeout(t.Context(), waittest.Bound)
	defer cancel()
	seedPartner(t, ctx, newSurface(t, ts, "rest"))
	b, _ := proto.Marshal(&famiv1.WatchRequest{Parent: lombardia})
	frame := append([]byte{0, 0, 0, 0, 0}, b...)
	binary.BigEndian.PutUint32(frame[1:5], uint32(len(b)))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.httpURL()+"/fami.v1.SyncService/Watch", strings.NewReader(base64.StdEncoding.EncodeToString(frame)))
	req.Header.Set("Content-Type", "application/grpc-web-text")
	req.Header.Set("Authorization", "Bearer "+ts.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	// The stream stays open: read until the first message is whole.
	var text, data []byte
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		text = append(text, buf[:n]...)
		for len(text) >= 4 {
			group, err := base64.StdEncoding.DecodeString(string(text[:4]))
			if err != nil {
				t.Fatalf("base64 group %q: %v", text[:4], err)
			}
			data, text = append(data, group...), text[4:]
		}
		if len(data) >= 5 && len(data) >= 5+int(binary.BigEndian.Uint32(data[1:5])) {
			break
		}
		if err != nil {
			t.Fatalf("stream ended before the first message (%d bytes): %v", len(data), err)
		}
	}
	msg := &famiv1.WatchResponse{}
	if err := proto.Unmarshal(data[5:5+binary.BigEndian.Uint32(data[1:5])], msg); err != nil || len(msg.GetChanges()) != 1 {
		t.Errorf("first message: %v (%v), want the partner's creation", msg, err)
	}
}

// TestCORS checks preflights and answers for an allowed origin on REST,
// Connect and gRPC-Web, and nothing for another origin or a server
// without --cors-origin.
func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed, other = "https://portale.regione.lombardia.it", "https://evil.example"
	ts := startServer(t, server.Config{CORSOrigins: []string{allowed}})
	plain := startServer(t, server.Config{})
	preflight := func(base, path, origin, method, headers string) http.Header {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, base+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", headers)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	for _, tt := range []struct {
		surface, path, method, headers string
	}{
		// Browsers send the header names lowercase and sorted.
		{"rest", "/v1/regions/lombardia/partners/udp-milano", http.MethodPatch, "authorization,content-type"},
		// A REST write guarded by If-Match (README, API conventions).
		{"rest-if-match", "/v1/regions/lombardia/partners/udp-milano", http.MethodPatch, "authorization,content-type,if-match"},
		{"connect", "/fami.v1.PartnerService/ListPartners", http.MethodPost, "authorization,connect-protocol-version,content-type"},
		{"grpcweb", "/fami.v1.PartnerService/ListPartners", http.MethodPost, "authorization,content-type,x-grpc-web,x-user-agent"},
	} {
		t.Run(tt.surface, func(t *testing.T) {
			h := preflight(ts.httpURL(), tt.path, allowed, tt.method, tt.headers)
			if h.Get("Access-Control-Allow-Origin") != allowed {
				t.Errorf("preflight from %s: Allow-Origin %q", allowed, h.Get("Access-Control-Allow-Origin"))
			}
			if got := strings.ToLower(h.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
				t.Errorf("preflight: Allow-Headers %q lack authorization", got)
			}
			if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, tt.method) {
				t.Errorf("preflight: Allow-Methods %q lack %s", got, tt.method)
			}
			if got := preflight(ts.httpURL(), tt.path, other, tt.method, tt.headers).Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("preflight from %s: Allow-Origin %q, want none", other, got)
			}
			if got := preflight(plain.httpURL(), tt.path, allowed, tt.method, tt.headers).Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("server without origins: Allow-Origin %q, want none", got)
			}
		})
	}
	// A real call from the allowed origin: the browser may read the gRPC
	// status of Connect calls and the REST headers.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.httpURL()+"/v1/regions", nil)
	req.Header.Set("Origin", allowed)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	exposed := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers"))
	if res.Header.Get("Access-Control-Allow-Origin") != allowed || !strings.Contains(exposed, "grpc-status") || !strings.Contains(exposed, "retry-after") || !strings.Contains(exposed, "etag") {
		t.Errorf("GET from %s: Allow-Origin %q, Expose-Headers %q", allowed, res.Header.Get("Access-Control-Allow-Origin"), exposed)
	}
}

// TestRESTWatchErrors checks that a REST watch refused before its first
// change is a problem document with the reason's status (410 for a
// compacted revision), and that a watch cut short by the shutdown ends
// with a problem document as its last line.
func TestRESTWatchErrors(t *testing.T) {
	t.Parallel()
	ts, rs, api := restWithPartner(t, server.Config{BookmarkInterval: 50 * time.Millisecond})
	ctx := t.Context()
	if _, err := api.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "cpia-5", Partner: &famiv1.Partner{
		DisplayName: "CPIA 5", Kind: famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE}}); err != nil {
		t.Fatal(err)
	}
	ministry := newRESTSurface(t, ts, ts.mintToken(ministrySpec))
	if err := ministry.call(ctx, http.MethodPost, "/v1/regions/lombardia/changes:compact", nil, &famiv1.CompactChangesRequest{Parent: lombardia, Revision: 1}, &famiv1.CompactChangesResponse{}); err != nil {
		t.Fatalf("compact: %v", err)
	}
	res, err := rs.send(ctx, http.MethodGet, "/v1/regions/lombardia/changes:watch", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := asCallError(problemError(http.MethodGet, "watch", res))
	if !ok || res.Status != http.StatusGone || e.Reason != "REVISION_COMPACTED" {
		t.Errorf("watch from a compacted revision: %d %s %v, want a 410 REVISION_COMPACTED problem document", res.Status, res.ContentType, e)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.httpURL()+"/v1/regions/lombardia/changes:watch?sinceRevision=2", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	if !lines.Scan() || !bytes.HasPrefix(lines.Bytes(), []byte(`{"result":`)) {
		t.Fatalf("first line %q, want a result", lines.Bytes())
	}
	go ts.Stop()
	var last []byte
	for lines.Scan() {
		last = append(last[:0], lines.Bytes()...)
	}
	var doc problemDoc
	if err := json.Unmarshal(last, &doc); err != nil || doc.Status != http.StatusServiceUnavailable || doc.Reason != "SHUTTING_DOWN" || doc.Type == "" {
		t.Errorf("last line %q (%v), want a 503 SHUTTING_DOWN problem document", last, err)
	}
}

// TestOpenAPIPathsAreServed calls every operation of the served OpenAPI
// document, without a token and with placeholder ids: none may fall
// through to "no such route". A path the document invents, or one whose
// HTTP method is wrong, would.
func TestOpenAPIPathsAreServed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	rs := newRESTSurface(t, ts, "")
	res, err := rs.send(t.Context(), http.MethodGet, "/openapi.json", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		t.Fatal(err)
	}
	operations := 0
	for path, item := range doc.Paths {
		concrete := path
		for strings.Contains(concrete, "{") {
			i, j := strings.Index(concrete, "{"), strings.Index(concrete, "}")
			id := "x"
			if concrete[i:j+1] == "{region}" {
				id = "lombardia"
			}
			concrete = concrete[:i] + id + concrete[j+1:]
		}
		for method := range item {
			if method == "parameters" {
				continue
			}
			operations++
			method = strings.ToUpper(method)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			res, err := rs.send(ctx, method, concrete, nil, nil)
			cancel()
			if err != nil && !strings.HasSuffix(concrete, ":watch") {
				t.Errorf("%s %s: %v", method, concrete, err)
				continue
			}
			if res == nil {
				continue // a watch: it answered and stayed open
			}
			mt, _, _ := mime.ParseMediaType(res.ContentType)
			if res.Status == http.StatusNotFound && (mt == "text/plain" || strings.Contains(string(res.Body), "no API route")) ||
				res.Status == http.StatusMethodNotAllowed {
				t.Errorf("%s %s (documented as %s): %d %s", method, concrete, path, res.Status, res.Body)
			}
		}
	}
	if operations < 70 {
		t.Errorf("the document has %d operations, want every RPC's and the extra routes", operations)
	}
}
