package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/sdk"
)

// TestHelpExamples runs every example of famictl's help, as written,
// against a real server, from a directory holding the files the examples
// name. An example whose flags the command no longer takes, that misses a
// required flag, or whose request the server refuses as malformed fails.
// Examples name resources of their own (a meeting, an action item) that
// may not exist at the point they run: the server's NOT_FOUND,
// ALREADY_EXISTS and FAILED_PRECONDITION answer a well-formed request and
// are accepted.
func TestHelpExamples(t *testing.T) {
	f := startFamid(t)
	// The examples read the feed from revision 120.
	c := sdk.NewClient(nil, f.url, f.admin)
	for i := range 120 {
		if _, err := c.Partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: fmt.Sprintf("p-%d", i),
			Partner: &famiv1.Partner{DisplayName: "Partner", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"password.txt": "una password lunga\n",
		"verbale.txt":  "Si concorda la bozza del protocollo.\n",
		"meeting.json": `{"networks":["regions/lombardia/networks/rete-bergamo"],"kind":"MEETING_KIND_COORDINATION_TABLE","title":"Tavolo",
			"startTime":"2026-03-10T09:00:00Z","endTime":"2026-03-10T11:00:00Z","mode":"MEETING_MODE_IN_PERSON","place":"Bergamo"}`,
		"protocol.json": `{"network":"regions/lombardia/networks/rete-bergamo","title":"Protocollo UdP-CPIA","body":"Art. 1","validFrom":"2026-01-01",
			"parties":[{"partner":"regions/lombardia/partners/udp-bergamo","role":"PARTY_ROLE_PROPONENT"},
			           {"partner":"regions/lombardia/partners/cpia-bergamo","role":"PARTY_ROLE_SIGNATORY"}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	n := 0
	walk(newRoot(&app{}), func(cmd *cobra.Command) {
		for _, example := range examples(cmd.Example) {
			args, stdinFile := shellWords(t, example)
			path := strings.TrimPrefix(cmd.CommandPath(), "famictl ")
			switch {
			case path == "restore":
				continue // needs famid stopped: TestRestore* run it
			case path == "protocol sign" && !strings.Contains(example, "--yes"):
				continue // asks for a confirmation on the terminal
			}
			token := f.admin
			if path == "logout" {
				// Logout revokes its token: one of its own, so the
				// examples after it keep the admin's.
				token = f.token(auth.TokenSpec{Subject: "test:logout", Role: principal.RegionAdmin, Region: "lombardia"})
			}
			if path == "protocol sign" {
				// The example signs the protocol protocol create's
				// example drafted: it must be open for signature.
				token = f.udp
				if _, err := c.Protocols.OpenProtocolForSignature(context.Background(), &famiv1.OpenProtocolForSignatureRequest{Name: args[len(args)-1]}); err != nil {
					t.Fatalf("open %s for the sign example: %v", args[len(args)-1], err)
				}
			}
			for i, a := range args {
				if a == "--data-dir" {
					args[i+1] = f.dir
				}
			}
			if path == "watch" || path == "mirror" {
				args = append(args, "--timeout", "1s") // they follow the feed until stopped
			}
			var stdin string
			if stdinFile != "" {
				b, err := os.ReadFile(stdinFile)
				if err != nil {
					t.Fatal(err)
				}
				stdin = string(b)
			}
			n++
			out, errOut, err := f.run(token, stdin, args...)
			switch connect.CodeOf(err) {
			case connect.CodeNotFound, connect.CodeAlreadyExists, connect.CodeFailedPrecondition:
				continue
			}
			if err != nil {
				t.Errorf("famictl %s --help's example %q: %v\n%s%s", cmd.CommandPath(), example, err, out, errOut)
			}
		}
	})
	if n < 20 {
		t.Fatalf("ran %d examples, want at least 20: the walk or the parsing missed them", n)
	}
}

// walk calls fn for cmd and every command below it.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}

// examples splits a command's Example into its command lines, joining the
// lines a backslash continues.
func examples(text string) []string {
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if s, ok := strings.CutSuffix(l, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	return lines
}

// shellWords splits an example as a shell would, for the words examples
// use: quotes, an environment assignment before the command (dropped: the
// test passes its token), "famictl" itself and a "< file" redirection,
// whose file it returns.
func shellWords(t *testing.T, line string) (args []string, stdin string) {
	t.Helper()
	var words []string
	var w bytes.Buffer
	inWord, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("example %q: unbalanced quote", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		words = words[1:]
	}
	if len(words) == 0 || words[0] != "famictl" {
		t.Fatalf("example %q does not run famictl", line)
	}
	words = words[1:]
	for i := 0; i < len(words); i++ {
		if words[i] == "<" && i+1 < len(words) {
			stdin = words[i+1]
			words = append(words[:i], words[i+2:]...)
			i--
		}
	}
	return words, stdin
}
