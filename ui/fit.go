package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// What makes the main window fit its minimum size, 800×600, with nothing
// clipped: a toolbar whose last buttons drop their labels when
// the row is short, a tree as wide as its longest label, and table
// columns that share the table's width.

// minContentSize is the smallest content of the main window: with the
// window's padding (4 on each side) and its menu bar (28 high) the window
// is then at most 800×600. At it every toolbar button, tree label and
// column header is shown whole (TestMinimumWindowSize).
var minContentSize = fyne.NewSize(792, 560)

// menuBarRoom is the height minContentSize leaves for the menu bar
// within 800×600.
const menuBarRoom = 600 - 560 - 8

// atLeast is a layout that stacks its objects and asks for at least min.
type atLeast struct{ min fyne.Size }

func (l atLeast) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l atLeast) MinSize(objects []fyne.CanvasObject) fyne.Size {
	m := l.min
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return m
}

// toolbarLayout lays the toolbar out in a row. When the row is shorter
// than the buttons need with their labels, the buttons from the end show
// their icons only (their labels stay in the menus), as few as needed.
type toolbarLayout struct {
	labels    map[*widget.Button]string // each button's label
	iconWidth float32                   // the width of a button showing its icon alone
}

func newToolbarLayout(objects []fyne.CanvasObject) *toolbarLayout {
	l := &toolbarLayout{labels: map[*widget.Button]string{},
		iconWidth: widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), nil).MinSize().Width}
	for _, o := range objects {
		if b, ok := o.(*widget.Button); ok {
			l.labels[b] = b.Text
		}
	}
	return l
}

func (l *toolbarLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	// Restore every label, then drop them from the end until the row fits.
	for _, o := range objects {
		if b, ok := o.(*widget.Button); ok && b.Text != l.labels[b] {
			b.SetText(l.labels[b])
		}
	}
	for i := len(objects) - 1; i >= 0 && rowWidth(objects, pad) > size.Width; i-- {
		if b, ok := objects[i].(*widget.Button); ok && b.Text != "" && b.Icon != nil {
			b.SetText("")
		}
	}
	x := float32(0)
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

// MinSize is the row with every button that has an icon shown as its
// icon alone.
func (l *toolbarLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	var m fyne.Size
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if b, ok := o.(*widget.Button); ok && b.Icon != nil && b.Text != "" {
			s.Width = l.iconWidth
		}
		if i > 0 {
			m.Width += pad
		}
		m.Width += s.Width
		m.Height = max(m.Height, s.Height)
	}
	return m
}

// rowWidth is the width the visible objects need in a row as they are.
func rowWidth(objects []fyne.CanvasObject, pad float32) float32 {
	w := float32(0)
	n := 0
	for _, o := range objects {
		if o.Visible() {
			w += o.MinSize().Width
			n++
		}
	}
	return w + float32(max(n-1, 0))*pad
}

// treeWidth is the width the tree needs to show its longest label whole:
// a node's indent (icon and padding per level), the expander, the node's
// icon and its label.
func (b *browser) treeWidth() float32 {
	pad, icon := theme.Padding(), theme.IconInlineSize()
	w := float32(0)
	node := func(depth int, text string) {
		label := widget.NewLabel(text).MinSize().Width
		need := pad + float32(depth)*(icon+pad) + icon + pad + icon + pad + label + theme.ScrollBarSize()
		w = max(w, need)
	}
	for _, c := range b.contexts {
		node(0, contextText(c))
		for _, s := range c.Stores {
			node(1, storeText(s))
		}
	}
	return w
}

// treeLayout gives the tree the width of its longest label.
type treeLayout struct{ b *browser }

func (l *treeLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// MinSize is as wide as the labels were at the last load (browser.treeW).
func (l *treeLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	m := fyne.NewSize(l.b.treeW, 0)
	for _, o := range objects {
		m.Height = max(m.Height, o.MinSize().Height)
	}
	return m
}

// columnsLayout gives the table's columns the table's width, in the
// proportions of colWidths up to those widths, but never less than their
// header (title, and the sort arrow of the sorted column) needs.
type columnsLayout struct {
	b       *browser
	width   float32          // the width the columns were last fitted to
	sortCol int              // and the sorted column then
	mins    [numCols]float32 // the headers' widths then (headerWidths)
}

func (l *columnsLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	if size.Width != l.width || l.b.sortCol != l.sortCol {
		l.width = size.Width
		for i, w := range fitColumns(size.Width, l.headers()) {
			l.b.table.SetColumnWidth(i, w)
		}
	}
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *columnsLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	for _, w := range l.headers() {
		m.Width += w + theme.Padding()
	}
	return m
}

// headers returns the headers' widths for the current sort column.
func (l *columnsLayout) headers() [numCols]float32 {
	if l.b.sortCol != l.sortCol || l.mins[0] == 0 {
		l.sortCol, l.mins = l.b.sortCol, headerWidths(l.b.sortCol)
	}
	return l.mins
}

// fitColumns shares width among the columns: colWidths when they fit,
// else shrunk in proportion but each at least its header's width in
// mins.
func fitColumns(width float32, mins [numCols]float32) [numCols]float32 {
	widths := colWidths
	avail := width - numCols*theme.Padding() - theme.ScrollBarSize()
	total := float32(0)
	for _, w := range colWidths {
		total += w
	}
	if avail >= total {
		return widths
	}
	// Columns at their minimum are fixed; the rest share what is left.
	fixed := [numCols]bool{}
	for changed := true; changed; {
		changed = false
		left, share := avail, float32(0)
		for i := range widths {
			if fixed[i] {
				left -= mins[i]
			} else {
				share += colWidths[i]
			}
		}
		for i := range widths {
			if fixed[i] {
				widths[i] = mins[i]
				continue
			}
			widths[i] = colWidths[i] * left / share
			if widths[i] < mins[i] {
				fixed[i], changed = true, true
			}
		}
	}
	return widths
}

// headerWidths are the widths the column headers need, the sort arrow on
// column sorted.
func headerWidths(sorted int) [numCols]float32 {
	var w [numCols]float32
	for i, title := range colTitles {
		h := widget.NewButton(title, nil)
		if i == sorted {
			h.SetIcon(theme.MenuDropDownIcon())
		}
		w[i] = h.MinSize().Width
	}
	return w
}
