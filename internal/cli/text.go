package cli

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/certdesk/certdesk/internal/safetext"
)

// Text output (not -json) goes through textf: every string it formats may
// come from a certificate, a policy server, a file or the environment, so
// each argument is passed through safetext.Escape and only the format's own
// newlines and tabs reach the terminal. An ESC sequence, a CR/LF forging a
// table row or a U+202E in a subject is shown, not obeyed. -json output is
// written by encoding/json and stays exact.

// textf is fmt.Fprintf with every string-like argument escaped.
func textf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, format, escapeArgs(a)...)
}

// textln is fmt.Fprintln with every string-like argument escaped.
func textln(w io.Writer, a ...any) {
	fmt.Fprintln(w, escapeArgs(a)...)
}

// escapeArgs returns a with strings (named string types too, through their
// String method if they have one), string lists and errors replaced by their
// escaped text; numbers, booleans, times and other values are left as they
// are, so verbs such as %X or %d still see them.
func escapeArgs(a []any) []any {
	out := make([]any, len(a))
	for i, v := range a {
		switch v := v.(type) {
		case string:
			out[i] = safetext.Escape(v)
		case []string:
			s := make([]string, len(v))
			for j := range v {
				s[j] = safetext.Escape(v[j])
			}
			out[i] = s
		case error:
			out[i] = safetext.Escape(v.Error())
		default:
			out[i] = v
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
				if st, ok := v.(fmt.Stringer); ok {
					out[i] = safetext.Escape(st.String())
				} else {
					out[i] = safetext.Escape(rv.String())
				}
			}
		}
	}
	return out
}

// oneLine folds a message onto a single line and escapes what is left that
// a terminal would obey. Folding comes first so that a multi-line error
// still reads as words separated by spaces; the escape then catches what
// strings.Fields does not split on (ESC, bidi controls, ...).
func oneLine(s string) string {
	return safetext.Escape(strings.Join(strings.Fields(s), " "))
}
