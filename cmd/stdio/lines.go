package stdio

import (
	"bufio"
	"errors"
	"io"
	"slices"
)

// chunkSize is how much of stdin is read at a time. A line is assembled
// from chunks, so one line never costs more than the limit plus a chunk.
const chunkSize = 64 << 10

// lineReader splits the client's input into lines and never holds more
// than max bytes of one: the rest of a longer line is counted and skipped
// as it arrives (bufio.Reader.ReadString would buffer a 100 MB line whole).
type lineReader struct {
	r   *bufio.Reader
	max int
	err error // sticky: a read error is not repeated by every reader
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, chunkSize), max: max}
}

// next returns the next line without its newline. A line longer than max
// comes back as nil with its full length in tooLong. At the end of input
// (after a last line without a newline) err is io.EOF, or the read error.
func (l *lineReader) next() (line []byte, tooLong int64, err error) {
	if l.err != nil {
		return nil, 0, l.err
	}
	var n int64
	for {
		chunk, err := l.r.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		n += int64(len(chunk))
		if n <= int64(l.max) {
			if need := len(line) + len(chunk); need > cap(line) {
				// Double, not append's 1.25×: a line near the limit then
				// costs twice the limit in garbage, not five times.
				line = slices.Grow(line, min(max(2*cap(line), need), l.max)-len(line))
			}
			line = append(line, chunk...)
		} else {
			line = nil // let the collector have it while the rest is skipped
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			l.err = err
			if n == 0 {
				return nil, 0, err
			}
		}
		if n > int64(l.max) {
			return nil, n, nil
		}
		if line == nil {
			line = []byte{} // an empty line is a line, not the end
		}
		return line, 0, nil
	}
}
