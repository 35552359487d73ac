package control

import (
	"encoding/xml"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Public keys and key groups, the keys that signed URLs and cookies are checked with
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreatePublicKey.html,
// API_GetPublicKey.html, API_GetPublicKeyConfig.html, API_UpdatePublicKey.html,
// API_DeletePublicKey.html, API_ListPublicKeys.html; API_CreateKeyGroup.html,
// API_GetKeyGroup.html, API_GetKeyGroupConfig.html, API_UpdateKeyGroup.html,
// API_DeleteKeyGroup.html, API_ListKeyGroups.html). A public key's id ("K" and 12 characters)
// is the Key-Pair-Id a signed URL carries; its EncodedKey (PEM) is kept byte for byte, and
// only its Comment may change. A key group lists one to five public keys (Items without a
// Quantity). The configuration the edge serves holds every key group created through the API
// as a [[key_group]] with its id and its keys' PEM (mergeConfig), so a distribution created
// through the API may trust it (TrustedKeyGroups) at once and the edge verifies signatures with
// its keys; a key group a behavior trusts cannot be deleted (ResourceInUse), nor a public key
// a key group holds (PublicKeyInUse). An unknown key group is NoSuchResource: the API has no
// NoSuchKeyGroup. The configuration file's [[key_group]]s and their public keys are shown too
// (the key group's Name is its id, the public key's Name its id and its CallerReference
// "edge-<id>"), read-only (IllegalUpdate).

const (
	pathPublicKey = apiRoot + "public-key"
	pathKeyGroup  = apiRoot + "key-group"
)

// Public key and key group error codes (the Errors sections of the pages above).
const (
	CodePublicKeyAlreadyExists              = "PublicKeyAlreadyExists"               // 409
	CodePublicKeyInUse                      = "PublicKeyInUse"                       // 409
	CodeNoSuchPublicKey                     = "NoSuchPublicKey"                      // 404
	CodeCannotChangeImmutablePublicKeyField = "CannotChangeImmutablePublicKeyFields" // 400
	CodeTooManyPublicKeys                   = "TooManyPublicKeys"                    // 400
	CodeKeyGroupAlreadyExists               = "KeyGroupAlreadyExists"                // 409
	CodeTooManyPublicKeysInKeyGroup         = "TooManyPublicKeysInKeyGroup"          // 400
	CodeTooManyKeyGroups                    = "TooManyKeyGroups"                     // 400
	CodeResourceInUse                       = "ResourceInUse"                        // 409
)

// Quotas on key groups ("Quotas on key groups",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups):
// public keys per key group, key groups per account, and the public keys per account edge
// allows (the configuration file's count toward the account's).
const (
	MaxKeysPerGroup = 5
	MaxKeyGroups    = 10
	MaxPublicKeys   = 10
)

// maxKeyName bounds the Name of a public key or key group (edge's bound: the API pages give
// none) and maxKeyComment their Comment, both in characters.
const (
	maxKeyName    = 128
	maxKeyComment = 128
)

// xmlPublicKeyConfig is PublicKeyConfig.
type xmlPublicKeyConfig struct {
	XMLName         xml.Name `xml:"PublicKeyConfig"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	CallerReference string   `xml:"CallerReference"`
	Name            string   `xml:"Name"`
	EncodedKey      string   `xml:"EncodedKey"`
	Comment         string   `xml:"Comment"`
}

// xmlPublicKey is PublicKey.
type xmlPublicKey struct {
	XMLName         xml.Name            `xml:"PublicKey"`
	Xmlns           string              `xml:"xmlns,attr,omitempty"`
	ID              string              `xml:"Id"`
	CreatedTime     string              `xml:"CreatedTime"`
	PublicKeyConfig *xmlPublicKeyConfig `xml:"PublicKeyConfig"`
}

// xmlPublicKeyList is PublicKeyList.
type xmlPublicKeyList struct {
	XMLName    xml.Name `xml:"PublicKeyList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:"NextMarker,omitempty"`
	MaxItems   int      `xml:"MaxItems"`
	Quantity   int      `xml:"Quantity"`
	Items      *struct {
		Summary []xmlPublicKeySummary `xml:"PublicKeySummary"`
	} `xml:"Items,omitempty"`
}

// xmlPublicKeySummary is PublicKeySummary.
type xmlPublicKeySummary struct {
	ID          string `xml:"Id"`
	Name        string `xml:"Name"`
	CreatedTime string `xml:"CreatedTime"`
	EncodedKey  string `xml:"EncodedKey"`
	Comment     string `xml:"Comment"`
}

// xmlKeyGroupConfig is KeyGroupConfig: Items without a Quantity.
type xmlKeyGroupConfig struct {
	XMLName xml.Name `xml:"KeyGroupConfig"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Name    string   `xml:"Name"`
	Items   *struct {
		PublicKey []string `xml:"PublicKey"`
	} `xml:"Items"`
	Comment string `xml:"Comment"`
}

// keyIDs returns the public key ids the group lists, in order.
func (x *xmlKeyGroupConfig) keyIDs() []string {
	if x.Items == nil {
		return nil
	}
	return x.Items.PublicKey
}

// xmlKeyGroup is KeyGroup.
type xmlKeyGroup struct {
	XMLName          xml.Name           `xml:"KeyGroup"`
	Xmlns            string             `xml:"xmlns,attr,omitempty"`
	ID               string             `xml:"Id"`
	LastModifiedTime string             `xml:"LastModifiedTime"`
	KeyGroupConfig   *xmlKeyGroupConfig `xml:"KeyGroupConfig"`
}

// xmlKeyGroupList is KeyGroupList.
type xmlKeyGroupList struct {
	XMLName    xml.Name `xml:"KeyGroupList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:"NextMarker,omitempty"`
	MaxItems   int      `xml:"MaxItems"`
	Quantity   int      `xml:"Quantity"`
	Items      *struct {
		Summary []xmlKeyGroupSummary `xml:"KeyGroupSummary"`
	} `xml:"Items,omitempty"`
}

type xmlKeyGroupSummary struct {
	KeyGroup xmlKeyGroup `xml:"KeyGroup"`
}

// publicKey is a public key as the API shows it. It never changes once in a view.
type publicKey struct {
	id       string
	etag     string
	created  time.Time
	conf     *xmlPublicKeyConfig
	fromFile bool
}

func (k *publicKey) ident() string { return k.id }

func (k *publicKey) doc() xmlPublicKey {
	c := *k.conf
	return xmlPublicKey{ID: k.id, CreatedTime: k.created.UTC().Format(timeLayout), PublicKeyConfig: &c}
}

// keyGroup is a key group as the API shows it. It never changes once in a view.
type keyGroup struct {
	id       string
	etag     string
	modified time.Time
	conf     *xmlKeyGroupConfig
	fromFile bool
}

func (g *keyGroup) ident() string { return g.id }

func (g *keyGroup) doc() xmlKeyGroup {
	c := *g.conf
	return xmlKeyGroup{ID: g.id, LastModifiedTime: g.modified.UTC().Format(timeLayout), KeyGroupConfig: &c}
}

// model is g as the configuration the edge serves holds it: its public keys with their PEM,
// from the API's keys or, for a key of the configuration file, as the file has it.
func (g *keyGroup) model(base *config.Config, res *resources) config.KeyGroup {
	kg := config.KeyGroup{ID: g.id, Comment: g.conf.Comment}
	for _, id := range g.conf.keyIDs() {
		if k := findID(res.keys, id); k != nil {
			kg.PublicKey = append(kg.PublicKey, config.PublicKey{ID: k.id, EncodedKey: k.conf.EncodedKey})
		} else if fk, ok := fileKey(base, id); ok {
			kg.PublicKey = append(kg.PublicKey, fk)
		}
	}
	return kg
}

// fileKey returns the public key id of the configuration file's key groups.
func fileKey(base *config.Config, id string) (config.PublicKey, bool) {
	for _, g := range base.KeyGroups {
		for _, k := range g.PublicKey {
			if k.ID == id {
				return k, true
			}
		}
	}
	return config.PublicKey{}, false
}

// fixedKeys returns the configuration file's public keys (each once, in file order) and key
// groups as the API shows them; start is their creation and modification time. A key the file
// names by path is shown with the PEM read from it ("" when it cannot be read: the edge
// refuses such a key anyway).
func fixedKeys(base *config.Config, start time.Time) ([]*publicKey, []*keyGroup) {
	var keys []*publicKey
	var groups []*keyGroup
	for _, g := range base.KeyGroups {
		conf := &xmlKeyGroupConfig{Name: g.ID, Comment: g.Comment, Items: &struct {
			PublicKey []string `xml:"PublicKey"`
		}{}}
		for _, k := range g.PublicKey {
			conf.Items.PublicKey = append(conf.Items.PublicKey, k.ID)
			if findID(keys, k.ID) != nil {
				continue
			}
			pem := k.EncodedKey
			if pem == "" && k.Path != "" {
				if b, err := os.ReadFile(k.Path); err == nil {
					pem = string(b)
				}
			}
			kc := &xmlPublicKeyConfig{CallerReference: "edge-" + k.ID, Name: k.ID, EncodedKey: pem}
			keys = append(keys, &publicKey{id: k.ID, etag: docETag(kc), created: start, conf: kc, fromFile: true})
		}
		groups = append(groups, &keyGroup{id: g.ID, etag: docETag(conf), modified: start, conf: conf, fromFile: true})
	}
	return keys, groups
}

func (v *view) allKeys() []*publicKey { return append(slices.Clone(v.fixed.keys), v.res.keys...) }

func (v *view) allGroups() []*keyGroup { return append(slices.Clone(v.fixed.groups), v.res.groups...) }

func (v *view) findKey(id string) (*publicKey, *apiError) {
	if k := findID(v.allKeys(), id); k != nil {
		return k, nil
	}
	return nil, errorf(http.StatusNotFound, CodeNoSuchPublicKey, "The specified public key does not exist: %q.", clip(id, 64))
}

func (v *view) findGroup(id string) (*keyGroup, *apiError) {
	if g := findID(v.allGroups(), id); g != nil {
		return g, nil
	}
	return nil, errorf(http.StatusNotFound, CodeNoSuchResource, "The specified key group does not exist: %q.", clip(id, 64))
}

// --- public keys ---

// parsePublicKeyConfig reads and checks a PublicKeyConfig: CallerReference, Name and a PEM RSA
// public key CloudFront accepts (config.ParsePublicKey) are required.
func parsePublicKeyConfig(body []byte) (*xmlPublicKeyConfig, *apiError) {
	x := &xmlPublicKeyConfig{}
	if aerr := parseConfigDoc(body, "PublicKeyConfig", x); aerr != nil {
		return nil, aerr
	}
	x.XMLName, x.Xmlns = xml.Name{Local: "PublicKeyConfig"}, ""
	if aerr := required("", member{"CallerReference", x.CallerReference != ""}, member{"Name", x.Name != ""},
		member{"EncodedKey", strings.TrimSpace(x.EncodedKey) != ""}); aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("public key", x.Name, maxKeyName); aerr != nil {
		return nil, aerr
	}
	if utf8.RuneCountInString(x.Comment) > maxKeyComment {
		return nil, invalidArgument("The parameter Comment is longer than %d characters.", maxKeyComment)
	}
	if _, err := config.ParsePublicKey([]byte(x.EncodedKey)); err != nil {
		return nil, invalidArgument("The parameter EncodedKey is not a public key CloudFront accepts: it %v.", err)
	}
	return x, nil
}

// newPublicKeyID returns an id shaped like CloudFront's public key ids, "K" and 12 characters
// from A–Z and 0–9, that no public key of v has.
func newPublicKeyID(v *view) string {
	for {
		id := "K" + randomChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12)
		if findID(v.allKeys(), id) == nil {
			return id
		}
	}
}

// createPublicKey is CreatePublicKey: 201 with the key, Location and ETag. A CallerReference
// already used answers the key it made when the config is the same, and PublicKeyAlreadyExists
// otherwise (as a Name already used does).
func (s *Server) createPublicKey(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	x, aerr := parsePublicKeyConfig(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	keys := cur.allKeys()
	for _, k := range keys {
		switch {
		case k.conf.CallerReference == x.CallerReference && *k.conf == *x:
			location(ctx, pathPublicKey+"/"+k.id)
			replyETag(ctx, http.StatusCreated, k.etag, marshalDoc(withNS(k.doc())))
			return nil
		case k.conf.CallerReference == x.CallerReference:
			return errorf(http.StatusConflict, CodePublicKeyAlreadyExists,
				"The caller reference that you are using to create a public key is associated with another public key (%s).", k.id)
		case k.conf.Name == x.Name:
			return errorf(http.StatusConflict, CodePublicKeyAlreadyExists, "A public key named %q already exists (%s).", clip(x.Name, 128), k.id)
		}
	}
	if len(keys) >= MaxPublicKeys {
		return errorf(http.StatusBadRequest, CodeTooManyPublicKeys,
			"There are already %d public keys (those of edge's configuration file included), the most allowed.", len(keys))
	}
	k := &publicKey{id: newPublicKeyID(cur), etag: randomETag(), created: now, conf: x}
	res := cur.res.clone()
	res.keys = append(res.keys, k)
	if aerr := s.commitResources(cur, res, false); aerr != nil { // no key group holds it yet
		return aerr
	}
	s.log.Info("public key created", "id", k.id, "name", clip(x.Name, 128))
	location(ctx, pathPublicKey+"/"+k.id)
	replyETag(ctx, http.StatusCreated, k.etag, marshalDoc(withNS(k.doc())))
	return nil
}

// withNS returns x carrying the namespace, as a response's root.
func withNS[T xmlPublicKey | xmlKeyGroup | xmlOAC](x T) T {
	switch v := any(&x).(type) {
	case *xmlPublicKey:
		v.Xmlns = Namespace
	case *xmlKeyGroup:
		v.Xmlns = Namespace
	case *xmlOAC:
		v.Xmlns = Namespace
	}
	return x
}

// getPublicKey is GetPublicKey.
func (s *Server) getPublicKey(ctx *fasthttp.RequestCtx, id string) *apiError {
	k, aerr := s.cur.Load().findKey(id)
	if aerr != nil {
		return aerr
	}
	replyETag(ctx, http.StatusOK, k.etag, marshalDoc(withNS(k.doc())))
	return nil
}

// getPublicKeyConfig is GetPublicKeyConfig.
func (s *Server) getPublicKeyConfig(ctx *fasthttp.RequestCtx, id string) *apiError {
	k, aerr := s.cur.Load().findKey(id)
	if aerr != nil {
		return aerr
	}
	c := *k.conf
	c.Xmlns = Namespace
	replyETag(ctx, http.StatusOK, k.etag, marshalDoc(c))
	return nil
}

// updatePublicKey is UpdatePublicKey: PUT …/{Id}/config with If-Match; only Comment may change
// (CannotChangeImmutablePublicKeyFields for CallerReference, Name or EncodedKey).
func (s *Server) updatePublicKey(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	old, aerr := cur.findKey(id)
	if aerr != nil {
		return aerr
	}
	if old.fromFile {
		return readOnly(CodeIllegalUpdate, "UpdatePublicKey", "public key", old.id)
	}
	if aerr := ifMatchETag(ctx, old.etag, "public key"); aerr != nil {
		return aerr
	}
	x, aerr := parsePublicKeyConfig(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	for _, f := range []struct {
		name     string
		was, got string
	}{
		{"CallerReference", old.conf.CallerReference, x.CallerReference},
		{"Name", old.conf.Name, x.Name},
		{"EncodedKey", old.conf.EncodedKey, x.EncodedKey},
	} {
		if f.was != f.got {
			return errorf(http.StatusBadRequest, CodeCannotChangeImmutablePublicKeyField,
				"You can't change the value of a public key's %s: only its Comment can be updated.", f.name)
		}
	}
	k := &publicKey{id: old.id, etag: randomETag(), created: old.created, conf: x}
	res := cur.res.clone()
	res.keys = replaceID(res.keys, k)
	if aerr := s.commitResources(cur, res, false); aerr != nil { // the Comment is not served
		return aerr
	}
	s.log.Info("public key updated", "id", k.id)
	replyETag(ctx, http.StatusOK, k.etag, marshalDoc(withNS(k.doc())))
	return nil
}

// deletePublicKey is DeletePublicKey: 204 with If-Match, for a key no key group holds
// (PublicKeyInUse otherwise).
func (s *Server) deletePublicKey(ctx *fasthttp.RequestCtx, id string) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	k, aerr := cur.findKey(id)
	if aerr != nil {
		return aerr
	}
	if k.fromFile {
		return readOnly(CodeIllegalUpdate, "DeletePublicKey", "public key", k.id)
	}
	if aerr := ifMatchETag(ctx, k.etag, "public key"); aerr != nil {
		return aerr
	}
	var groups []string
	for _, g := range cur.allGroups() {
		if slices.Contains(g.conf.keyIDs(), k.id) {
			groups = append(groups, g.id)
		}
	}
	if len(groups) > 0 {
		return errorf(http.StatusConflict, CodePublicKeyInUse,
			"The public key %s is in use: key group %s holds it. Remove it from the key group first.", k.id, strings.Join(groups, ", "))
	}
	res := cur.res.clone()
	res.keys = deleteID(res.keys, k.id)
	if aerr := s.commitResources(cur, res, false); aerr != nil {
		return aerr
	}
	s.log.Info("public key deleted", "id", k.id)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// listPublicKeys is ListPublicKeys: the configuration file's keys, then the API's, oldest first.
func (s *Server) listPublicKeys(ctx *fasthttp.RequestCtx) *apiError {
	keys := s.cur.Load().allKeys()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	start, end, _, maxItems, aerr := listPage(ctx, ids)
	if aerr != nil {
		return aerr
	}
	x := xmlPublicKeyList{Xmlns: Namespace, MaxItems: maxItems, Quantity: end - start}
	if end > start {
		x.Items = &struct {
			Summary []xmlPublicKeySummary `xml:"PublicKeySummary"`
		}{}
		for _, k := range keys[start:end] {
			x.Items.Summary = append(x.Items.Summary, xmlPublicKeySummary{ID: k.id, Name: k.conf.Name,
				CreatedTime: k.created.UTC().Format(timeLayout), EncodedKey: k.conf.EncodedKey, Comment: k.conf.Comment})
		}
		if end < len(keys) {
			x.NextMarker = keys[end-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

// --- key groups ---

// parseKeyGroupConfig reads and checks a KeyGroupConfig against the public keys of v: a Name,
// one to five keys (TooManyPublicKeysInKeyGroup beyond), each once, each an existing public
// key (InvalidArgument otherwise: NoSuchPublicKey is not among CreateKeyGroup's errors).
func parseKeyGroupConfig(body []byte, v *view) (*xmlKeyGroupConfig, *apiError) {
	x := &xmlKeyGroupConfig{}
	if aerr := parseConfigDoc(body, "KeyGroupConfig", x); aerr != nil {
		return nil, aerr
	}
	x.XMLName, x.Xmlns = xml.Name{Local: "KeyGroupConfig"}, ""
	if aerr := checkName("key group", x.Name, maxKeyName); aerr != nil {
		return nil, aerr
	}
	if utf8.RuneCountInString(x.Comment) > maxKeyComment {
		return nil, invalidArgument("The parameter Comment is longer than %d characters.", maxKeyComment)
	}
	ids := x.keyIDs()
	switch {
	case len(ids) == 0:
		return nil, invalidArgument("The parameter Items must list at least one public key id.")
	case len(ids) > MaxKeysPerGroup:
		return nil, errorf(http.StatusBadRequest, CodeTooManyPublicKeysInKeyGroup,
			"The key group lists %d public keys; at most %d are allowed.", len(ids), MaxKeysPerGroup)
	}
	for i, id := range ids {
		id = strings.TrimSpace(id)
		k := findID(v.allKeys(), id)
		if k == nil {
			return nil, invalidArgument("The public key %q does not exist (Items[%d]): create it first (CreatePublicKey).", clip(id, 64), i)
		}
		if slices.Contains(ids[:i], k.id) {
			return nil, invalidArgument("The public key %s is listed twice.", k.id)
		}
		ids[i] = k.id
	}
	return x, nil
}

// newKeyGroupID returns a random UUID that no key group of v has (the API pages do not give
// the format; CloudFront's look like UUIDs).
func newKeyGroupID(v *view) string {
	for {
		id := newRequestID()
		if findID(v.allGroups(), id) == nil {
			return id
		}
	}
}

// groupNameTaken returns KeyGroupAlreadyExists when a key group other than except is called
// name.
func (v *view) groupNameTaken(name, except string) *apiError {
	for _, g := range v.allGroups() {
		if g.id != except && g.conf.Name == name {
			return errorf(http.StatusConflict, CodeKeyGroupAlreadyExists, "A key group named %q already exists (%s).", clip(name, 128), g.id)
		}
	}
	return nil
}

// createKeyGroup is CreateKeyGroup: 201 with the key group, Location and ETag.
func (s *Server) createKeyGroup(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	x, aerr := parseKeyGroupConfig(ctx.Request.Body(), cur)
	if aerr != nil {
		return aerr
	}
	if aerr := cur.groupNameTaken(x.Name, ""); aerr != nil {
		return aerr
	}
	if n := len(cur.allGroups()); n >= MaxKeyGroups {
		return errorf(http.StatusBadRequest, CodeTooManyKeyGroups,
			"There are already %d key groups (those of edge's configuration file included), the most allowed.", n)
	}
	g := &keyGroup{id: newKeyGroupID(cur), etag: randomETag(), modified: now, conf: x}
	res := cur.res.clone()
	res.groups = append(res.groups, g)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info("key group created", "id", g.id, "name", clip(x.Name, 128), "keys", x.keyIDs())
	location(ctx, pathKeyGroup+"/"+g.id)
	replyETag(ctx, http.StatusCreated, g.etag, marshalDoc(withNS(g.doc())))
	return nil
}

// getKeyGroup is GetKeyGroup.
func (s *Server) getKeyGroup(ctx *fasthttp.RequestCtx, id string) *apiError {
	g, aerr := s.cur.Load().findGroup(id)
	if aerr != nil {
		return aerr
	}
	replyETag(ctx, http.StatusOK, g.etag, marshalDoc(withNS(g.doc())))
	return nil
}

// getKeyGroupConfig is GetKeyGroupConfig.
func (s *Server) getKeyGroupConfig(ctx *fasthttp.RequestCtx, id string) *apiError {
	g, aerr := s.cur.Load().findGroup(id)
	if aerr != nil {
		return aerr
	}
	c := *g.conf
	c.Xmlns = Namespace
	replyETag(ctx, http.StatusOK, g.etag, marshalDoc(c))
	return nil
}

// updateKeyGroup is UpdateKeyGroup: PUT …/{Id} with If-Match; the whole config is replaced, and
// the behaviors that trust the group check signatures with its new keys at once.
func (s *Server) updateKeyGroup(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	old, aerr := cur.findGroup(id)
	if aerr != nil {
		return aerr
	}
	if old.fromFile {
		return readOnly(CodeIllegalUpdate, "UpdateKeyGroup", "key group", old.id)
	}
	if aerr := ifMatchETag(ctx, old.etag, "key group"); aerr != nil {
		return aerr
	}
	x, aerr := parseKeyGroupConfig(ctx.Request.Body(), cur)
	if aerr != nil {
		return aerr
	}
	if aerr := cur.groupNameTaken(x.Name, old.id); aerr != nil {
		return aerr
	}
	g := &keyGroup{id: old.id, etag: randomETag(), modified: now, conf: x}
	res := cur.res.clone()
	res.groups = replaceID(res.groups, g)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info("key group updated", "id", g.id, "keys", x.keyIDs())
	replyETag(ctx, http.StatusOK, g.etag, marshalDoc(withNS(g.doc())))
	return nil
}

// deleteKeyGroup is DeleteKeyGroup: 204 with If-Match, for a group no behavior trusts
// (ResourceInUse otherwise).
func (s *Server) deleteKeyGroup(ctx *fasthttp.RequestCtx, id string) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	g, aerr := cur.findGroup(id)
	if aerr != nil {
		return aerr
	}
	if g.fromFile {
		return readOnly(CodeIllegalUpdate, "DeleteKeyGroup", "key group", g.id)
	}
	if aerr := ifMatchETag(ctx, g.etag, "key group"); aerr != nil {
		return aerr
	}
	if users := cur.users(func(b *config.Behavior) bool { return slices.Contains(b.TrustedKeyGroups, g.id) }); len(users) > 0 {
		return errorf(http.StatusConflict, CodeResourceInUse,
			"Cannot delete key group %s: a cache behavior of distribution %s trusts it.", g.id, strings.Join(users, ", "))
	}
	res := cur.res.clone()
	res.groups = deleteID(res.groups, g.id)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info("key group deleted", "id", g.id)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// listKeyGroups is ListKeyGroups: the configuration file's groups, then the API's, oldest first.
func (s *Server) listKeyGroups(ctx *fasthttp.RequestCtx) *apiError {
	groups := s.cur.Load().allGroups()
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.id
	}
	start, end, _, maxItems, aerr := listPage(ctx, ids)
	if aerr != nil {
		return aerr
	}
	x := xmlKeyGroupList{Xmlns: Namespace, MaxItems: maxItems, Quantity: end - start}
	if end > start {
		x.Items = &struct {
			Summary []xmlKeyGroupSummary `xml:"KeyGroupSummary"`
		}{}
		for _, g := range groups[start:end] {
			x.Items.Summary = append(x.Items.Summary, xmlKeyGroupSummary{KeyGroup: g.doc()})
		}
		if end < len(groups) {
			x.NextMarker = groups[end-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}
