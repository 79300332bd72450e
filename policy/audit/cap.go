package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Bad input must cost a bounded number of audit bytes: a 5 MB tool name or
// error message is written as its first bytes and a digest of the whole,
// so the line stays short and the original can still be matched.
const (
	// MaxField is the longest text field of a record (tool name, error,
	// profile, client name, target path…) kept whole.
	MaxField = 1 << 10
	// MaxArgs bounds a record's arguments: their JSON is cut to about this
	// many bytes, the rest replaced by a count and a digest.
	MaxArgs = 8 << 10
)

// Cap returns s when it fits in MaxField bytes, else as many leading bytes
// as fit (cut on a rune boundary) followed by a marker naming the length
// and the SHA-256 of the whole: "abc…(5242880 bytes, sha256:ab12…)". The
// result is at most MaxField bytes, and Cap(Cap(s)) == Cap(s).
func Cap(s string) string { return capTo(s, MaxField) }

// capTo is Cap with another limit, which must leave room for the marker.
func capTo(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	marker := "…(" + strconv.Itoa(len(s)) + " bytes, sha256:" + hex.EncodeToString(sum[:]) + ")"
	cut := max(0, limit-len(marker))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}

// capRecord caps every text field of r that Write does not set itself.
func capRecord(r *Record) {
	for _, p := range []*string{&r.Tool, &r.Error, &r.Profile, &r.Role, &r.Session, &r.OSUser,
		&r.Client.Name, &r.Client.Version, &r.VCenter.Host, &r.VCenter.User} {
		*p = Cap(*p)
	}
	if r.Rotated != nil {
		rot := *r.Rotated
		rot.File, rot.Reason = Cap(rot.File), Cap(rot.Reason)
		r.Rotated = &rot
	}
	// The caller's slices are not ours to change: copy only when needed.
	if slices.ContainsFunc(r.Targets, func(t Target) bool { return len(t.ID) > MaxField || len(t.Path) > MaxField }) {
		ts := make([]Target, len(r.Targets))
		for i, t := range r.Targets {
			ts[i] = Target{ID: Cap(t.ID), Path: Cap(t.Path)}
		}
		r.Targets = ts
	}
	if slices.ContainsFunc(r.TaskIDs, func(id string) bool { return len(id) > MaxField }) {
		ids := make([]string, len(r.TaskIDs))
		for i, id := range r.TaskIDs {
			ids[i] = Cap(id)
		}
		r.TaskIDs = ids
	}
}
