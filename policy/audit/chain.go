package audit

import "fmt"

// ChainError says that a trail does not continue its checkpoint: it was
// cut short, truncated, replaced, or rewritten short of the checkpoint.
type ChainError struct {
	Path       string
	Checkpoint Head // what the checkpoint says
	Reason     string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit: %s does not continue its checkpoint %s: %s. Nothing more is written to it: "+
		"inspect it with `vsphere-mcp audit verify`, then start a new trail with `vsphere-mcp audit rotate` (the old file is kept)",
		e.Path, HeadPath(e.Path), e.Reason)
}

// continues checks that a trail continues the chain head h: it holds the
// record h names (or starts with a rotation from at or after it) and ends
// at or after it. last is its last record (nil for an empty trail) and bl
// reads the lines before last, walked back only as far as h. It returns
// the reason when it does not.
func continues(last *chainFields, bl *backLines, h Head) string {
	if last == nil {
		return fmt.Sprintf("the file is empty but the checkpoint says %s: the trail was truncated, or removed and created again", h.describe())
	}
	if last.seq < h.Seq {
		return fmt.Sprintf("the file ends at seq %d but the checkpoint says %s: %d records are missing from the end", last.seq, h.describe(), h.Seq-last.seq)
	}
	c := *last
	for {
		switch {
		case c.seq == h.Seq && c.hash == h.Hash:
			return ""
		case c.seq == h.Seq:
			return fmt.Sprintf("record seq %d has hash %.12s…, not the checkpoint's %.12s…: the trail was rewritten", c.seq, c.hash, h.Hash)
		case c.seq == h.Seq+1 && c.prev == h.Hash:
			return ""
		case c.seq == h.Seq+1 && c.rotated:
			return fmt.Sprintf("the trail starts with a rotation from seq %d whose hash is not the checkpoint's %.12s…", h.Seq, h.Hash)
		case c.seq == h.Seq+1:
			return fmt.Sprintf("record seq %d does not follow the checkpoint's hash %.12s…: the trail was rewritten", c.seq, h.Hash)
		case c.seq < h.Seq:
			return fmt.Sprintf("there is no record seq %d (seq %d comes before a later one): the trail was rewritten", h.Seq, c.seq)
		case c.rotated:
			return "" // a rotation from after the checkpoint: what h names is in the previous file
		}
		line, ok, err := bl.next()
		if err != nil {
			return fmt.Sprintf("reading back to seq %d: %v", h.Seq, err)
		}
		if !ok {
			return fmt.Sprintf("the file starts at seq %d, after the checkpoint's %s, and not with a rotation", c.seq, h.describe())
		}
		p, err := parseLine(line)
		if err != nil {
			return fmt.Sprintf("the line before seq %d is not an audit record (%v)", c.seq, err)
		}
		if p.seq >= c.seq {
			return fmt.Sprintf("seq %d comes before seq %d: the trail was rewritten", p.seq, c.seq)
		}
		c = p
	}
}
