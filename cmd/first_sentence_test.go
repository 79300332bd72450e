package cmd

import "testing"

func TestFirstSentence(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"One. Two.", "One."},
		{"No stop", "No stop"},
		{"Create a tag category (e.g. env). Then more.", "Create a tag category (e.g. env)."},
		{"Answer it (i.e. yes or no), etc. and more. Rest.", "Answer it (i.e. yes or no), etc. and more."},
		{"Set it (e.g. owner", "Set it (e.g. owner"},
	} {
		if got := firstSentence(c.in); got != c.want {
			t.Errorf("firstSentence(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
