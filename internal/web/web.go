// Package web is the browser application famid serves at "/": server-rendered
// Italian pages for consultants, network staff, regional officers and the
// ministry.
//
// The pages hold no rule of their own. Every read and write is a call of the
// generated gRPC clients over the connection the server hands to New (the
// in-process channel the REST gateway also uses, ADR 0001), carrying the
// session's bearer token, so authentication, the rights table, validation,
// etags, request ids and error mapping are the pipeline's. What a page may
// show as a control is asked of the same rights table (Options.Policy, the
// policy the server's pipeline enforces), never re-decided here.
package web

import (
	"embed"
	"log/slog"
	"net/http"
	"path"
	"time"

	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options tune the application; the zero value is ready to use.
type Options struct {
	Logger *slog.Logger
	// Now is the clock (today's date in the forms); time.Now when nil.
	Now func() time.Time
	// Policy is the rights table the pipeline enforces: a page shows a
	// control only when the policy would admit its call. When nil, no
	// control is shown (deny by default); the calls themselves are
	// decided by the pipeline either way.
	Policy auth.Policy
	// Owned are the resource types whose reads give most callers only
	// their own records, as the server's change feed is told: with Policy,
	// they say whose history of a type a page may link to (history.go).
	Owned auth.Owned
}

// App is the web application, an http.Handler.
type App struct {
	log    *slog.Logger
	now    func() time.Time
	policy auth.Policy
	// readable is what the change feed lets a caller read (Options.Owned).
	readable auth.Readable
	mux      *routeMux
	pages    pages
	static   *staticFiles

	auth      famiv1.AuthServiceClient
	partners  famiv1.PartnerServiceClient
	networks  famiv1.NetworkServiceClient
	projects  famiv1.ProjectServiceClient
	protocols famiv1.ProtocolServiceClient
	support   famiv1.SupportServiceClient
	meetings  famiv1.MeetingServiceClient
	sync      famiv1.SyncServiceClient

	monitoring famiv1.MonitoringServiceClient
	evaluation famiv1.EvaluationServiceClient
	surveys    famiv1.SurveyServiceClient
	overlaps   famiv1.OverlapServiceClient
	dashboard  famiv1.DashboardServiceClient
}

// New builds the application over conn, a gRPC connection to the platform's
// services through their full pipeline.
func New(conn grpc.ClientConnInterface, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pg, err := sharedPages()
	if err != nil {
		return nil, err
	}
	st, err := sharedStatic()
	if err != nil {
		return nil, err
	}
	a := &App{
		log: opts.Logger, now: opts.Now, policy: opts.Policy, pages: pg, static: st,
		auth:      famiv1.NewAuthServiceClient(conn),
		partners:  famiv1.NewPartnerServiceClient(conn),
		networks:  famiv1.NewNetworkServiceClient(conn),
		projects:  famiv1.NewProjectServiceClient(conn),
		protocols: famiv1.NewProtocolServiceClient(conn),
		support:   famiv1.NewSupportServiceClient(conn),
		meetings:  famiv1.NewMeetingServiceClient(conn),
		sync:      famiv1.NewSyncServiceClient(conn),

		monitoring: famiv1.NewMonitoringServiceClient(conn),
		evaluation: famiv1.NewEvaluationServiceClient(conn),
		surveys:    famiv1.NewSurveyServiceClient(conn),
		overlaps:   famiv1.NewOverlapServiceClient(conn),
		dashboard:  famiv1.NewDashboardServiceClient(conn),
	}
	a.readable = opts.Policy.Readable("fami.v1", opts.Owned)
	a.routes()
	return a, nil
}

// ServeHTTP sets the security headers every answer carries and routes.
// Cache-Control: no-store and X-Content-Type-Options: nosniff come from the
// HTTP listener that serves the application, before its routes.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	a.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows nothing but this origin's own styles, script
// and images: no inline script or style, no third-party origin, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (a *App) routes() {
	m := &routeMux{ServeMux: http.NewServeMux()}
	m.Handle("GET /static/", a.static)
	m.HandleFunc("GET /accedi", a.signInForm)
	m.HandleFunc("POST /accedi", a.signIn)
	m.HandleFunc("POST /accedi/token", a.signInWithToken)
	m.HandleFunc("POST /esci", a.signOut)
	m.Handle("GET /{$}", a.page(a.home))
	m.Handle("POST /regione", a.page(a.switchRegion))

	m.Handle("GET /ore", a.page(a.hours))
	m.Handle("POST /ore", a.page(searchable(a.createEntry, a.renderHours)))
	m.Handle("GET /ore/{entry}", a.page(a.editEntryForm))
	m.Handle("POST /ore/{entry}", a.page(searchable(a.updateEntry, a.entryPages().edit)))
	m.Handle("POST /ore/{entry}/elimina", a.page(a.confirmed(confirmation{"hours.confirm_heading", "hours.confirm"}, backTo("/ore/", "entry"), a.deleteEntry)))
	m.Handle("GET /ore.csv", a.page(a.hoursCSV))

	m.Handle("GET /approvazioni", a.page(a.approvals))
	m.Handle("POST /approvazioni", a.page(a.review))
	m.Handle("GET /periodi", a.page(a.periods))
	m.Handle("POST /periodi", a.page(a.closePeriod))
	m.Handle("POST /periodi/{period}/riapri", a.page(a.confirmed(confirmation{"periods.reopen_heading", "periods.confirm_reopen"}, backToQuery(periodsPath), a.reopenPeriod)))
	m.Handle("GET /riepilogo", a.page(a.summary))

	m.Handle("GET /partner", a.page(a.partnerList))
	partner := a.page(a.partnerEdit)
	m.Handle("GET /partner/nuovo", recordOr("partner", partner, a.page(a.forCreators(createPartner, a.partnerNew))))
	m.Handle("POST /partner", a.page(a.partnerCreate))
	m.Handle("GET /partner/{partner}", partner)
	m.Handle("POST /partner/{partner}", a.page(a.partnerUpdate))
	m.Handle("POST /partner/{partner}/archivia", a.page(a.confirmed(confirmation{"partners.archive_heading", "partners.confirm_archive"}, backTo("/partner/", "partner"),
		a.partnerArchive(true, "partner_archived"))))
	m.Handle("POST /partner/{partner}/riattiva", a.page(a.partnerArchive(false, "partner_reactivated")))
	m.Handle("GET /progetti", a.page(a.projectList))
	project := a.page(a.projectEdit)
	m.Handle("GET /progetti/nuovo", recordOr("project", project, a.page(a.forCreators(createProject, a.projectNew))))
	m.Handle("POST /progetti", a.page(a.projectCreate))
	m.Handle("GET /progetti/{project}", project)
	m.Handle("POST /progetti/{project}", a.page(a.projectUpdate))
	m.Handle("POST /progetti/{project}/proroga", a.page(a.confirmed(confirmation{"projects.extend_heading", "projects.confirm_extend"}, backTo("/progetti/", "project"), a.projectExtend)))
	m.Handle("GET /progetti/{project}/monitoraggio", a.page(a.projectMonitoring))
	m.Handle("POST /progetti/{project}/monitoraggio", a.page(a.createReport))
	m.Handle("GET /progetti/{project}/monitoraggio/{period}", a.page(a.reportView))
	report := "POST /progetti/{project}/monitoraggio/{period}/"
	m.Handle(report+"invia", a.page(a.reportAction("invia")))
	m.Handle(report+"approva", a.page(a.reportAction("approva")))
	m.Handle(report+"restituisci", a.page(a.confirmed(confirmation{"monitoring.return_heading", "monitoring.confirm_return"}, reportAddress, a.reportAction("restituisci"))))
	m.Handle(report+"correggi", a.page(a.confirmed(confirmation{"monitoring.correct_heading", "monitoring.confirm_correct"}, reportAddress, a.reportAction("correggi"))))
	m.Handle("GET /progetti/{project}/monitoraggio/{period}/modifica", a.page(a.reportEdit))
	m.Handle("POST /progetti/{project}/monitoraggio/{period}/modifica", a.page(a.reportUpdate))
	m.Handle("GET /monitoraggio", a.page(a.regionMonitoring))
	m.Handle("GET /cruscotto", a.page(a.dashboardPage))
	m.Handle("GET /reti", a.page(a.networkList))
	network := a.page(a.networkEdit)
	m.Handle("GET /reti/nuova", recordOr("network", network, a.page(a.forCreators(createNetwork, a.networkNew))))
	m.Handle("POST /reti", a.page(searchable(a.networkCreate, a.networkPages().fresh)))
	m.Handle("GET /reti/{network}", network)
	m.Handle("GET /reti/{network}/capacita", a.page(a.capacity))
	m.Handle("POST /reti/{network}/capacita", a.page(a.createCapacity))
	m.Handle("POST /reti/{network}", a.page(searchable(a.networkUpdate, a.networkPages().edit)))
	m.Handle("POST /reti/{network}/archivia", a.page(a.confirmed(confirmation{"networks.archive_heading", "networks.confirm_archive"}, backTo("/reti/", "network"),
		a.networkArchive(famiv1.NetworkState_NETWORK_STATE_ARCHIVED, "network_archived"))))
	m.Handle("POST /reti/{network}/riattiva", a.page(a.networkArchive(famiv1.NetworkState_NETWORK_STATE_ACTIVE, "network_reactivated")))

	m.Handle("GET /protocolli", a.page(a.protocolList))
	protocol := a.page(a.protocolView)
	m.Handle("GET /protocolli/nuovo", recordOr("protocol", protocol, a.page(a.forCreators(createProtocol, a.protocolNew))))
	m.Handle("POST /protocolli", a.page(searchable(a.protocolCreate, a.protocolPages().fresh)))
	m.Handle("GET /protocolli/{protocol}", protocol)
	m.Handle("GET /protocolli/{protocol}/modifica", a.page(a.protocolEdit))
	m.Handle("POST /protocolli/{protocol}/modifica", a.page(searchable(a.protocolUpdate, a.protocolPages().edit)))
	m.Handle("POST /protocolli/{protocol}/emenda", a.page(a.protocolAmend))
	m.Handle("POST /protocolli/{protocol}/risolvi", a.page(a.confirmed(confirmation{"protocols.terminate_heading", "protocols.confirm_terminate"}, backTo("/protocolli/", "protocol"), a.protocolTerminate)))
	m.Handle("POST /protocolli/{protocol}/firma", a.page(a.confirmed(confirmation{"protocols.sign_heading", "protocols.confirm_sign"}, backTo("/protocolli/", "protocol"), a.protocolSign)))
	m.Handle("POST /protocolli/{protocol}/apri", a.page(a.confirmed(confirmation{"protocols.open_heading", "protocols.confirm_open"}, backTo("/protocolli/", "protocol"), a.protocolOpen)))

	m.Handle("GET /incontri", a.page(a.meetingList))
	meeting := a.page(a.meetingView)
	m.Handle("GET "+calendarPath, recordOr("meeting", meeting, a.page(a.calendarList)))
	m.Handle("POST "+calendarPath, a.page(a.calendarToken))
	m.Handle("POST /calendario/{token}/revoca", a.page(a.confirmed(confirmation{"meetings.feed_revoke_heading", "meetings.feed_confirm_revoke"}, backToQuery(calendarPath), a.calendarRevoke)))
	m.Handle("GET /incontri/nuovo", recordOr("meeting", meeting, a.page(a.meetingNew)))
	m.Handle("POST /incontri", a.page(searchable(a.meetingCreate, a.renderMeetingForm)))
	m.Handle("GET /incontri/{meeting}", meeting)
	m.Handle("POST /incontri/{meeting}/presenze", a.page(a.recordAttendance))
	m.Handle("POST /incontri/{meeting}/verbale", a.page(a.recordMinutes))
	m.Handle("POST /incontri/{meeting}/annulla", a.page(a.confirmed(confirmation{"meetings.cancel_heading", "meetings.confirm_cancel"}, backTo("/incontri/", "meeting"), a.meetingCancel)))
	m.Handle("POST /incontri/{meeting}/azioni/{item}", a.page(a.actionItemDone))
	m.Handle("GET /incontri/{meeting}/questionario", a.page(a.meetingSurvey))
	m.Handle("POST /incontri/{meeting}/questionario", a.page(a.createSurvey))

	m.Handle("GET /account", a.page(a.accountList))
	m.Handle("POST /account", a.page(a.accountCreate))
	m.Handle("POST /account/{account}/elimina", a.page(a.confirmed(confirmation{"accounts.delete_heading", "accounts.confirm_delete"}, backToQuery(accountsPath), a.accountDelete)))
	m.Handle("POST /account/{account}/password", a.page(a.accountPassword))
	m.Handle("POST /token", a.page(a.tokenCreate))
	m.Handle("POST /token/{token}/revoca", a.page(a.confirmed(confirmation{"tokens.revoke_heading", "tokens.confirm_revoke"}, backToQuery(accountsPath), a.tokenRevoke)))

	m.Handle("GET /storia", a.page(a.history))
	m.Handle("/", a.unknownPath(a.page(a.notFound)))
	a.mux = m
}

// unknownPath answers a path the application does not have: the not-found
// page in the signed-in frame for a session, and without one a plain 404
// rather than the sign-in form, so that no path looks served that is not
// (/debug/pprof/ on this port, for one).
func (a *App) unknownPath(signedIn http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			signedIn.ServeHTTP(w, r)
			return
		}
		a.notFound(w, r, nil)
	})
}

// recordParam marks the address of the page of a record whose id is a
// word the web's own pages take (aip.ReservedID: /partner/nuovo is the
// new partner's form): pageOf adds it, recordOr reads it.
const recordParam = "scheda"

// recordOr serves word, the page of an address whose last word stands
// where a resource's id would (/partner/nuovo), and, when the address
// carries recordParam, record: the page of the stored resource with that
// word as its id, its wildcard set to it. Such resources were created
// before the API reserved the words (aip.ReservedID); they were listed,
// and their links led to the form of a new one.
func recordOr(wildcard string, record, word http.Handler) http.Handler {
	return &wordOrRecord{wildcard: wildcard, record: record, word: word}
}

// wordOrRecord is recordOr's handler: a type of its own, so that
// TestPageWordsAreReservedIDs tells a word's route that goes through
// recordOr from one that does not.
type wordOrRecord struct {
	wildcard     string
	record, word http.Handler
}

func (h *wordOrRecord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has(recordParam) {
		h.word.ServeHTTP(w, r)
		return
	}
	r.SetPathValue(h.wildcard, path.Base(r.URL.Path))
	h.record.ServeHTTP(w, r)
}

// routeMux is the application's mux, which keeps the patterns it was
// given: http.ServeMux does not list them, and TestPageWordsAreReservedIDs
// checks every route whose last word stands where an id's would, not a
// list of them written by hand, which a new route would miss.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}
