package muster_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

// TestCloneSharesNothing fills every field of an incident, whatever fields
// it gains later, and checks that Clone copies them all and that changing
// the copy's maps and slices leaves the original as it was. A field of a
// kind fill does not know fails the test: Clone must learn it first.
func TestCloneSharesNothing(t *testing.T) {
	var orig, want muster.Incident // filled alike, want apart from Clone
	fill(t, reflect.ValueOf(&orig).Elem(), "Incident")
	fill(t, reflect.ValueOf(&want).Elem(), "Incident")
	c := orig.Clone()
	if !reflect.DeepEqual(c, &orig) {
		t.Fatalf("clone differs from the original:\n%+v\n%+v", c, &orig)
	}
	scribble(reflect.ValueOf(c).Elem())
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("changing the clone changed the original:\n%+v\nwant %+v", orig, want)
	}
}

// fill sets v, and everything in it, to something other than its zero.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			v.SetInt(int64(time.Minute))
		} else {
			v.SetInt(7)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), path+"[]")
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+".key")
		fill(t, e, path+".value")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), path)
		v.Set(p)
	default:
		t.Fatalf("%s: fill knows no %s; teach it, and Incident.Clone, this kind", path, v.Kind())
	}
}

// scribble changes every element of every map and slice in v.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			scribble(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			e := v.Index(i)
			e.Set(reflect.Zero(e.Type()))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.Zero(v.Type().Elem()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			e := v.Elem()
			e.Set(reflect.Zero(e.Type()))
		}
	}
}
