package sdk_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// regionalSystem is the program of an integrator outside this module: it
// mirrors a region, then verifies the content hash of every protocol it
// holds, and of one it tampered with.
const regionalSystem = `package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/protocolhash"
	"google.golang.org/protobuf/proto"
)

type handler struct {
	items    map[string]sdk.Resource
	revision int64
	listed   func()
}

func (h *handler) Reset(context.Context) error { h.items = map[string]sdk.Resource{}; return nil }
func (h *handler) Put(_ context.Context, r sdk.Resource) error { h.items[r.GetName()] = r; return nil }
func (h *handler) Delete(_ context.Context, name string) error { delete(h.items, name); return nil }
func (h *handler) Synced(_ context.Context, rev int64) error { h.revision = rev; h.listed(); return nil }

func main() {
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	h := &handler{listed: stop}
	m := &sdk.Mirror{Client: sdk.NewClient(nil, os.Getenv("RACCORDO_URL"), os.Getenv("RACCORDO_TOKEN")), Region: os.Args[1], Handler: h}
	if err := m.Run(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("mirrored", len(h.items), "resources at revision", h.revision)
	var names []string
	for name := range h.items {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p, ok := h.items[name].(*famiv1.Protocol)
		if !ok {
			continue
		}
		fmt.Println("protocol", name, "hash", protocolhash.Of(p), "verify:", protocolhash.Verify(p))
		tampered := proto.Clone(p).(*famiv1.Protocol)
		tampered.Body += "."
		fmt.Println("tampered", name, "verifies:", protocolhash.Verify(tampered) == nil)
	}
}
`

// TestExternalModule builds and runs a program in a module of its own that
// imports sdk/ (through a replace directive to this repository, as an
// integrator would with a released version): it must compile without
// internal/ packages, mirror a region from the real server and verify the
// seeded protocol's hash. The module also holds docs/sdk.md's examples
// (docExamples), so it does not build when one of them has gone stale.
func TestExternalModule(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the external module: %v", err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/regionalsystem\n\ngo " + goVersion(t, filepath.Join(repo, "go.mod")) + "\n\n" +
		"require github.com/raccordo/raccordo v0.0.0\n\nreplace github.com/raccordo/raccordo => " + repo + "\n"
	doc, err := os.ReadFile(filepath.Join(repo, "docs", "sdk.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": gomod, "main.go": regionalSystem, "docexamples.go": docExamples(t, string(doc))} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The repository's go.sum covers every module the SDK needs; -mod=mod
	// lets the go command complete go.mod from the module cache.
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "run", ".", "lombardia")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "RACCORDO_URL="+serverURL, "RACCORDO_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run in the external module: %v\n%s", err, out)
	}
	for _, want := range []string{
		"mirrored 4 resources at revision 5\n",
		"protocol " + signedProtocol + " hash ",
		" verify: <nil>\n",
		"tampered " + signedProtocol + " verifies: false\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// goVersion reads the go directive of a go.mod file.
func goVersion(t *testing.T, gomod string) string {
	t.Helper()
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no go directive", gomod)
	return ""
}

// docExamples turns every go block of docs/sdk.md into a function of the
// external module, with the names the examples take as given (ctx, token,
// url, addr, creds) as its parameters; each variable an example declares
// is then used, so that only a real mismatch with the SDK fails the build.
func docExamples(t *testing.T, doc string) string {
	t.Helper()
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) < 2 {
		t.Fatalf("docs/sdk.md has %d go examples, want at least 2: the pattern no longer matches", len(blocks))
	}
	var b strings.Builder
	b.WriteString(`package main

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

var _, _, _, _, _, _ = http.NewRequest, connect.WithGRPC, grpc.NewClient, famiv1.File_fami_v1_protocol_proto, sdk.NewClient, protocolhash.Verify
`)
	for i, m := range blocks {
		f, err := parser.ParseFile(gotoken.NewFileSet(), "", "package p\nfunc f() {\n"+m[1]+"}\n", 0)
		if err != nil {
			t.Fatalf("docs/sdk.md, go example %d: %v", i+1, err)
		}
		fmt.Fprintf(&b, "\n// docs/sdk.md, go example %d.\nfunc docExample%d(ctx context.Context, token, url, addr string, creds grpc.DialOption) {\n%s", i+1, i+1, m[1])
		for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
			if as, ok := st.(*ast.AssignStmt); ok && as.Tok == gotoken.DEFINE {
				for _, l := range as.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
						fmt.Fprintf(&b, "\t_ = %s\n", id.Name)
					}
				}
			}
		}
		b.WriteString("}\n")
	}
	return b.String()
}
