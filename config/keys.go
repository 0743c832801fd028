package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/muster-bot/muster/internal/suggest"
)

// unknownKey explains an unknown key found in a section of type t: a
// secret that belongs in the environment, a near miss of a valid key, a key
// that belongs in another section, or else the valid keys.
func unknownKey(key string, t reflect.Type) string {
	for i := range t.NumField() {
		f := t.Field(i)
		if env := f.Tag.Get("env"); env != "" && yamlName(f) == "" && suggest.Same(f.Name, key) {
			return fmt.Sprintf("%s is read only from the environment, never from a file: set %s instead", key, env)
		}
	}
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	if best := suggest.Closest(key, names); best != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", best)
	}
	var elsewhere []string
	for _, p := range schemaPaths(reflect.TypeFor[Config](), "") {
		leaf := p[strings.LastIndexAny(p, ".]")+1:]
		if suggest.Same(leaf, key) {
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
