package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
)

// shownText joins the visible texts of the details' General tab, those
// of nested containers included (generalText reads its form's labels).
func shownText(d *details) string {
	var out []string
	for _, o := range test.LaidOutObjects(d.general) {
		if txt, ok := o.(*canvas.Text); ok && txt.Visible() && txt.Text != "" {
			out = append(out, txt.Text)
		}
	}
	return strings.Join(out, " ")
}

// statusCell is the Status cell of row i.
func statusCell(b *browser, i int) *widget.Label {
	cell := b.cellCreate()
	b.cellUpdate(widget.TableCellID{Row: i, Col: colStatus}, cell)
	return cell.(*tableCell).label
}

func TestRevocationShowsInListAndDetails(t *testing.T) {
	v, c, w, f := newTestMain(t)
	kiosk, user := entryOf(f.rsaLeaf, true).Thumbprint, entryOf(f.ecLeaf, true).Thumbprint
	c.revocation = map[string]app.RevocationResult{
		kiosk: {Status: app.RevocationRevoked, Reason: "keyCompromise", RevokedAt: testNow.Add(-2 * day), CheckedAt: testNow},
		user:  {Status: app.RevocationGood, CheckedAt: testNow.Add(-3 * 60 * 60e9)},
	}
	v.refresh()
	v.tasks.wait()
	b := v.browser
	w.Resize(fyne.NewSize(1280, 800))

	// kiosk01 expires in 12 days: Revoked outranks Expiring soon.
	if l := statusCell(b, 1); l.Text != "Revoked" || l.Importance != widget.DangerImportance {
		t.Errorf("kiosk01's status = %q (%v), want Revoked in red", l.Text, l.Importance)
	}
	if l := statusCell(b, 2); l.Text != "Valid" {
		t.Errorf("Kiosk User's status = %q, want Valid", l.Text)
	}

	selectRow(t, v, 1)
	if got, want := shownText(b.details), "Revocation Revoked (keyCompromise, 2026-11-23 12:00)"; !strings.Contains(got, want) {
		t.Errorf("kiosk01's details: %q, want %q", got, want)
	}
	if got := shownText(b.details); !strings.Contains(got, "Status Revoked") {
		t.Errorf("kiosk01's details status: %q, want Revoked", got)
	}
	selectRow(t, v, 2)
	if got, want := shownText(b.details), "Revocation Good (checked 2026-11-25 09:00)"; !strings.Contains(got, want) {
		t.Errorf("Kiosk User's details: %q, want %q", got, want)
	}
	selectRow(t, v, 3)
	if got, want := shownText(b.details), "Revocation Not checked"; !strings.Contains(got, want) {
		t.Errorf("future's details: %q, want %q", got, want)
	}

	// Check now asks the core again and shows the answer in both places.
	c.checked = app.RevocationResult{Status: app.RevocationRevoked, Reason: "superseded", CheckedAt: testNow}
	future := b.rows[3].Thumbprint
	test.Tap(b.details.checkNow)
	v.tasks.wait()
	if got, want := c.recorded(), "Revocation user "+future+" true"; !strings.Contains(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if got, want := shownText(b.details), "Revocation Revoked (superseded)"; !strings.Contains(got, want) {
		t.Errorf("after Check now: %q, want %q", got, want)
	}
	for i, r := range b.rows {
		if r.Thumbprint == future && statusCell(b, i).Text != "Revoked" {
			t.Errorf("after Check now the row's status is %q", statusCell(b, i).Text)
		}
	}

	// A read-only context shows its cached status but offers no check.
	b.open("machine", "My")
	v.tasks.wait()
	selectRow(t, v, 0)
	if got := shownText(b.details); !strings.Contains(got, "Revocation Not checked") || b.details.checkNow.Visible() {
		t.Errorf("read-only details %q, Check now shown %v", got, b.details.checkNow.Visible())
	}
	b.open("user", "My")
	v.tasks.wait()
	selectRow(t, v, 0)
	if !b.details.checkNow.Visible() {
		t.Error("Check now hidden in a writable context")
	}

	// Root certificates are not checked: no revocation row.
	b.open("user", "Root")
	v.tasks.wait()
	selectRow(t, v, 0)
	if got := shownText(b.details); strings.Contains(got, "Revocation") {
		t.Errorf("a root's details show a revocation status: %q", got)
	}
}

func TestRevocationText(t *testing.T) {
	for _, tt := range []struct {
		r    app.RevocationResult
		want string
	}{
		{app.RevocationResult{Status: app.RevocationNotChecked}, "Not checked"},
		{app.RevocationResult{Status: app.RevocationGood}, "Good"},
		{app.RevocationResult{Status: app.RevocationUnknown, Reason: "the responder did not answer"}, "Unknown (the responder did not answer)"},
		{app.RevocationResult{Status: app.RevocationRevoked}, "Revoked"},
	} {
		if got := revocationText(&tt.r); got != tt.want {
			t.Errorf("revocationText(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}
