package config

import (
	"reflect"
	"strings"

	"github.com/muster-bot/muster/internal/redact"
)

// Redaction replaces a secret's value in Redacted copies.
const Redaction = "[redacted]"

// applyEnv sets every field tagged env from its variable, when the variable
// is set, walking the sections of c. Values are trimmed, as secrets read
// from files often end in a newline.
func applyEnv(c *Config, getenv func(string) string, r *report) {
	eachField(reflect.ValueOf(c).Elem(), "", func(f reflect.StructField, v reflect.Value, path string) {
		name := f.Tag.Get("env")
		if name == "" || v.Kind() != reflect.String {
			return
		}
		if val := strings.TrimSpace(getenv(name)); val != "" {
			v.SetString(val)
			r.env[path] = name
		}
	})
}

// Redacted returns a deep copy of c in which every field tagged
// secret:"true" that is set holds Redaction instead. It is the one place
// secrets are hidden: tagging a new field is all it takes. An unset secret
// stays empty, so logs still show what is configured.
func (c *Config) Redacted() *Config {
	out := reflect.New(reflect.TypeFor[Config]()).Elem()
	deepCopy(out, reflect.ValueOf(c).Elem())
	eachField(out, "", func(f reflect.StructField, v reflect.Value, _ string) {
		if f.Tag.Get("secret") == "true" && !v.IsZero() {
			if v.Kind() == reflect.String {
				v.SetString(Redaction)
			} else {
				v.SetZero()
			}
		}
	})
	redacted := out.Addr().Interface().(*Config)
	// Webhook receivers take their tokens in the URL.
	for i, u := range redacted.Webhooks.URLs {
		redacted.Webhooks.URLs[i] = redact.URL(u)
	}
	return redacted
}

// eachField calls fn for every exported field of the struct v and of the
// structs nested in it (not those inside lists).
func eachField(v reflect.Value, prefix string, fn func(reflect.StructField, reflect.Value, string)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := yamlName(f)
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := join(prefix, name)
		fn(f, v.Field(i), path)
		if f.Type.Kind() == reflect.Struct {
			eachField(v.Field(i), path, fn)
		}
	}
}

// deepCopy copies src into dst, duplicating slices and pointers so that
// the copy shares no memory with the original.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Struct:
		dst.Set(src) // unexported fields, shallowly
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}
