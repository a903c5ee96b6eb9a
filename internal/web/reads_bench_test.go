package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/web"
)

// apiReads counts the calls a web application makes of the services, by
// method, and the bytes of their answers (their protobuf size).
type apiReads struct {
	mu    sync.Mutex
	calls map[string]int
	bytes int64
}

func (c *apiReads) count(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[path.Base(method)]++
	if m, ok := reply.(proto.Message); ok && err == nil {
		c.bytes += int64(proto.Size(m))
	}
	return err
}

// reset forgets what was counted.
func (c *apiReads) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.bytes = map[string]int{}, 0
}

// of is how many calls of method were counted since the last reset.
func (c *apiReads) of(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// total is every call and answer byte counted since the last reset.
func (c *apiReads) total() (calls int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.calls {
		calls += n
	}
	return calls, c.bytes
}

// countedApp serves the web application, with famid's rights table and
// clock, over a gRPC connection to f that counts its calls: it returns the
// application's address. A session is a token in the session cookie, as
// the application's sign-in sets it.
func countedApp(t testing.TB, f *famid) (base string, reads *apiReads) {
	t.Helper()
	reads = &apiReads{calls: map[string]int{}}
	conn, err := grpc.NewClient(f.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUnaryInterceptor(reads.count))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rights, err := server.Rights()
	if err != nil {
		t.Fatal(err)
	}
	opts := web.Options{Policy: rights}
	if f.Clock != nil {
		opts.Now = f.Clock.Now
	}
	app, err := web.New(conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app)
	t.Cleanup(ts.Close)
	return ts.URL, reads
}

// fetch gets u with the session token and fails t unless it is a 200; it
// returns the page.
func fetch(t testing.TB, u, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", "raccordo_sessione="+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, res.StatusCode)
	}
	return string(body)
}

// BenchmarkPageReads asks for the pages that once read whole collections,
// over the region seedRegion writes, through an application whose calls
// are counted (countedApp): api-calls/op and api-B/op are the calls of the
// services a page makes and the bytes of their answers, page-B the page's
// size. The file stands alone (with server.Rights), so that the same
// benchmark runs on the code before the pages were bounded
// (docs/benchmarks.md).
//
//	go test -run '^$' -bench PageReads -benchtime 50x -count 6 ./internal/web/
func BenchmarkPageReads(b *testing.B) {
	f, r := seedRegion(b)
	base, reads := countedApp(b, f)
	page := func(token, path string) func(b *testing.B) {
		return func(b *testing.B) {
			size := len(fetch(b, base+path, token)) // warm, and checked
			reads.reset()
			for b.Loop() {
				fetch(b, base+path, token)
			}
			calls, bytes := reads.total()
			b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
			b.ReportMetric(float64(bytes)/float64(b.N), "api-B/op")
			b.ReportMetric(float64(size), "page-B")
		}
	}
	b.Run("page=hours-month", page(r.consultant, "/ore?vista=mese"))
	b.Run("page=entry", page(r.consultant, "/ore/"+r.entry))
	b.Run("page=reports", page(r.officer, "/progetti/"+r.project+"/monitoraggio"))
	b.Run("page=project", page(r.officer, "/progetti/"+r.project))
	b.Run("page=partners-search", page(r.officer, "/partner?q=Partner+69"))
}
