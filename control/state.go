package control

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The API's state on disk ([api] state_dir): what was created or changed through the API, in
// one JSON file rewritten whole on every change. A write goes to a temporary file in the same
// folder, which is fsynced, renamed over the state file, and the folder fsynced: the file
// always holds either the state before a change or the state after it, so a crash (kill -9,
// power loss) loses at most the request in flight, whose answer was not sent yet. The folder
// is made 0700 and the file 0600. One edge process may use a folder at a time (nothing locks
// it).

// stateVersion is the version of the state file's format, the one written. Version 1 (the
// distributions and functions alone) is read too, and is rewritten as version 2 on the next
// change; a file of another version is refused at start.
const (
	stateVersion   = 2
	stateVersionV1 = 1
)

const (
	stateFileName = "state.json"
	stateTempGlob = ".state-*.tmp"
)

// stateDoc is the state file.
type stateDoc struct {
	Version       int             `json:"version"`
	Distributions []stateDist     `json:"distributions"`
	Functions     []stateFunction `json:"functions"`
	// Since version 2: the policies, public keys, key groups and origin access controls created
	// through the API, oldest first.
	CachePolicies           []stateResource `json:"cache_policies,omitempty"`
	OriginRequestPolicies   []stateResource `json:"origin_request_policies,omitempty"`
	ResponseHeadersPolicies []stateResource `json:"response_headers_policies,omitempty"`
	PublicKeys              []stateResource `json:"public_keys,omitempty"`
	KeyGroups               []stateResource `json:"key_groups,omitempty"`
	OriginAccessControls    []stateResource `json:"origin_access_controls,omitempty"`
}

// stateResource is a policy, public key, key group or origin access control created through
// the API. Config is its config document as its GetConfig operation returns it; Time is its
// LastModifiedTime (CreatedTime for a public key; unused for an origin access control).
type stateResource struct {
	ID     string    `json:"id"`
	ETag   string    `json:"etag"`
	Time   time.Time `json:"time"`
	Config string    `json:"config"`
}

// stateDist is a distribution created through the API. Config is its filled DistributionConfig
// (with its CallerReference) as GetDistributionConfig returns it.
type stateDist struct {
	ID           string     `json:"id"`
	DomainName   string     `json:"domain_name"`
	ETag         string     `json:"etag"`
	Created      time.Time  `json:"created"`
	LastModified time.Time  `json:"last_modified"`
	Deployed     time.Time  `json:"deployed"`
	Tags         []stateTag `json:"tags,omitempty"`
	Config       string     `json:"config"`
}

type stateTag struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// stateFunction is a function created through the API, with both stages.
type stateFunction struct {
	Name        string          `json:"name"`
	Created     time.Time       `json:"created"`
	Published   bool            `json:"published"`
	Development stateFnVersion  `json:"development"`
	Live        *stateFnVersion `json:"live,omitempty"`
}

type stateFnVersion struct {
	Runtime       string    `json:"runtime"`
	Comment       string    `json:"comment"`
	KeyValueStore string    `json:"key_value_store,omitempty"`
	Code          []byte    `json:"code"`
	ETag          string    `json:"etag"`
	Modified      time.Time `json:"modified"`
}

// store is the state folder.
type store struct{ dir string }

func (st *store) path() string { return filepath.Join(st.dir, stateFileName) }

// openStore makes dir (0700) if needed, removes temporary files a crash left behind, and reads
// the state file: nil when there is none yet.
func openStore(dir string) (*store, *stateDoc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("api.state_dir: %w", err)
	}
	st := &store{dir: dir}
	if tmps, err := filepath.Glob(filepath.Join(dir, stateTempGlob)); err == nil {
		for _, t := range tmps {
			_ = os.Remove(t) // a write that never reached its rename
		}
	}
	data, err := os.ReadFile(st.path())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("api.state_dir: %w", err)
	}
	doc, err := decodeState(data)
	if err != nil {
		return nil, nil, fmt.Errorf("api.state_dir: %s: %w", st.path(), err)
	}
	return st, doc, nil
}

// Shapes of the ids the API hands out (newDistID, newDomainName).
var (
	distIDRE     = regexp.MustCompile(`^E[A-Z0-9]{13}$`)
	distDomainRE = regexp.MustCompile(`^d[a-z0-9]{13}\.cloudfront\.net$`)
)

// decodeState parses a state file strictly: known fields only, the current version, and no
// id, domain name or function name twice.
func decodeState(data []byte) (*stateDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc stateDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a valid state file (truncated or damaged?): %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a valid state file: data after the JSON document")
	}
	if doc.Version != stateVersion && doc.Version != stateVersionV1 {
		return nil, fmt.Errorf("state file version %d; this edge reads versions %d and %d", doc.Version, stateVersionV1, stateVersion)
	}
	seen := map[string]bool{}
	for i, d := range doc.Distributions {
		switch {
		case !distIDRE.MatchString(d.ID):
			return nil, fmt.Errorf("distributions[%d]: id %q is not a distribution id", i, d.ID)
		case !distDomainRE.MatchString(d.DomainName):
			return nil, fmt.Errorf("distributions[%d]: domain_name %q is not a distribution domain name", i, d.DomainName)
		case seen[d.ID] || seen[d.DomainName]:
			return nil, fmt.Errorf("distributions[%d]: %s is listed twice", i, d.ID)
		case !etagRE.MatchString(d.ETag):
			return nil, fmt.Errorf("distributions[%d]: etag %q is not an ETag", i, d.ETag)
		}
		seen[d.ID], seen[d.DomainName] = true, true
	}
	names := map[string]bool{}
	for i, f := range doc.Functions {
		if !fnNameRE.MatchString(f.Name) || names[f.Name] {
			return nil, fmt.Errorf("functions[%d]: name %q is not valid or listed twice", i, f.Name)
		}
		names[f.Name] = true
	}
	for _, l := range doc.resourceLists() {
		ids := map[string]bool{}
		for i, r := range *l.list {
			switch {
			case !l.idRE.MatchString(r.ID):
				return nil, fmt.Errorf("%s[%d]: id %q is not a %s id", l.name, i, r.ID, l.what)
			case ids[strings.ToLower(r.ID)]:
				return nil, fmt.Errorf("%s[%d]: %s is listed twice", l.name, i, r.ID)
			case !etagRE.MatchString(r.ETag):
				return nil, fmt.Errorf("%s[%d]: etag %q is not an ETag", l.name, i, r.ETag)
			}
			ids[strings.ToLower(r.ID)] = true
		}
	}
	return &doc, nil
}

// Shapes of the resource ids the API hands out (newPolicyID, newPublicKeyID, newKeyGroupID,
// newOACID).
var (
	uuidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	publicKeyIDRE = regexp.MustCompile(`^K[A-Z0-9]{12}$`)
	oacIDRE       = regexp.MustCompile(`^E[A-Z0-9]{13}$`)
)

// stateList is one of the state file's resource lists, for checks and restore.
type stateList struct {
	name, what string
	idRE       *regexp.Regexp
	list       *[]stateResource
}

func (doc *stateDoc) resourceLists() []stateList {
	return []stateList{
		{"cache_policies", "cache policy", uuidRE, &doc.CachePolicies},
		{"origin_request_policies", "origin request policy", uuidRE, &doc.OriginRequestPolicies},
		{"response_headers_policies", "response headers policy", uuidRE, &doc.ResponseHeadersPolicies},
		{"public_keys", "public key", publicKeyIDRE, &doc.PublicKeys},
		{"key_groups", "key group", uuidRE, &doc.KeyGroups},
		{"origin_access_controls", "origin access control", oacIDRE, &doc.OriginAccessControls},
	}
}

// policyList is the state list of policy kind k.
func (doc *stateDoc) policyList(k policyKind) *[]stateResource {
	switch k {
	case kindCache:
		return &doc.CachePolicies
	case kindOriginRequest:
		return &doc.OriginRequestPolicies
	}
	return &doc.ResponseHeadersPolicies
}

// write replaces the state file with doc, atomically and durably.
func (st *store) write(doc *stateDoc) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the configs stay readable XML
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	data := buf.Bytes()
	tmp, err := os.CreateTemp(st.dir, stateTempGlob)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(name, st.path()); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok = true
	d, err := os.Open(st.dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state: fsync %s: %w", st.dir, err)
	}
	return nil
}

// save writes v's API distributions and resources and the API functions of fns to the fleet,
// when there is one, and to the state folder; without either it does nothing (the state lives
// in memory). The caller holds wmu.
func (s *Server) save(v *view, fns map[string]*fnEntry) error {
	doc := stateOf(v, fns)
	if s.fleet != nil {
		if err := s.fleet.SyncState(context.Background(), recordsOf(doc)); err != nil {
			return err
		}
	}
	if s.state == nil {
		return nil
	}
	return s.state.write(doc)
}

// stateOf renders the API's part of v and fns as a state file.
func stateOf(v *view, fns map[string]*fnEntry) *stateDoc {
	doc := &stateDoc{Version: stateVersion, Distributions: []stateDist{}, Functions: []stateFunction{}}
	config := func(v any) string { return string(marshalDoc(v)) }
	for k := range numPolicyKinds {
		l := doc.policyList(k)
		for _, p := range v.res.policies[k] {
			*l = append(*l, stateResource{ID: p.id, ETag: p.etag, Time: p.modified.UTC(), Config: config(p.configDoc(true))})
		}
	}
	for _, key := range v.res.keys {
		c := *key.conf
		c.Xmlns = Namespace
		doc.PublicKeys = append(doc.PublicKeys, stateResource{ID: key.id, ETag: key.etag, Time: key.created.UTC(), Config: config(c)})
	}
	for _, g := range v.res.groups {
		c := *g.conf
		c.Xmlns = Namespace
		doc.KeyGroups = append(doc.KeyGroups, stateResource{ID: g.id, ETag: g.etag, Time: g.modified.UTC(), Config: config(c)})
	}
	for _, o := range v.res.oacs {
		c := *o.conf
		c.Xmlns = Namespace
		doc.OriginAccessControls = append(doc.OriginAccessControls, stateResource{ID: o.id, ETag: o.etag, Config: config(c)})
	}
	for _, d := range v.apiDists() {
		c := d.conf
		c.Xmlns = Namespace
		sd := stateDist{ID: d.id, DomainName: d.domain, ETag: d.etag, Created: d.api.created.UTC(),
			LastModified: d.api.modified.UTC(), Deployed: d.api.deployed.UTC(), Config: string(marshalDoc(c))}
		for _, t := range d.api.tags {
			sd.Tags = append(sd.Tags, stateTag{Key: t.Key, Value: t.Value})
		}
		doc.Distributions = append(doc.Distributions, sd)
	}
	names := make([]string, 0, len(fns))
	for n, e := range fns {
		if !e.fromConfig {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		e := fns[n]
		sf := stateFunction{Name: n, Created: e.created.UTC(), Published: e.published, Development: stateVersionOf(e.dev)}
		if e.live != nil {
			l := stateVersionOf(e.live)
			sf.Live = &l
		}
		doc.Functions = append(doc.Functions, sf)
	}
	return doc
}

func stateVersionOf(v *fnVersion) stateFnVersion {
	return stateFnVersion{Runtime: v.runtime, Comment: v.comment, KeyValueStore: v.kvs, Code: v.code, ETag: v.etag,
		Modified: v.modified.UTC()}
}

func fnVersionOf(stage string, v stateFnVersion) *fnVersion {
	return &fnVersion{stage: stage, runtime: v.Runtime, comment: v.Comment, kvs: v.KeyValueStore, code: v.Code,
		etag: v.ETag, modified: v.Modified}
}

// restore turns a state file back into API distributions (not yet converted: buildView does
// that against the configuration file) and resources, and adds its functions to fns, refusing a
// function the configuration file also defines. Each config is read again as a request's is.
// Errors name the state file.
func (s *Server) restore(doc *stateDoc, fns *functions) ([]*dist, *resources, error) {
	where := s.stateWhere()
	res, err := restoreResources(doc, where)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range doc.Functions {
		if old := fns.byName[f.Name]; old != nil {
			return nil, nil, fmt.Errorf("function %q is defined in the configuration file and in the API's state (%s); remove it from one of them",
				f.Name, where)
		}
		for _, kv := range []string{f.Development.KeyValueStore, liveKVS(f.Live)} {
			if kv != "" && fns.kvs[kv] == nil {
				return nil, nil, fmt.Errorf("function %q in the API's state (%s) uses key value store %q, which the configuration file does not have",
					f.Name, where, kv)
			}
		}
		e := &fnEntry{name: f.Name, created: f.Created, dev: fnVersionOf(StageDevelopment, f.Development), published: f.Published}
		if f.Live != nil {
			e.live = fnVersionOf(StageLive, *f.Live)
		}
		fns.byName[f.Name] = e
	}
	var out []*dist
	for _, sd := range doc.Distributions {
		conf, _, aerr := parseDistConfig([]byte(sd.Config), false)
		if aerr != nil {
			return nil, nil, fmt.Errorf("distribution %s in the API's state (%s): %s", sd.ID, where, aerr.message)
		}
		d := &dist{id: sd.ID, domain: sd.DomainName, conf: conf, etag: sd.ETag, recs: newRecords(),
			api: &apiDist{created: sd.Created, modified: sd.LastModified, deployed: sd.Deployed}}
		for _, t := range sd.Tags {
			d.api.tags = append(d.api.tags, xmlTag{Key: t.Key, Value: t.Value})
		}
		out = append(out, d)
	}
	return out, res, nil
}

func liveKVS(v *stateFnVersion) string {
	if v == nil {
		return ""
	}
	return v.KeyValueStore
}

// restoreResources reads the policies, public keys, key groups and origin access controls of a
// state file. Key groups are checked against the API's public keys and the configuration
// file's later (checkConflicts), when the file is known.
func restoreResources(doc *stateDoc, where string) (*resources, error) {
	res := &resources{}
	bad := func(what, id string, aerr *apiError) error {
		return fmt.Errorf("%s %s in the API's state (%s): %s", what, id, where, aerr.message)
	}
	for k := range numPolicyKinds {
		for _, r := range *doc.policyList(k) {
			p, aerr := policyKinds[k].parse([]byte(r.Config))
			if aerr != nil {
				return nil, bad(policyKinds[k].what, r.ID, aerr)
			}
			p.id, p.etag, p.modified = strings.ToLower(r.ID), r.ETag, r.Time
			res.policies[k] = append(res.policies[k], p)
		}
	}
	for _, r := range doc.PublicKeys {
		c, aerr := parsePublicKeyConfig([]byte(r.Config))
		if aerr != nil {
			return nil, bad("public key", r.ID, aerr)
		}
		res.keys = append(res.keys, &publicKey{id: r.ID, etag: r.ETag, created: r.Time, conf: c})
	}
	for _, r := range doc.KeyGroups {
		c := &xmlKeyGroupConfig{}
		if aerr := parseConfigDoc([]byte(r.Config), "KeyGroupConfig", c); aerr != nil {
			return nil, bad("key group", r.ID, aerr)
		}
		c.XMLName, c.Xmlns = xml.Name{Local: "KeyGroupConfig"}, ""
		res.groups = append(res.groups, &keyGroup{id: strings.ToLower(r.ID), etag: r.ETag, modified: r.Time, conf: c})
	}
	for _, r := range doc.OriginAccessControls {
		c, aerr := parseOACConfig([]byte(r.Config))
		if aerr != nil {
			return nil, bad("origin access control", r.ID, aerr)
		}
		res.oacs = append(res.oacs, &oac{id: r.ID, etag: r.ETag, conf: c})
	}
	return res, nil
}
