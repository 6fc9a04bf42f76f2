package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// shownCells are the table cells shown in w, by row.
func shownCells(w fyne.Window) map[int][]*tableCell {
	cells := map[int][]*tableCell{}
	for _, o := range shownObjects(w.Canvas().Content()) {
		if c, ok := o.(*tableCell); ok {
			cells[c.id.Row] = append(cells[c.id.Row], c)
		}
	}
	return cells
}

// shownObjects are the visible objects under o as they are drawn (the
// widgets' current renderers; test.LaidOutObjects makes new ones, which
// have no table cells).
func shownObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	if !o.Visible() {
		return nil
	}
	out := []fyne.CanvasObject{o}
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	case *fyne.Container:
		children = x.Objects
	}
	for _, c := range children {
		out = append(out, shownObjects(c)...)
	}
	return out
}

// cellAt is the shown cell of row and column col.
func cellAt(t *testing.T, w fyne.Window, row, col int) *tableCell {
	t.Helper()
	for _, c := range shownCells(w)[row] {
		if c.id.Col == col {
			return c
		}
	}
	t.Fatalf("no cell at row %d, column %d", row, col)
	return nil
}

// TestTableClickSelectsRow: a click on any cell selects its row, and every
// cell of that row, and no other, is marked (issue #15).
func TestTableClickSelectsRow(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	b := v.browser
	// A click through the canvas reaches the cell, as the mouse does.
	c := cellAt(t, w, 2, colIssuer)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(c).AddXY(5, 5)
	test.TapCanvas(w.Canvas(), pos)
	v.tasks.wait()
	if b.selected != b.rows[2].Thumbprint {
		t.Fatalf("selected %q, want row 2 (%s)", b.selected, b.rows[2].subject)
	}
	if !b.details.tabs.Visible() || b.details.sha1 != b.rows[2].Thumbprint {
		t.Error("the details do not show the clicked row")
	}
	if w.Canvas().Focused() != b.table {
		t.Error("the table does not have the keyboard focus after the click")
	}
	for row, cells := range shownCells(w) {
		for _, c := range cells {
			if marked := c.bg.Visible(); marked != (row == 2) {
				t.Errorf("row %d column %d: marked %v", row, c.id.Col, marked)
			}
		}
	}
	if len(shownCells(w)[2]) != numCols {
		t.Errorf("row 2 shows %d cells, want %d", len(shownCells(w)[2]), numCols)
	}
}

// TestTableContextMenu: a right-click selects the row and opens the
// context menu, whose items are enabled exactly as the toolbar's and main
// menu's are for that row (issue #15).
func TestTableContextMenu(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	b := v.browser
	b.archived.SetChecked(true)
	for i := range b.rows {
		subject := b.rows[i].subject
		t.Run(subject, func(t *testing.T) {
			test.TapSecondary(cellAt(t, w, i, colSubject))
			v.tasks.wait()
			if b.selected != b.rows[i].Thumbprint {
				t.Fatalf("the right-click did not select %s", subject)
			}
			menu := v.contextMenu
			if menu == nil || !menu.Visible() || w.Canvas().Overlays().Top() == nil {
				t.Fatal("no context menu")
			}
			var labels []string
			shown := overlayText(t, w)
			for _, it := range v.contextItems() {
				if it.IsSeparator {
					continue
				}
				labels = append(labels, it.Label)
				if !strings.Contains(shown, it.Label) {
					t.Errorf("the menu does not show %q: %q", it.Label, shown)
				}
			}
			if got, want := strings.Join(labels, ", "), "Open, Export…, Renew now, Delete, Copy thumbprint, "+
				"Trust system-wide…, Stop trusting system-wide…, Add to browsers…, Remove from browsers…"; got != want {
				t.Errorf("items %q, want %q", got, want)
			}
			for item, button := range map[*fyne.MenuItem]*widget.Button{
				v.exportItem: v.exportButton, v.renewItem: v.renewButton, v.deleteItem: v.deleteButton} {
				if item.Disabled != button.Disabled() {
					t.Errorf("%s: menu disabled %v, toolbar disabled %v", item.Label, item.Disabled, button.Disabled())
				}
			}
			if v.openItem.Disabled || v.copyItem.Disabled {
				t.Error("Open or Copy thumbprint disabled on a selected row")
			}
			v.copyItem.Action()
			if got := fyne.CurrentApp().Clipboard().Content(); got != b.rows[i].Thumbprint {
				t.Errorf("copied %q, want %q", got, b.rows[i].Thumbprint)
			}
			menu.Hide()
		})
	}
	// Renew now follows app.CanRenew: on for an issued current
	// certificate with its key, off for an archived one.
	test.TapSecondary(cellAt(t, w, rowOf(t, b, "kiosk01.corp.example.com"), colStatus))
	if v.renewItem.Disabled {
		t.Error("Renew now disabled in the menu of kiosk01")
	}
	v.contextMenu.Hide()
	test.TapSecondary(cellAt(t, w, rowOf(t, b, "archived.corp.example.com"), colStatus))
	if !v.renewItem.Disabled {
		t.Error("Renew now enabled in the menu of an archived certificate")
	}
}

// rowOf is the row showing subject.
func rowOf(t *testing.T, b *browser, subject string) int {
	t.Helper()
	for i, r := range b.rows {
		if r.subject == subject {
			return i
		}
	}
	t.Fatalf("no row %q in %s", subject, subjects(b))
	return -1
}

// windowTitled is the open window with the title, or nil.
func windowTitled(title string) fyne.Window {
	for _, w := range fyne.CurrentApp().Driver().AllWindows() {
		if w.Title() == title {
			return w
		}
	}
	return nil
}

// TestTableDoubleClickOpensWindow: a double-click opens the certificate in
// a window of its own with its details, and its chain's Open buttons open
// the chain's certificates the same way (issue #15).
func TestTableDoubleClickOpensWindow(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	b := v.browser
	i := rowOf(t, b, "kiosk01.corp.example.com")
	test.DoubleTap(cellAt(t, w, i, colExpires))
	v.tasks.wait()
	if b.selected != b.rows[i].Thumbprint {
		t.Error("the double-click did not select the row")
	}
	cw := windowTitled("Certificate: kiosk01.corp.example.com")
	if cw == nil {
		t.Fatal("no window for kiosk01")
	}
	tabs := cw.Content().(*fyne.Container).Objects[1].(*container.AppTabs)
	if !tabs.Visible() || len(tabs.Items) != 3 {
		t.Fatalf("the window does not show the details (%d tabs)", len(tabs.Items))
	}
	if text := visibleText(tabs.Items[0].Content); !strings.Contains(text, "kiosk01.corp.example.com") {
		t.Errorf("General of the window: %q", text)
	}
	chain := tabs.Items[2].Content.(*container.Scroll).Content.(*fyne.Container)
	var open []*widget.Button
	for _, o := range test.LaidOutObjects(chain) {
		if btn, ok := o.(*widget.Button); ok && btn.Text == "Open" {
			open = append(open, btn)
		}
	}
	if len(open) != 2 { // root, leaf
		t.Fatalf("%d Open buttons in the chain, want 2", len(open))
	}
	test.Tap(open[0]) // the root, from Trusted Root
	v.tasks.wait()
	if windowTitled("Certificate: Example Corp Root CA") == nil {
		t.Error("the chain's root did not open in a window")
	}
}

// visibleText joins the visible texts under o.
func visibleText(o fyne.CanvasObject) string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, " ")
}
