package store

import (
	"encoding/binary"
	"errors"
	"time"
)

// The index is a compact binary file rather than gob or JSON: List and the
// nothing-due pulse read it on every run, and decoding must cost little
// more than reading the bytes. Strings are sliced out of one string made
// from the whole file, so decoding allocates the entry slice and the SAN
// slices but no string per field. The entry files stay JSON (the truth,
// readable by people and by repair); the index is only ever derived.
//
// Layout: magic "CDIX", uvarint version, uvarint count, then per entry the
// fields in the order of encodeEntry. Strings are uvarint length + bytes;
// times are a zero byte, or 1 + varint Unix seconds + uvarint nanoseconds
// (seconds, because NotAfter 9999-12-31 overflows UnixNano).
const indexMagic = "CDIX"

// errIndexShort is returned for a truncated or otherwise undecodable index.
var errIndexShort = errors.New("index ends early")

// encodeIndex serialises entries.
func encodeIndex(entries []Entry) []byte {
	b := make([]byte, 0, 64+len(entries)*640)
	b = append(b, indexMagic...)
	b = binary.AppendUvarint(b, indexVersion)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for i := range entries {
		b = encodeEntry(b, &entries[i])
	}
	return b
}

func encodeEntry(b []byte, e *Entry) []byte {
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	tm := func(t time.Time) {
		if t.IsZero() {
			b = append(b, 0)
			return
		}
		b = append(b, 1)
		b = binary.AppendVarint(b, t.Unix())
		b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	}
	flag := func(v bool) {
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	for _, s := range []string{string(e.Store), e.Thumbprint, e.SHA256, e.Subject, e.SubjectCN, e.Issuer, e.IssuerCN, e.Serial, e.KeyType} {
		str(s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.SANs)))
	for _, s := range e.SANs {
		str(s)
	}
	tm(e.NotBefore)
	tm(e.NotAfter)
	b = binary.AppendVarint(b, int64(e.KeySize))
	flag(e.HasKey)
	flag(e.SelfSigned)
	flag(e.IsCA)
	m := &e.Meta
	for _, s := range []string{m.FriendlyName, m.TemplateName, m.TemplateOID, m.PolicyServer, m.RequestID, m.PollURL} {
		str(s)
	}
	flag(m.Archived)
	tm(m.ImportedAt)
	str(e.KeyStorage)
	str(m.KeyStorage)
	str(m.KeyRef)
	flag(m.NonExportable)
	return b
}

// indexReader decodes from one string holding the whole file; the first
// error sticks and every later read returns zero values.
type indexReader struct {
	s   string
	err error
}

func (r *indexReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.err = errIndexShort
		return 0
	}
	r.s = r.s[n:]
	return v
}

func (r *indexReader) varint() int64 {
	u := r.uvarint()
	// Undo the zig-zag encoding of binary.AppendVarint.
	return int64(u>>1) ^ -int64(u&1)
}

func (r *indexReader) byte() byte {
	if r.err != nil || len(r.s) == 0 {
		r.err = errIndexShort
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

func (r *indexReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.err = errIndexShort
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

func (r *indexReader) time() time.Time {
	if r.byte() == 0 || r.err != nil {
		return time.Time{}
	}
	sec := r.varint()
	nsec := r.uvarint()
	return time.Unix(sec, int64(nsec)).UTC()
}

// entry decodes one entry as encodeEntry wrote it into e; v2 reads the
// layout of index version 2, which also held Meta.Renewal, always empty
// in the index (the core keeps the renewal state in retry.json); it is
// skipped.
func (r *indexReader) entry(e *Entry, v2 bool) {
	e.Store = Name(r.str())
	e.Thumbprint, e.SHA256 = r.str(), r.str()
	e.Subject, e.SubjectCN, e.Issuer, e.IssuerCN = r.str(), r.str(), r.str(), r.str()
	e.Serial, e.KeyType = r.str(), r.str()
	if k := r.uvarint(); k > 0 && k <= uint64(len(r.s)) {
		e.SANs = make([]string, k)
		for j := range e.SANs {
			e.SANs[j] = r.str()
		}
	} else if k > 0 {
		r.err = errIndexShort
	}
	e.NotBefore, e.NotAfter = r.time(), r.time()
	e.KeySize = int(r.varint())
	e.HasKey, e.SelfSigned, e.IsCA = r.byte() == 1, r.byte() == 1, r.byte() == 1
	m := &e.Meta
	m.FriendlyName, m.TemplateName, m.TemplateOID = r.str(), r.str(), r.str()
	m.PolicyServer, m.RequestID, m.PollURL = r.str(), r.str(), r.str()
	if v2 {
		r.str()
		r.time()
		r.time()
		r.varint()
		r.byte()
	}
	m.Archived = r.byte() == 1
	m.ImportedAt = r.time()
	e.KeyStorage, m.KeyStorage, m.KeyRef, m.NonExportable = r.str(), r.str(), r.str(), r.byte() == 1
}

// decodeIndex parses what encodeIndex wrote, or an index of version 2;
// any damage is ErrCorrupt.
func decodeIndex(data []byte) ([]Entry, error) {
	r := &indexReader{s: string(data)}
	if len(r.s) < len(indexMagic) || r.s[:len(indexMagic)] != indexMagic {
		return nil, ErrCorrupt
	}
	r.s = r.s[len(indexMagic):]
	v := r.uvarint()
	if v != indexVersion && v != 2 {
		return nil, ErrCorrupt
	}
	n := r.uvarint()
	// Each entry takes well over 16 bytes: a count beyond that is damage,
	// not a reason to allocate.
	if r.err != nil || n > uint64(len(r.s)/16+1) {
		return nil, ErrCorrupt
	}
	entries := make([]Entry, n)
	for i := range entries {
		if r.entry(&entries[i], v == 2); r.err != nil {
			return nil, ErrCorrupt
		}
	}
	if len(r.s) != 0 {
		return nil, ErrCorrupt
	}
	return entries, nil
}
