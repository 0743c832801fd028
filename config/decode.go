package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the work one file may cause, so that aliases referring
// to aliases cannot turn a small file into billions of values.
const maxNodes = 100_000

// decodeFile decodes data into c, which already holds the defaults. It
// walks the YAML node tree against the Go types itself, rather than using
// yaml's own decoder, so that it can record the line of every key, report
// every unknown key (with a suggestion) and every bad value, and tell a
// key given as an empty list from a key left out.
func decodeFile(data []byte, c *Config, r *report) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			r.syntax(err)
		}
		return
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		r.addAt(next.Line, "", "a config file holds one YAML document; remove the second one (after ---) or merge them")
	} else if !errors.Is(err, io.EOF) {
		r.syntax(err)
	}
	d := &decoder{r: r, active: map[*yaml.Node]bool{}, budget: maxNodes}
	d.value(&doc, reflect.ValueOf(c).Elem(), "")
}

var syntaxRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// syntax records a YAML syntax error, which yaml reports as "yaml: line 3: …".
func (r *report) syntax(err error) {
	msg, line := err.Error(), 0
	if m := syntaxRE.FindStringSubmatch(msg); m != nil && m[1] != "" {
		line, _ = strconv.Atoi(m[1])
	}
	r.addAt(line, "", "YAML syntax: "+syntaxRE.ReplaceAllString(msg, ""))
}

type decoder struct {
	r      *report
	active map[*yaml.Node]bool // aliases being expanded, to stop cycles
	budget int
}

// defaulter is implemented by list elements that have defaults of their
// own, such as a severity's escalate_after.
type defaulter interface{ setDefaults() }

// defaultEscalateAfter is a severity's escalate_after when the file has none.
const defaultEscalateAfter = 2

func (s *Severity) setDefaults() { s.EscalateAfter = defaultEscalateAfter }

// value decodes n into v, the setting at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.value(n.Content[0], v, path)
		}
		return
	case yaml.AliasNode:
		if d.follow(n, path) {
			d.value(n.Alias, v, path)
			delete(d.active, n)
		}
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.r.addf(path, "%v", err)
		}
		return
	}
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	switch v.Kind() {
	case reflect.Struct:
		if !null { // an empty section keeps its defaults
			d.mapping(n, v, path)
		}
	case reflect.Slice:
		if null { // an empty list, not a missing one
			v.SetZero()
			return
		}
		d.sequence(n, v, path)
	case reflect.Map:
		if null {
			v.SetZero()
			return
		}
		d.entries(n, v, path)
	case reflect.Pointer:
		if null {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path)
		v.Set(p)
	default:
		d.scalar(n, v, path, null)
	}
}

// spend counts a visited node and reports false once the budget is gone.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.r.addAt(n.Line, path, "the file expands to too many values; check its aliases (*name)")
	}
	return d.budget >= 0
}

// follow marks an alias as being expanded, or reports a cycle.
func (d *decoder) follow(n *yaml.Node, path string) bool {
	if n.Alias == nil {
		return false
	}
	if d.active[n] {
		d.r.addf(path, "alias *%s refers to itself", n.Value)
		return false
	}
	d.active[n] = true
	return true
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		line := d.r.line(path)
		if path == "" {
			line = n.Line // the file itself is not a mapping
		}
		d.r.addLinef(line, path, "expected keys and values (key: value), found %s", kindName(n))
		return
	}
	// Merged mappings (<<: *defaults) first, so that the mapping's own
	// keys override theirs, as YAML specifies.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			d.merge(n.Content[i+1], v, path)
		}
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			continue
		}
		key, ok := d.key(k, path, seen)
		if !ok {
			continue
		}
		f, ok := fields[k.Value]
		if !ok {
			d.r.addAt(k.Line, key, unknownKey(k.Value, v.Type()))
			continue
		}
		d.r.lines[key] = k.Line
		d.value(val, v.Field(f), key)
	}
}

// entries decodes a mapping whose keys are the user's (permissions'
// command names), not Go fields: each key's line is kept for the checks
// that only the wiring can make.
func (d *decoder) entries(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.r.addf(path, "expected keys and values (key: value), found %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero() // {} and an empty value both mean none
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.key(k, path, seen)
		if !ok {
			continue
		}
		d.r.lines[key] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(val, e, key)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

// key checks a mapping's key k under path: a plain word, given once
// (seen holds the lines of those before). It returns the key's path.
func (d *decoder) key(k *yaml.Node, path string, seen map[string]int) (string, bool) {
	if k.Kind != yaml.ScalarNode || isMerge(k) {
		d.r.addAt(k.Line, path, "keys must be plain words, found "+kindName(k))
		return "", false
	}
	key := join(path, k.Value)
	if first, dup := seen[k.Value]; dup {
		d.r.addAt(k.Line, key, fmt.Sprintf("given twice (first at line %d)", first))
		return "", false
	}
	seen[k.Value] = k.Line
	return key, true
}

// merge applies the value of a merge key: a mapping, an alias of one, or
// a list of those (earlier ones win).
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if d.follow(n, path) {
			d.merge(n.Alias, v, path)
			delete(d.active, n)
		}
	case yaml.SequenceNode:
		for i := len(n.Content) - 1; i >= 0; i-- {
			d.merge(n.Content[i], v, path)
		}
	default:
		d.mapping(n, v, path)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		msg := "expected a list, found " + kindName(n)
		if n.Kind == yaml.ScalarNode {
			msg += fmt.Sprintf("; write [%q] for a list of one", n.Value)
		}
		d.r.addf(path, "%s", msg)
		return
	}
	if len(n.Content) == 0 {
		v.SetZero() // [] and an empty value both mean an empty list
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.r.lines[p] = el.Line
		e := s.Index(i)
		if df, ok := e.Addr().Interface().(defaulter); ok {
			df.setDefaults()
		}
		d.value(el, e, p)
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string, null bool) {
	if n.Kind != yaml.ScalarNode {
		d.r.addf(path, "expected a single value, found %s", kindName(n))
		return
	}
	if null {
		v.SetZero()
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			d.r.addf(path, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if err := n.Decode(&i); err != nil {
			d.r.addf(path, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(int64(i))
	default:
		d.r.addf(path, "cannot be set in the file")
	}
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "keys and values"
	case yaml.AliasNode:
		if n.Alias != nil && n.Alias.Kind != yaml.AliasNode {
			return kindName(n.Alias)
		}
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
