package opendata

// OnFilesMade has f called as each dataset's files are made.
func (h *Handler) OnFilesMade(f func()) { h.madeFiles = f }
