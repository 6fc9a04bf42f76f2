package ui

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/signal"
	"runtime"
	"strings"
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

// FirstFrameEnv names the environment variable that makes Run print, once
// the first frame showing the rows of the first store has been painted,
// "first frame: T ms, N entries, peak P KiB" (time since process start,
// the store's entries, the peak resident memory so far) and quit. It is
// for scripts/bench-gui.sh.
const FirstFrameEnv = "CERTDESK_FIRST_FRAME"

// Run opens the main window of a over core and returns when the app
// quits. schedule, if not nil, is the OS scheduler the settings offer.
// Work that can wait — the tray's count and the core's in-process
// scheduler (a check at once, then every Settings.CheckInterval; its
// events reach the views through fyne.Do) — starts once the first store
// is painted, so it does not compete with the first frame. With
// Settings.StartInTray the window starts hidden in the system tray, where
// there is one.
// SIGINT and SIGTERM quit cleanly.
func Run(a fyne.App, core *app.Core, schedule *app.Scheduler) error {
	noSystemTray = runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == ""
	bench := os.Getenv(FirstFrameEnv) != ""
	applyTheme(a)
	w := a.NewWindow("certdesk")
	v := newMainView(a, w, newAppCore(core, schedule), time.Now, &tasks{})
	v.held = &[]func(){}
	w.SetMainMenu(v.menu)
	w.SetOnDropped(v.onDropped)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	v.background(func() {
		if err := core.Start(ctx); err != nil {
			fyne.LogError("start the renewal scheduler", err)
		}
	})
	defer core.Stop()

	// A 1×1 raster added in the same UI-thread turn as the first store's
	// rows: its image is generated while the frame showing them is painted.
	probe := container.NewWithoutLayout()
	var painted sync.Once
	v.afterFirstLoad(func(entries int) {
		r := canvas.NewRaster(func(int, int) image.Image {
			painted.Do(func() {
				if bench {
					fmt.Printf("first frame: %.1f ms, %d entries, peak %d KiB\n",
						float64(time.Since(started).Microseconds())/1000, entries, peakRSS())
					go fyne.Do(a.Quit)
					return
				}
				go fyne.Do(v.release)
			})
			img := image.NewRGBA(image.Rect(0, 0, 1, 1))
			img.Set(0, 0, color.Transparent)
			return img
		})
		r.Resize(fyne.NewSize(1, 1))
		probe.Add(r)
	})
	w.SetContent(container.NewStack(v.content, probe))
	w.Resize(fyne.NewSize(1200, 760))
	w.SetMaster()

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
	if core.Settings().StartInTray && !bench && !noSystemTray {
		// Nothing is painted while hidden: start the background now.
		v.release()
		a.Run()
	} else {
		w.ShowAndRun()
	}
	return nil
}

// peakRSS returns the process's peak resident memory in KiB (VmHWM), or 0
// where /proc cannot tell.
func peakRSS() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	return 0
}
