package registry

import (
	"context"
	"strconv"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/territory"
)

// Regions implements fami.v1.RegionService from the territory package's
// reference data.
type Regions struct {
	famiv1.UnimplementedRegionServiceServer
	r *Registry
}

// Regions returns the RegionService.
func (r *Registry) Regions() *Regions { return &Regions{r: r} }

func regionProto(r territory.Region) *famiv1.Region {
	return &famiv1.Region{Name: "regions/" + r.ID, DisplayName: r.DisplayName, IstatCode: r.ISTATCode}
}

// ListRegions implements fami.v1.RegionService.
func (s *Regions) ListRegions(_ context.Context, req *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error) {
	all := territory.Regions()
	page, next, err := offsetPage(len(all), req)
	if err != nil {
		return nil, err
	}
	res := &famiv1.ListRegionsResponse{NextPageToken: next}
	for _, r := range all[page.start:page.end] {
		res.Regions = append(res.Regions, regionProto(r))
	}
	return res, nil
}

// GetRegion implements fami.v1.RegionService.
func (s *Regions) GetRegion(_ context.Context, req *famiv1.GetRegionRequest) (*famiv1.Region, error) {
	id, err := aip.ParseRegion("name", req.GetName())
	if err != nil {
		return nil, err
	}
	r, ok := territory.LookupRegion(id)
	if !ok {
		return nil, errs.NotFoundf("region %q not found", id)
	}
	return regionProto(r), nil
}

// ListMunicipalities implements fami.v1.RegionService.
func (s *Regions) ListMunicipalities(_ context.Context, req *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error) {
	id, err := aip.ParseRegion("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if id != "-" {
		if _, err := aip.Region(id); err != nil {
			return nil, err
		}
	}
	var v errs.Violations
	if len(req.GetNamePrefix()) > 100 {
		v.Add("name_prefix", "is longer than 100 bytes")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	found := s.r.munis.Search(id, req.GetNamePrefix())
	page, next, err := offsetPage(len(found), req)
	if err != nil {
		return nil, err
	}
	res := &famiv1.ListMunicipalitiesResponse{NextPageToken: next, TotalSize: int32(len(found))}
	for _, m := range found[page.start:page.end] {
		res.Municipalities = append(res.Municipalities, &famiv1.Municipality{
			Name:          "regions/" + m.RegionID + "/municipalities/" + m.ISTATCode,
			IstatCode:     m.ISTATCode,
			DisplayName:   m.Name,
			ProvinceCode:  m.ProvinceCode,
			Province:      m.Province,
			ProvinceAbbr:  m.ProvinceAbbr,
			CadastralCode: m.CadastralCode,
			Population:    m.Population,
		})
	}
	return res, nil
}

type span struct{ start, end int }

// offsetPage pages req through an immutable, ordered list of n items; the
// token is the offset of the next page.
func offsetPage(n int, req aip.PagedRequest) (span, string, error) {
	size, err := aip.PageSize(req.GetPageSize())
	if err != nil {
		return span{}, "", err
	}
	pos, err := aip.DecodeToken(req)
	if err != nil {
		return span{}, "", err
	}
	start := 0
	if pos != "" {
		if start, err = strconv.Atoi(pos); err != nil || start < 0 || start > n {
			return span{}, "", aip.ErrForeignToken()
		}
	}
	end := min(start+size, n)
	next := ""
	if end < n {
		next = aip.EncodeToken(req, strconv.Itoa(end))
	}
	return span{start, end}, next, nil
}
