package web_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreenshotsSaved proves the screenshots a person asks for with
// RACCORDO_SCREENSHOTS, whatever the variable says: CI leaves it unset (no
// one looks at a CI machine's files, and two full-page captures per check
// were the largest part of the browser tests' cost), so this test is what
// keeps the path working. A check saves the page at both sizes, named
// after the test and the shot, and gives the test back the viewport it had.
func TestScreenshotsSaved(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	b := newBrowser(t, f)
	b.shots = filepath.Join(t.TempDir(), "shots")
	b.signIn("mrossi@lombardia")
	b.run("a viewport of neither size", chromedp.EmulateViewport(1000, 700))
	b.open("/reti/rete-bergamo", "rete")

	widths := map[string]int{}
	for _, size := range []string{"desktop", "mobile"} {
		name := filepath.Join(b.shots, t.Name()+"-rete-"+size+".png")
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("the %s screenshot: %v", size, err)
		}
		img, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the %s screenshot is not a PNG: %v", size, err)
		}
		if img.Width == 0 || img.Height < 800 {
			t.Errorf("the %s screenshot is %dx%d, want a whole page at least a window high", size, img.Width, img.Height)
		}
		widths[size] = img.Width
	}
	if widths["desktop"] < 1250 || widths["desktop"] > 1280 {
		t.Errorf("the desktop screenshot is %d wide, want the 1280 window's page", widths["desktop"])
	}
	// The page fits a phone: as wide as the viewport less its scroll bar.
	if widths["mobile"] < 360 || widths["mobile"] > 390 {
		t.Errorf("the mobile screenshot is %d wide, want the 390 phone's page", widths["mobile"])
	}
	was, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int64]("[window.innerWidth, window.innerHeight]"))
	if err != nil || len(was) != 2 || was[0] != 1000 || was[1] != 700 {
		t.Errorf("the viewport after the screenshots is %v (%v), want the 1000x700 it had back", was, err)
	}
}
