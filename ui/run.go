package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/certdesk/certdesk/app"
)

// started approximates the process start: package initialisation, a few
// milliseconds after exec.
var started = time.Now()

// FirstFrameEnv names the environment variable that makes Run print the
// time from process start to the first painted frame showing the rows of
// the first store, and quit (scripts/bench-gui.sh).
const FirstFrameEnv = "CERTDESK_FIRST_FRAME"

// Run opens the main window of a over core, runs the core's scheduler
// while it is open (its events reach the views through fyne.Do) and
// returns when the app quits. schedule, if not nil, is the OS scheduler
// the settings offer. With Settings.StartInTray the window starts hidden
// in the system tray. SIGINT and SIGTERM quit cleanly.
func Run(a fyne.App, core *app.Core, schedule *app.Scheduler) error {
	noSystemTray = runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == ""
	w := a.NewWindow("certdesk")
	v := newMainView(a, w, NewAppCore(core, schedule), time.Now, &tasks{})
	w.SetMainMenu(v.menu)
	w.SetOnDropped(v.onDropped)
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyF5 {
			v.refresh()
		}
	})
	content := v.content
	if os.Getenv(FirstFrameEnv) != "" {
		content = firstFrame(a, v)
	}
	w.SetContent(content)
	w.Resize(fyne.NewSize(1200, 760))
	w.SetMaster()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// The scheduler's first check (a pulse at once) starts when the first
	// store is on screen.
	v.afterFirstLoad(func(int) {
		if err := core.Start(ctx); err != nil {
			fyne.LogError("start the renewal scheduler", err)
		}
	})
	defer core.Stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			fyne.Do(a.Quit)
		case <-ctx.Done():
		}
	}()
	if core.Settings().StartInTray && os.Getenv(FirstFrameEnv) == "" {
		a.Run()
	} else {
		w.ShowAndRun()
	}
	return nil
}

// firstFrame wraps the main view so that the first frame painted after the
// first store's rows arrived prints the elapsed time and quits: a 1×1
// raster is added in the same UI-thread turn as the rows, and its image is
// generated while that frame is painted.
func firstFrame(a fyne.App, v *mainView) fyne.CanvasObject {
	probe := container.NewWithoutLayout()
	var painted sync.Once
	v.afterFirstLoad(func(entries int) {
		r := canvas.NewRaster(func(w, h int) image.Image {
			painted.Do(func() {
				fmt.Printf("first frame: %.1f ms, %d entries\n", float64(time.Since(started).Microseconds())/1000, entries)
				go fyne.Do(a.Quit)
			})
			img := image.NewRGBA(image.Rect(0, 0, 1, 1))
			img.Set(0, 0, color.Transparent)
			return img
		})
		r.Resize(fyne.NewSize(1, 1))
		probe.Add(r)
	})
	return container.NewStack(v.content, probe)
}
