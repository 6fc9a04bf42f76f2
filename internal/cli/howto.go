package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
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
	case errors.Is(err, app.ErrNoServer):
		return " (see \"certdesk server list\")"
	case errors.Is(err, app.ErrNoTemplate):
		return " (see \"certdesk templates -server ID\")"
	case errors.Is(err, app.ErrNoPassword):
		return " (save one with \"certdesk server set ID -password-stdin\")"
	}
	var re *store.ReservedContextError
	if errors.As(err, &re) {
		return renameHowTo(re)
	}
	return ""
}

// renameHowTo tells how to rename an app context whose id Windows
// reserves, if one is on disk under that id; "" for an id only typed.
func renameHowTo(re *store.ReservedContextError) string {
	if re.Dir == "" {
		loc, err := store.LocationFromEnv(os.Getenv)
		if err != nil {
			return ""
		}
		_, found, _ := loc.AppContexts()
		for _, f := range found {
			if f.ID == re.ID {
				re = f
			}
		}
		if re.Dir == "" {
			return ""
		}
	}
	id := "app-" + strings.TrimRight(re.ID, ". ")
	if _, err := store.AppContext(id); err != nil {
		id = "NEW-ID"
	}
	return fmt.Sprintf(": its certificates are still in %s; to use them, rename that directory (and %s, if it exists) to an id Windows allows, such as %s, and use -context app:%s",
		re.Dir, re.StateDir, id, id)
}

// explain is err's message followed by howTo(err).
func explain(err error) string { return err.Error() + howTo(err) }
