package testca

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// SCEPHTTP is the NDES SCEP endpoint of a Server served over plain HTTP,
// as NDES usually is (StartSCEPHTTP). Only PathSCEP answers there.
type SCEPHTTP struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
}

// StartSCEPHTTP serves s's SCEP endpoint over plain HTTP on addr (e.g.
// "127.0.0.1:0"), with the same RA certificates, challenges and faults.
func (s *Server) StartSCEPHTTP(addr string) (*SCEPHTTP, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("testca: listen on %s: %w", addr, err)
	}
	h := &SCEPHTTP{ln: ln, done: make(chan struct{})}
	h.http = &http.Server{ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", s.ca.now().UTC().Format(http.TimeFormat))
			if r.URL.Path == PathSCEPAdmin || !s.serveSCEP(w, r) {
				http.NotFound(w, r)
			}
		})}
	go func() {
		defer close(h.done)
		_ = h.http.Serve(ln)
	}()
	return h, nil
}

// URL returns the plain-HTTP SCEP URL.
func (h *SCEPHTTP) URL() string { return "http://" + h.ln.Addr().String() + PathSCEP }

// Close stops the listener.
func (h *SCEPHTTP) Close() error {
	err := h.http.Close()
	<-h.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
