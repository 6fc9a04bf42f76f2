package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The cells and headers of the certificate table (rows.go holds what they
// show).

// tableCell is a cell of the certificate table: its text, or the key
// symbol, over a background that marks every cell of the selected row.
// It takes the pointer from the table: a click selects the row, a
// right-click selects it and opens the context menu, a double-click opens
// the certificate in a window of its own.
type tableCell struct {
	widget.BaseWidget
	b     *browser
	id    widget.TableCellID
	bg    *canvas.Rectangle
	label *widget.Label
	icon  *widget.Icon
}

func (b *browser) cellCreate() fyne.CanvasObject {
	c := &tableCell{b: b, bg: canvas.NewRectangle(color.Transparent), label: widget.NewLabel(""), icon: widget.NewIcon(keyIcon)}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer draws the background, then the text or key symbol.
func (c *tableCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(c.bg, c.label, container.NewCenter(c.icon)))
}

// Tapped selects the cell's row and gives the table the keyboard focus,
// as a tap on the table itself does.
func (c *tableCell) Tapped(*fyne.PointEvent) { c.b.tapRow(c.id) }

// TappedSecondary selects the row and opens the context menu there.
func (c *tableCell) TappedSecondary(e *fyne.PointEvent) {
	c.b.tapRow(c.id)
	if c.b.onMenu != nil {
		c.b.onMenu(e.AbsolutePosition)
	}
}

// DoubleTapped selects the row and opens its certificate in a window.
func (c *tableCell) DoubleTapped(*fyne.PointEvent) {
	c.b.tapRow(c.id)
	c.b.openSelected()
}

// tapRow selects the row of id as a tap on the table does.
func (b *browser) tapRow(id widget.TableCellID) {
	if id.Row < 0 || id.Row >= len(b.rows) {
		return
	}
	if b.rows[id.Row].Thumbprint != b.selected {
		b.table.Select(id)
	}
	if cv := fyne.CurrentApp().Driver().CanvasForObject(b.table); cv != nil {
		cv.Focus(b.table)
	}
}

// selectedRowColor is the background of the selected row's cells, the
// theme's selection colour.
func selectedRowColor() color.Color {
	return theme.Color(theme.ColorNameSelection)
}

func (b *browser) cellUpdate(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*tableCell)
	c.id = id
	if id.Row >= len(b.rows) {
		return
	}
	r := b.rows[id.Row]
	text, imp := "", widget.MediumImportance
	switch id.Col {
	case colSubject:
		text = r.subject
	case colIssuer:
		text = r.issuer
	case colExpires:
		// Made for the visible cells only, and current at each redraw.
		text = r.NotAfter.Local().Format("2006-01-02") + " · " + formatExpiry(r.NotAfter, b.now())
	case colStatus:
		text, imp = r.status.String(), r.status.importance()
		if r.status == StatusPending {
			text = pendingText(r.Entry)
		}
	case colTemplate:
		text = r.template
	}
	c.icon.Hidden = id.Col != colKey || !r.HasKey
	showKeyIcon(c.icon, r.Meta)
	selected := b.selected != "" && r.Thumbprint == b.selected
	if selected != c.bg.Visible() || selected && c.bg.FillColor != selectedRowColor() {
		c.bg.FillColor = selectedRowColor()
		c.bg.Hidden = !selected
		c.bg.Refresh()
	}
	if c.label.Text != text || c.label.Importance != imp {
		c.label.Text, c.label.Importance = text, imp
		c.label.Refresh()
	}
}

func (b *browser) headerUpdate(id widget.TableCellID, o fyne.CanvasObject) {
	h := o.(*widget.Button)
	if id.Col < 0 || id.Col >= numCols {
		return
	}
	h.SetText(colTitles[id.Col])
	switch {
	case id.Col != b.sortCol:
		h.SetIcon(nil)
	case b.sortDesc:
		h.SetIcon(theme.MenuDropUpIcon())
	default:
		h.SetIcon(theme.MenuDropDownIcon())
	}
	col := id.Col
	h.OnTapped = func() { b.sortBy(col) }
}
