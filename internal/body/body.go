// Package body reads the body of a request from a chat platform, bounded,
// so that a huge body is refused with the right status before anything
// else is done with it.
package body

import (
	"errors"
	"io"
	"net/http"
)

// Read returns the request body, at most limit bytes. On failure it has
// already answered: 413 for a body over the limit, 400 for one that could
// not be read.
func Read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return b, true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	} else {
		http.Error(w, "cannot read request body", http.StatusBadRequest)
	}
	return nil, false
}
