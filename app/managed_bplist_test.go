package app

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"
)

// nestedBplist is a binary plist of depth arrays, each referring width
// times to the next, the last to a string: a few hundred bytes that
// stand for width^depth values. With loop, the last array refers to the
// first instead.
func nestedBplist(depth, width int, loop bool) []byte {
	var b bytes.Buffer
	b.WriteString("bplist00")
	var offs []int
	for i := range depth {
		offs = append(offs, b.Len())
		b.Write([]byte{0xaf, 0x10, byte(width)}) // an array, its count as a one-byte integer
		next := byte(i + 1)
		if loop && i == depth-1 {
			next = 0
		}
		for range width {
			b.WriteByte(next)
		}
	}
	offs = append(offs, b.Len())
	b.Write([]byte{0x51, 'x'}) // the string "x"
	table := b.Len()
	for _, o := range offs {
		b.WriteByte(byte(o))
	}
	tr := make([]byte, 32)
	tr[6], tr[7] = 1, 1
	binary.BigEndian.PutUint64(tr[8:], uint64(len(offs)))
	binary.BigEndian.PutUint64(tr[24:], uint64(table))
	b.Write(tr)
	return b.Bytes()
}

// TestManagedPlistExpansion: a binary plist that would expand into
// billions of values, or loops, is refused at once as one problem; one
// that shares objects as macOS writes them (equal values once) is read.
func TestManagedPlistExpansion(t *testing.T) {
	small := nestedBplist(2, 3, false)
	if err := checkBplistSize(small); err != nil {
		t.Fatalf("a small nested plist: %v", err)
	}
	if v, err := decodePlist(small); err != nil || len(v.([]any)) != 3 {
		t.Fatalf("the generator makes no valid plist: %v, %v", v, err)
	}
	for name, data := range map[string][]byte{"bomb": nestedBplist(12, 15, false), "loop": nestedBplist(3, 2, true)} {
		p := writePlist(t, t.TempDir(), "p.plist", data)
		m, _, err := readManagedPlists([]string{p})
		if err == nil || m != nil || !strings.Contains(err.Error(), "stands for more values") {
			t.Errorf("%s: %v, %v", name, m, err)
		}
	}
	// Equal values written once and referred to from every server.
	servers := make([]any, 200)
	for i := range servers {
		servers[i] = map[string]any{"url": "https://cep.example/CEP" + strings.Repeat("x", i), "auth": "anonymous", "autoEnroll": true}
	}
	data, err := plist.Marshal(map[string]any{"servers": servers}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := readManagedPlists([]string{writePlist(t, t.TempDir(), "p.plist", data)})
	if err != nil || len(m.Servers("")) != 200 || len(m.Problems) != 0 {
		t.Errorf("shared values: %v, %v", m, err)
	}
}

// FuzzManagedPlist: any managed-preferences file, binary, XML or text,
// gives a configuration with its problems, or one sentence; never a
// panic, and never the copying of a reference bomb.
func FuzzManagedPlist(f *testing.F) {
	f.Add(nestedBplist(3, 2, false))
	f.Add(nestedBplist(3, 2, true))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>settings</key><dict><key>renewalDays</key><integer>20</integer></dict>` +
		`<key>servers</key><array><dict><key>url</key><string>https://ca.example/CEP</string><key>auth</key><string>anonymous</string></dict></array>` +
		`<key>contexts</key><dict><key>machine</key><dict><key>metricsDir</key><string>/var/lib/m</string></dict></dict></dict></plist>`))
	f.Add([]byte(`{ settings = { renewalDays = 20; }; contexts = { user = { servers = ( { url = "https://a/CEP"; } ); }; }; }`))
	path := filepath.Join(f.TempDir(), "io.github.certdesk.plist")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, _, err := readManagedPlists([]string{path})
		if err != nil && strings.Contains(err.Error(), "\n") || err == nil && m == nil {
			t.Fatalf("%v, %v", m, err)
		}
	})
}
