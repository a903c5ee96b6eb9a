package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestSearchKeepsWhatWasTyped: the search of a form's choices is a button
// of the form (cerca). Sent without JavaScript, it shows the form again
// with every field as typed and its choices narrowed, and saves nothing:
// the new entry, an entry's edit, a new network and a network's edit. The
// form as shown again then saves what was typed. Hostile text, typed or
// searched, comes back escaped. Before, the search was a form of its own,
// whose page reload lost what was typed, and a form sent with "cerca" was
// saved or refused.
func TestSearchKeepsWhatWasTyped(t *testing.T) {
	f, c, bergamo := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	milano := f.network("lombardia", "rete-milano", "Rete Milano", udp)
	if _, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "accoglienza",
		Project: &famiv1.Project{Code: "PROG-7", Title: "Accoglienza", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2022-01-01", EndDate: "2024-12-31"}}); err != nil {
		t.Fatal(err)
	}
	c.signIn("mrossi@lombardia")
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	const hostile = evil + `" autofocus onfocus="alert(2)`

	// search sends the form of the page at path that posts to to (with
	// the page's query, if any) as edit types it, with query in its search
	// field and its search button, and returns the form shown again, as a
	// browser would send it, and the page.
	search := func(t *testing.T, b *browserless, path, to string, edit func(url.Values), field, query string) (url.Values, string) {
		t.Helper()
		_, page := b.do("GET", path, nil)
		var action string
		if m := regexp.MustCompile(`<form method="post" action="(` + regexp.QuoteMeta(to) + `(?:\?[^"]*)?)" novalidate>`).FindStringSubmatch(page); m != nil {
			action = m[1]
		}
		typed := formValues(t, page, action)
		edit(typed)
		typed.Set(field, query)
		typed.Set("cerca", "1")
		res, again := b.do("POST", strings.ReplaceAll(action, "&amp;", "&"), typed)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("search from %s: status %d, want 200 (the form again, nothing saved)", path, res.StatusCode)
		}
		if strings.Contains(again, "<script>alert") || strings.Contains(again, `onfocus="alert(2)"`) {
			t.Fatalf("search from %s: hostile text shown unescaped", path)
		}
		shown := formValues(t, again, action)
		for k := range typed {
			if k == "cerca" || k == "request_id" || k == "csrf" {
				continue
			}
			if got, want := shown[k], typed[k]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("search from %s: field %s came back as %q, want %q as typed", path, k, got, want)
			}
		}
		return shown, again
	}

	t.Run("new entry", func(t *testing.T) {
		for _, query := range []string{"milano", hostile} {
			_, page := search(t, c, "/ore", "/ore", func(v url.Values) {
				v.Set("activity", "SUPPORT_ACTIVITY_WORKSHOP")
				v.Set("mode", "SUPPORT_MODE_ONLINE")
				v.Set("date", "20/11/2026")
				v.Set("duration_minutes", "75")
				v.Set("notes", hostile)
			}, "rete", query)
			offered := strings.Contains(page, `<option value="`+milano+`">Rete Milano</option>`)
			if query == "milano" && (!offered || strings.Contains(page, `<option value="`+bergamo+`">`)) {
				t.Errorf("the search %q offers Rete Milano %v, and nothing else: want it alone", query, offered)
			}
			if n := len(f.entries("lombardia")); n != 0 {
				t.Fatalf("a search saved %d entries", n)
			}
		}
	})

	t.Run("entry's edit", func(t *testing.T) {
		c.logHours(bergamo) // 90 minutes, through the same POST without "cerca"
		id := lastID(f.entries("lombardia")[0].GetName())
		shown, _ := search(t, c, "/ore/"+id, "/ore/"+id, func(v url.Values) {
			v.Set("duration_minutes", "45")
			v.Set("notes", "Scritto prima della ricerca")
		}, "rete", "milano")
		if d := f.entries("lombardia")[0].GetDurationMinutes(); d != 90 {
			t.Fatalf("a search saved the entry: %d minutes, want 90 as stored", d)
		}
		if res, _ := c.do("POST", "/ore/"+id, shown); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save the form shown again: status %d", res.StatusCode)
		}
		if e := f.entries("lombardia")[0]; e.GetDurationMinutes() != 45 || e.GetNotes() != "Scritto prima della ricerca" {
			t.Errorf("saved from the form shown again: %d minutes, notes %q; want what was typed before the search", e.GetDurationMinutes(), e.GetNotes())
		}
	})

	networks := famiv1.NewNetworkServiceClient(f.conn)
	t.Run("network's edit", func(t *testing.T) {
		shown, page := search(t, admin, "/reti/rete-bergamo", "/reti/rete-bergamo", func(v url.Values) {
			v.Set("display_name", "Rete Bergamo Est")
			v.Set("description", hostile)
		}, "progetti", "prog-7")
		if !strings.Contains(page, `value="regions/lombardia/projects/accoglienza"`) {
			t.Error("the project search does not offer PROG-7")
		}
		n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: bergamo})
		if err != nil || n.GetDisplayName() != "Rete Bergamo" {
			t.Fatalf("a search saved the network: %q, %v", n.GetDisplayName(), err)
		}
		if res, page := admin.do("POST", "/reti/rete-bergamo", shown); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save the form shown again: status %d %s", res.StatusCode, regexp.MustCompile(`error-text[^<]*<`).FindAllString(page, -1))
		}
		n, err = networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: bergamo})
		if err != nil || n.GetDisplayName() != "Rete Bergamo Est" || n.GetDescription() != hostile {
			t.Errorf("saved from the form shown again: %v, %v; want the name and description typed before the search", n, err)
		}
	})

	t.Run("new network", func(t *testing.T) {
		search(t, admin, "/reti/nuova", "/reti", func(v url.Values) {
			v.Set("network_id", "rete-nuova")
			v.Set("display_name", "Rete Nuova")
			v.Set("member.0.partner", "Ufficio di Piano di Milano")
			v.Set("member.0.role", "MEMBER_ROLE_LEAD")
		}, "progetti", hostile)
		if _, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-nuova"}); status.Code(err) != codes.NotFound {
			t.Fatalf("a search created the network: %v", err)
		}
	})
}
