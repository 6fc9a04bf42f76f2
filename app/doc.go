// Package app is certdesk's core: policy servers, credentials, enrollment,
// pending requests, renewal, the scheduler and the history. The GUI and the
// command line both go through it; it imports no Fyne.
package app
