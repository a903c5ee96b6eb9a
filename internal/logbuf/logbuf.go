// Package logbuf buffers a log's output in memory and writes it out in
// large chunks, so that a busy server does not pay a write system call for
// every log line.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer is an io.Writer that collects lines in a buffer and writes them
// to the underlying writer when the buffer fills, every interval, and on
// Flush and Close. A line is never split between two writes of the
// buffer. What is lost if the process dies abruptly is at most one
// interval's lines; a clean shutdown (Close) loses nothing.
type Writer struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	err    error
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// DefaultInterval is how often a Writer from New(w, 0) flushes.
const DefaultInterval = 100 * time.Millisecond

// bufSize is the buffer's size; a line longer than it is written through.
const bufSize = 64 << 10

// New returns a Writer that writes to w at least every interval
// (DefaultInterval when zero).
func New(w io.Writer, interval time.Duration) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	b := &Writer{buf: bufio.NewWriterSize(w, bufSize), stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop(interval)
	return b
}

func (b *Writer) loop(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write buffers p, which the log handlers call with one whole line. After
// Close it writes p through.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.buf.Available() < len(p) && b.buf.Buffered() > 0 {
		// Keep the line whole: write out what is buffered first.
		if b.err = b.buf.Flush(); b.err != nil {
			return 0, b.err
		}
	}
	n, err := b.buf.Write(p)
	if err == nil && b.closed {
		err = b.buf.Flush()
	}
	b.err = err
	return n, err
}

// Flush writes out the buffered lines.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = b.buf.Flush()
	}
	return b.err
}

// Close stops the periodic flush and writes out the buffered lines. Lines
// written after Close go straight through, so nothing logged during the
// rest of a shutdown is lost. It does not close the underlying writer.
func (b *Writer) Close() error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}
