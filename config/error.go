package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error lists every problem found in a config, so that one run of
// `muster check-config` shows them all instead of one per attempt.
type Error struct {
	Problems []Problem
}

// Problem is one bad or unknown setting. File is the config file's name,
// or "environment" for a variable; Line is 1-based and 0 when the setting
// has no line (a default or an environment variable). Key is the setting's
// path, such as severities[1].update_every.
type Problem struct {
	File string
	Line int
	Key  string
	Msg  string
}

// String renders the problem the way compilers do, so editors can jump to
// it: muster.yaml:12: severities[1].update_every: "30 mins" is not a duration.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Key != "" {
		b.WriteString(": " + p.Key)
	}
	b.WriteString(": " + p.Msg)
	return b.String()
}

// Error returns one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) > 1 {
		return fmt.Sprintf("%d problems in the config:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	return strings.Join(lines, "\n")
}

// report collects problems while a config is decoded and validated.
type report struct {
	file     string
	lines    map[string]int    // setting path → line of its key in the file
	env      map[string]string // setting path → environment variable it came from
	bad      map[string]bool   // paths that already have a problem
	problems []Problem
}

func newReport(file string) *report {
	return &report{file: file, lines: map[string]int{}, env: map[string]string{}, bad: map[string]bool{}}
}

// given reports whether the file sets path.
func (r *report) given(path string) bool {
	_, ok := r.lines[path]
	return ok
}

// line returns the line of path, or of its nearest ancestor that the file
// sets, or 0.
func (r *report) line(path string) int {
	for path != "" {
		if l, ok := r.lines[path]; ok {
			return l
		}
		path = parent(path)
	}
	return 0
}

// addf records a problem with the setting at path. A setting gets only its
// first problem, so a value that failed to decode is not also reported as,
// say, too small.
func (r *report) addf(path, format string, args ...any) {
	r.addLinef(r.line(path), path, format, args...)
}

// addLinef is addf for a setting whose problem is best shown at another
// line, such as a missing key's section.
func (r *report) addLinef(line int, path, format string, args ...any) {
	if r.bad[path] {
		return
	}
	r.bad[path] = true
	p := Problem{File: r.file, Line: line, Key: path, Msg: fmt.Sprintf(format, args...)}
	if name, ok := r.env[path]; ok {
		p = Problem{File: "environment", Key: name, Msg: p.Msg}
	}
	r.problems = append(r.problems, p)
}

// addAt records a problem found while reading the file, at a given line.
func (r *report) addAt(line int, key, msg string) {
	r.problems = append(r.problems, Problem{File: r.file, Line: line, Key: key, Msg: msg})
}

// envf records a problem with how environment variables are combined.
func (r *report) envf(name, format string, args ...any) {
	r.problems = append(r.problems, Problem{File: "environment", Key: name, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems in file order, or nil when there are none.
func (r *report) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	ps := slices.Clone(r.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := cmp.Compare(fileRank(a), fileRank(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return &Error{Problems: ps}
}

// fileRank puts the file's problems first, then the environment's.
func fileRank(p Problem) int {
	if p.File == "environment" {
		return 1
	}
	return 0
}

// parent strips the last element of a path: severities[1].name →
// severities[1] → severities → "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
