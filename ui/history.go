package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// historyOutcomes are the filter choices and the outcomes they select.
var historyOutcomes = []struct{ label, outcome string }{
	{"All outcomes", ""}, {"Succeeded", "ok"}, {"Failed", "failed"},
	{"Pending", "pending"}, {"Denied", "denied"}, {"Nothing due", "nothing-due"},
}

var historyTitles = []string{"When", "Certificate", "Action", "Outcome", "Reason"}
var historyWidths = []float32{150, 220, 90, 100, 400}

// historyView lists the core's history of checks and renewals.
type historyView struct {
	core    HistoryReader
	tasks   *tasks
	context func() store.Context

	filter  *widget.Select
	table   *widget.Table
	summary *widget.Label
	content fyne.CanvasObject
	records []HistoryRecord
}

func newHistoryView(core HistoryReader, t *tasks, context func() store.Context) *historyView {
	h := &historyView{core: core, tasks: t, context: context}
	var labels []string
	for _, o := range historyOutcomes {
		labels = append(labels, o.label)
	}
	h.filter = widget.NewSelect(labels, nil)
	h.filter.SetSelected(labels[0])
	h.filter.OnChanged = func(string) { h.reload() }
	h.summary = widget.NewLabel("")
	h.table = widget.NewTableWithHeaders(func() (int, int) { return len(h.records), len(historyTitles) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		}, h.update)
	h.table.ShowHeaderColumn = false
	h.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		o.(*widget.Label).SetText(historyTitles[id.Col])
	}
	for i, w := range historyWidths {
		h.table.SetColumnWidth(i, w)
	}
	top := container.NewBorder(nil, nil, widget.NewLabel("Show"), h.summary, h.filter)
	h.content = container.NewBorder(top, nil, nil, nil, h.table)
	return h
}

func (h *historyView) update(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	r := h.records[id.Row]
	l.Importance = widget.MediumImportance
	switch id.Col {
	case 0:
		l.Text = formatDate(r.Time)
	case 1:
		l.Text = safetext.Escape(r.Subject)
	case 2:
		l.Text = r.Action
	case 3:
		l.Text, l.Importance = outcomeLabel(r.Outcome)
	case 4:
		l.Text = safetext.Escape(r.Reason)
	}
	l.Refresh()
}

// outcomeLabel names a history outcome and gives its colour.
func outcomeLabel(o string) (string, widget.Importance) {
	switch o {
	case "ok":
		return "Succeeded", widget.SuccessImportance
	case "failed":
		return "Failed", widget.DangerImportance
	case "denied":
		return "Denied", widget.DangerImportance
	case "pending":
		return "Pending", widget.WarningImportance
	case "nothing-due":
		return "Nothing due", widget.LowImportance
	}
	return safetext.Escape(o), widget.MediumImportance
}

// reload reads the history with the chosen filter.
func (h *historyView) reload() {
	outcome := ""
	for _, o := range historyOutcomes {
		if o.label == h.filter.Selected {
			outcome = o.outcome
		}
	}
	c := h.context()
	h.tasks.run(func() func() {
		recs, err := h.core.History(context.Background(), c, outcome)
		return func() {
			h.records = recs
			if err != nil {
				h.summary.SetText("The history could not be read: " + err.Error())
			} else {
				h.summary.SetText(plural(len(recs), "record"))
			}
			h.table.Refresh()
		}
	})
}
