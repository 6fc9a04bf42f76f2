package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Fyne 2.7 has no tooltips: tips draws one, the whole text of a table
// cell cut short (a history reason, "2026-12-03 · expired 1 minute ago"),
// beside the pointer while it rests on the cell. The tip lies in a layer
// over the window's content that takes no input, so the pointer reaches
// what is under it.
type tips struct {
	layer *fyne.Container // without layout, over the content
	box   *fyne.Container // the tip: background and text
	bg    *canvas.Rectangle
	text  *widget.Label
	owner fyne.CanvasObject // the cell whose tip is shown, if any
}

// tipMaxWidth is the widest a tip grows before it wraps its text.
const tipMaxWidth = 560

func newTips() *tips {
	t := &tips{bg: canvas.NewRectangle(color.Transparent), text: widget.NewLabel("")}
	t.bg.CornerRadius = theme.InputRadiusSize()
	t.text.Wrapping = fyne.TextWrapWord
	t.box = container.NewStack(t.bg, t.text)
	t.box.Hide()
	t.layer = container.NewWithoutLayout(t.box)
	return t
}

// show shows text in a tip for owner below and right of the pointer at
// the window position at, kept inside the window.
func (t *tips) show(owner fyne.CanvasObject, text string, at fyne.Position) {
	if t == nil {
		return
	}
	t.owner = owner
	t.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	t.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	t.bg.StrokeWidth = 1
	t.text.SetText(text)
	width := min(fyne.MeasureText(text, theme.TextSize(), t.text.TextStyle).Width+2*theme.InnerPadding(), tipMaxWidth)
	t.box.Resize(fyne.NewSize(width, 1))
	t.box.Resize(fyne.NewSize(width, t.box.MinSize().Height))
	origin := fyne.CurrentApp().Driver().AbsolutePositionForObject(t.layer)
	pos := at.Subtract(origin).AddXY(12, 18)
	area := t.layer.Size()
	pos.X = max(0, min(pos.X, area.Width-t.box.Size().Width))
	if pos.Y+t.box.Size().Height > area.Height {
		pos.Y = max(0, at.Y-origin.Y-t.box.Size().Height-4)
	}
	t.box.Move(pos)
	t.box.Show()
	t.layer.Refresh()
}

// hide hides the tip of owner.
func (t *tips) hide(owner fyne.CanvasObject) {
	if t == nil || t.owner != owner {
		return
	}
	t.owner = nil
	t.box.Hide()
	t.layer.Refresh()
}

// cut reports whether the label's text is cut short at its size.
func cut(l *widget.Label) bool {
	return l.Text != "" && fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width+2*theme.InnerPadding() > l.Size().Width+0.5
}

// hoverCell handles the pointer on a cell of table whose text is label:
// the table's hover mark follows it (the cell takes the pointer from the
// table), and a cut text shows in a tip.
func hoverCell(t *tips, table *widget.Table, cell fyne.CanvasObject, label *widget.Label, e *desktop.MouseEvent) {
	if table != nil {
		moved := *e
		moved.Position = e.AbsolutePosition.Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(table))
		table.MouseMoved(&moved)
	}
	if cut(label) {
		t.show(cell, label.Text, e.AbsolutePosition)
	} else {
		t.hide(cell)
	}
}

// leaveCell handles the pointer leaving a cell of table.
func leaveCell(t *tips, table *widget.Table, cell fyne.CanvasObject) {
	t.hide(cell)
	if table != nil {
		table.MouseOut()
	}
}

// tipLabel is a table cell's label that shows its whole text in a tip
// when it is cut short.
type tipLabel struct {
	widget.Label
	table *widget.Table
	tips  *tips
}

func newTipLabel(table *widget.Table, t *tips) *tipLabel {
	l := &tipLabel{table: table, tips: t}
	l.Truncation = fyne.TextTruncateEllipsis
	l.ExtendBaseWidget(l)
	return l
}

// MouseIn shows the tip if the text is cut.
func (l *tipLabel) MouseIn(e *desktop.MouseEvent) { hoverCell(l.tips, l.table, l, &l.Label, e) }

// MouseMoved keeps the tip by the pointer.
func (l *tipLabel) MouseMoved(e *desktop.MouseEvent) { hoverCell(l.tips, l.table, l, &l.Label, e) }

// MouseOut hides the tip.
func (l *tipLabel) MouseOut() { leaveCell(l.tips, l.table, l) }

// MouseIn shows the tip if the cell's text is cut.
func (c *tableCell) MouseIn(e *desktop.MouseEvent) { hoverCell(c.b.tips, c.b.table, c, c.label, e) }

// MouseMoved keeps the tip by the pointer.
func (c *tableCell) MouseMoved(e *desktop.MouseEvent) { hoverCell(c.b.tips, c.b.table, c, c.label, e) }

// MouseOut hides the tip.
func (c *tableCell) MouseOut() { leaveCell(c.b.tips, c.b.table, c) }
