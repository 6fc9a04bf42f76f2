package app

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// maxPlistValues caps the values a managed-preferences plist may stand
// for once every reference is followed: far above any real file.
const maxPlistValues = 1 << 16

// errPlistExpands is a binary plist whose references, followed, make more
// values than maxPlistValues, or loop.
var errPlistExpands = errors.New("refers to its objects so often that it stands for more values than certdesk reads")

// checkBplistSize refuses a binary property list that would expand too
// far. A binary plist refers to objects by number and may refer to one
// object many times (macOS does, for equal values); howett.net/plist
// copies an object at each reference, so a few hundred bytes of arrays
// referring to the next array fifteen times over would become billions of
// values. It counts the values the top object stands for, each object
// once (memoised), and leaves any other flaw of the file to the parser.
func checkBplistSize(data []byte) error {
	n := len(data)
	if n < 40 || !bytes.HasPrefix(data, []byte("bplist")) {
		return nil
	}
	tr := data[n-32:]
	offSize, refSize := int(tr[6]), int(tr[7])
	count, top, table := binary.BigEndian.Uint64(tr[8:]), binary.BigEndian.Uint64(tr[16:]), binary.BigEndian.Uint64(tr[24:])
	if offSize < 1 || offSize > 8 || refSize < 1 || refSize > 8 || count > uint64(n) || top >= count ||
		table > uint64(n-32) || count*uint64(offSize) > uint64(n-32)-table {
		return nil
	}
	be := func(b []byte) uint64 {
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		return v
	}
	sizes := make([]uint64, count) // 0: not counted yet
	onPath := make([]bool, count)
	var size func(i uint64) (uint64, bool)
	size = func(i uint64) (uint64, bool) {
		if sizes[i] > 0 {
			return sizes[i], true
		}
		if onPath[i] {
			return 0, false
		}
		off := be(data[table+i*uint64(offSize):][:offSize])
		if off >= uint64(n-32) {
			return 1, true
		}
		marker := data[off]
		refs, at := uint64(marker&0x0f), off+1
		switch marker >> 4 {
		case 0xa, 0xb, 0xc, 0xd: // array, ordered set, set, dictionary
		default:
			sizes[i] = 1
			return 1, true
		}
		if refs == 0x0f { // the count follows as an integer object
			if at >= uint64(n-32) || data[at]>>4 != 1 || data[at]&0x0f > 3 {
				return 1, true
			}
			w := uint64(1) << (data[at] & 0x0f)
			if at+1+w > uint64(n-32) {
				return 1, true
			}
			refs, at = be(data[at+1:][:w]), at+1+w
		}
		if marker>>4 == 0xd {
			refs *= 2 // keys, then values
		}
		if refs > uint64(n) || at+refs*uint64(refSize) > uint64(n-32) {
			return 1, true
		}
		onPath[i] = true
		total := uint64(1)
		for r := range refs {
			child := be(data[at+r*uint64(refSize):][:refSize])
			if child >= count {
				continue
			}
			s, ok := size(child)
			if !ok {
				return 0, false
			}
			if total += s; total > maxPlistValues {
				return 0, false
			}
		}
		onPath[i] = false
		sizes[i] = total
		return total, true
	}
	if _, ok := size(top); !ok {
		return errPlistExpands
	}
	return nil
}
