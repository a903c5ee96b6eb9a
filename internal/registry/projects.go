package registry

import (
	"context"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Projects implements fami.v1.ProjectService.
type Projects struct {
	famiv1.UnimplementedProjectServiceServer
	r *Registry
}

// Projects returns the ProjectService.
func (r *Registry) Projects() *Projects { return &Projects{r: r} }

// projectMutable lists the fields UpdateProject may change; extensions only
// move through ExtendProject, so their history cannot be rewritten.
var projectMutable = []string{"code", "cup", "title", "description", "fund", "specific_objective", "actions", "budget_cents", "start_date", "end_date", "beneficiary",
	"programme", "municipalities", "indicators", "timetable", "financial_plan"}

// projectOutputOnly are the fields of a Project the server owns besides the
// standard ones (overlap_count is computed when read): aip.ApplyMask
// ignores them in an update mask, as in a PATCH body copied from a GET
// (AIP-203).
var projectOutputOnly = []string{"extensions", "overlap_count"}

// validate checks a project against its own rules and the region's
// partners, recording their violations in v; old is the code the project
// has, "" for a new one.
func (s *Projects) validate(tx store.ReadTx, v *errs.Violations, p *famiv1.Project, region, old string) {
	if check.Text(v, "project.code", p.GetCode(), true, 40, false) {
		checkCodeLetters(v, p.GetCode(), old)
	}
	check.CUP(v, "project.cup", p.GetCup())
	check.Text(v, "project.title", p.GetTitle(), true, 300, false)
	check.Text(v, "project.description", p.GetDescription(), false, 8000, true)
	check.Enum(v, "project.fund", p.GetFund(), true)
	check.Enum(v, "project.specific_objective", p.GetSpecificObjective(), false)
	check.Cents(v, "project.budget_cents", p.GetBudgetCents(), false)
	check.AtMost(v, "project.actions", len(p.GetActions()), 100, "actions")
	codes := check.Set[string]{}
	for i, a := range p.GetActions() {
		f := errs.Indexed("project.actions", i)
		check.Text(v, f+".code", a.GetCode(), true, 10, false)
		check.Text(v, f+".title", a.GetTitle(), true, 300, false)
		if codes.Again(codeKey(a.GetCode())) {
			v.Add(f+".code", "%q is used by another action of the project", a.GetCode())
		}
	}
	start, okStart := check.Date(v, "project.start_date", p.GetStartDate(), true)
	end, okEnd := check.Date(v, "project.end_date", p.GetEndDate(), true)
	if okStart && okEnd && end.Before(start) {
		v.Add("project.end_date", "%s is before start_date %s", p.GetEndDate(), p.GetStartDate())
	}
	resource.Refs{Tx: tx, V: v, Region: region}.Optional("project.beneficiary", p.GetBeneficiary(), resource.Partners, &famiv1.Partner{})
	s.validatePlan(v, p, region)
}

// codeKey is a project code as uniqueness compares it: compatibility
// forms folded (NFKC: full-width letters, no-break spaces), every dash a
// hyphen-minus, runs of spaces one space and none at either end, in upper
// case. "PROG-1", "prog-1 " and "ＰＲＯＧ‑1" are one code; each was taken
// for a new one beside the others. The codes a project lists once (its
// actions', indicators' and activities') are compared by it too: "01" and
// "０１ " were two actions, "OUT-01" and "out-01" two indicators.
func codeKey(code string) string {
	folded := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Pd, r) {
			return '-'
		}
		return r
	}, norm.NFKC.String(code))
	return strings.ToUpper(strings.Join(strings.Fields(folded), " "))
}

// codeLetters describes the characters a project code may fold to, for
// its error and docs/limits.md.
const codeLetters = "Latin letters A-Z, digits 0-9, spaces and - _ . /"

// checkCodeLetters refuses a code whose folded form (codeKey) has any
// character but codeLetters: FAMI's programme codes are ASCII, and a
// letter of another script that looks like a Latin one (Cyrillic "А",
// Greek "Ο") would make a second "PROG-1" that nobody can tell from the
// first. Unicode's confusables data (UTS #39) would fold such letters
// instead, but it has no well-kept Go library and its mappings change
// with Unicode releases, which would move keys of the code index. A code
// that folds to the one the project has is kept as stored, so a code
// stored before this rule stays readable and editable.
//
// That is resource.Validate's rule (a value kept is not refused for what
// it already broke) applied to the value this rule reads, the folded
// code, which resource.Validate cannot see: it compares the code as typed,
// and would refuse a stored code written in another case or spacing,
// which to the code index (claimCode), to uniqueness and to people is the
// same code. Hence old here, rather than a second path.
func checkCodeLetters(v *errs.Violations, code, old string) {
	key := codeKey(code)
	if old != "" && codeKey(old) == key {
		return
	}
	for _, r := range key {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(" -_./", r)) {
			// The code point too: a look-alike prints as the letter it
			// imitates.
			v.Add("project.code", "%q (U+%04X) is not allowed in a project code: use %s", r, r, codeLetters)
			return
		}
	}
}

// claimCode keeps the project-code index in step and the code unique. A
// code that folds to the one the project had is kept as it is.
func claimCode(tx store.WriteTx, p *famiv1.Project, old string) error {
	if err := foldCodes(tx); err != nil {
		return err
	}
	key := codeKey(p.GetCode())
	if old != "" && codeKey(old) == key {
		return nil
	}
	if owner, ok := tx.IndexGet(indexProjectCode, key); ok && owner != p.GetName() {
		return errs.ProjectCodeTaken.With(errs.Error{
			Message:    "project code " + p.GetCode() + " is already used by " + owner,
			Violations: []errs.Violation{{Field: "project.code", Description: "is already used by " + owner}},
		})
	}
	if old != "" {
		if err := releaseCode(tx, p.GetName(), old); err != nil {
			return err
		}
	}
	return tx.IndexPut(indexProjectCode, key, p.GetName())
}

// releaseCode frees code, when the project called name holds it. The
// caller has folded the region's codes (foldCodes).
func releaseCode(tx store.WriteTx, name, code string) error {
	key := codeKey(code)
	if owner, _ := tx.IndexGet(indexProjectCode, key); owner != name {
		return nil // a namesake's from before the codes were folded
	}
	return tx.IndexDelete(indexProjectCode, key)
}

// foldCodes moves the codes a region indexed as typed, before codes were
// folded, to the folded index, at the region's first project write since.
// Of namesakes (codes that fold alike) the first keeps the code; the
// others keep theirs too, until they change it.
func foldCodes(tx store.WriteTx) error {
	var typed [][2]string
	tx.IndexScan(indexProjectCodeAsTyped, "", func(code, name string) bool {
		typed = append(typed, [2]string{code, name})
		return true
	})
	for _, e := range typed {
		if _, taken := tx.IndexGet(indexProjectCode, codeKey(e[0])); !taken {
			if err := tx.IndexPut(indexProjectCode, codeKey(e[0]), e[1]); err != nil {
				return err
			}
		}
		if err := tx.IndexDelete(indexProjectCodeAsTyped, e[0]); err != nil {
			return err
		}
	}
	return nil
}

func beneficiaryRefs(p *famiv1.Project) []string {
	if p.GetBeneficiary() == "" {
		return nil
	}
	return []string{p.GetBeneficiary()}
}

// CreateProject implements fami.v1.ProjectService.
func (s *Projects) CreateProject(ctx context.Context, req *famiv1.CreateProjectRequest) (*famiv1.Project, error) {
	return resource.Create(ctx, s.r.store, req, "project", req.GetProject(), req.GetProjectId(), func(tx store.WriteTx, id string) (*famiv1.Project, error) {
		region := tx.Region()
		p := &famiv1.Project{}
		aip.ApplyMask(p, req.GetProject(), nil, projectMutable)
		p.Name = aip.Name(region, resource.Projects, id)
		err := resource.Validate("project", nil, p, func(v *errs.Violations, p *famiv1.Project) { s.validate(tx, v, p, region, "") })
		if err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, p, "project_id"); err != nil {
			return nil, err
		}
		if err := claimCode(tx, p, ""); err != nil {
			return nil, err
		}
		if err := setRefs(tx, p.Name, nil, beneficiaryRefs(p)); err != nil {
			return nil, err
		}
		if err := keepPlan(tx, p, "project.budget_cents"); err != nil {
			return nil, err
		}
		return written(tx, nil, p)
	})
}

// OverlapCount is a project's overlap count, computed in the snapshot a
// project is read from, and only for a read mask that answers it: it
// reads the territory index of each of the project's municipalities.
// Every read answering projects passes it (monitoring's overdue projects
// too), so a project reads the same whichever method answers it.
var OverlapCount = resource.Computed[*famiv1.Project]{
	Field: "overlap_count",
	Fill:  func(tx store.ReadTx, p *famiv1.Project) { withOverlapCount(tx, p) },
}

// GetProject implements fami.v1.ProjectService.
func (s *Projects) GetProject(ctx context.Context, req *famiv1.GetProjectRequest) (*famiv1.Project, error) {
	return resource.GetAnswer(ctx, s.r.store, resource.Projects, req, OverlapCount)
}

// ListProjects implements fami.v1.ProjectService.
func (s *Projects) ListProjects(ctx context.Context, req *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	if res, ok, err := aip.ForAllRegions(ctx, req, s.ListProjects); ok {
		return res, err
	}
	matches := namekey.Matcher(req.GetQuery())
	return resource.ListAnswer[*famiv1.ListProjectsResponse](ctx, s.r.store, resource.Projects, req,
		func(v *errs.Violations) {
			check.Enum(v, "fund", req.GetFund(), false)
			aip.CheckQuery(v, req.GetQuery())
		},
		func(p *famiv1.Project) bool {
			return (req.GetFund() == 0 || p.GetFund() == req.GetFund()) && matches(p.GetTitle(), p.GetCode(), p.GetCup())
		}, OverlapCount)
}

// BatchGetProjects implements fami.v1.ProjectService.
func (s *Projects) BatchGetProjects(ctx context.Context, req *famiv1.BatchGetProjectsRequest) (*famiv1.BatchGetProjectsResponse, error) {
	return resource.BatchGetAnswer[*famiv1.BatchGetProjectsResponse](ctx, s.r.store, resource.Projects, req, OverlapCount)
}

// UpdateProject implements fami.v1.ProjectService.
func (s *Projects) UpdateProject(ctx context.Context, req *famiv1.UpdateProjectRequest) (*famiv1.Project, error) {
	in := req.GetProject()
	return resource.Update(ctx, s.r.store, req, "project", in, resource.Projects, func(tx store.WriteTx, cur *famiv1.Project) (*famiv1.Project, error) {
		next := proto.CloneOf(cur)
		unchanged, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), projectMutable, projectOutputOnly...)
		if err != nil {
			return nil, err
		}
		if unchanged != nil {
			withOverlapCount(tx, unchanged) // the answer, as GetProject shows it
		}
		if len(cur.GetExtensions()) > 0 && next.GetEndDate() != cur.GetEndDate() {
			return nil, errs.ProjectExtended.New(
				"%s has extensions: move its end date with :extend so the history is kept", cur.GetName())
		}
		if fundedExtension(cur) && next.GetBudgetCents() != cur.GetBudgetCents() {
			return nil, errs.ProjectExtended.New(
				"%s has a funded extension: change its budget with :extend so the history is kept", cur.GetName())
		}
		err = resource.Validate("project", cur, next, func(v *errs.Violations, p *famiv1.Project) { s.validate(tx, v, p, tx.Region(), cur.GetCode()) })
		if err != nil {
			return nil, err
		}
		if err := claimCode(tx, next, cur.GetCode()); err != nil {
			return nil, err
		}
		if err := setRefs(tx, next.Name, beneficiaryRefs(cur), beneficiaryRefs(next)); err != nil {
			return nil, err
		}
		if err := keepPlan(tx, next, "project.budget_cents"); err != nil {
			return nil, err
		}
		return written(tx, cur, next)
	})
}

// DeleteProject implements fami.v1.ProjectService.
func (s *Projects) DeleteProject(ctx context.Context, req *famiv1.DeleteProjectRequest) (*emptypb.Empty, error) {
	return resource.Change(ctx, s.r.store, resource.Projects, req, func(tx store.WriteTx, cur *famiv1.Project) (*emptypb.Empty, error) {
		if err := inUse(tx, cur.GetName(), errs.ProjectInUse); err != nil {
			return nil, err
		}
		if err := childless(tx, cur.GetName(), resource.MonitoringReports, errs.ProjectInUse); err != nil {
			return nil, err
		}
		if err := foldCodes(tx); err != nil {
			return nil, err
		}
		if err := releaseCode(tx, cur.GetName(), cur.GetCode()); err != nil {
			return nil, err
		}
		if err := setRefs(tx, cur.Name, beneficiaryRefs(cur), nil); err != nil {
			return nil, err
		}
		if err := dropPlan(tx, cur.GetName()); err != nil {
			return nil, err
		}
		if err := indexProject(tx, cur, nil); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}

// maxExtensions is how many extensions a project's history keeps. Each
// :extend appends one (its act, its reason and, when funded, two financial
// plans), and the only other bound, a later end date each time, allows
// tens of thousands: the project, read on every page that shows it, would
// grow without end. FAMI projects are extended a few times. The 51st is
// refused as the project's state (LIMIT_REACHED), not as an invalid field:
// no extension the request could hold would pass.
const maxExtensions = 50

// ExtendProject implements fami.v1.ProjectService.
func (s *Projects) ExtendProject(ctx context.Context, req *famiv1.ExtendProjectRequest) (*famiv1.Project, error) {
	ext := req.GetExtension()
	var (
		newEnd time.Time
		okEnd  bool
	)
	checkExt := func(v *errs.Violations) {
		if ext == nil {
			v.Add("extension", "is required")
		}
		newEnd, okEnd = check.Date(v, "extension.end_date", ext.GetEndDate(), true)
		check.Date(v, "extension.granted_on", ext.GetGrantedOn(), false)
		check.Text(v, "extension.act_reference", ext.GetActReference(), false, 200, false)
		check.Reason(v, "extension.reason", ext.GetReason(), false)
		check.Cents(v, "extension.budget_cents", ext.GetBudgetCents(), false)
		if ext.GetBudgetCents() == 0 && len(ext.GetFinancialPlan()) > 0 {
			v.Add("extension.financial_plan", "is only for a funded extension (set budget_cents)")
		}
	}
	return resource.ChangeChecked(ctx, s.r.store, resource.Projects, req, checkExt, func(tx store.WriteTx, p *famiv1.Project) (*famiv1.Project, error) {
		if n := len(p.GetExtensions()); n >= maxExtensions {
			return nil, errs.AtLimit(p.GetName(), "extensions", maxExtensions,
				"%s already has %d extensions, the most a project may: its end date can no longer move; record the work after it as a new project", p.GetName(), n)
		}
		if okEnd && ext.GetEndDate() <= p.GetEndDate() {
			return nil, errs.InvalidField("extension.end_date", "%s does not extend the current end date %s", newEnd.Format(time.DateOnly), p.GetEndDate())
		}
		granted := &famiv1.Extension{
			EndDate:         ext.GetEndDate(),
			PreviousEndDate: p.GetEndDate(),
			ActReference:    ext.GetActReference(),
			GrantedOn:       ext.GetGrantedOn(),
			Reason:          ext.GetReason(),
		}
		if ext.GetBudgetCents() != 0 {
			if err := applyFunding(p, granted, ext); err != nil {
				return nil, err
			}
		}
		p.Extensions = append(p.Extensions, granted)
		p.EndDate = ext.GetEndDate()
		if err := keepPlan(tx, p, "extension.budget_cents"); err != nil {
			return nil, err
		}
		// The municipalities are the same: the index takes the new end date.
		return written(tx, p, p)
	})
}

// fundedExtension reports whether an extension of p changed its budget.
func fundedExtension(p *famiv1.Project) bool {
	for _, e := range p.GetExtensions() {
		if e.GetBudgetCents() != 0 {
			return true
		}
	}
	return false
}

// applyFunding applies the budget change of a funded extension (proroga onerosa)
// to p, recording the previous budget and financial plan in granted.
func applyFunding(p *famiv1.Project, granted, ext *famiv1.Extension) error {
	var v errs.Violations
	if len(p.GetFinancialPlan()) > 0 && len(ext.GetFinancialPlan()) == 0 {
		v.Add("extension.financial_plan", "is required: the project has a financial plan and the budget changes")
	}
	checkFinancialPlan(&v, "extension.financial_plan", ext.GetFinancialPlan(), planActions(p), ext.GetBudgetCents())
	if err := v.Err(); err != nil {
		return err
	}
	granted.BudgetCents, granted.PreviousBudgetCents = ext.GetBudgetCents(), p.GetBudgetCents()
	granted.FinancialPlan, granted.PreviousFinancialPlan = ext.GetFinancialPlan(), p.GetFinancialPlan()
	p.BudgetCents = ext.GetBudgetCents()
	if len(ext.GetFinancialPlan()) > 0 {
		p.FinancialPlan = ext.GetFinancialPlan()
	}
	return nil
}
