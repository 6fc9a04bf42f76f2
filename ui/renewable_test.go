package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// TestRenewOnlyWhatCanRenew: Renew now follows app.CanRenew (imported,
// archived and pending entries cannot renew), and a pending request's
// placeholder says so instead of "Valid", with Export disabled (issue #15).
func TestRenewOnlyWhatCanRenew(t *testing.T) {
	v, c, _, f := newTestMain(t)
	b := v.browser
	selectSubject := func(subject string) {
		t.Helper()
		for i, r := range b.rows {
			if r.subject == subject {
				b.table.Select(widget.TableCellID{Row: i, Col: 0})
				v.tasks.wait()
				return
			}
		}
		t.Fatalf("no row %q in %q", subject, subjects(b))
	}
	selectSubject("kiosk01.corp.example.com")
	if v.renewButton.Disabled() {
		t.Error("Renew now disabled on an issued certificate")
	}
	selectSubject("future.corp.example.com") // imported, no key
	if !v.renewButton.Disabled() {
		t.Error("Renew now enabled on an imported certificate")
	}
	b.archived.SetChecked(true)
	selectSubject("archived.corp.example.com")
	if !v.renewButton.Disabled() || !v.renewItem.Disabled {
		t.Error("Renew now enabled on an archived certificate")
	}

	pending := entryOf(f.ecLeaf, true)
	pending.Meta.RequestID, pending.Meta.PolicyServer = "42", corpServer.ID
	pending.Meta.PollURL = "https://ces.corp.example.com/CES"
	c.put(store.User, store.Request, false, pending)
	b.tree.Select("user/Request")
	v.tasks.wait()
	selectSubject("Kiosk User")
	if !v.renewButton.Disabled() || !v.exportButton.Disabled() || !v.exportItem.Disabled {
		t.Error("Renew now or Export enabled on a pending request")
	}
	cell := b.cellCreate()
	b.cellUpdate(widget.TableCellID{Row: 0, Col: colStatus}, cell)
	l := cell.(*tableCell).label
	if want := "Pending — request 42 at ces.corp.example.com"; l.Text != want || l.Importance != widget.WarningImportance {
		t.Errorf("status cell %q, importance %v", l.Text, l.Importance)
	}
	found := false
	for _, o := range test.LaidOutObjects(b.details.content) {
		if l, ok := o.(*widget.Label); ok && l.Text == "Pending — request 42 at ces.corp.example.com" {
			found = true
		}
	}
	if !found {
		t.Error("the details do not say the request is pending")
	}
}
