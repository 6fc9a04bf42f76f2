package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The cells and headers of the certificate table (rows.go holds what they
// show).

func (b *browser) cellCreate() fyne.CanvasObject {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	icon := widget.NewIcon(keyIcon)
	return container.NewStack(l, container.NewCenter(icon))
}

func (b *browser) cellUpdate(id widget.TableCellID, o fyne.CanvasObject) {
	stack := o.(*fyne.Container)
	l := stack.Objects[0].(*widget.Label)
	icon := stack.Objects[1].(*fyne.Container)
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
	icon.Hidden = id.Col != colKey || !r.HasKey
	showKeyIcon(icon.Objects[0].(*widget.Icon), r.Meta)
	if l.Text != text || l.Importance != imp {
		l.Text, l.Importance = text, imp
		l.Refresh()
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
