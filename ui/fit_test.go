package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// TestMinimumWindowSize renders the main window at its minimum size,
// 800×600 with the menu bar, and checks that no toolbar button, tree label, column header
// or search-row control is cut: each gets at least its MinSize and lies
// inside the window, the tree's labels inside the tree (issue #15).
func TestMinimumWindowSize(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	if got := v.content.MinSize(); got != minContentSize {
		t.Errorf("the window's minimum content is %v, want %v", got, minContentSize)
	}
	// The test window has the real one's padding but no menu bar.
	w.Resize(fyne.NewSize(800, 600-menuBarRoom))
	d := fyne.CurrentApp().Driver()
	win := w.Canvas().Size()
	b := v.browser
	treeRight := d.AbsolutePositionForObject(b.tree).X + b.tree.Size().Width
	fits := func(what string, o fyne.CanvasObject, right float32) {
		t.Helper()
		pos, size, min := d.AbsolutePositionForObject(o), o.Size(), o.MinSize()
		if size.Width < min.Width-0.5 || size.Height < min.Height-0.5 {
			t.Errorf("%s: size %v below its minimum %v", what, size, min)
		}
		if pos.X < 0 || pos.X+min.Width > right+0.5 || pos.Y+min.Height > win.Height+0.5 {
			t.Errorf("%s: at %v needs %v, cut at x=%v", what, pos, min, right)
		}
	}
	inTree := map[fyne.CanvasObject]bool{}
	for _, o := range shownObjects(b.tree) {
		inTree[o] = true
	}
	var buttons, treeLabels int
	for _, o := range shownObjects(w.Canvas().Content()) {
		switch x := o.(type) {
		case *widget.Button:
			buttons++
			fits("button "+x.Text, x, win.Width)
		case *widget.Label:
			if inTree[x] && x.Text != "" {
				treeLabels++
				fits("tree label "+x.Text, x, treeRight)
			}
		}
	}
	if treeLabels < 6 || buttons < 7+numCols {
		t.Fatalf("found %d tree labels, %d buttons: not the main window", treeLabels, buttons)
	}
	fits("Show archived", b.archived, win.Width)
	fits("counter", b.summary, win.Width)
	// Refresh keeps its icon when its label does not fit; the label is in
	// the View menu.
	if v.refreshButton.Icon == nil || !v.refreshButton.Visible() {
		t.Error("no Refresh button at 800×600")
	}
	// Wider, every label is back.
	w.Resize(fyne.NewSize(1280, 800))
	if v.refreshButton.Text != "Refresh" || v.checkButton.Text != "Check now" {
		t.Errorf("at 1280×800 the toolbar shows %q, %q", v.checkButton.Text, v.refreshButton.Text)
	}
}

// TestFitColumns: the columns keep their widths when there is room, and
// share a narrow table in proportion, none below its header.
func TestFitColumns(t *testing.T) {
	newTestMain(t)
	mins := headerWidths(colExpires)
	if got := fitColumns(2000, mins); got != colWidths {
		t.Errorf("wide: %v, want %v", got, colWidths)
	}
	for _, width := range []float32{300, 500, 700} {
		got := fitColumns(width, mins)
		for i := range got {
			if got[i] < mins[i]-0.01 {
				t.Errorf("width %v: column %s %v, below its header's %v", width, colTitles[i], got[i], mins[i])
			}
		}
	}
}
