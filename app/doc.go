// Package app is certdesk's core: policy servers, credentials, enrollment,
// pending and offline requests, renewal (pulse, key-based renewal, deploy
// hooks), the in-process scheduler, the OS schedule and the history. The
// GUI and the command line both go through *Core; it imports no Fyne.
//
// # Threading
//
// A *Core is safe for concurrent use. Writers of a context serialise on the
// store's per-context file lock, which also holds between processes (a GUI
// and a scheduled pulse); a pulse holds it from its first read to its last
// write. Events are delivered on the publishing goroutine (the scheduler's
// or the caller's); a GUI subscriber hands over to its own thread.
//
// # Files
//
// Beside the store's own files, the core keeps in the context directory
// servers.json, hooks.json, app.json and (machine context) credentials/;
// in the state directory history.jsonl, retry.json, pulse.json, notified.json and cache/. None holds a
// password of a user or app context: those live in the OS keyring.
// docs/core.md describes them.
package app
