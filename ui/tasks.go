package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// tasks runs work off the UI thread; wait lets tests join it.
type tasks struct {
	wg sync.WaitGroup
	// inline runs work on the calling goroutine: Fyne's test driver runs
	// fyne.Do callbacks on the goroutine that calls it, so tests that
	// touch widgets while work is in flight would race.
	inline bool
}

// run calls work in a goroutine and then, on the UI thread, the func work
// returned (if not nil).
func (t *tasks) run(work func() func()) {
	if t.inline {
		if done := work(); done != nil {
			done()
		}
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if done := work(); done != nil {
			fyne.Do(done)
		}
	}()
}

func (t *tasks) wait() { t.wg.Wait() }
