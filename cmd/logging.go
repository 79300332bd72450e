package cmd

import (
	"context"
	"log/slog"
)

// dropHandler leaves out records with the given messages.
type dropHandler struct {
	slog.Handler
	msgs []string
}

func (d dropHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, m := range d.msgs {
		if r.Message == m {
			return nil
		}
	}
	return d.Handler.Handle(ctx, r)
}

func (d dropHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return dropHandler{d.Handler.WithAttrs(as), d.msgs}
}

func (d dropHandler) WithGroup(name string) slog.Handler {
	return dropHandler{d.Handler.WithGroup(name), d.msgs}
}
