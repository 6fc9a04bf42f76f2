package ui

import (
	"cmp"
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// browser is the store browser: the tree of contexts and stores, the table
// of the selected store with search and sorting, and the details of the
// selected certificate.
type browser struct {
	core    Core
	tasks   *tasks
	now     func() time.Time
	details *details
	loaded  func(entries int) // after each load of a store, on the UI thread

	tree     *widget.Tree
	treePane *fyne.Container // the tree, as wide as its labels (treeLayout)
	treeW    float32         // its width at the last load
	// tablePane is the table, its columns sharing its width
	// (columnsLayout).
	tablePane *fyne.Container
	table     *widget.Table
	search    *searchEntry
	// searchIcon shows in the empty search box, clearSearch (which
	// empties it) in a filled one.
	searchIcon  *widget.Icon
	clearSearch *widget.Button
	noMatch     *widget.Label // over the table when the search leaves nothing
	archived    *widget.Check
	hint        *fyne.Container // the read-only banner
	hintText    *widget.Label
	summary     *widget.Label
	content     fyne.CanvasObject

	// onSelect is called on the UI thread when the selection or the
	// writability of the current store changes.
	onSelect func()
	// onMenu opens the context menu of the selected row at a position of
	// the window (tableCell).
	onMenu func(fyne.Position)
	// newWindow makes the window a certificate opens in (certwindow.go);
	// its details copy thumbprints to clipboard.
	newWindow func(title string) fyne.Window
	clipboard fyne.Clipboard
	tips      *tips // shows the whole text of a cut cell (tooltip.go)

	contexts  []ContextInfo
	contextID store.Context
	store     store.Name
	all       []row
	rows      []*row // the shown rows of all, filtered and sorted
	sortCol   int
	sortDesc  bool
	selected  string // thumbprint of the selected row
	revealing string // thumbprint to select once loaded

	// pub is where the entry pubOf ("context/store/thumbprint") is
	// published, as its details last fetched it; pubOf is "" when the
	// fetch failed or the core is no Publisher.
	pub   app.Publication
	pubOf string
	// revocation is the cached revocation statuses of the shown store
	// when it is My, by thumbprint.
	revocation map[string]app.RevocationResult
}

// newBrowser builds the browser; call reload to fill it.
func newBrowser(core Core, t *tasks, now func() time.Time, clipboard fyne.Clipboard) *browser {
	b := &browser{core: core, tasks: t, now: now, details: newDetails(clipboard), clipboard: clipboard,
		contextID: store.User, store: store.My, sortCol: colExpires}
	b.details.onOpen = func(path []store.ChainElement) { b.openChainElement(b.contextID, path) }

	b.details.onCheck = b.checkRevocation

	b.tree = widget.NewTree(b.treeChildren, b.treeBranch, b.treeCreate, b.treeUpdate)
	b.tree.OnSelected = b.treeSelected

	b.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(b.rows), numCols },
		b.cellCreate, b.cellUpdate)
	b.table.ShowHeaderColumn = false
	b.table.CreateHeader = func() fyne.CanvasObject {
		h := widget.NewButton("", nil)
		h.Alignment = widget.ButtonAlignLeading
		h.IconPlacement = widget.ButtonIconTrailingText
		h.Importance = widget.LowImportance
		return h
	}
	b.table.UpdateHeader = b.headerUpdate
	for i, w := range colWidths {
		b.table.SetColumnWidth(i, w)
	}
	b.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(b.rows) {
			b.selectRow(*b.rows[id.Row])
		}
		// The cells mark the whole selected row (tableCell); the
		// table's own marker would mark one cell of it.
		b.table.UnselectAll()
	}

	b.search = newSearchEntry()
	b.search.SetPlaceHolder("Search subject, issuer, SAN, thumbprint or template")
	b.searchIcon = widget.NewIcon(theme.SearchIcon())
	b.clearSearch = widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() { b.search.SetText("") })
	b.clearSearch.Importance = widget.LowImportance
	b.clearSearch.Hide()
	b.search.ActionItem = container.NewStack(b.searchIcon, b.clearSearch)
	b.search.OnChanged = func(string) { b.applyFilter() }
	b.noMatch = widget.NewLabel("No certificate matches the search.")
	b.noMatch.Importance = widget.LowImportance
	b.noMatch.Hide()
	b.archived = widget.NewCheck("Show archived", func(bool) { b.applyFilter() })
	b.summary = widget.NewLabel("")
	b.summary.Importance = widget.LowImportance

	b.hintText = widget.NewLabel(readOnlyHint)
	b.hintText.Wrapping = fyne.TextWrapWord
	b.hint = container.NewBorder(nil, nil, widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon())), nil, b.hintText)
	b.hint.Hide()

	top := container.NewVBox(b.hint, container.NewBorder(nil, nil, nil, container.NewHBox(b.archived, b.summary), b.search))
	b.tablePane = container.New(&columnsLayout{b: b, sortCol: -1}, b.table, container.NewCenter(b.noMatch))
	centre := container.NewVSplit(container.NewBorder(top, nil, nil, nil, b.tablePane), b.details.content)
	centre.Offset = 0.5
	b.treePane = container.New(&treeLayout{b}, b.tree)
	split := container.NewHSplit(b.treePane, centre)
	split.Offset = 0.2
	b.content = split
	return b
}

// reload fetches the contexts and the current store from the core.
func (b *browser) reload() {
	ctxID, n := b.contextID, b.store
	b.tasks.run(func() func() {
		ctx := context.Background()
		entries, err := b.core.List(ctx, ctxID, n)
		var contexts []ContextInfo
		var cerr error
		if ce, ok := b.core.(interface {
			contextsExcept(context.Context, store.Context, store.Name) ([]ContextInfo, error)
		}); ok && err == nil {
			// Count the shown store from its entries, not from a second read.
			contexts, cerr = ce.contextsExcept(ctx, ctxID, n)
			count := 0
			for _, e := range entries {
				if !e.Meta.Archived {
					count++
				}
			}
			for i := range contexts {
				for j := range contexts[i].Stores {
					if contexts[i].Stores[j].Count < 0 {
						contexts[i].Stores[j].Count = count
					}
				}
			}
		} else {
			contexts, cerr = b.core.Contexts(ctx)
		}
		if cerr != nil {
			return func() { b.summary.SetText(failedLine("The stores could not be read.", cerr)) }
		}
		var revoc map[string]app.RevocationResult
		if n == store.My {
			// Without them (a view of the OS's stores has none) no
			// certificate shows as revoked.
			revoc, _ = b.core.RevocationStatuses(ctxID)
		}
		now := b.now()
		rows := make([]row, len(entries))
		for i := range entries {
			rows[i] = newRow(&entries[i], revoc[entries[i].Thumbprint].Status, now)
		}
		return func() {
			b.contexts = contexts
			b.tree.Refresh()
			if w := b.treeWidth(); w != b.treeW {
				b.treeW = w
				b.content.Refresh() // the split gives the tree its new width
			}
			b.tree.OpenAllBranches()
			b.tree.Select(string(ctxID) + "/" + string(n))
			if ctxID != b.contextID || n != b.store {
				return // the user moved on while this loaded
			}
			b.all, b.revocation = rows, revoc
			if err != nil {
				b.all = nil
				b.summary.SetText(failedLine("This store could not be read.", err))
			}
			b.hintText.SetText(readOnlyHint)
			if b.native() {
				b.hintText.SetText(nativeHint)
			}
			b.hint.Hidden = !b.readOnly()
			b.hint.Refresh()
			b.applyFilter()
			if b.loaded != nil {
				b.loaded(len(b.all))
			}
		}
	})
}

// open shows a store of a context.
func (b *browser) open(contextID store.Context, n store.Name) {
	if contextID == b.contextID && n == b.store {
		return
	}
	b.contextID, b.store = contextID, n
	b.all, b.rows, b.selected, b.revocation = nil, nil, "", nil
	b.table.UnselectAll()
	b.details.clear()
	b.reload()
}

// reveal shows a store and selects the entry with the thumbprint.
func (b *browser) reveal(contextID store.Context, n store.Name, thumbprint string) {
	b.search.SetText("")
	b.revealing = thumbprint
	if contextID == b.contextID && n == b.store {
		b.reload()
	} else {
		b.open(contextID, n)
	}
}

// readOnly reports whether the current context may not be changed.
func (b *browser) readOnly() bool {
	for _, c := range b.contexts {
		if c.ID == b.contextID {
			return c.ReadOnly
		}
	}
	return false
}

// workContext is the context the current one stands for: certdesk's own
// for a view of the OS's stores. Enrolment, imports, servers, requests and
// history go there.
func (b *browser) workContext() store.Context {
	if base, ok := nativeBase(b.contextID); ok {
		return base
	}
	return b.contextID
}

// native reports whether the current context is a view of the OS's stores.
func (b *browser) native() bool {
	for _, c := range b.contexts {
		if c.ID == b.contextID {
			return c.Native
		}
	}
	return false
}

// The read-only banner's texts.
const (
	readOnlyHint = "These certificates are read-only: start certdesk as administrator (root) to change them."
	nativeHint   = "These are the operating system's own certificates, as certmgr.msc or Keychain Access shows them. " +
		"To add one, select it in certdesk's stores and choose Certificate menu, Add to system store…"
)

// current returns the selected row, if any.
func (b *browser) current() (row, bool) {
	for _, r := range b.rows {
		if r.Thumbprint == b.selected && b.selected != "" {
			return *r, true
		}
	}
	return row{}, false
}

// publication returns where r, of the current store, is published, and
// whether that is known: its details fetched it without error.
func (b *browser) publication(r row) (app.Publication, bool) {
	if b.pubOf == "" || b.pubOf != string(b.contextID)+"/"+string(b.store)+"/"+r.Thumbprint {
		return app.Publication{}, false
	}
	return b.pub, true
}

// applyFilter recomputes the shown rows from the search text, the archived
// toggle and the sort order.
func (b *browser) applyFilter() {
	rows := filterRows(b.all, b.search.Text, b.archived.Checked, b.sortCol, b.sortDesc)
	b.rows = rows

	// Keep the selection (or select the entry to reveal) if it is shown.
	b.table.UnselectAll()
	target := b.selected
	if b.revealing != "" {
		target, b.revealing = b.revealing, ""
	}
	b.selected = ""
	for i, r := range rows {
		if target != "" && r.Thumbprint == target {
			b.table.Select(widget.TableCellID{Row: i, Col: 0})
			b.table.ScrollTo(widget.TableCellID{Row: i, Col: 0})
			break
		}
	}
	if b.selected == "" {
		b.details.clear()
	}
	b.summary.SetText(countText(len(rows), b.all, b.archived.Checked))
	b.noMatch.Hidden = len(rows) > 0 || strings.TrimSpace(b.search.Text) == ""
	b.noMatch.Refresh()
	b.clearSearch.Hidden = b.search.Text == ""
	b.searchIcon.Hidden = !b.clearSearch.Hidden
	b.search.ActionItem.Refresh()
	b.table.Refresh()
	if b.onSelect != nil {
		b.onSelect()
	}
}

// sortBy sorts by a column; sorting by the same column again reverses.
func (b *browser) sortBy(col int) {
	if b.sortCol == col {
		b.sortDesc = !b.sortDesc
	} else {
		b.sortCol, b.sortDesc = col, false
	}
	b.applyFilter()
	b.tablePane.Refresh() // the sorted column's header has the arrow
}

// selectRow shows the details of r once the core returned its
// certificate and chain.
func (b *browser) selectRow(r row) {
	b.selected = r.Thumbprint
	b.table.Refresh() // the marked row
	if b.onSelect != nil {
		b.onSelect()
	}
	ctxID, n := b.contextID, b.store
	f := b.rowFacts(r)
	b.tasks.run(func() func() {
		e, chain, err := readWithChain(b.core, ctxID, n, r.Thumbprint)
		if err != nil {
			return func() { b.details.clear(); b.summary.SetText(failedLine("The certificate could not be read.", err)) }
		}
		published, pubOf := "", ""
		var pub app.Publication
		if p, ok := b.core.(Publisher); ok {
			pub, err = publicationOf(p, ctxID, n, r.Thumbprint)
			published = publicationText(pub, err)
			if err == nil {
				pubOf = string(ctxID) + "/" + string(n) + "/" + r.Thumbprint
			}
		}
		return func() {
			if b.selected != r.Thumbprint || b.contextID != ctxID || b.store != n {
				return
			}
			f.published, f.readOnly = published, b.readOnly()
			b.details.show(e.Certificate, chain, b.now(), f)
			b.pub, b.pubOf = pub, pubOf
			if b.onSelect != nil {
				b.onSelect() // the actions follow the publication
			}
		}
	})
}

// rowFacts is what the details of r show beyond its certificate and
// that the browser already knows: its cached revocation status, where its
// key lives, for a pending request its status, and the template names of
// the store's certificates.
func (b *browser) rowFacts(r row) facts {
	var f facts
	if b.revocable(r) {
		rv := b.revocation[r.Thumbprint]
		rv.Status = cmp.Or(rv.Status, app.RevocationNotChecked)
		f.revocation = &rv
	}
	if r.HasKey && !b.native() { // the OS's stores keep their keys themselves
		f.key = keyText(r.Meta)
	}
	if r.status == StatusPending {
		f.pending = pendingText(r.Entry)
	}
	f.templates = templateNames(b.all)
	return f
}

// readWithChain reads an entry and its chain; a chain that cannot be
// built comes back with its error.
func readWithChain(core Core, ctxID store.Context, n store.Name, thumbprint string) (store.Entry, *store.Chain, error) {
	ctx := context.Background()
	e, err := core.Get(ctx, ctxID, n, thumbprint)
	if err != nil {
		return e, nil, err
	}
	chain, err := core.Chain(ctx, ctxID, n, thumbprint)
	if err != nil {
		chain = &store.Chain{Error: err.Error()}
	}
	return e, chain, nil
}

// revocable reports whether the revocation of r is checked: a certificate
// of certdesk's own My.
func (b *browser) revocable(r row) bool {
	return b.store == store.My && !b.native() && r.status != StatusPending
}

// checkRevocation asks the CA about the selected certificate now, then
// shows the answer in its details and its row.
func (b *browser) checkRevocation() {
	r, ok := b.current()
	if !ok || !b.revocable(r) || b.readOnly() {
		return
	}
	ctxID, thumbprint := b.contextID, r.Thumbprint
	b.details.checking()
	b.tasks.run(func() func() {
		res, err := b.core.Revocation(context.Background(), ctxID, thumbprint, true)
		return func() {
			if err != nil {
				res = &app.RevocationResult{Status: app.RevocationUnknown, Reason: err.Error()}
			} else if b.contextID == ctxID && b.store == store.My {
				if b.revocation == nil {
					b.revocation = map[string]app.RevocationResult{}
				}
				b.revocation[thumbprint] = *res
				for i := range b.all {
					if b.all[i].Thumbprint == thumbprint {
						b.all[i] = newRow(b.all[i].Entry, res.Status, b.now())
					}
				}
				b.table.Refresh()
			}
			if b.selected == thumbprint && b.contextID == ctxID {
				b.details.setRevocation(res)
			}
		}
	})
}

// searchEntry is the search box: Escape empties it.
type searchEntry struct {
	widget.Entry
}

func newSearchEntry() *searchEntry {
	e := &searchEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey empties the box on Escape; other keys edit it.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.SetText("")
		return
	}
	e.Entry.TypedKey(k)
}
