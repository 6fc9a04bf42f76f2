package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary act as a child process importing into the
// root in CERTDESK_TEST_ROOT (see TestMain).
const childEnv = "CERTDESK_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild imports freshly issued certificates with keys, one Import per
// certificate, and prints "done THUMBPRINT" after each returns. "crash"
// loops until killed; "import:N" imports N and exits.
func runChild(mode string) int {
	t := &testing.T{} // the helpers only call Fatal on impossible errors
	s, err := Open(LocationAt(os.Getenv("CERTDESK_TEST_ROOT")), User)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if c, ok := strings.CutPrefix(mode, "batchhang:"); ok {
		return hangInBatch(s, c)
	}
	n := -1
	if c, ok := strings.CutPrefix(mode, "import:"); ok {
		fmt.Sscan(c, &n)
	}
	p := newPKI(t)
	for i := 0; i != n; i++ {
		leaf, key := p.leaf(t, fmt.Sprintf("child-%d-%d.example", os.Getpid(), i))
		if _, err := s.Import(context.Background(), "c.pem", concat(pemCert(leaf), pemKey(t, key)), ImportOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("done %s\n", Thumbprint(leaf.Raw))
	}
	return 0
}

// hangInBatch adds count key-less certificates in one Batch, printing
// "entry THUMBPRINT" after each entry file is written, then "written", and
// waits inside the Batch, before its commit, to be killed.
func hangInBatch(s *Store, count string) int {
	t := &testing.T{}
	var n int
	fmt.Sscan(count, &n)
	p := newPKI(t)
	err := s.Batch(context.Background(), func(tx *Tx) error {
		for i := range n {
			leaf, _ := p.leaf(t, fmt.Sprintf("batch-%d.example", i))
			if _, _, err := tx.Add(context.Background(), My, leaf, nil, Meta{}); err != nil {
				return err
			}
			fmt.Printf("entry %s\n", Thumbprint(leaf.Raw))
		}
		fmt.Println("written")
		select {}
	})
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// startChild runs the test binary as a child in mode over root.
func startChild(t *testing.T, root, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "CERTDESK_TEST_ROOT="+root)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// readDone collects the thumbprints a child reported as imported.
// first, if not nil, is closed after the first.
func readDone(sc *bufio.Scanner, into map[string]bool, first chan struct{}) {
	for sc.Scan() {
		if t, ok := strings.CutPrefix(sc.Text(), "done "); ok {
			into[t] = true
			if first != nil {
				close(first)
				first = nil
			}
		}
	}
}

// TestCrashSafety kills an importing child with SIGKILL at random moments,
// many times; afterwards Verify finds no damage and every import the child
// reported as done is listed.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s, root := newTestStore(t)
	done := map[string]bool{}
	const rounds = 40
	for i := range rounds {
		cmd, sc := startChild(t, root, "crash")
		ch := make(chan struct{})
		first := make(chan struct{})
		go func() { readDone(sc, done, first); close(ch) }()
		if i == 0 {
			// The first round lets the child finish one import (creating
			// the key-encryption key), however slow the machine is, so
			// the test always has something to check.
			select {
			case <-first:
			case <-time.After(2 * time.Minute):
				t.Fatal("the child finished no import in 2 minutes")
			}
		}
		time.Sleep(time.Duration(30+rand.IntN(120)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-ch
		cmd.Wait()
	}
	if len(done) == 0 {
		t.Fatal("the child never finished an import")
	}
	ctx := context.Background()
	r, err := s.Verify(ctx)
	if err != nil || r.Damaged() {
		t.Fatalf("Verify after %d kills: %+v, %v", rounds, r, err)
	}
	es, err := s.List(ctx, My, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range es {
		listed[e.Thumbprint] = e.HasKey
	}
	for th := range done {
		if !listed[th] {
			t.Errorf("reported import %s missing or without key", th)
		}
	}
	t.Logf("%d kills, %d imports reported, %d entries, %d repaired leftovers", rounds, len(done), len(es), len(r.Problems))
}

// TestConcurrentImports: two processes import 500 different certificates
// each into one store; the store ends with all 1000.
func TestConcurrentImports(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s, root := newTestStore(t)
	if haveKeyring(t) { // create the KEK up front, as a first import would
		p := newPKI(t)
		leaf, key := p.leaf(t, "first.example")
		if _, _, err := s.Add(context.Background(), "Other", leaf, key, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	done := map[string]bool{}
	var cmds []*exec.Cmd
	var scs []*bufio.Scanner
	for range 2 {
		cmd, sc := startChild(t, root, "import:500")
		cmds, scs = append(cmds, cmd), append(scs, sc)
	}
	for i, cmd := range cmds {
		readDone(scs[i], done, nil)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	es, err := s.List(context.Background(), My, ListOptions{})
	if err != nil || len(es) != 1000 || len(done) != 1000 {
		t.Fatalf("List = %d entries (%d reported), %v", len(es), len(done), err)
	}
	if r, err := s.Verify(context.Background()); err != nil || len(r.Problems) != 0 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}
