package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// print writes a result in the --output format: the API's JSON (the REST
// form, so it can be fed back to --file), or a table for people.
func (a *app) print(m proto.Message) error {
	if a.output == "table" {
		return writeTable(a.stdout, m)
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}

// call prints a call's result, or returns its error. A national answer
// (--region -) that left regions out is printed with a warning on standard
// error naming them, so that neither a person nor a script takes its
// figures for the whole country's.
func (a *app) call(m proto.Message, err error) error {
	if err != nil {
		return err
	}
	if left := unreachable(m.ProtoReflect()); len(left) > 0 {
		fmt.Fprintf(a.stderr, "famictl: warning: the answer leaves out %s: their data cannot be read now (damaged); it holds the other regions only. Ask a region alone (--region ID) for the error.\n",
			strings.Join(left, ", "))
	}
	return a.print(m)
}

// unreachableField is the AIP-217 field of a response: the regions a
// national read left out; nil when m has none.
func unreachableField(m protoreflect.Message) protoreflect.FieldDescriptor {
	f := m.Descriptor().Fields().ByName("unreachable")
	if f == nil || !f.IsList() || f.Kind() != protoreflect.StringKind {
		return nil
	}
	return f
}

// unreachable returns the regions m, a response, says it left out.
func unreachable(m protoreflect.Message) []string {
	f := unreachableField(m)
	if f == nil {
		return nil
	}
	var out []string
	l := m.Get(f).List()
	for i := range l.Len() {
		out = append(out, l.Get(i).String())
	}
	return out
}

// columns are the table columns of the resources people list most; other
// messages show their first scalar fields. A dotted path reaches into a
// nested message.
var columns = map[protoreflect.FullName][]string{
	"fami.v1.Protocol":            {"name", "state", "title", "valid_from", "valid_until", "version"},
	"fami.v1.Meeting":             {"name", "kind", "state", "start_time", "end_time", "title"},
	"fami.v1.MeetingActionItem":   {"meeting", "action_item.id", "action_item.owner", "action_item.due_date", "action_item.status", "overdue", "action_item.description"},
	"fami.v1.Change":              {"revision", "time", "operation", "resource_name", "principal", "principal_display_name"},
	"fami.v1.SupportSummaryGroup": {"key", "display_name", "total_minutes", "entries", "distinct_networks", "operators_reached"},
	"fami.v1.Account":             {"name", "display_name", "role", "partner", "email"},
	"fami.v1.ServiceToken":        {"name", "subject", "display_name", "state", "expire_time", "revoke_time"},
	"fami.v1.CalendarToken":       {"name", "display_name", "owner", "state", "expire_time", "revoke_time"},
	"fami.v1.ClosedPeriod":        {"name", "start_date", "end_date", "state", "reason"},
	"fami.v1.SupportEntry":        {"name", "date", "consultant", "network", "activity", "duration_minutes", "state"},
	"fami.v1.MonitoringReport":    {"name", "state", "revision", "submitted_by_display_name", "submit_time", "reviewed_by_display_name", "review_time"},
}

// writeTable writes a list response as one row per item (plus the rows of
// fields of the item's type, such as totals, and the response's own
// fields below), and any other message as one line per set field: the
// only place -o table renders, for every command that prints an answer.
// Nested messages are written field by field (see eachField), never as
// JSON in a cell.
func writeTable(w io.Writer, m proto.Message) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	list := listField(r.Descriptor())
	if list == nil {
		eachField(r, "", func(path, value string) { fmt.Fprintf(tw, "%s\t%s\n", path, value) })
		return tw.Flush()
	}
	cols := columnsOf(list.Message())
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.ToUpper(c[strings.LastIndex(c, ".")+1:])
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	row := func(item protoreflect.Message) { fmt.Fprintln(tw, strings.Join(rowCells(item, cols), "\t")) }
	items := r.Get(list).List()
	for i := range items.Len() {
		row(items.Get(i).Message())
	}
	var footer []string
	for i := range fields.Len() {
		f := fields.Get(i)
		switch {
		case f == list || !r.Has(f):
		case f.Message() == list.Message() && !f.IsList():
			row(r.Get(f).Message())
		case isNested(f):
			eachValue(f, r.Get(f), string(f.Name()), func(path, value string) { footer = append(footer, path+": "+value) })
		default:
			footer = append(footer, fmt.Sprintf("%s: %s", f.Name(), cell(f, r.Get(f), 0)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range footer {
		fmt.Fprintln(w, line)
	}
	return nil
}

// eachField calls emit with the path and the one-line text of every set
// field of m, in field order, under prefix: a nested message's fields by
// a dotted path (service_token.name), a repeated message's by index
// (attendance[0].partner), a map's by key, and a google.protobuf.Any's
// by the fields of the message it holds (with its type as "@type").
func eachField(m protoreflect.Message, prefix string, emit func(path, value string)) {
	if packed, ok := m.Interface().(*anypb.Any); ok {
		inner, err := packed.UnmarshalNew()
		if err != nil { // a type this famictl does not know: its name only
			emit(prefix+"@type", packed.GetTypeUrl())
			return
		}
		emit(prefix+"@type", string(inner.ProtoReflect().Descriptor().FullName()))
		m = inner.ProtoReflect()
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); m.Has(f) {
			eachValue(f, m.Get(f), prefix+string(f.Name()), emit)
		}
	}
}

// eachValue calls emit for the value v of field f at path (see eachField).
func eachValue(f protoreflect.FieldDescriptor, v protoreflect.Value, path string, emit func(path, value string)) {
	switch {
	case f.IsMap():
		var keys []protoreflect.MapKey
		v.Map().Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k)
			return true
		})
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			eachValue(f.MapValue(), v.Map().Get(k), path+"["+k.String()+"]", emit)
		}
	case f.IsList() && isNested(f):
		l := v.List()
		for j := range l.Len() {
			eachField(l.Get(j).Message(), path+"["+strconv.Itoa(j)+"].", emit)
		}
	case isNested(f):
		eachField(v.Message(), path+".", emit)
	default:
		emit(path, cell(f, v, 0))
	}
}

// isNested reports whether f holds a message written field by field:
// every message but a timestamp, which is one value.
func isNested(f protoreflect.FieldDescriptor) bool {
	return f.Message() != nil && !isTimestamp(f)
}

func rowCells(m protoreflect.Message, cols []string) []string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = pathCell(m, c)
	}
	return cells
}

// listField returns the repeated message field of a list-like response
// (a message named ...Response), or nil.
func listField(d protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	if !strings.HasSuffix(string(d.Name()), "Response") {
		return nil
	}
	fields := d.Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.IsList() && f.Message() != nil {
			return f
		}
	}
	return nil
}

func columnsOf(d protoreflect.MessageDescriptor) []string {
	if c, ok := columns[d.FullName()]; ok {
		return c
	}
	var cols []string
	fields := d.Fields()
	for i := 0; i < fields.Len() && len(cols) < 8; i++ {
		if f := fields.Get(i); !f.IsList() && !f.IsMap() && (f.Message() == nil || isTimestamp(f)) {
			cols = append(cols, string(f.Name()))
		}
	}
	return cols
}

// pathCell formats the field at a dotted path of m ("" when unset).
func pathCell(m protoreflect.Message, path string) string {
	names := strings.Split(path, ".")
	for i, name := range names {
		f := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if f == nil || !m.Has(f) {
			return ""
		}
		if i == len(names)-1 {
			return cell(f, m.Get(f), 60)
		}
		m = m.Get(f).Message()
	}
	return ""
}

// cell formats one value on one line: enums without their type prefix,
// timestamps in RFC 3339, messages as compact JSON; texts longer than limit
// runes (when limit > 0) are cut.
func cell(f protoreflect.FieldDescriptor, v protoreflect.Value, limit int) string {
	if f.IsList() {
		l := v.List()
		parts := make([]string, l.Len())
		for i := range l.Len() {
			parts[i] = scalar(f, l.Get(i))
		}
		return clip(strings.Join(parts, ", "), limit)
	}
	return clip(scalar(f, v), limit)
}

func scalar(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case f.Enum() != nil:
		values := f.Enum().Values()
		ev := values.ByNumber(v.Enum())
		if ev == nil {
			return fmt.Sprint(v.Enum())
		}
		prefix := strings.TrimSuffix(string(values.ByNumber(0).Name()), "UNSPECIFIED")
		return strings.TrimPrefix(string(ev.Name()), prefix)
	case isTimestamp(f):
		ts, ok := v.Message().Interface().(*timestamppb.Timestamp)
		if !ok {
			return ""
		}
		return ts.AsTime().Local().Format(time.RFC3339)
	case f.Message() != nil:
		b, _ := protojson.Marshal(v.Message().Interface())
		return string(b)
	}
	return fmt.Sprint(v.Interface())
}

func isTimestamp(f protoreflect.FieldDescriptor) bool {
	return f.Message() != nil && f.Message().FullName() == "google.protobuf.Timestamp"
}

// clip puts a text on one line and cuts it to limit runes.
func clip(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); limit > 0 && len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}

// printLine writes m as JSON on one line (newline-delimited JSON, for
// streams).
func (a *app) printLine(m proto.Message) error {
	b, err := protojson.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}
