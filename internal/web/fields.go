package web

import (
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
)

// field is what the input, select and textarea partials show: the label,
// the value the user typed (kept when a submit fails) and the error tied to
// the field with aria-describedby.
type field struct {
	Name, Type, Label, Hint, Value, Error string
	Autocomplete                          string
	// List is the id of the datalist whose choices the input offers.
	List     string
	Required bool
	Options  []option
	// Chosen are the values of a group of checkboxes (checks) that the
	// form holds, any number of them, where Value holds a select's one.
	Chosen []string
}

type option struct{ Value, Label string }

// options renders the <option> elements of choices, marking the one whose
// value is selected. The lists are long (a region's partners, 700 in
// Lombardia; the network form's member rows once each repeated them, on 23
// rows), and html/template spent about 3 µs an option on its reflective
// calls (the escapers, eq), most of the network page's time. So the options are
// written in Go, every value escaped with html.EscapeString, as the hours
// table's rows are (tableRows).
func options(choices []option, selected string) template.HTML {
	var b strings.Builder
	b.Grow(len(choices) * 96)
	for _, o := range choices {
		b.WriteString(`<option value="` + html.EscapeString(o.Value) + `"`)
		if o.Value == selected {
			b.WriteString(" selected")
		}
		b.WriteString(">" + html.EscapeString(o.Label) + "</option>")
	}
	return template.HTML(b.String())
}

// choices renders the <option> elements of a <datalist> offering the
// labels of choices: the text an input sharing the list takes, resolved
// on the server (as the network form's member rows are, resolveMembers).
// Written in Go for the reason options is.
func choices(choices []option) template.HTML {
	var b strings.Builder
	b.Grow(len(choices) * 48)
	for _, o := range choices {
		b.WriteString(`<option value="` + html.EscapeString(o.Label) + `">`)
	}
	return template.HTML(b.String())
}

// DescribedBy lists the ids of the hint and the error.
func (f field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "f-"+f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, "f-"+f.Name+"-err")
	}
	return strings.Join(ids, " ")
}

// fld builds a field of form fm; extra is the hint's catalogue key and the
// autocomplete token, both optional.
func fld(fm *form, name, typ, labelKey string, extra ...string) field {
	f := field{Name: name, Type: typ, Label: msg(labelKey), Value: fm.Get(name), Error: fm.Err(name), Required: true}
	if len(extra) > 0 && extra[0] != "" {
		f.Hint = msg(extra[0])
	}
	if len(extra) > 1 {
		f.Autocomplete = extra[1]
	}
	return f
}

// rowFld builds the text field of one row of a form's group (rowGroups):
// "group.row.key", labelled with its row's number as the user counts
// (from 1), optional (an empty row is a removal), offering the datalist
// list if one is named.
func rowFld(fm *form, group string, row int, key, labelKey, list string) field {
	f := optional(fld(fm, group+"."+strconv.Itoa(row)+"."+key, "text", labelKey))
	f.Label += " " + strconv.Itoa(row+1)
	f.List = list
	return f
}

// searched is f typed with the choices of the datalist list: the browser's
// own completion would hide them.
func searched(f field, list string) field {
	f.List, f.Autocomplete = list, "off"
	return f
}

// optional marks a field as not required.
func optional(f field) field { f.Required = false; return f }

// checks builds a group of checkboxes of form fm, one for each of opts,
// those whose values fm holds checked: a choice of any number of items
// (a network's projects, a protocol's other networks), which works
// without JavaScript as a multiple select does not for most users.
// hint is the catalogue key of its hint, optional.
func checks(fm *form, name, labelKey string, opts []option, hint ...string) field {
	f := sel(fm, name, labelKey, opts)
	f.Chosen = fm.Values[name]
	if len(hint) > 0 {
		f.Hint = msg(hint[0])
	}
	return f
}

// Checked reports whether a group of checkboxes (checks) holds v.
func (f field) Checked(v string) bool { return slices.Contains(f.Chosen, v) }

// sel builds a select of form fm with options.
func sel(fm *form, name, labelKey string, opts []option) field {
	f := fld(fm, name, "", labelKey)
	f.Options = opts
	return f
}
