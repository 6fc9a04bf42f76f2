package ui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// The columns of the certificate table.
const (
	colSubject = iota
	colIssuer
	colExpires
	colStatus
	colTemplate
	colKey
	numCols
)

var colTitles = [numCols]string{"Issued to", "Issued by", "Expires", "Status", "Template", "Key"}
var colWidths = [numCols]float32{220, 180, 200, 125, 120, 50}

// row is an entry with everything the table shows worked out once, so
// filtering and sorting 10,000 rows stay fast.
type row struct {
	*store.Entry              // into the slice List returned, not a copy
	subject, issuer, template string
	status                    Status
	search                    string // searchText, once made
}

// newRow makes the row of e at now; revocation is its cached revocation
// status ("" when never checked).
func newRow(e *store.Entry, revocation string, now time.Time) row {
	r := row{Entry: e, subject: e.SubjectCN, issuer: e.IssuerCN, template: e.Meta.TemplateName}
	if r.subject == "" {
		r.subject = e.Subject
	}
	if r.issuer == "" {
		r.issuer = e.Issuer
	}
	if r.template == "" {
		r.template = e.Meta.TemplateOID
	}
	r.status = statusOf(e.NotBefore, e.NotAfter, revocation, e.Meta.Archived, now)
	if e.Store == store.Request && !e.Meta.Archived {
		r.status = StatusPending
	}
	// The cells show these; the search matches the unescaped fields.
	r.subject, r.issuer, r.template = safetext.Escape(r.subject), safetext.Escape(r.issuer), safetext.Escape(r.template)
	return r
}

// searchText is the lower-case text the search box matches, made on the
// first search rather than for every row of a large store at start-up.
func (r *row) searchText() string {
	if r.search == "" {
		r.search = strings.ToLower(strings.Join(append([]string{
			r.Subject, r.Issuer, r.Thumbprint, r.SHA256, r.template, r.Meta.FriendlyName}, r.SANs...), "\n"))
	}
	return r.search
}

// filterRows returns the rows of all that the table shows: those matching
// the search text q (any case; "" matches all; a thumbprint also when
// typed with spaces or colons, as tools print it), archived ones only when
// archived, sorted by column col (descending when desc). It returns
// pointers into all: rows are large, and a 10,000-row store is sorted at
// start-up.
func filterRows(all []row, q string, archived bool, col int, desc bool) []*row {
	q = strings.ToLower(strings.TrimSpace(q))
	hex := strings.NewReplacer(" ", "", ":", "").Replace(q)
	if hex == q || strings.Trim(hex, "0123456789abcdef") != "" {
		hex = "" // not a thumbprint with separators
	}
	shown := make([]*row, 0, len(all))
	for i := range all {
		r := &all[i]
		if r.Meta.Archived && !archived {
			continue
		}
		if q != "" && !strings.Contains(r.searchText(), q) && (hex == "" || !strings.Contains(r.searchText(), hex)) {
			continue
		}
		shown = append(shown, r)
	}
	slices.SortStableFunc(shown, func(x, y *row) int { return compareRows(x, y, col, desc) })
	return shown
}

// countText is the counter beside the search: "12 certificates", or "3 of
// 12" when the search hides some. Archived rows count only when shown.
func countText(shown int, all []row, archived bool) string {
	total := 0
	for i := range all {
		if archived || !all[i].Meta.Archived {
			total++
		}
	}
	if shown == total {
		return plural(total, "certificate")
	}
	return strconv.Itoa(shown) + " of " + strconv.Itoa(total)
}

// compareRows orders two rows by column col (descending when desc); rows
// equal there go by expiry.
func compareRows(x, y *row, col int, desc bool) int {
	var c int
	switch col {
	case colSubject:
		c = cmp.Compare(strings.ToLower(x.subject), strings.ToLower(y.subject))
	case colIssuer:
		c = cmp.Compare(strings.ToLower(x.issuer), strings.ToLower(y.issuer))
	case colExpires:
		c = x.NotAfter.Compare(y.NotAfter)
	case colStatus:
		c = cmp.Compare(x.status, y.status)
	case colTemplate:
		c = cmp.Compare(strings.ToLower(x.template), strings.ToLower(y.template))
	case colKey:
		c = cmp.Compare(btoi(y.HasKey), btoi(x.HasKey))
	}
	if c == 0 && col != colExpires {
		c = x.NotAfter.Compare(y.NotAfter)
	}
	if desc {
		return -c
	}
	return c
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}
