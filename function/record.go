package function

import (
	"slices"

	"github.com/dop251/goja"
)

// The event object's own objects (event, context, viewer, request, response) are records:
// goja dynamic objects backed by a short ordered list of properties, which cost one allocation
// each instead of a property map filled one Set at a time. To the function they are ordinary
// extensible objects: properties are read, assigned, added, deleted, listed in order
// (Object.keys, JSON.stringify, spreading) and tested with `in`. What differs is only what
// no CloudFront example does: accessors cannot be defined on them, and Object.freeze throws.
//
// The field objects (request.querystring, request.headers, request.cookies, response.headers,
// response.cookies) are most of an event's cost, and most functions read one of them or none: an
// uri rewrite reads none. Each is built when first read. A field object the function never
// read is read back as the input, without building it or reading it back.

// record is one of the event's objects during a run.
type record struct {
	s    *vmState
	keys []string
	vals []goja.Value // nil: not made yet, made from lazy[i] when first read
	lazy []lazyValue  // nil when the record has no lazy property
}

// lazyValue is what a lazy property is made from.
type lazyValue struct {
	kind           lazyKind
	src            Fields // lazyFieldObject
	attrs, headers bool   // lazyFieldObject: values carry attributes; the fields are headers
}

type lazyKind uint8

const (
	lazyNone        lazyKind = iota
	lazyFieldObject          // headers, cookies or querystring, from src
	lazyContext              // event.context, from the run's event
	lazyViewer               // event.viewer, from the run's event
)

// eventRecords are the records of one event and their first backing arrays, allocated at once.
type eventRecords struct {
	event, context, viewer, request, response record

	keys [19]string
	vals [19]goja.Value
	lazy [14]lazyValue
}

// records returns the runtime's records, emptied for a run, each with room for its usual
// properties. A runtime runs one invocation at a time, and nothing of one run is reachable from
// the next (the factory's objects are new, the built-ins frozen), so the records are reused.
func (s *vmState) records() *eventRecords {
	er := s.recs
	if er == nil {
		er = &eventRecords{}
		s.recs = er
	} else {
		*er = eventRecords{}
	}
	off, loff := 0, 0
	for _, x := range [...]struct {
		r    *record
		n    int
		lazy bool
	}{{&er.event, 5, true}, {&er.context, 4, false}, {&er.viewer, 1, false}, {&er.request, 5, true}, {&er.response, 4, true}} {
		x.r.s = s
		x.r.keys = er.keys[off : off : off+x.n]
		x.r.vals = er.vals[off : off : off+x.n]
		if x.lazy {
			x.r.lazy = er.lazy[loff : loff : loff+x.n]
			loff += x.n
		}
		off += x.n
	}
	return er
}

func (r *record) add(k string, v goja.Value) { r.addLazy(k, v, lazyValue{}) }

// addLazy adds a property whose value v, when nil, is made from l when first read.
func (r *record) addLazy(k string, v goja.Value, l lazyValue) {
	if r.lazy == nil && l.kind != lazyNone {
		r.lazy = make([]lazyValue, len(r.keys), cap(r.keys))
	}
	r.keys = append(r.keys, k)
	r.vals = append(r.vals, v)
	if r.lazy != nil {
		r.lazy = append(r.lazy, l)
	}
}

// addFields adds a field object made from src when first read.
func (r *record) addFields(k string, src Fields, attrs, headers bool) {
	r.addLazy(k, nil, lazyValue{kind: lazyFieldObject, src: src, attrs: attrs, headers: headers})
}

func (r *record) index(k string) int {
	for i, n := range r.keys {
		if n == k {
			return i
		}
	}
	return -1
}

// Get implements goja.DynamicObject.
func (r *record) Get(k string) goja.Value {
	i := r.index(k)
	if i < 0 {
		return nil
	}
	if r.vals[i] == nil {
		v := r.s.make(&r.lazy[i])
		if v == r.s.untouched {
			return v
		}
		r.vals[i] = v
	}
	return r.vals[i]
}

// Set implements goja.DynamicObject.
func (r *record) Set(k string, v goja.Value) bool {
	if i := r.index(k); i >= 0 {
		r.vals[i] = v
		if v == nil {
			r.vals[i] = goja.Undefined()
		}
		return true
	}
	r.add(k, v)
	return true
}

// Has implements goja.DynamicObject.
func (r *record) Has(k string) bool { return r.index(k) >= 0 }

// Delete implements goja.DynamicObject.
func (r *record) Delete(k string) bool {
	// New slices: an iteration in progress holds the old keys.
	if i := r.index(k); i >= 0 {
		r.keys = slices.Concat(r.keys[:i], r.keys[i+1:])
		r.vals = slices.Concat(r.vals[:i], r.vals[i+1:])
		if r.lazy != nil {
			r.lazy = slices.Concat(r.lazy[:i], r.lazy[i+1:])
		}
	}
	return true
}

// Keys implements goja.DynamicObject.
func (r *record) Keys() []string { return r.keys }

// make makes a lazy property's value for the run in progress.
func (s *vmState) make(l *lazyValue) goja.Value {
	ev := s.ev
	if ev == nil { // a record kept past its run
		return goja.Undefined()
	}
	vm := s.vm
	switch l.kind {
	case lazyFieldObject:
		if s.reading {
			return s.untouched // read back: the input, unchanged
		}
		return s.fieldsObject(l.src, l.attrs, l.headers)
	case lazyContext:
		c := &s.er.context
		if ev.Context.DistributionDomainName != "" {
			c.add("distributionDomainName", vm.ToValue(ev.Context.DistributionDomainName))
		}
		c.add("distributionId", vm.ToValue(ev.Context.DistributionID))
		c.add("eventType", vm.ToValue(ev.Context.EventType))
		c.add("requestId", vm.ToValue(ev.Context.RequestID))
		return vm.NewDynamicObject(c)
	case lazyViewer:
		v := &s.er.viewer
		v.add("ip", vm.ToValue(ev.Viewer.IP))
		return vm.NewDynamicObject(v)
	}
	return goja.Undefined()
}
