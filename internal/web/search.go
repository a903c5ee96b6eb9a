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
// the refusal is the submit's. The partners are read as the choices'
// search reads them (partnerChoicesPage, firstItems): the first page of a
// query may end short, even empty, at the service's scan budget.
func (a *App) partnerSuggestions(s *session, typed string) ([]option, error) {
	q, _ := splitChoice(typed)
	q = cutQuery(q)
	if strings.HasPrefix(typed, "regions/") {
		q = ""
	}
	names, _, err := a.partnerChoicesPage(s, q)
	if status.Code(err) == codes.InvalidArgument {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return partnerChoices(names), nil
}

// fault is why a typed partner resolves to none: it names no partner of
// the region, or several.
type fault uint8

const (
	resolved fault = iota
	unknownPartner
	sharedName
)

// resolution is what a typed partner resolves to: a partner's resource
// name, else why none (fault), with, for a shared name, the partners so
// called (namesakes).
type resolution struct {
	name  string
	fault fault
	// namesakes are the choices that name each partner of a shared name,
	// "display name (id)", at most maxNamesakes; more says others exist.
	namesakes []string
	more      bool
}

// maxNamesakes is how many of the partners sharing a typed name its
// refusal lists.
const maxNamesakes = 5

// namesakesText lists r's namesakes for a refusal, «each» and, when there
// are more than it shows, "e altri".
func (r resolution) namesakesText() string {
	text := "«" + strings.Join(r.namesakes, "», «") + "»"
	if r.more {
		return msgf("search.namesakes_more", text)
	}
	return text
}

// partnerFault is the Italian error of a partner input whose text names
// none (resolvePartner), prefixed by the field's label.
func partnerFault(r resolution, field, typed string) string {
	if r.fault == sharedName {
		return msgf("search.partner_ambiguous", field, typed, r.namesakesText())
	}
	return msgf("search.partner_unknown", field, typed)
}

// resolvePartner resolves typed to the partner it names: a partner's
// resource name, the display name of one partner of the region
// in any case and spacing (ListPartners' display_name, namekey.Of), or a
// shared name's choice "display name (id)". It reads the one partner a
// name or an id names, or, in one call, the partners so called: the
// service's filter is exact, so no partner of that name is left unread.
// When typed names none, or several, it says why (fault), listing the
// first partners so called; an empty typed resolves to "".
func (a *App) resolvePartner(s *session, typed string) (resolution, error) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return resolution{}, nil
	}
	if strings.HasPrefix(typed, "regions/") {
		// A resource name, which only a partner of the region's resolves:
		// the service would refuse a query naming another region (403).
		if _, ok := s.owns(typed, resource.Partners); ok {
			return a.partnerNamed(s, typed, "")
		}
		return resolution{fault: unknownPartner}, nil
	}
	if display, id := splitChoice(typed); id != "" {
		r, err := a.partnerNamed(s, regionName(s.region)+"/partners/"+id, display)
		if err != nil || r.fault == resolved {
			return r, err
		}
	}
	found, more, err := firstItems(s.ctx, a.partners.ListPartners, &famiv1.ListPartnersRequest{Parent: regionName(s.region),
		DisplayName: strings.Join(strings.Fields(typed), " "), PageSize: maxNamesakes}, (*famiv1.ListPartnersResponse).GetPartners)
	switch {
	case status.Code(err) == codes.InvalidArgument: // too long, or a character no name has
		return resolution{fault: unknownPartner}, nil
	case err != nil:
		return resolution{}, err
	}
	switch {
	case len(found) == 1 && !more:
		return resolution{name: found[0].GetName()}, nil
	case len(found) == 0:
		return resolution{fault: unknownPartner}, nil
	}
	r := resolution{fault: sharedName, more: more}
	for _, p := range found {
		r.namesakes = append(r.namesakes, p.GetDisplayName()+" ("+resource.ID(p.GetName())+")")
	}
	return r, nil
}

// stillShown reports whether typed, a partner input's text, is still what
// the input showed when its page was loaded: shown, the display name then
// of was, the partner it named (a resource name, "" for none), in any case
// and spacing. Such a text means was, even if that partner was renamed
// since and another now bears the old name: the user left it alone.
func stillShown(typed, was, shown string) bool {
	return was != "" && shown != "" && choiceKey(typed) == choiceKey(shown)
}

// partnerNamed reads the partner name, which resolves to itself if it
// exists and, when display is set, is so named (choiceKey).
func (a *App) partnerNamed(s *session, name, display string) (resolution, error) {
	p, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: name})
	switch c := status.Code(err); {
	case c == codes.NotFound || c == codes.InvalidArgument:
		return resolution{fault: unknownPartner}, nil
	case err != nil:
		return resolution{}, err
	case display != "" && choiceKey(p.GetDisplayName()) != choiceKey(display):
		return resolution{fault: unknownPartner}, nil
	}
	return resolution{name: p.GetName()}, nil
}

// partnerResolved replaces the posted field, a partner as typed, by the
// partner's resource name (partnerMarked), or shows the form again by
// again and reports false: nothing is sent to the service.
func (a *App) partnerResolved(w http.ResponseWriter, r *http.Request, s *session, fm *form, field, labelKey string, again func(code int)) bool {
	resolved, err := a.partnerMarked(r, s, fm, field, labelKey)
	switch {
	case err != nil:
		a.fail(w, r, s, err)
	case !resolved:
		again(http.StatusUnprocessableEntity)
	}
	return err == nil && resolved
}

// partnerMarked replaces the posted field, a partner as typed, by the
// partner's resource name (resolvePartner): the partner the page showed
// (field_was) while the text is still the name it showed (field_shown,
// stillShown; if that partner was deleted since, the refusal says so). A
// text that names no partner, or several, is marked on fm at the field,
// labelled by labelKey, and reports false, for the caller to show it with
// whatever else it found in the form. An empty field stays empty.
func (a *App) partnerMarked(r *http.Request, s *session, fm *form, field, labelKey string) (bool, error) {
	typed := strings.TrimSpace(r.PostFormValue(field))
	named := typed
	if was := r.PostFormValue(field + "_was"); stillShown(typed, was, r.PostFormValue(field+"_shown")) {
		named = was
	}
	res, err := a.resolvePartner(s, named)
	if err != nil {
		return false, err
	}
	if res.fault != resolved {
		fm.Errors[field] = partnerFault(res, msg(labelKey), typed)
		if named != typed && res.fault == unknownPartner {
			// The partner the page showed, left alone, was deleted since.
			fm.Errors[field] = msgf("search.partner_deleted", msg(labelKey), typed)
		}
		fm.Message = msg("error.check_fields")
		return false, nil
	}
	r.PostForm.Set(field, res.name)
	return true, nil
}
