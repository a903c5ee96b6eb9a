package web

import (
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
)

// A form's choice of one of the region's partners is a typed search, not
// a select of every partner (700 in Lombardia, 55 KiB a page): a text
// input whose datalist offers a bounded page of the partners whose names
// contain what was typed (partnerSuggestions, the service's query filter),
// the typed name resolved on submit (resolvePartner). Without JavaScript
// the list is the one the page was rendered with; a refused name renders
// the page again with the partners matching it.

// searchPage is how many partners a datalist offers.
const searchPage = 50

// resolveBound is how many partners containing a typed name its
// resolution reads, at most, looking for the one it names.
const resolveBound = 100

// cutQuery is typed as the service's query filter takes it: its runs of
// spaces one space, as choiceKey compares names, cut to aip.MaxQuery
// characters.
func cutQuery(typed string) string {
	typed = strings.Join(strings.Fields(typed), " ")
	n := 0
	for i := range typed {
		if n == aip.MaxQuery {
			return typed[:i]
		}
		n++
	}
	return typed
}

// splitChoice splits a choice of a shared name, "display name (id)",
// into its name and id; any other text is all name.
func splitChoice(typed string) (name, id string) {
	typed = strings.TrimSpace(typed)
	open := strings.LastIndex(typed, " (")
	if open < 0 || !strings.HasSuffix(typed, ")") {
		return typed, ""
	}
	return strings.TrimSpace(typed[:open]), typed[open+2 : len(typed)-1]
}

// partnerSuggestions are the choices of a partner input showing typed: the
// first searchPage partners of the region whose display names contain it
// (all of them when typed is empty or a partner's resource name), as
// partnerChoices labels them. Text the service's filter refuses (a
// control character, say) suggests nothing: the page still renders, and
// the refusal is the submit's.
func (a *App) partnerSuggestions(s *session, typed string) ([]option, error) {
	q, _ := splitChoice(typed)
	q = cutQuery(q)
	if strings.HasPrefix(typed, "regions/") {
		q = ""
	}
	res, err := a.partners.ListPartners(s.ctx, &famiv1.ListPartnersRequest{Parent: regionName(s.region), Query: q, PageSize: searchPage})
	if status.Code(err) == codes.InvalidArgument {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range res.GetPartners() {
		names[p.GetName()] = p.GetDisplayName()
	}
	return partnerChoices(names), nil
}

// fault is why a typed partner resolves to none: it names no partner of
// the region, several, or more than resolveBound names contain it (none
// is so called) or more than resolveLimit (one is, but a second may be).
type fault uint8

const (
	resolved fault = iota
	unknownPartner
	sharedName
	tooManyMatches
	uncertainName // one partner so called, among too many containing it to be sure
)

// partnerFault is the Italian error of a partner input whose text names
// none (resolvePartner), prefixed by the field's label.
func partnerFault(f fault, field, typed string) string {
	switch f {
	case sharedName:
		return msgf("search.partner_ambiguous", field, typed)
	case tooManyMatches:
		return msgf("search.partner_many", field, resolveBound, typed)
	case uncertainName:
		return msgf("search.partner_uncertain", field, resolveLimit, typed)
	}
	return msgf("search.partner_unknown", field, typed)
}

// partnerLabels maps the names of the region's partners among names to
// their display names, each read by itself. A partner deleted since, and
// any other text (another region's name, say, which the service would
// refuse to read), is left out, to be shown as it is.
func (a *App) partnerLabels(s *session, names []string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, name := range names {
		if _, done := out[name]; done {
			continue
		}
		if r, _, err := aip.ParseName("", name, resource.Partners); err != nil || r != s.region {
			continue
		}
		p, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: name})
		switch {
		case status.Code(err) == codes.NotFound: // deleted since
		case err != nil:
			return nil, err
		default:
			out[name] = p.GetDisplayName()
		}
	}
	return out, nil
}

// resolvePartner is the resource name of the partner typed names: a
// partner's resource name, the display name of one partner of the region
// in any case and spacing (choiceKey), or a shared name's choice "display
// name (id)". It reads the one partner a name or an id names, or the
// partners whose names contain typed, up to resolveLimit, so that a name
// is taken only once no second partner of that name can be left unread.
// When typed names none, or several, or more than resolveLimit partners
// contain it, it says why (fault); an empty typed resolves to "".
func (a *App) resolvePartner(s *session, typed string) (string, fault, error) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return "", resolved, nil
	}
	if strings.HasPrefix(typed, "regions/") {
		// A resource name, which only a partner of the region's resolves:
		// the service would refuse a query naming another region (403).
		if r, _, err := aip.ParseName("", typed, resource.Partners); err == nil && r == s.region {
			return a.partnerNamed(s, typed, "")
		}
		return "", unknownPartner, nil
	}
	if display, id := splitChoice(typed); id != "" {
		name, f, err := a.partnerNamed(s, regionName(s.region)+"/partners/"+id, display)
		if err != nil || f == resolved {
			return name, f, err
		}
	}
	m, err := a.partnersCalled(s, typed)
	if status.Code(err) == codes.InvalidArgument {
		return "", unknownPartner, nil
	}
	if err != nil {
		return "", resolved, err
	}
	switch {
	case len(m.found) > 1:
		return "", sharedName, nil
	case len(m.found) == 1 && m.exhausted:
		return m.found[0], resolved, nil
	case len(m.found) == 1:
		return "", uncertainName, nil
	case m.read > resolveBound || !m.exhausted:
		return "", tooManyMatches, nil
	}
	return "", unknownPartner, nil
}

// resolveLimit is how many partners containing a typed name its
// resolution reads, at most, to be sure no second partner has the name.
const resolveLimit = 10 * resolveBound

// matches are the partners called a typed name (choiceKey) among those
// whose names contain it: found, of read; exhausted when none was left.
type matches struct {
	found     []string
	read      int
	exhausted bool
}

// partnersCalled pages through the partners whose names contain typed,
// resolveBound at a time, until they are exhausted, two are called typed
// (which is enough to refuse it as shared) or resolveLimit were read. The
// service's query is a substring filter: the partners called typed may
// come on any page, after any number of longer names.
func (a *App) partnersCalled(s *session, typed string) (matches, error) {
	var m matches
	req := &famiv1.ListPartnersRequest{Parent: regionName(s.region), Query: cutQuery(typed), PageSize: resolveBound}
	for len(m.found) < 2 && m.read < resolveLimit {
		res, err := a.partners.ListPartners(s.ctx, req)
		if err != nil {
			return m, err
		}
		for _, p := range res.GetPartners() {
			if choiceKey(p.GetDisplayName()) == choiceKey(typed) {
				m.found = append(m.found, p.GetName())
			}
		}
		m.read += len(res.GetPartners())
		if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
			m.exhausted = true
			break
		}
	}
	return m, nil
}

// partnerNamed reads the partner name, which resolves to itself if it
// exists and, when display is set, is so named (choiceKey).
func (a *App) partnerNamed(s *session, name, display string) (string, fault, error) {
	p, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: name})
	switch c := status.Code(err); {
	case c == codes.NotFound || c == codes.InvalidArgument:
		return "", unknownPartner, nil
	case err != nil:
		return "", resolved, err
	case display != "" && choiceKey(p.GetDisplayName()) != choiceKey(display):
		return "", unknownPartner, nil
	}
	return p.GetName(), resolved, nil
}

// partnerResolved replaces the posted field, a partner as typed, by the
// partner's resource name (resolvePartner). A text that names no partner,
// or several, is marked on fm at the field, labelled by labelKey, the
// form shown again by again, and reports false: nothing is sent to the
// service. An empty field stays empty.
func (a *App) partnerResolved(w http.ResponseWriter, r *http.Request, s *session, fm *form, field, labelKey string, again func(code int)) bool {
	typed := strings.TrimSpace(r.PostFormValue(field))
	name, f, err := a.resolvePartner(s, typed)
	if err != nil {
		a.fail(w, r, s, err)
		return false
	}
	if f != resolved {
		fm.Errors[field] = partnerFault(f, msg(labelKey), typed)
		fm.Message = msg("error.check_fields")
		again(http.StatusUnprocessableEntity)
		return false
	}
	r.PostForm.Set(field, name)
	return true
}
