package ui

import (
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// allOutcomes is the filter choice that selects every record; the others
// are app.Outcomes in their words.
const allOutcomes = "All outcomes"

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
	records []app.Record
	// selected is the recordKey of the selected record, "" for none: the
	// selection follows the record when new rows arrive, not the row
	// number.
	selected string
	selCol   int
	tips     *tips // shows a cut cell's whole text, such as a long reason
}

func newHistoryView(core HistoryReader, t *tasks, context func() store.Context) *historyView {
	h := &historyView{core: core, tasks: t, context: context}
	labels := []string{allOutcomes}
	for _, o := range app.Outcomes {
		labels = append(labels, o.Text())
	}
	h.filter = widget.NewSelect(labels, nil)
	h.filter.SetSelected(labels[0])
	h.filter.OnChanged = func(string) { h.reload() }
	h.summary = widget.NewLabel("")
	h.table = widget.NewTableWithHeaders(func() (int, int) { return len(h.records), len(historyTitles) },
		func() fyne.CanvasObject { return newTipLabel(h.table, h.tips) }, h.update)
	h.table.ShowHeaderColumn = false
	h.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(h.records) {
			h.selected, h.selCol = recordKey(h.records[id.Row]), id.Col
		}
	}
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
	// The table's cells are tipLabels; a plain Label shows the same.
	l, ok := o.(*widget.Label)
	if t, isTip := o.(*tipLabel); isTip {
		l, ok = &t.Label, true
	}
	if !ok {
		return
	}
	r := h.records[id.Row]
	l.Importance = widget.MediumImportance
	switch id.Col {
	case 0:
		l.Text = formatDate(r.Time)
	case 1:
		l.Text = safetext.Escape(app.CommonName(r.Subject))
	case 2:
		l.Text = string(r.Action)
	case 3:
		l.Text, l.Importance = outcomeLabel(r.Outcome)
	case 4:
		l.Text = safetext.Escape(r.Reason)
	}
	l.Refresh()
}

// outcomeLabel shows a history outcome in the core's words
// (app.Outcome.Text, as "certdesk history" prints it) with its colour.
func outcomeLabel(o app.Outcome) (string, widget.Importance) {
	imp := widget.MediumImportance
	switch o {
	case app.OutcomeOK:
		imp = widget.SuccessImportance
	case app.OutcomeFailed, app.OutcomeDenied:
		imp = widget.DangerImportance
	case app.OutcomePending:
		imp = widget.WarningImportance
	case app.OutcomeNothingDue:
		imp = widget.LowImportance
	}
	return safetext.Escape(o.Text()), imp
}

// reload reads the history with the chosen filter.
func (h *historyView) reload() {
	var f app.HistoryFilter
	for _, o := range app.Outcomes {
		if o.Text() == h.filter.Selected {
			f.Outcome = o
		}
	}
	c := h.context()
	h.tasks.run(func() func() {
		recs, err := readHistory(h.core, c, f)
		return func() {
			h.records = recs
			if err != nil {
				h.summary.SetText(failedLine("The history could not be read.", err))
			} else {
				h.summary.SetText(plural(len(recs), "record"))
			}
			h.table.Refresh()
			h.reselect()
		}
	})
}

// reselect selects the selected record again at its new row, or nothing
// when it is no longer shown.
func (h *historyView) reselect() {
	if h.selected == "" {
		return
	}
	for i, r := range h.records {
		if recordKey(r) == h.selected {
			h.table.Select(widget.TableCellID{Row: i, Col: h.selCol})
			return
		}
	}
	h.table.UnselectAll()
}

// recordKey identifies a record of the history (records have no id).
func recordKey(r app.Record) string {
	return strings.Join([]string{strconv.FormatInt(r.Time.UnixNano(), 10), r.Context, r.Thumbprint, r.Subject,
		string(r.Action), string(r.Outcome), r.Reason}, "\x00")
}

// readHistory returns a context's records that f selects, newest first.
func readHistory(core HistoryReader, c store.Context, f app.HistoryFilter) ([]app.Record, error) {
	h, err := core.History(c)
	if err != nil {
		return nil, err
	}
	recs, err := h.Read(f)
	slices.Reverse(recs)
	return recs, err
}
