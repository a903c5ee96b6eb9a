package main

import "context"

// prompted runs read, which waits for what the user types at a prompt, and
// returns its answer, or ctx's error as soon as ctx ends first. Ctrl-C no
// longer kills famictl but cancels ctx (main.go): without this, a first
// Ctrl-C at "sign this text? [y/N]" or a password prompt would seem
// ignored, the read waiting on for a line. A read of standard input
// cannot be interrupted, so it is left behind; famictl is ending.
func prompted(ctx context.Context, read func() (string, error)) (string, error) {
	type answer struct {
		text string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		text, err := read()
		done <- answer{text, err}
	}()
	select {
	case a := <-done:
		return a.text, a.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
