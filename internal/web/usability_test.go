package web_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestBrowserNoSidewaysScrollAt360 opens the pages with tables on a 360 px
// phone: none may be wider than the screen, which would make the whole page
// scroll sideways (a table scrolls inside its own box).
func TestBrowserNoSidewaysScrollAt360(t *testing.T) {
	t.Parallel()
	f, _, _ := withLoggedHours(t)
	b := newBrowser(t, f)
	for _, who := range []struct {
		user  string
		pages []string
	}{
		{"mrossi@lombardia", []string{"/ore?vista=mese&data=2026-11-01"}},
		{"admin@lombardia", []string{"/approvazioni", "/account", "/partner", "/reti"}},
	} {
		b.signIn(who.user)
		for _, p := range who.pages {
			b.run("open "+p+" at 360 px", chromedp.EmulateViewport(360, 740), chromedp.Navigate(b.f.url(p)), chromedp.WaitReady(chromedp.CSS("main")))
			over, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if over > 0 {
				t.Errorf("%s at 360 px is %d px wider than the screen", p, over)
			}
		}
		b.run("reset viewport", chromedp.EmulateReset())
		b.signOut()
	}
}

// consultantOnHours starts famid with setupLombardia and a browser on the
// hours page, its consultant signed in.
func consultantOnHours(t *testing.T) (*famid, *browser) {
	t.Helper()
	f := startFamid(t)
	setupLombardia(f)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.open("/ore", "ore")
	return f, b
}

// sendWorkshop sends the hours form, open in b, filled with a workshop of
// minutes on Bergamo's network (setupLombardia), and waits for the
// element done of the page that answers.
func (b *browser) sendWorkshop(minutes, done string) {
	b.t.Helper()
	b.run("log "+minutes+" minutes",
		chromedp.SetValue(chromedp.CSS("#f-network"), "regions/lombardia/networks/rete-bergamo"),
		chromedp.SetValue(chromedp.CSS("#f-activity"), "SUPPORT_ACTIVITY_WORKSHOP"),
		chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), minutes),
		chromedp.Submit(chromedp.CSS("#f-duration_minutes")),
		chromedp.WaitVisible(chromedp.CSS(done)))
}

// TestBrowserFocusOnRefusedForm: a refused form opens with the focus on its
// error, so that the keyboard and the screen reader start at what to fix.
func TestBrowserFocusOnRefusedForm(t *testing.T) {
	t.Parallel()
	_, b := consultantOnHours(t)
	b.sendWorkshop("7", "#f-duration_minutes-err")
	focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "form-error" {
		t.Errorf("after a refused entry the focus is on %q, want the form's error", focused)
	}
	b.check("ore-rifiutate")
}

// TestBrowserTablesAreCardsAt390: on a 390 px phone every list is cards,
// not a table scrolled inside its box: nothing of the page lies past the
// screen's right edge nor anything of a table past its box's, each cell is
// shown after its column's heading (the one the header row gives it, the
// hours' and the approvals' spelled out), and axe finds nothing serious.
// Before, the hours and the approvals tables were 263 and 199 px wider than
// their box, and every other list was a table whose cells had no heading
// beside them.
func TestBrowserTablesAreCardsAt390(t *testing.T) {
	t.Parallel()
	f := everyList(t)
	b := newBrowser(t, f)
	for _, who := range []struct {
		user  string
		pages []string
	}{
		{"mrossi@lombardia", []string{"/ore?vista=mese&data=2026-11-01"}},
		{"admin@lombardia", []string{"/approvazioni", "/partner", "/reti", "/protocolli", "/incontri", "/progetti", "/progetti/lab-impact",
			"/progetti/lab-impact/monitoraggio", labReport, "/monitoraggio", "/cruscotto", "/account", "/periodi", "/storia?nome=regions/lombardia/projects/lab-impact"}},
	} {
		b.signIn(who.user)
		for _, page := range who.pages {
			b.run("open "+page+" at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.f.url(page)), chromedp.WaitReady(chromedp.CSS("main")))
			for _, problem := range b.cardProblems() {
				t.Errorf("%s at 390 px: %s", page, problem)
			}
			if want, ok := spelledOut[page]; ok {
				labels, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main tbody tr:first-child td")]
					.map(c => getComputedStyle(c, "::before").content.replace(/^"|"$/g, "")).join("|")`))
				if err != nil {
					t.Fatal(err)
				}
				if labels != want {
					t.Errorf("%s at 390 px: the cells are headed %q, want %q", page, labels, want)
				}
			}
			b.check("schede-390" + strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-").Replace(page))
		}
		b.run("reset viewport", chromedp.EmulateReset())
		b.signOut()
	}
}

// spelledOut are the headings the first card of two lists shows, cell by
// cell, written out rather than read from the header row.
var spelledOut = map[string]string{
	"/ore?vista=mese&data=2026-11-01": "Data|Rete territoriale|Attività|Durata|Stato|Azioni",
	"/approvazioni":                   "Seleziona|Data|Consulente|Rete territoriale|Attività|Durata",
}

// cardProblems lists what is wrong with the tables of the page shown, as
// cards on a phone: how far the page or a table reaches past its box, a
// table that is not cards, and a cell shown without its column's heading
// (a column whose heading holds a control, .keep, needs a heading of its
// own). The visually hidden tables (a chart's figures) are for screen
// readers only.
func (b *browser) cardProblems() []string {
	b.t.Helper()
	problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [], doc = document.documentElement;
		if (doc.scrollWidth > doc.clientWidth) out.push("the page is " + (doc.scrollWidth - doc.clientWidth) + " px wider than the screen");
		for (const t of document.querySelectorAll("main table")) {
			if (t.closest(".visually-hidden")) continue;
			const box = t.closest(".table-wrap") || t.parentElement, right = box.getBoundingClientRect().right;
			const name = (box.getAttribute("aria-label") || document.getElementById(box.getAttribute("aria-labelledby"))?.textContent || "a table").trim();
			if (!t.classList.contains("cards")) out.push(name + ": not cards");
			const past = Math.max(box.scrollWidth - box.clientWidth, ...[...t.querySelectorAll("td, th")].map(c => Math.ceil(c.getBoundingClientRect().right - right)));
			if (past > 0) out.push(name + ": reaches " + past + " px past its box");
			const heads = [...t.querySelectorAll("thead th")];
			for (const row of t.querySelectorAll("tbody tr, tfoot tr")) {
				[...row.children].forEach((c, i) => {
					if (c.tagName !== "TD") return;
					const shown = getComputedStyle(c, "::before").content.replace(/^"|"$/g, "");
					const want = heads[i] && !heads[i].classList.contains("keep") ? heads[i].textContent.trim() : null;
					if (shown === "none" || shown === "" || (want !== null && shown !== want)) out.push(name + ": a cell of column " + (i + 1) + " is headed " + JSON.stringify(shown) + ", want " + JSON.stringify(want));
				});
			}
		}
		return [...new Set(out)];
	})()`))
	if err != nil {
		b.t.Fatal(err)
	}
	return problems
}

// everyList starts famid with a row in each list of Lombardia: the
// monitoring (setupMonitoring: two projects that overlap, a report, a
// network, partner, admin and staff), a protocol, a meeting, a closed
// period, a service token, and a consultant's hours awaiting review.
func everyList(t *testing.T) *famid {
	t.Helper()
	f := startFamid(t)
	setupMonitoring(f)
	ctx, network, udp := f.admin("lombardia"), "regions/lombardia/networks/rete-milano", "regions/lombardia/partners/udp-milano"
	if _, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "intesa",
		Protocol: &famiv1.Protocol{Network: network, Title: "Protocollo d'intesa per l'accoglienza", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
			Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}}}}); err != nil {
		t.Fatalf("protocol: %v", err)
	}
	if _, err := f.onlineMeeting("tavolo", network, "Tavolo di coordinamento della rete", f.Clock.Now().Add(48*time.Hour)); err != nil {
		t.Fatalf("meeting: %v", err)
	}
	if _, err := famiv1.NewSupportServiceClient(f.conn).ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriodId: "ottobre",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2026-10-01", EndDate: "2026-10-31", Reason: "Rendicontazione del mese"}}); err != nil {
		t.Fatalf("close period: %v", err)
	}
	if _, err := famiv1.NewAuthServiceClient(f.conn).CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "gestionale-ats", TtlSeconds: 3600}); err != nil {
		t.Fatalf("service token: %v", err)
	}
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	c := f.client(t)
	c.signIn("mrossi@lombardia")
	c.logHours(network)
	return f
}

// TestBrowserStaleEditAt360: on a 360 px phone the comparison a stale edit
// shows (what is stored now beside what the user typed) is cards, as every
// list: nothing wider than the screen, long values and a word without
// spaces included; each changed field a card under its name, its two values
// one under the other, each after its heading; and axe finds nothing
// serious. Before, it was a table of three columns, which these values (a
// description of one long word) made 1,022 px wider than the screen.
func TestBrowserStaleEditAt360(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	cpia := f.partner("lombardia", "cpia", "CPIA Bergamo")
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.run("open the partner at 360 px", chromedp.EmulateViewport(360, 740), chromedp.Navigate(b.f.url("/partner/cpia")), chromedp.WaitVisible(chromedp.CSS("#f-display_name")))
	if _, err := famiv1.NewPartnerServiceClient(f.conn).UpdatePartner(f.admin("lombardia"), &famiv1.UpdatePartnerRequest{
		Partner: &famiv1.Partner{Name: cpia, DisplayName: "Centro provinciale per l'istruzione degli adulti di Bergamo, sede di Treviglio",
			Description: strings.Repeat("Alfabetizzazione", 8)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "description"}}}); err != nil {
		t.Fatalf("change the partner meanwhile: %v", err)
	}
	b.run("save a stale edit",
		chromedp.SetValue(chromedp.CSS("#f-display_name"), "CPIA Bergamo Est"),
		chromedp.SetValue(chromedp.CSS("#f-description"), "Corsi di italiano per adulti stranieri"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#form-error caption")))
	for _, problem := range b.cardProblems() {
		t.Errorf("the stale edit at 360 px: %s", problem)
	}
	// Each card reads from the top down: the field's name, then its values,
	// each below the one before and as wide as the card.
	crowded, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#form-error tbody tr")].flatMap(row => {
		const cells = [...row.children], out = [];
		for (let i = 1; i < cells.length; i++) {
			const above = cells[i - 1].getBoundingClientRect(), cell = cells[i].getBoundingClientRect();
			if (cell.top < above.bottom || cell.width < row.clientWidth * 0.9) out.push(cells[0].textContent + ": " + (cells[i].dataset.label || "cell " + i));
		}
		return out;
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(crowded) > 0 {
		t.Errorf("at 360 px these values do not stand on lines of their own in their card: %q", crowded)
	}
	if got := b.text("#form-error tbody"); !strings.Contains(got, "sede di Treviglio") || !strings.Contains(got, "CPIA Bergamo Est") {
		t.Errorf("the comparison reads %q, want the stored name and the typed one", got)
	}
	b.check("modifica-superata-360")
	b.run("reset viewport", chromedp.EmulateReset())
}

// TestBrowserStaleDeleteAt390: on a 390 px phone the comparison a stale
// delete shows (what is stored now beside what the page showed when it
// was opened) reads as cards whose headings stand each on one line, the
// longest, "Quando hai aperto la pagina", included, above its value;
// nothing wider than the screen, and axe finds nothing serious. Before,
// the headings sat in a column of 8rem beside their values, and that one
// took three lines there.
func TestBrowserStaleDeleteAt390(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	edit := "/ore/" + lastID(entry.GetName())
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.run("open the entry at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.f.url(edit)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/elimina"] button`)))
	changeEntryMeanwhile(t, c, network, edit, entry)
	var yes atomic.Bool
	yes.Store(true)
	b.answerDialogs(&yes)
	b.run("delete the entry changed meanwhile", chromedp.Click(chromedp.CSS(`form[action$="/elimina"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#form-error caption")))
	for _, problem := range b.cardProblems() {
		t.Errorf("the stale delete at 390 px: %s", problem)
	}
	// A heading wraps when its text, in its own font, is wider than the
	// box the layout gives it.
	wrapped, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const ctx = document.createElement("canvas").getContext("2d"), out = [];
		for (const td of document.querySelectorAll("#form-error tbody td")) {
			const before = getComputedStyle(td, "::before");
			ctx.font = before.font;
			if (ctx.measureText(td.dataset.label).width > parseFloat(before.width)) out.push(td.dataset.label);
		}
		return [...new Set(out)];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(wrapped) > 0 {
		t.Errorf("at 390 px these headings of the comparison wrap: %q", wrapped)
	}
	if got := b.text("#form-error thead"); !strings.Contains(got, "Quando hai aperto la pagina") {
		t.Errorf("the comparison's columns read %q, want the page as opened among them", got)
	}
	b.check("eliminazione-superata-390")
	b.run("reset viewport", chromedp.EmulateReset())
}

// TestBrowserFormSentAgainAfterBack: an entry logged, a browser that
// gives the hours form back as it was sent, its request_id with it, when
// the user goes back; changed and sent again, it is refused as the form
// sent before, which it is, nothing saved, and the page says so. It said
// "Controlla i campi evidenziati." with no field marked, the refused field
// being the hidden request_id.
//
// Chromium gave the form back so from its back-forward cache until the
// write's notice went into a cookie (seeOther): the page is no-store, and
// the shared Chromium now loads it afresh, with a new request_id. Other
// browsers restore a form's fields after going back, so the case stands:
// the test opens the form again and gives it back its fields as sent,
// request_id included, as they do.
func TestBrowserFormSentAgainAfterBack(t *testing.T) {
	t.Parallel()
	f, b := consultantOnHours(t)
	sent := b.value(`input[name="request_id"]`)
	b.sendWorkshop("90", ".alert.success")
	b.open("/ore", "ore")
	b.run("the form as sent", chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="request_id"]').value = `+quote(sent)+`;
		document.querySelector("#f-network").value = "regions/lombardia/networks/rete-bergamo";
		document.querySelector("#f-activity").value = "SUPPORT_ACTIVITY_WORKSHOP"`))
	if got := b.value(`input[name="request_id"]`); got != sent {
		t.Fatalf("the form's request_id is %q, want %q as sent: the case this test is about is not there", got, sent)
	}
	b.run("change it to 120 and send it again",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-duration_minutes").value = "120"; document.querySelector("#f-duration_minutes").form.requestSubmit()`),
		chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.wantText("#form-error", "Questo modulo era già stato inviato, con valori diversi da questi")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("[aria-invalid=true]").length`)); err != nil || n != 0 {
		t.Errorf("%d fields marked invalid (%v), want none: no field is wrong", n, err)
	}
	if got := b.value("#f-duration_minutes"); got != "120" {
		t.Errorf("the form shows %q minutes, want the 120 sent", got)
	}
	b.check("ore-inviate-di-nuovo")
	if entries := f.entries("lombardia"); len(entries) != 1 || entries[0].GetDurationMinutes() != 90 {
		t.Errorf("stored %v, want the one entry of 90 minutes", entries)
	}
}
