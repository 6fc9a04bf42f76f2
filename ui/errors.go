package ui

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/internal/atomicfile"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// explain is the readable cause of err in a sentence or two, with what to
// do where the error says enough to know: the text an error dialog or
// wizard step shows first. The error's own chain goes under Details
// (errorBody).
func explain(err error) string {
	var (
		nr        *atomicfile.NotRegularError
		ie        *store.ImportError
		fault     *enroll.Fault
		untrusted *enroll.UntrustedServerError
		netErr    net.Error
	)
	for _, c := range sentinelCauses {
		if errors.Is(err, c.err) {
			return c.text
		}
	}
	switch {
	case errors.As(err, &ie):
		return sentence(ie.Reason)
	case errors.As(err, &nr):
		return "“" + safetext.Escape(filepath.Base(nr.Path)) + "” is " + atomicfile.Kind(nr.Mode) + ", not a file. Choose another name."
	case errors.As(err, &untrusted):
		return "The server's certificate is not trusted on this computer. Add the server with its CA certificate, or ask your administrator."
	case errors.As(err, &fault) && fault.Reason != "":
		return "The server answered: " + sentence(safetext.Escape(fault.Reason))
	case errors.As(err, &netErr):
		return "The server could not be reached. Check the address and the network connection, then try again."
	case errors.Is(err, fs.ErrPermission):
		return "certdesk is not allowed to do this here. Choose another place, or ask your administrator for the rights."
	}
	return sentence(safetext.Escape(innermost(err).Error()))
}

// sentinelCauses are the readable causes of the core's sentinel errors.
var sentinelCauses = []struct {
	err  error
	text string
}{
	{context.DeadlineExceeded, "The server did not answer in time. Check the network connection and try again."},
	{enroll.ErrDenied, "The CA refused the request. Ask your administrator whether you may enroll for this template; Details has the CA's reason."},
	{enroll.ErrCredentialsRefused, "The server refused the user name or password. Check them and try again."},
	{enroll.ErrClockSkew, "This computer's clock differs too much from the server's. Set the clock right and try again."},
	{enroll.ErrInsecureCredentials, "certdesk does not send a password over plain http. Use the server's https address."},
	{store.ErrWrongPassword, "The password is wrong, or the file's encryption is not supported. Check the password and try again."},
}

// innermost is the last error of err's chain: the cause, without the
// context each layer added in front of it.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// sentence makes msg a sentence: no package prefix ("enroll: "), a
// capital first letter and a full stop.
func sentence(msg string) string {
	for _, p := range []string{"enroll: ", "store: ", "app: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	msg = capitalize(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// capitalize starts s with an upper-case letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// errorBody is the body of every error dialog and wizard error step: the
// readable cause (explain) first, the error's whole chain folded away under
// Details.
func errorBody(err error) fyne.CanvasObject {
	cause := widget.NewLabel(explain(err))
	cause.Wrapping = fyne.TextWrapWord
	detail := widget.NewLabel(safetext.Escape(err.Error()))
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	return container.NewVBox(cause, widget.NewAccordion(widget.NewAccordionItem("Details", detail)))
}

// failedLine is a status line or notification about a failure: what
// failed (a sentence), then the readable cause (explain).
func failedLine(failed string, err error) string {
	return failed + " " + explain(err)
}

// errorTitle makes what failed ("The certificate could not be
// deleted.") a dialog or step title.
func errorTitle(failed string) string {
	return strings.TrimSuffix(strings.TrimSpace(failed), ".")
}
