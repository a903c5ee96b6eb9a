package sdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/sdk"
)

func TestBearerNeverPrintsTheToken(t *testing.T) {
	b := sdk.Bearer("eyJ.secret-payload.sig")
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q"} {
		if got := fmt.Sprintf(verb, b); strings.Contains(got, "secret") {
			t.Errorf("Sprintf(%s) = %q shows the token", verb, got)
		}
	}
}
