package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

// summaryPage shows hours by network, activity and month as bar charts
// drawn on the server (SVG in the page: no script, no image request).
type summaryPage struct {
	frame
	Form   *form
	Charts []chart
	Total  string
}

// chart is a horizontal bar chart; the template draws it.
type chart struct {
	ID, Title string
	Bars      []bar
	Height    int
}

type bar struct {
	Label, Value string
	Y, Width     int
}

const (
	chartWidth = 640
	labelWidth = 260
	barHeight  = 28
)

func (a *App) summary(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	year := a.today().Year()
	fm := newForm(url.Values{"start_date": {q.Get("start_date")}, "end_date": {q.Get("end_date")}})
	if fm.Get("start_date") == "" {
		fm.Values.Set("start_date", fmt.Sprintf("01/01/%d", year))
	}
	if fm.Get("end_date") == "" {
		fm.Values.Set("end_date", fmt.Sprintf("31/12/%d", year))
	}
	p := &summaryPage{frame: a.newFrame(r, s, "summary.title"), Form: fm}
	base := &famiv1.SummarizeSupportEntriesRequest{Parent: regionName(s.region), StartDate: parseDate(fm.Get("start_date")), EndDate: parseDate(fm.Get("end_date"))}
	if s.who.Role == principal.Consultant {
		base.Consultant = s.who.Subject
	}
	var entries int64
	for _, g := range []struct {
		by    famiv1.SupportGroupBy
		title string
	}{
		{famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK, "summary.by_network"},
		{famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY, "summary.by_activity"},
		{famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH, "summary.by_month"},
	} {
		req := proto.CloneOf(base)
		req.GroupBy = g.by
		res, err := a.support.SummarizeSupportEntries(s.ctx, req)
		if formError(fm, err, "") {
			a.render(w, http.StatusUnprocessableEntity, "summary", p)
			return
		}
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		p.Charts = append(p.Charts, barChart(g.title, res.GetGroups()))
		t := res.GetTotals()
		p.Total = msgn("summary.total", int(t.GetEntries()), formatMinutes(t.GetTotalMinutes()), t.GetEntries())
		entries = t.GetEntries()
	}
	// A period without hours says so once, rather than a zero total over
	// three empty charts.
	if entries == 0 {
		p.Charts = nil
		p.Total = msgf("summary.empty", formatDate(base.StartDate), formatDate(base.EndDate))
	}
	a.render(w, http.StatusOK, "summary", p)
}

func barChart(title string, groups []*famiv1.SupportSummaryGroup) chart {
	c := chart{ID: title, Title: msg(title)}
	var max int64
	for _, g := range groups {
		max = maxOf(max, g.GetTotalMinutes())
	}
	for i, g := range groups {
		name := g.GetDisplayName()
		if g.GetActivity() != 0 {
			name = label(g.GetActivity())
		} else if t, err := time.Parse("2006-01", g.GetKey()); err == nil {
			name = msgf("summary.month", msg("month."+t.Format("01")), t.Year())
		}
		w := 0
		if max > 0 {
			w = int(g.GetTotalMinutes() * (chartWidth - labelWidth - 90) / max)
		}
		c.Bars = append(c.Bars, bar{Label: name, Value: formatMinutes(g.GetTotalMinutes()), Y: i * (barHeight + 8), Width: w})
	}
	c.Height = len(groups)*(barHeight+8) + 8
	return c
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
