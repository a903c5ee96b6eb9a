package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/web"
)

// apiReads counts the calls a web application makes of the services, by
// method, the bytes of their answers (their protobuf size), the items they
// answered (itemsIn), and the networks and partners answered with more than
// a label (wholeLabels).
type apiReads struct {
	mu    sync.Mutex
	calls map[string]int
	bytes int64
	items map[string]int
	whole map[string]int
	// then, when set (after), runs after a call by its method's name,
	// before the page goes on.
	then func(method string)
}

func (c *apiReads) count(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	c.mu.Lock()
	c.calls[path.Base(method)]++
	if m, ok := reply.(proto.Message); ok && err == nil {
		c.bytes += int64(proto.Size(m))
		c.items[path.Base(method)] += itemsIn(m.ProtoReflect())
		if n := wholeLabels(m.ProtoReflect()); n > 0 {
			c.whole[path.Base(method)] += n
		}
	}
	then := c.then
	c.mu.Unlock()
	if then != nil {
		then(path.Base(method))
	}
	return err
}

// after runs then after every call to come (none when nil), before the
// page goes on: a test changes the data between a page's reads.
func (c *apiReads) after(then func(method string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.then = then
}

// reset forgets what was counted.
func (c *apiReads) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.bytes, c.items, c.whole = map[string]int{}, 0, map[string]int{}, map[string]int{}
}

// of is how many calls of method were counted since the last reset.
func (c *apiReads) of(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// itemsOf is how many items the calls of method were answered since the
// last reset (itemsIn).
func (c *apiReads) itemsOf(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[method]
}

// itemsIn is how many items an answer holds: the resources of a List's or
// a batch Get's repeated fields.
func itemsIn(m protoreflect.Message) (n int) {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if f.IsList() && f.Message() != nil {
			n += v.List().Len()
		}
		return true
	})
	return n
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
func countedApp(t testing.TB, f *famid, inner ...grpc.UnaryClientInterceptor) (base string, reads *apiReads) {
	t.Helper()
	reads = &apiReads{calls: map[string]int{}, items: map[string]int{}, whole: map[string]int{}}
	return appOver(t, f, append([]grpc.UnaryClientInterceptor{reads.count}, inner...)...), reads
}

// appOver serves the web application as countedApp does, its calls of the
// services through the interceptors icpts, in order.
func appOver(t testing.TB, f *famid, icpts ...grpc.UnaryClientInterceptor) (base string) {
	t.Helper()
	conn, err := grpc.NewClient(f.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithChainUnaryInterceptor(icpts...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rights, err := server.Rights()
	if err != nil {
		t.Fatal(err)
	}
	app, err := web.New(conn, web.Options{Policy: rights, Now: f.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app)
	t.Cleanup(ts.Close)
	return ts.URL
}

// fetch gets u with the session token and fails t unless it is a 200; it
// returns the page.
func fetch(t testing.TB, u, token string) string {
	t.Helper()
	status, page := getPage(t, u, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, status)
	}
	return page
}

// getPage gets u with the session token: the answer's status and body.
func getPage(t testing.TB, u, token string) (status int, body string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", "raccordo_sessione="+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
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
	month := seedLongLists(b, f)
	base, reads := countedApp(b, f)
	page := func(token, path string) func(b *testing.B) { return reads.pageBench(base+path, token) }
	b.Run("page=hours-month", page(r.consultant, "/ore?vista=mese"))
	b.Run("page=entry", page(r.consultant, "/ore/"+r.entry))
	b.Run("page=reports", page(r.officer, "/progetti/"+r.project+"/monitoraggio"))
	b.Run("page=project", page(r.officer, "/progetti/"+r.project))
	b.Run("page=network", page(r.officer, "/reti/"+r.network))
	b.Run("page=partners-search", page(r.officer, "/partner?q=Partner+69"))
	b.Run("page=networks-search", page(r.officer, "/reti?q=Rete+1"))
	b.Run("page=meeting", page(r.officer, "/incontri/m0000"))
	b.Run("page=hours-month-240", page(r.consultant, "/ore?vista=mese&data="+month))
	b.Run("page=reports-60", page(r.officer, "/progetti/lungo/monitoraggio"))
	b.Run("page=project-overlaps-200", page(r.officer, "/progetti/lungo"))
	b.Run("page=accounts", page(r.officer, "/account"))
}

// pageBench fetches u with the session token b.N times, and reports
// api-calls/op and api-B/op, the calls of the services the page makes and
// the bytes of their answers (counted by c), and page-B, the page's size.
func (c *apiReads) pageBench(u, token string) func(b *testing.B) {
	return func(b *testing.B) {
		size := len(fetch(b, u, token)) // warm, and checked
		c.reset()
		for b.Loop() {
			fetch(b, u, token)
		}
		calls, bytes := c.total()
		b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
		b.ReportMetric(float64(bytes)/float64(b.N), "api-B/op")
		b.ReportMetric(float64(size), "page-B")
	}
}

// seedLongLists adds to seedRegion's region the lists longer than a page
// that it has none of: 240 entries of its first consultant in last month
// (whose first day it returns), and a project "lungo" with 60 quarterly
// reports and 200 other projects on its municipality at the same time.
func seedLongLists(b *testing.B, f *famid) (month string) {
	b.Helper()
	const region = "regions/lombardia"
	today := f.Clock.Now().In(rome())
	first := time.Date(today.Year(), today.Month()-1, 1, 0, 0, 0, 0, rome())
	cons0 := f.asAccount("cons0@lombardia")
	support := famiv1.NewSupportServiceClient(f.conn)
	bulk(b, 240, func(i int) error {
		_, err := support.CreateSupportEntry(cons0, &famiv1.CreateSupportEntryRequest{Parent: region, SupportEntry: &famiv1.SupportEntry{
			Network: fmt.Sprintf("%s/networks/rete%02d", region, i%33), Activity: famiv1.SupportActivity(1 + i%7), Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: first.AddDate(0, 0, i%28).Format(time.DateOnly), DurationMinutes: 15, Notes: fmt.Sprintf("breve %d", i),
		}})
		return err
	})
	ctx := f.admin("lombardia")
	projects := famiv1.NewProjectServiceClient(f.conn)
	muni := lombardMunicipalities(b)[0]
	bulk(b, 201, func(i int) error {
		id := fmt.Sprintf("sovr%02d", i)
		if i == 200 {
			id = "lungo"
		}
		_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: region, ProjectId: id, Project: &famiv1.Project{
			Code: "PROG-" + strings.ToUpper(id), Title: "Progetto " + id, Fund: famiv1.Fund_FUND_FAMI_2014_2020,
			StartDate: "2010-01-01", EndDate: "2025-12-31", Municipalities: []string{muni}}})
		return err
	})
	reports := famiv1.NewMonitoringServiceClient(f.conn)
	bulk(b, 60, func(i int) error {
		_, err := reports.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: region + "/projects/lungo",
			MonitoringReportId: fmt.Sprintf("%d-q%d", 2010+i/4, 1+i%4), MonitoringReport: &famiv1.MonitoringReport{Notes: "Trimestre regolare"}})
		return err
	})
	return first.Format(time.DateOnly)
}
