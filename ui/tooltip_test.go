package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// TestCutCellShowsTip: the pointer on a cell whose text is cut shows the
// whole text in a tip inside the window; on a cell shown whole, or off
// the cells, no tip (issue #15).
func TestCutCellShowsTip(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	w.Resize(fyne.NewSize(800, 600-menuBarRoom))
	b := v.browser
	d := fyne.CurrentApp().Driver()
	var cutCell, wholeCell *tableCell
	for _, cells := range shownCells(w) {
		for _, c := range cells {
			switch {
			case cut(c.label) && cutCell == nil:
				cutCell = c
			case !cut(c.label) && c.label.Text != "" && wholeCell == nil:
				wholeCell = c
			}
		}
	}
	if cutCell == nil || wholeCell == nil {
		t.Fatal("at 800×600 no cell is cut, or none is whole")
	}
	at := d.AbsolutePositionForObject(cutCell).AddXY(4, 4)
	test.MoveMouse(w.Canvas(), at)
	if !v.tips.box.Visible() || v.tips.text.Text != cutCell.label.Text {
		t.Fatalf("no tip %q over the cut cell (shown %v, %q)", cutCell.label.Text, v.tips.box.Visible(), v.tips.text.Text)
	}
	pos, size := d.AbsolutePositionForObject(v.tips.box), v.tips.box.Size()
	if win := w.Canvas().Size(); pos.X < 0 || pos.Y < 0 || pos.X+size.Width > win.Width || pos.Y+size.Height > win.Height {
		t.Errorf("the tip at %v, %v leaves the window", pos, size)
	}
	if cut(v.tips.text) {
		t.Error("the tip itself is cut")
	}
	// The tip takes no input: a click where it lies reaches the table.
	test.TapCanvas(w.Canvas(), pos.AddXY(size.Width/2, size.Height/2))
	test.MoveMouse(w.Canvas(), d.AbsolutePositionForObject(wholeCell).AddXY(4, 4))
	if v.tips.box.Visible() {
		t.Error("a tip over a cell shown whole")
	}
	test.MoveMouse(w.Canvas(), d.AbsolutePositionForObject(cutCell).AddXY(4, 4))
	test.MoveMouse(w.Canvas(), d.AbsolutePositionForObject(b.search).AddXY(4, 4))
	if v.tips.box.Visible() {
		t.Error("the tip stays after the pointer left the cell")
	}
}

// TestHistoryReasonTip: a history reason cut by its column shows whole in
// a tip.
func TestHistoryReasonTip(t *testing.T) {
	test.NewTempApp(t)
	tp := newTips()
	l := newTipLabel(nil, tp)
	reason := "renewal failed: the CA refused the request: " + strings.Repeat("template denies subject ", 6)
	l.SetText(reason)
	w := test.NewTempWindow(t, withTips(l, tp))
	w.Resize(fyne.NewSize(600, 300))
	test.MoveMouse(w.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(l).AddXY(4, 4))
	if !tp.box.Visible() || tp.text.Text != reason {
		t.Fatalf("no tip with the whole reason (%v, %q)", tp.box.Visible(), tp.text.Text)
	}
	if tp.box.Size().Width > tipMaxWidth || tp.box.Size().Height <= l.MinSize().Height {
		t.Errorf("a long reason is not wrapped in the tip: %v", tp.box.Size())
	}
	test.MoveMouse(w.Canvas(), fyne.NewPos(590, 290))
	if tp.box.Visible() {
		t.Error("the tip stays after the pointer left")
	}
}

// withTips is a 200-wide l in a window's content with the tip layer.
func withTips(l *tipLabel, tp *tips) fyne.CanvasObject {
	l.Resize(fyne.NewSize(200, 36))
	return container.New(atLeast{}, container.NewWithoutLayout(l), tp.layer)
}
