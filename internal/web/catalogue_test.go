package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/territory"
)

// TestCatalogueCoversTemplates walks every template for {{t "key"}} and
// checks the catalogue has the key, so no page shows a bare key.
func TestCatalogueCoversTemplates(t *testing.T) {
	t.Parallel()
	keyRE := regexp.MustCompile(`\{\{-?\s*(?:t|tn|fld|sel)\s[^}]*?"([a-z_]+\.[a-z_.]+)"`)
	anyKey := regexp.MustCompile(`"((?:nav|meetings|projects|accounts|tokens|hours|field|hint|approvals|periods|summary|partners|networks|protocols|history|common|error|signin|home|app|msg|monitoring|overlaps|dashboard)\.[a-z_]+)"`)
	err := eachFile(templateFS, "templates", func(p string, b []byte) {
		for _, re := range []*regexp.Regexp{keyRE, anyKey} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if !hasMsg(m[1]) {
					t.Errorf("%s uses %q, which the catalogue lacks", p, m[1])
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueLabelsEveryEnumShown checks each value of the enums the pages
// show has an Italian label.
func TestCatalogueLabelsEveryEnumShown(t *testing.T) {
	t.Parallel()
	for _, e := range []protoreflect.EnumDescriptor{
		famiv1.SupportActivity(0).Descriptor(), famiv1.SupportMode(0).Descriptor(), famiv1.SupportTopic(0).Descriptor(),
		famiv1.SupportOperatorRole(0).Descriptor(), famiv1.SupportEntryState(0).Descriptor(), famiv1.ClosedPeriodState(0).Descriptor(),
		famiv1.PartnerKind(0).Descriptor(), famiv1.ProtocolState(0).Descriptor(), famiv1.PartyRole(0).Descriptor(),
		famiv1.MemberRole(0).Descriptor(), famiv1.ChangeOperation(0).Descriptor(),
		famiv1.MeetingKind(0).Descriptor(), famiv1.MeetingMode(0).Descriptor(), famiv1.MeetingState(0).Descriptor(),
		famiv1.ActionItemStatus(0).Descriptor(), famiv1.Fund(0).Descriptor(), famiv1.SpecificObjective(0).Descriptor(),
		famiv1.AttendeeRole(0).Descriptor(),
		famiv1.MonitoringReportState(0).Descriptor(), famiv1.ActivityState(0).Descriptor(), famiv1.MonitoringFlagKind(0).Descriptor(),
		famiv1.AgeBand(0).Descriptor(), famiv1.Sex(0).Descriptor(), famiv1.OverlapStrength(0).Descriptor(),
		famiv1.ServiceTokenState(0).Descriptor(),
	} {
		for i := 1; i < e.Values().Len(); i++ {
			if k := "enum." + string(e.Values().Get(i).Name()); !hasMsg(k) {
				t.Errorf("no Italian label %q", k)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	at := func(day, h, m int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, 11, day, h, m, 0, 0, territory.Rome))
	}
	for _, c := range []struct{ got, want string }{
		{money.Italian(123456), "1.234,56\u00a0€"},
		{money.Italian(5), "0,05\u00a0€"},
		{money.Italian(-100000000), "-1.000.000,00\u00a0€"},
		{formatDate("2026-03-09"), "09/03/2026"},
		{formatDate("not a date"), "not a date"},
		{parseDate("09/03/2026"), "2026-03-09"},
		{parseDate("2026-03-09"), "2026-03-09"},
		{parseDate("9/3/2026"), "2026-03-09"},
		{parseDate("9/03/2026"), "2026-03-09"},
		{parseDate("09/3/2026"), "2026-03-09"},
		{parseDate("9/3/26"), "9/3/26"},
		{formatMinutes(90), "1 h 30 min"},
		{formatMinutes(45), "45 min"},
		{formatMinutes(120), "2 h"},
		{formatSpan(at(27, 13, 24), at(27, 15, 24)), "27/11/2026 dalle 13:24 alle 15:24"},
		{formatSpan(at(27, 9, 0), at(28, 13, 0)), "27/11/2026 09:00 – 28/11/2026 13:00"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"/ore?vista=settimana":         "/ore?vista=settimana",
		"//attacker.example/x":         "",
		"https://attacker.example/ore": "",
		"http://famid.local/ore":       "/ore",
		"/\\attacker.example":          "/%5Cattacker.example", // a path here, never a host
		"javascript:alert(1)":          "",
		"":                             "",
	} {
		if got := localPath(raw, "famid.local"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestCatalogueTranslatesOnlyKnownReasons checks that every Italian text of
// an error reason ("reason.PERIOD_CLOSED") is for a reason of the errors'
// catalogue, so a renamed or mistyped reason cannot leave a text that never
// shows.
func TestCatalogueTranslatesOnlyKnownReasons(t *testing.T) {
	t.Parallel()
	n := 0
	for key := range italian {
		r, ok := strings.CutPrefix(key, "reason.")
		if !ok {
			continue
		}
		n++
		if _, ok := errs.Lookup(errs.Reason(r)); !ok {
			t.Errorf("%q translates %s, which is not in internal/errs/reasons.go", key, r)
		}
	}
	if n == 0 {
		t.Fatal("no reason.* message found")
	}
}

// TestCatalogueHasNoUnusedKeys checks that every key of the catalogue is
// used: written whole in the package's code or in a template, or the
// singular (".one") of a used key, or built from a prefix the pages add to a
// value they only know at run time. A text that nothing shows any more
// fails here, so the catalogue cannot rot.
func TestCatalogueHasNoUnusedKeys(t *testing.T) {
	t.Parallel()
	// The keys built at run time: an enum's or a role's name, an error's
	// reason, code, violation or field, a month's number (their own tests
	// check them against the enums and errs' catalogue), what a resource at
	// its limit holds (LIMIT_REACHED's items, shown by the pages' tests),
	// and the notice after a redirect (noticed(page, "entry_created"),
	// checked below).
	built := []string{"enum.", "role.", "reason.", "code.", "violation.", "invalid.", "refused.", "month.", "limit."}
	code := codeLiterals(t)
	err := eachFile(templateFS, "templates", func(_ string, b []byte) { code = append(code, string(b)) })
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(code, "\x00")
	used := func(key string) bool {
		return strings.Contains(all, `"`+key+`"`) || strings.Contains(all, "\x00"+key+"\x00")
	}
	for key := range catalogue {
		switch {
		case used(key):
		case slices.ContainsFunc(built, func(p string) bool { return strings.HasPrefix(key, p) }):
		case strings.HasPrefix(key, "ok."):
			// a notice is named to a redirect (noticed) or passed to one
			if name := strings.TrimPrefix(key, "ok."); !used(name) && !okBuilt(code, name, used) {
				t.Errorf("%q: no redirect says the notice %s", key, name)
			}
		case strings.HasSuffix(key, ".one"):
			if !used(strings.TrimSuffix(key, ".one")) {
				t.Errorf("%q is the singular of a key nothing uses", key)
			}
		case strings.HasSuffix(key, ".new") || strings.HasSuffix(key, ".edit"):
			// formTitle("projects", editing) builds a form page's title
			if kind, _, _ := strings.Cut(key, "."); !used(kind) {
				t.Errorf("%q: no page passes %q to formTitle", key, kind)
			}
		default:
			t.Errorf("%q is in the catalogue but no page or code uses it", key)
		}
	}
}

// okBuilt reports whether the notice name is built from a literal that
// is a prefix of name followed by a used literal (as in "report_"+done
// with done "invia").
func okBuilt(code []string, name string, used func(string) bool) bool {
	for _, c := range code {
		prefix := strings.Trim(c, "\x00")
		if prefix != "" && prefix != name && strings.HasPrefix(name, prefix) && used(strings.TrimPrefix(name, prefix)) {
			return true
		}
	}
	return false
}

// codeLiterals returns the string literals of the package's code (tests
// and the catalogue itself left out), each wrapped in NULs so a whole literal can be found.
func codeLiterals(t *testing.T) []string {
	t.Helper()
	var out []string
	inspectCode(t, func(_ *token.FileSet, n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok && len(v.Names) == 1 && v.Names[0].Name == "italian" {
			return false // the catalogue's own keys are not uses
		}
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, "\x00"+s+"\x00")
			}
		}
		return true
	})
	return out
}

// inspectCode walks the syntax of the package's code, tests left out,
// file by file (ast.Inspect).
func inspectCode(t *testing.T, visit func(fset *token.FileSet, n ast.Node) bool) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool { return visit(fset, n) })
	}
}
