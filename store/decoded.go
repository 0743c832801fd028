package store

import (
	"bytes"
	"sync"

	"github.com/muster-bot/muster"
)

// decodedMax bounds how many incidents decoded keeps: many more than are
// worked on at once, few enough that memory does not notice.
const decodedMax = 128

// decoded keeps the decoding of the incidents read last. A
// command reads its incident two or three times (whose room, the change,
// the answer), and decoding an incident's JSON grows with its role and
// severity history: under the load command, whose clicks hand the IC role
// over again and again, it was a twentieth of muster's CPU time.
//
// A decoding is used only for the very bytes it was decoded from, which
// the caller has just read in its transaction, so it is never stale,
// whatever wrote the file or rolled back: other bytes decode afresh.
// Callers get clones, theirs to change.
type decoded struct {
	mu sync.Mutex
	m  map[int]decodedIncident
}

type decodedIncident struct {
	raw []byte // owned: not bbolt's memory, which lives as long as a transaction
	inc *muster.Incident
}

// get returns incident id decoded from raw, the bytes stored for it.
func (d *decoded) get(k, raw []byte, id int) (*muster.Incident, error) {
	d.mu.Lock()
	c, ok := d.m[id]
	d.mu.Unlock()
	if ok && bytes.Equal(c.raw, raw) {
		return c.inc.Clone(), nil
	}
	inc, err := decodeIncident(k, raw)
	if err != nil {
		return nil, err
	}
	d.keep(id, bytes.Clone(raw), inc.Clone())
	return inc, nil
}

// keep remembers inc as the decoding of raw; both are d's from now on.
func (d *decoded) keep(id int, raw []byte, inc *muster.Incident) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[int]decodedIncident)
	}
	if _, ok := d.m[id]; !ok && len(d.m) >= decodedMax {
		for other := range d.m { // any one: the map's order is random enough
			delete(d.m, other)
			break
		}
	}
	d.m[id] = decodedIncident{raw: raw, inc: inc}
}
