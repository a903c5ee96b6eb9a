package web

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// eachPage calls list with each page token in turn, from the first page until
// a page has no next page token: the listings a page shows whole.
func eachPage(list func(pageToken string) (next string, err error)) error {
	token := ""
	for {
		next, err := list(token)
		if err != nil || next == "" {
			return err
		}
		token = next
	}
}

// listEntries reads every page of a listing.
func (a *App) listEntries(s *session, req *famiv1.ListSupportEntriesRequest) ([]*famiv1.SupportEntry, error) {
	var out []*famiv1.SupportEntry
	req.PageSize = 1000
	err := eachPage(func(token string) (string, error) {
		req.PageToken = token
		res, err := a.support.ListSupportEntries(s.ctx, req)
		out = append(out, res.GetSupportEntries()...)
		return res.GetNextPageToken(), err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// networkNames maps the region's network names to their display names.
func (a *App) networkNames(s *session) (map[string]string, error) {
	out := map[string]string{}
	err := eachPage(func(token string) (string, error) {
		res, err := a.networks.ListNetworks(s.ctx, &famiv1.ListNetworksRequest{Parent: regionName(s.region), PageSize: 1000, PageToken: token})
		for _, n := range res.GetNetworks() {
			out[n.GetName()] = n.GetDisplayName()
		}
		return res.GetNextPageToken(), err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// partnerNames maps the region's partner names to their display names.
func (a *App) partnerNames(s *session) (map[string]string, error) {
	out := map[string]string{}
	err := eachPage(func(token string) (string, error) {
		res, err := a.partners.ListPartners(s.ctx, &famiv1.ListPartnersRequest{Parent: regionName(s.region), PageSize: 1000, PageToken: token})
		for _, p := range res.GetPartners() {
			out[p.GetName()] = p.GetDisplayName()
		}
		return res.GetNextPageToken(), err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type closedSet []*famiv1.ClosedPeriod

func (c closedSet) contains(date string) bool {
	for _, p := range c {
		if p.GetStartDate() <= date && date <= p.GetEndDate() {
			return true
		}
	}
	return false
}

func (a *App) closedPeriods(s *session) (closedSet, error) {
	res, err := a.support.ListClosedPeriods(s.ctx, &famiv1.ListClosedPeriodsRequest{Parent: regionName(s.region), PageSize: 1000})
	if err != nil {
		return nil, err
	}
	return res.GetClosedPeriods(), nil
}

// lookups are what a page shows beside the names its resources hold: the
// display names of the region's partners and networks, and its closed
// periods. A page loads the ones it needs (need) in one call.
type lookups struct {
	partners map[string]string
	networks map[string]string
	closed   closedSet
}

// need says which lookups a page loads.
type need uint8

const (
	needPartners need = 1 << iota
	needNetworks
	needClosed
)

// lookup loads the lookups n names.
func (a *App) lookup(s *session, n need) (*lookups, error) {
	l := &lookups{}
	var err error
	if n&needPartners != 0 {
		if l.partners, err = a.partnerNames(s); err != nil {
			return nil, err
		}
	}
	if n&needNetworks != 0 {
		if l.networks, err = a.networkNames(s); err != nil {
			return nil, err
		}
	}
	if n&needClosed != 0 {
		if l.closed, err = a.closedPeriods(s); err != nil {
			return nil, err
		}
	}
	return l, nil
}
