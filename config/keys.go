package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownKey explains an unknown key found in a section of type t: a
// secret that belongs in the environment, a near miss of a valid key, a key
// that belongs in another section, or else the valid keys.
func unknownKey(key string, t reflect.Type) string {
	for i := range t.NumField() {
		f := t.Field(i)
		if env := f.Tag.Get("env"); env != "" && yamlName(f) == "" && normalize(f.Name) == normalize(key) {
			return fmt.Sprintf("%s is read only from the environment, never from a file: set %s instead", key, env)
		}
	}
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	if best := closest(key, names); best != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", best)
	}
	var elsewhere []string
	for _, p := range schemaPaths(reflect.TypeFor[Config](), "") {
		leaf := p[strings.LastIndexAny(p, ".]")+1:]
		if normalize(leaf) == normalize(key) {
			elsewhere = append(elsewhere, p)
		}
	}
	if len(elsewhere) > 0 {
		return fmt.Sprintf("unknown key here; did you mean %s?", strings.Join(elsewhere, " or "))
	}
	return fmt.Sprintf("unknown key; valid keys here: %s", strings.Join(names, ", "))
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// schemaPaths lists every setting of a section, such as http.listen and
// severities[].update_every.
func schemaPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		p := join(prefix, name)
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			p += "[]"
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshalerType) {
			paths = append(paths, schemaPaths(ft, p)...)
			continue
		}
		paths = append(paths, p)
	}
	return paths
}

// closest returns the candidate that key most likely misspells, or "".
func closest(key string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		if normalize(c) == normalize(key) {
			return c // update-every, UpdateEvery
		}
		d := levenshtein(strings.ToLower(key), c)
		limit := 1
		if len(c) >= 5 {
			limit = 2
		}
		if len(c) >= 10 {
			limit = 3
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// normalize folds case and drops separators, so that update_every,
// update-every and updateEvery compare equal.
func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

// levenshtein is the edit distance between a and b, counted in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fieldsOf maps the YAML names of a struct's fields to their indexes.
func fieldsOf(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
		}
	}
	return fields
}

// yamlName is the field's key in the file, "" for fields not in the file.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if !f.IsExported() || name == "-" || name == "" {
		return ""
	}
	return name
}
