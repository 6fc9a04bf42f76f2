package ui

import (
	"bytes"
	"io/fs"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/storage/repository"

	"github.com/certdesk/certdesk/internal/atomicfile"
)

// fileRepository is what the drivers' own "file" repository implements.
type fileRepository interface {
	repository.WritableRepository
	repository.DeleteAllRepository
	repository.AppendableRepository
	repository.HierarchicalRepository
	repository.ListableRepository
	repository.MovableRepository
	repository.CopyableRepository
}

// atomicFiles is the driver's "file" repository with the one change the
// Save dialogs need: its Writer opens nothing. Fyne's opens (creates,
// truncates) the chosen file before the dialog returns: 0644, and on the
// UI thread, where a named pipe blocks the window. A fileWriter instead
// collects the bytes and writes them on Close with atomicfile.Write, which
// refuses pipes, devices and symbolic links.
type atomicFiles struct{ fileRepository }

// Writer returns a fileWriter for u; nothing is opened yet.
func (r atomicFiles) Writer(u fyne.URI) (fyne.URIWriteCloser, error) {
	return &fileWriter{uri: u, mode: 0o600}, nil
}

// useAtomicFiles puts atomicFiles over the "file" repository the driver
// registered (the window's, or a test's).
func useAtomicFiles() {
	prev, err := repository.ForScheme("file")
	if err != nil {
		return
	}
	if fr, ok := prev.(fileRepository); ok {
		if _, done := prev.(atomicFiles); !done {
			repository.Register("file", atomicFiles{fr})
		}
	}
}

// fileWriter writes a local file atomically on Close, with mode (0600
// unless the caller says otherwise: exports hold keys).
type fileWriter struct {
	uri       fyne.URI
	mode      fs.FileMode
	buf       bytes.Buffer
	discarded bool
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

// URI returns the file's URI.
func (w *fileWriter) URI() fyne.URI { return w.uri }

// Close writes the file, unless the write was discarded.
func (w *fileWriter) Close() error {
	if w.discarded {
		return nil
	}
	return atomicfile.Write(w.uri.Path(), w.buf.Bytes(), w.mode)
}

// finishSave writes data to w, a Save dialog's writer, with mode where w
// is a local file, and closes it. After a failure to make the data (err)
// nothing is written: a local file is not even created.
func finishSave(w fyne.URIWriteCloser, mode fs.FileMode, data []byte, err error) error {
	fw, local := w.(*fileWriter)
	if local {
		fw.mode = mode
		fw.discarded = err != nil
	}
	if err == nil {
		_, err = w.Write(data)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// showSave asks where to save a file, suggesting name, and hands the
// chosen file's writer to write.
func showSave(win fyne.Window, name string, write func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(savedTo(win, write), win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// savedTo is the Save dialog's callback: an error of the dialog is shown,
// not dropped, and a path typed as the file name ("/tmp/a.pfx", which the
// dialog appends to its folder as ".../folder//tmp/a.pfx") is the path
// written.
func savedTo(win fyne.Window, write func(fyne.URIWriteCloser)) func(fyne.URIWriteCloser, error) {
	return func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			showError(win, "The file could not be saved there.", err)
			return
		}
		if w == nil {
			return // cancelled
		}
		if fw, ok := w.(*fileWriter); ok {
			if i := strings.LastIndex(fw.uri.Path(), "//"); i >= 0 {
				fw.uri = storage.NewFileURI(fw.uri.Path()[i+1:])
			}
		}
		write(w)
	}
}
