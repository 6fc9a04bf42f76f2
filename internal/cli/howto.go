package cli

import (
	"errors"

	"github.com/certdesk/certdesk/app"
)

// howTo returns what a person at the command line can do about err, as a
// suffix for its message, or "" when there is nothing to add. The core's
// errors say what failed; the sentence that names a command or a flag is
// the command line's (the GUI has its own).
func howTo(err error) string {
	switch {
	case errors.Is(err, app.ErrNeedsRoot):
		return ": run the command as root (sudo certdesk ...)"
	case errors.Is(err, app.ErrBrowsersUseSystem):
		return ": publish -to system instead"
	}
	return ""
}

// explain is err's message followed by howTo(err).
func explain(err error) string { return err.Error() + howTo(err) }
