package muster

import (
	"errors"
	"fmt"
)

// Error codes classify failures so that each adapter can turn them into a
// short sentence for the user while operators still get the wrapped chain.
const (
	ECONFLICT = "conflict"  // the change contradicts the current state (resolve twice)
	EINTERNAL = "internal"  // a bug or an I/O failure; the user sees a generic sentence
	EINVALID  = "invalid"   // the input is malformed or names something unknown
	ENOTFOUND = "not_found" // the incident, room or entry does not exist
)

// Error is a failure the user caused or can fix. Message is written for
// the person who typed the command: one sentence, naming what was wrong and
// the valid choices.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("muster error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Internal errors are
// not shown to users: their text may hold paths, tokens or stack details.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side; the error is logged. Nothing you already recorded is lost."
}
