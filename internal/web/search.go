package web

import (
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

// partnerLabel is the display name of the partner name, read by itself;
// the id of a partner deleted meanwhile, "" for "".
func (a *App) partnerLabel(s *session, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	p, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: name})
	switch status.Code(err) {
	case codes.OK:
		return p.GetDisplayName(), nil
	case codes.NotFound, codes.InvalidArgument:
		return resource.ID(name), nil
	}
	return "", err
}

// resolvePartner is the resource name of the partner typed names: a
// partner's resource name (the service checks it exists), the display name
// of one partner of the region in any case and spacing (choiceKey), or a
// shared name's choice "display name (id)". It reads the one partner the
// id names, or at most resolveBound partners whose names contain typed.
// When typed names none, or several, it returns the Italian error of
// field, "" meaning resolved; an empty typed resolves to "".
func (a *App) resolvePartner(s *session, field, typed string) (name, problem string, err error) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return "", "", nil
	}
	if r, _, err := aip.ParseName("", typed, resource.Partners); err == nil && r == regionName(s.region) {
		return typed, "", nil
	}
	display, id := splitChoice(typed)
	if id != "" {
		p, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: regionName(s.region) + "/partners/" + id})
		if err == nil && choiceKey(p.GetDisplayName()) == choiceKey(display) {
			return p.GetName(), "", nil
		}
		if c := status.Code(err); c != codes.OK && c != codes.NotFound && c != codes.InvalidArgument {
			return "", "", err
		}
	}
	res, err := a.partners.ListPartners(s.ctx, &famiv1.ListPartnersRequest{Parent: regionName(s.region), Query: cutQuery(typed), PageSize: resolveBound})
	if status.Code(err) == codes.InvalidArgument {
		return "", msgf("search.partner_unknown", field, typed), nil
	}
	if err != nil {
		return "", "", err
	}
	var found []string
	for _, p := range res.GetPartners() {
		if choiceKey(p.GetDisplayName()) == choiceKey(typed) {
			found = append(found, p.GetName())
		}
	}
	switch {
	case len(found) == 1:
		return found[0], "", nil
	case len(found) > 1:
		return "", msgf("search.partner_ambiguous", field, typed), nil
	case res.GetNextPageToken() != "":
		return "", msgf("search.partner_many", field, resolveBound, typed), nil
	}
	return "", msgf("search.partner_unknown", field, typed), nil
}
