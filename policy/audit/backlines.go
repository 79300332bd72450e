package audit

import (
	"bytes"
	"io"
)

// backLines reads the lines of a file backwards, last first, in growing
// chunks: opening a large trail, or finding where it continues its
// checkpoint, costs what is read from its end, not the whole file.
type backLines struct {
	f     io.ReaderAt
	start int64  // file offset of buf[0]
	buf   []byte // the unread part of the file before the lines returned so far
}

func newBackLines(f io.ReaderAt, size int64) *backLines {
	return &backLines{f: f, start: size}
}

// next returns the line before those returned so far, without its
// newline; ok is false at the start of the file. The first line returned
// is whatever follows the file's last newline, which is a torn line when
// the file does not end in one (or empty when it does: see lastLine).
func (b *backLines) next() (line []byte, ok bool, err error) {
	for {
		if i := bytes.LastIndexByte(b.buf, '\n'); i >= 0 {
			line, b.buf = b.buf[i+1:], b.buf[:i]
			return line, true, nil
		}
		if b.start == 0 {
			if b.buf == nil {
				return nil, false, nil
			}
			line, b.buf = b.buf, nil
			return line, true, nil
		}
		chunk := min(b.start, max(64<<10, int64(len(b.buf))))
		nb := make([]byte, chunk+int64(len(b.buf)))
		if _, err := b.f.ReadAt(nb[:chunk], b.start-chunk); err != nil && err != io.EOF {
			return nil, false, err
		}
		copy(nb[chunk:], b.buf)
		b.start -= chunk
		b.buf = nb
	}
}

// lastLine returns the last complete line of a file of the given size
// (without its newline) and whether an incomplete line follows it, and the
// reader positioned before that line for a caller that walks on.
func lastLine(f io.ReaderAt, size int64) (line []byte, torn bool, bl *backLines, err error) {
	bl = newBackLines(f, size)
	if size == 0 {
		return nil, false, bl, nil
	}
	// The text after the last newline: empty when the file ends in one,
	// else a line cut short by a crash.
	tail, _, err := bl.next()
	if err != nil {
		return nil, false, bl, err
	}
	torn = len(tail) > 0
	line, ok, err := bl.next()
	if err != nil || !ok {
		return nil, torn, bl, err
	}
	return line, torn, bl, nil
}
