package errs

import (
	"fmt"
	"testing"
)

// Reason is the stable UPPER_SNAKE_CASE token of an error that clients
// switch on (google.rpc.ErrorInfo.reason, the "reason" of a REST problem
// document). Every reason is a constant of this file with one row in the
// catalogue below, which gives its code, its HTTP status and when it
// happens; docs/errors.md is generated from that table. An error is built
// from its reason (ProtocolNotDraft.New, NotOwnEntry.With), so its code is
// the catalogue's and is never written twice.
type Reason string

// The reasons, grouped as the catalogue is. A constant's name is its value
// in CamelCase (TestReasonNames).
const (
	// The request's form, refused before any service reads it.
	UnknownQueryParameter Reason = "UNKNOWN_QUERY_PARAMETER"

	// Who may call.
	TokenRequired          Reason = "TOKEN_REQUIRED"
	InvalidToken           Reason = "INVALID_TOKEN"
	InvalidCalendarToken   Reason = "INVALID_CALENDAR_TOKEN"
	LoginFailed            Reason = "LOGIN_FAILED"
	NoPolicy               Reason = "NO_POLICY"
	RoleNotAllowed         Reason = "ROLE_NOT_ALLOWED"
	OutsideRegion          Reason = "OUTSIDE_REGION"
	NationalViewNotAllowed Reason = "NATIONAL_VIEW_NOT_ALLOWED"

	// Rights on the data, checked by the capability.
	NotNetworkLead             Reason = "NOT_NETWORK_LEAD"
	LeadChangeNotAllowed       Reason = "LEAD_CHANGE_NOT_ALLOWED"
	ProjectsChangeNotAllowed   Reason = "PROJECTS_CHANGE_NOT_ALLOWED"
	NotNetworkMember           Reason = "NOT_NETWORK_MEMBER"
	NetworkMeeting             Reason = "NETWORK_MEETING"
	NotAParty                  Reason = "NOT_A_PARTY"
	NotOwnEntry                Reason = "NOT_OWN_ENTRY"
	NotOwnToken                Reason = "NOT_OWN_TOKEN"
	SummariesOnly              Reason = "SUMMARIES_ONLY"
	ConsultantDetailNotAllowed Reason = "CONSULTANT_DETAIL_NOT_ALLOWED"
	NotProjectNetwork          Reason = "NOT_PROJECT_NETWORK"

	// Taken identifiers.
	FiscalCodeTaken  Reason = "FISCAL_CODE_TAKEN"
	ProjectCodeTaken Reason = "PROJECT_CODE_TAKEN"
	UsernameTaken    Reason = "USERNAME_TAKEN"

	// A concurrent change.
	EtagMismatch        Reason = "ETAG_MISMATCH"
	ContentHashMismatch Reason = "CONTENT_HASH_MISMATCH"
	ProjectChanged      Reason = "PROJECT_CHANGED"

	// Protocols: the text is frozen, signed or ended.
	ProtocolNotDraft   Reason = "PROTOCOL_NOT_DRAFT"
	ProtocolNotOpen    Reason = "PROTOCOL_NOT_OPEN"
	ProtocolEnded      Reason = "PROTOCOL_ENDED"
	ProtocolIncomplete Reason = "PROTOCOL_INCOMPLETE"
	PartyNotAMember    Reason = "PARTY_NOT_A_MEMBER"
	AlreadySigned      Reason = "ALREADY_SIGNED"
	AmendmentPending   Reason = "AMENDMENT_PENDING"

	// An archived network or partner takes nothing new (ADR 30).
	Archived Reason = "ARCHIVED"

	// Another resource still references this one.
	PartnerInUse  Reason = "PARTNER_IN_USE"
	NetworkInUse  Reason = "NETWORK_IN_USE"
	ProjectInUse  Reason = "PROJECT_IN_USE"
	ProtocolInUse Reason = "PROTOCOL_IN_USE"
	MeetingInUse  Reason = "MEETING_IN_USE"

	// Projects, meetings and support hours.
	ProjectExtended      Reason = "PROJECT_EXTENDED"
	MeetingNotScheduled  Reason = "MEETING_NOT_SCHEDULED"
	MeetingNotStarted    Reason = "MEETING_NOT_STARTED"
	MeetingHeld          Reason = "MEETING_HELD"
	MeetingCancelled     Reason = "MEETING_CANCELLED"
	ActionItemNotFound   Reason = "ACTION_ITEM_NOT_FOUND"
	CalendarTooLarge     Reason = "CALENDAR_TOO_LARGE"
	EntryNotSubmitted    Reason = "ENTRY_NOT_SUBMITTED"
	PeriodClosed         Reason = "PERIOD_CLOSED"
	PeriodNotClosed      Reason = "PERIOD_NOT_CLOSED"
	EntriesPendingReview Reason = "ENTRIES_PENDING_REVIEW"

	// Quarterly monitoring reports.
	ReportApproved  Reason = "REPORT_APPROVED"
	ReportSubmitted Reason = "REPORT_SUBMITTED"
	ReportState     Reason = "REPORT_STATE"

	// Satisfaction surveys.
	TicketUsed   Reason = "TICKET_USED"
	SurveyClosed Reason = "SURVEY_CLOSED"

	// Credentials one owner may hold at once (docs/limits.md).
	TooManyTokens Reason = "TOO_MANY_TOKENS"

	// What a resource may hold at most (docs/limits.md, AtLimit).
	LimitReached Reason = "LIMIT_REACHED"

	// The change log and the stored data.
	RevisionCompacted Reason = "REVISION_COMPACTED"
	RevisionAhead     Reason = "REVISION_AHEAD"
	RegionNotEmpty    Reason = "REGION_NOT_EMPTY"
	RegionWritten     Reason = "REGION_WRITTEN"
	RecordCorrupt     Reason = "RECORD_CORRUPT"
	RegionFileDamaged Reason = "REGION_FILE_DAMAGED"
	RegionKeysDeleted Reason = "REGION_KEYS_DELETED"
	RegionImporting   Reason = "REGION_IMPORTING"
	DataFormatUnknown Reason = "DATA_FORMAT_UNKNOWN"

	// Limits and the server's state.
	BodyTooLarge          Reason = "BODY_TOO_LARGE"
	BatchTooLarge         Reason = "BATCH_TOO_LARGE"
	TooManyLoginFailures  Reason = "TOO_MANY_LOGIN_FAILURES"
	TooManyStreams        Reason = "TOO_MANY_STREAMS"
	TooManySurveyRequests Reason = "TOO_MANY_SURVEY_REQUESTS"
	Overloaded            Reason = "OVERLOADED"
	StorageFull           Reason = "STORAGE_FULL"
	ShuttingDown          Reason = "SHUTTING_DOWN"
)

// Entry is a reason's row in the catalogue.
type Entry struct {
	Reason Reason
	// Code is the code every error with this reason carries.
	Code Code
	// HTTPStatus is the status of the REST problem document: the gateway's
	// status for the code, except for the state conflicts of
	// FAILED_PRECONDITION (409, or 410 for a compacted revision) and a body
	// too large (413).
	HTTPStatus int
	// When says when a caller meets the reason, in one line.
	When string
}

// catalogue is every reason the platform answers with: the one table the
// errors' codes, the REST statuses (internal/server/problem.go) and
// docs/errors.md read. Adding a reason is one constant and one row here,
// then `go test ./internal/errs -run TestErrorsDoc -update`.
var catalogue = []Entry{
	// A code's own reason, for errors no more specific reason describes
	// (Code.New, InvalidField, Violations, NotFoundf).
	{Invalid.Reason(), Invalid, 400, "a field of the request is invalid: the violations name each field and what is wrong"},
	{NotFound.Reason(), NotFound, 404, "the named resource does not exist, or the caller may not know that it does"},
	{AlreadyExists.Reason(), AlreadyExists, 409, "create with an id that is taken (or was used by a deleted resource)"},
	{Unavailable.Reason(), Unavailable, 503, "etcd did not answer (no quorum, no leader, a timeout): retry with the same request_id"},
	{Internal.Reason(), Internal, 500, "a bug or an unexpected failure: logged; the caller gets only \"internal error\", without this reason"},

	{UnknownQueryParameter, Invalid, 400, "a REST query parameter the call does not have (a misspelt one, or a field its path or body sets): each violation names one, and the message lists the call's parameters"},

	{TokenRequired, Unauthenticated, 401, "a request without a bearer token to a method that needs one, refused before its body is read (ADR 34)"},
	{InvalidToken, Unauthenticated, 401, "a malformed, forged, expired or revoked bearer token, also when it expires during a stream"},
	{InvalidCalendarToken, Unauthenticated, 401, "a calendar feed token that is unknown, expired or revoked"},
	{LoginFailed, Unauthenticated, 401, "a wrong username (name@region) or password, the same answer for a name nobody has"},
	{NoPolicy, PermissionDenied, 403, "an RPC the rights table opens to nobody"},
	{RoleNotAllowed, PermissionDenied, 403, "the caller's role may not make this request"},
	{OutsideRegion, PermissionDenied, 403, "a region other than the caller's, the same answer whether or not the resource exists there"},
	{NationalViewNotAllowed, PermissionDenied, 403, "a national read (regions/-) by anyone but the ministry"},

	{NotNetworkLead, PermissionDenied, 403, "network staff editing a network whose lead partner is not theirs"},
	{LeadChangeNotAllowed, PermissionDenied, 403, "network staff changing their network's lead partner (the region does)"},
	{ProjectsChangeNotAllowed, PermissionDenied, 403, "network staff changing which projects their network implements: the region does, as that decides who reports for a project"},
	{NotNetworkMember, PermissionDenied, 403, "network staff reaching meetings, attendance, summaries or protocols of a network their partner is not a member of"},
	{NetworkMeeting, PermissionDenied, 403, "the ministry writing a meeting of a network (it manages only meetings of no network)"},
	{NotAParty, PermissionDenied, 403, "network staff signing, reading or changing a protocol their partner is not a party to, or leaving their partner out of one (an edit, or an amendment's remove_parties)"},
	{NotOwnEntry, PermissionDenied, 403, "a consultant reaching another consultant's support entries (creating one with the id of theirs included), or an entry that does not exist (the same answer, so that a consultant learns nothing of other consultants' entries)"},
	{NotOwnToken, PermissionDenied, 403, "revoking another user's calendar token, or one that does not exist (only its owner or the region admin may; the same answer either way)"},
	{SummariesOnly, PermissionDenied, 403, "a role that gets support summaries only asking for entries or a per-consultant export"},
	{ConsultantDetailNotAllowed, PermissionDenied, 403, "the ministry or network staff asking for per-consultant support figures"},
	{NotProjectNetwork, PermissionDenied, 403, "network staff reporting on a project no network their partner leads implements"},

	{FiscalCodeTaken, AlreadyExists, 409, "a partner with a fiscal code already registered in the region"},
	{ProjectCodeTaken, AlreadyExists, 409, "a project with a code another project of the region uses, however typed (case, spaces around it, full-width letters, no-break spaces and dashes other than `-` are folded)"},
	{UsernameTaken, AlreadyExists, 409, "an account with a username taken in its region"},

	{EtagMismatch, Conflict, 409, "a stale etag: the resource changed since it was read; read it again"},
	{ContentHashMismatch, Conflict, 409, "sign a protocol with a content_hash that is not the hash of its text open for signature"},
	{ProjectChanged, Conflict, 409, "update a monitoring report with a `project_etag` that is no longer the project's: its plan may have changed since the report's values were written against it; read the project again"},

	{ProtocolNotDraft, FailedPrecondition, 409, "edit or delete a protocol that is no longer a DRAFT"},
	{ProtocolNotOpen, FailedPrecondition, 409, "sign, terminate or amend a protocol in the wrong state"},
	{ProtocolEnded, FailedPrecondition, 409, "terminate or amend a TERMINATED, EXPIRED or SUPERSEDED protocol"},
	{ProtocolIncomplete, FailedPrecondition, 409, "open for signature a protocol that lacks parties, a body or `validFrom` (the violations name the fields)"},
	{PartyNotAMember, FailedPrecondition, 409, "a protocol party (or signer) that is not a member of the protocol's networks, or that an amendment would keep while leaving out the only one it is a member of (remove_additional_networks)"},
	{AlreadySigned, FailedPrecondition, 409, "a party's second signature"},
	{AmendmentPending, FailedPrecondition, 409, "amend a protocol that already has an amendment under way"},

	{Archived, FailedPrecondition, 409, "name an archived network or partner where a write adds it (a new meeting, support entry, protocol, contact, account or network member, a meeting's new participant, a network's new member while it is archived, a capacity assessment of an archived network or a survey of its meeting), open for signature a protocol that names one, amend one keeping it (an amendment leaves out a closed party or additional network through `remove_parties` and `remove_additional_networks`), or sign for an archived partner or a protocol of an archived network: records that already name it keep it and stay editable; the violations name the fields (each with reason `ARCHIVED`); make it active again first"},

	{PartnerInUse, FailedPrecondition, 409, "delete a partner a network, protocol or meeting references"},
	{NetworkInUse, FailedPrecondition, 409, "delete a network something references, or that has capacity assessments"},
	{ProjectInUse, FailedPrecondition, 409, "delete a project a network implements, or that has monitoring reports"},
	{ProtocolInUse, FailedPrecondition, 409, "delete a protocol something references"},
	{MeetingInUse, FailedPrecondition, 409, "delete a meeting a support entry or a survey links"},

	{ProjectExtended, FailedPrecondition, 409, "move the end date of an extended project without `:extend`"},
	{MeetingNotScheduled, FailedPrecondition, 409, "delete a meeting that was held or cancelled"},
	{MeetingNotStarted, FailedPrecondition, 409, "record attendance or minutes before the meeting starts"},
	{MeetingHeld, FailedPrecondition, 409, "cancel a held meeting, or move its start into the future"},
	{MeetingCancelled, FailedPrecondition, 409, "record or edit a cancelled meeting"},
	{ActionItemNotFound, NotFound, 404, "update an action item the meeting does not have"},
	{CalendarTooLarge, Invalid, 400, "a calendar feed that would hold more than 10,000 meetings: the violation names `start_from`; ask for a later one"},
	{EntryNotSubmitted, FailedPrecondition, 409, "edit, delete or review a support entry already reviewed"},
	{PeriodClosed, FailedPrecondition, 409, "create, change, review or delete an entry dated in a closed period"},
	{PeriodNotClosed, FailedPrecondition, 409, "reopen a period that was already reopened"},
	{EntriesPendingReview, FailedPrecondition, 409, "close a period with entries awaiting review, without force and a reason"},

	{ReportApproved, FailedPrecondition, 409, "edit, submit or review an approved monitoring report: open a correction with `:correct`"},
	{ReportSubmitted, FailedPrecondition, 409, "edit a monitoring report awaiting review"},
	{ReportState, FailedPrecondition, 409, "a review step the report's state does not allow (approve a draft, correct a report not approved)"},

	{TicketUsed, FailedPrecondition, 409, "answer a survey with a ticket already counted (a replay)"},
	{SurveyClosed, FailedPrecondition, 409, "open or answer a survey after its closing time"},

	{TooManyTokens, FailedPrecondition, 409, "create a calendar feed token or a service token beyond its owner's cap of live tokens: revoke one first"},
	{LimitReached, FailedPrecondition, 409, "add to a resource one more of something it already holds the most of (a project's 50 extensions), which no change to the request undoes; or raise a sum past its ceiling (a region's reports' paid or committed, its projects' budgets), which a lower amount may pass: nothing is written; the metadata names the resource, what is full (`items`: the items, or the amount's field) and the `limit`, the message what to do instead (for a sum, which amounts to lower and by how much)"},

	{RevisionCompacted, FailedPrecondition, 410, "watch or list changes from a revision the change log no longer holds: list again"},
	{RevisionAhead, Invalid, 400, "watch or list changes from a revision beyond the region's (the region restored or moved keeping older revisions): the violation names `since_revision`; what was read past the region's revision is not the region's, list again"},
	{RegionNotEmpty, FailedPrecondition, 400, "import a region into etcd where the region already holds keys, or had issued revisions (its keys deleted) and the import would keep the backup's"},
	{RegionWritten, Conflict, 409, "a region written in etcd while it was being imported"},
	{RecordCorrupt, DataLoss, 500, "a stored record failed its checksum: restore its region (file or etcd keys), or system.db, from a backup"},
	{RegionFileDamaged, DataLoss, 500, "a region's file is damaged, empty or truncated: it is not served until restored"},
	{RegionKeysDeleted, DataLoss, 500, "a region on etcd whose keys were deleted by other means after it had issued revisions: it is neither read nor written until restored with `famictl restore --replace`"},
	{RegionImporting, Unavailable, 503, "a region on etcd whose import (`famictl restore`) has not finished: it is not served until the import is run again to its end"},
	{DataFormatUnknown, Unavailable, 503, "a region (or backup) written by a newer famid in a data format this one does not know: it is not served, nor changed, until famid is upgraded or the copies from before the upgrade are put back"},

	{BodyTooLarge, Invalid, 413, "a REST request body larger than the server accepts"},
	{BatchTooLarge, Invalid, 400, "a batch Get (`BatchGetPartners`, `BatchGetNetworks`, `BatchGetProjects`) whose answer would pass a page's 2 MB: the violation names the first name that does not fit; ask for the names before it, then for the rest"},
	{TooManyLoginFailures, ResourceExhausted, 429, "too many failed logins from an address or for an account (with Retry-After)"},
	{TooManyStreams, ResourceExhausted, 429, "more open streams than the server, or the caller, may have (with Retry-After)"},
	{TooManySurveyRequests, ResourceExhausted, 429, "too many survey requests from one address (with Retry-After)"},
	{Overloaded, ResourceExhausted, 429, "the server is at its limit of concurrent calls (with Retry-After)"},
	{StorageFull, Unavailable, 503, "the server's disk is full: nothing was written (with Retry-After)"},
	{ShuttingDown, Unavailable, 503, "the server is shutting down: a stream it ended (reconnect and resume from the last revision), or a call that reached the store while or after it closed (retry with the same request_id)"},
}

// byReason indexes the catalogue.
var byReason = func() map[Reason]Entry {
	m := make(map[Reason]Entry, len(catalogue))
	for _, e := range catalogue {
		m[e.Reason] = e
	}
	return m
}()

// Catalogue returns every reason's row, in the catalogue's order.
func Catalogue() []Entry { return append([]Entry(nil), catalogue...) }

// Lookup returns r's row in the catalogue.
func Lookup(r Reason) (Entry, bool) {
	e, ok := byReason[r]
	return e, ok
}

// Code is the code of errors with reason r. A reason missing from the
// catalogue is a bug: it panics in tests and is Internal otherwise, so the
// caller learns nothing it should not.
func (r Reason) Code() Code {
	if e, ok := byReason[r]; ok {
		return e.Code
	}
	if testing.Testing() {
		panic(fmt.Sprintf("errs: reason %q is not in the catalogue (internal/errs/reasons.go)", string(r)))
	}
	return Internal
}

// New returns an error with reason r, its code and a formatted message.
func (r Reason) New(format string, args ...any) *Error {
	return r.With(Error{Message: Sprintf(format, args...)})
}

// With returns e with reason r and r's code: the constructor of errors that
// also carry field violations, metadata or a retry delay.
func (r Reason) With(e Error) *Error {
	e.Code, e.Reason = r.Code(), r
	return &e
}

// Reason is the code's own reason, its gRPC name (NOT_FOUND): what an error
// of code c says when no more specific reason describes it.
func (c Code) Reason() Reason { return Reason(c.String()) }

// New returns an error with code c, the code's own reason and a formatted
// message.
func (c Code) New(format string, args ...any) *Error {
	return c.Reason().New(format, args...)
}

// With returns e with code c and the code's own reason.
func (c Code) With(e Error) *Error { return c.Reason().With(e) }
