package control

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/access"
	"github.com/cfedge/edge/config"
)

var publicKeyIDShape = regexp.MustCompile(`^K[A-Z0-9]{12}$`)

// testKeys are RSA key pairs made once for the package's tests.
var testKeys = struct {
	once sync.Once
	keys []*rsa.PrivateKey
}{}

// testKey returns the i-th test key pair (0 to 2) and its public key as PEM, with the trailing
// newline PEM files have.
func testKey(t testing.TB, i int) (*rsa.PrivateKey, string) {
	t.Helper()
	testKeys.once.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys.keys = append(testKeys.keys, k)
		}
	})
	k := testKeys.keys[i]
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// createKey makes a public key through the SDK.
func createKey(t *testing.T, cf *cloudfront.Client, name string, i int) *cloudfront.CreatePublicKeyOutput {
	t.Helper()
	_, pemKey := testKey(t, i)
	out, err := cf.CreatePublicKey(context.Background(), &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
		CallerReference: aws.String("ref-" + name), Name: aws.String(name), EncodedKey: aws.String(pemKey), Comment: aws.String("first")}})
	if err != nil {
		t.Fatalf("CreatePublicKey %s: %v", name, err)
	}
	return out
}

// TestPublicKeyLifecycle: a public key's id, its EncodedKey byte for byte, only its Comment may
// change, and CallerReference replays.
func TestPublicKeyLifecycle(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	_, pemKey := testKey(t, 0)
	out := createKey(t, cf, "signer", 0)
	id, etag := aws.ToString(out.PublicKey.Id), aws.ToString(out.ETag)
	status, hdr := h.rec.last()
	if status != http.StatusCreated || !publicKeyIDShape.MatchString(id) || hdr.Get("Location") != h.url+"/2020-05-31/public-key/"+id ||
		!out.PublicKey.CreatedTime.Equal(h.clock.Now()) {
		t.Fatalf("create: %d id %q Location %q", status, id, hdr.Get("Location"))
	}
	if _, n := app.last(); n != 0 {
		t.Errorf("a public key in no key group was applied to the edge (%d configurations)", n)
	}
	g, err := cf.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: aws.String(id)})
	if err != nil || aws.ToString(g.PublicKey.PublicKeyConfig.EncodedKey) != pemKey || aws.ToString(g.ETag) != etag {
		t.Fatalf("GetPublicKey: %v, EncodedKey %q", err, aws.ToString(g.PublicKey.PublicKeyConfig.EncodedKey))
	}
	gc, err := cf.GetPublicKeyConfig(ctx, &cloudfront.GetPublicKeyConfigInput{Id: aws.String(id)})
	if err != nil || aws.ToString(gc.PublicKeyConfig.EncodedKey) != pemKey || aws.ToString(gc.PublicKeyConfig.CallerReference) != "ref-signer" {
		t.Fatalf("GetPublicKeyConfig: %v %+v", err, gc)
	}
	l, err := cf.ListPublicKeys(ctx, &cloudfront.ListPublicKeysInput{})
	if err != nil || len(l.PublicKeyList.Items) != 1 || aws.ToString(l.PublicKeyList.Items[0].EncodedKey) != pemKey ||
		aws.ToString(l.PublicKeyList.Items[0].Name) != "signer" {
		t.Fatalf("ListPublicKeys: %v %+v", err, l)
	}

	// The same CallerReference and config: the same key; another config: PublicKeyAlreadyExists.
	again, err := cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: gc.PublicKeyConfig})
	if err != nil || aws.ToString(again.PublicKey.Id) != id {
		t.Errorf("replayed CreatePublicKey: %v %+v", err, again)
	}
	other := *gc.PublicKeyConfig
	other.Comment = aws.String("other")
	_, err = cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &other})
	wantCode(t, "a used CallerReference", err, CodePublicKeyAlreadyExists, 409)
	other.CallerReference = aws.String("fresh")
	_, err = cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &other})
	wantCode(t, "a used Name", err, CodePublicKeyAlreadyExists, 409)

	// Update: what Terraform sends (every field), the Comment changed.
	c := *gc.PublicKeyConfig
	c.Comment = aws.String("second")
	upd, err := cf.UpdatePublicKey(ctx, &cloudfront.UpdatePublicKeyInput{Id: aws.String(id), IfMatch: aws.String(etag), PublicKeyConfig: &c})
	if err != nil || aws.ToString(upd.ETag) == etag || aws.ToString(upd.PublicKey.PublicKeyConfig.Comment) != "second" {
		t.Fatalf("UpdatePublicKey: %v %+v", err, upd)
	}
	for _, f := range []func(*types.PublicKeyConfig){
		func(c *types.PublicKeyConfig) { c.Name = aws.String("renamed") },
		func(c *types.PublicKeyConfig) { c.CallerReference = aws.String("other-ref") },
		func(c *types.PublicKeyConfig) { _, p := testKey(t, 1); c.EncodedKey = aws.String(p) },
	} {
		bad := c
		f(&bad)
		_, err := cf.UpdatePublicKey(ctx, &cloudfront.UpdatePublicKeyInput{Id: aws.String(id), IfMatch: upd.ETag, PublicKeyConfig: &bad})
		wantCode(t, "change an immutable field", err, CodeCannotChangeImmutablePublicKeyField, 400)
	}
	if _, err := cf.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: aws.String(id), IfMatch: upd.ETag}); err != nil {
		t.Fatalf("DeletePublicKey: %v", err)
	}
	_, err = cf.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: aws.String(id)})
	wantCode(t, "get after delete", err, CodeNoSuchPublicKey, 404)
}

// TestKeyGroupSignedURLs: a key group created through the API is trusted by a distribution
// created through the API; the merged configuration holds it with its keys' PEM, so a URL signed
// with its private key passes the edge's verifier (access.New on the merged key groups, as the
// edge builds it) and one signed with another key does not; the group and its keys cannot be
// deleted while in use; an update of the group reaches the edge.
func TestKeyGroupSignedURLs(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	k1, k2 := createKey(t, cf, "k1", 0), createKey(t, cf, "k2", 1)
	k1ID, k2ID := aws.ToString(k1.PublicKey.Id), aws.ToString(k2.PublicKey.Id)
	kg, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{
		Name: aws.String("players"), Items: []string{k1ID}, Comment: aws.String("k1 only")}})
	if err != nil {
		t.Fatalf("CreateKeyGroup: %v", err)
	}
	gid := aws.ToString(kg.KeyGroup.Id)
	if _, hdr := h.rec.last(); !policyIDShape.MatchString(gid) || hdr.Get("Location") != h.url+"/2020-05-31/key-group/"+gid {
		t.Errorf("key group id %q, Location %q", gid, hdr.Get("Location"))
	}
	doc, etag := h.rawDoc("/2020-05-31/key-group/" + gid + "/config")
	if etag != aws.ToString(kg.ETag) {
		t.Errorf("GetKeyGroupConfig ETag %q, want %q", etag, aws.ToString(kg.ETag))
	}
	want := `<KeyGroupConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>players</Name><Items><PublicKey>` + k1ID +
		`</PublicKey></Items><Comment>k1 only</Comment></KeyGroupConfig>`
	if !strings.HasSuffix(doc, want) {
		t.Errorf("GetKeyGroupConfig:\n%s\nwant\n%s", doc, want)
	}

	c := minimalDistConfig("signed", "signed")
	c.DefaultCacheBehavior.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(1), Items: []string{gid}}
	d := h.create(c)
	if a := d.Distribution.ActiveTrustedKeyGroups; !aws.ToBool(a.Enabled) || aws.ToString(a.Items[0].KeyGroupId) != gid ||
		a.Items[0].KeyPairIds.Items[0] != k1ID {
		t.Errorf("ActiveTrustedKeyGroups %+v", a)
	}
	merged, _ := app.last()
	domain := aws.ToString(d.Distribution.DomainName)
	check := func(keyIdx int, keyID string) *access.Denial {
		t.Helper()
		var groups []config.KeyGroup
		for _, g := range merged.KeyGroups {
			if g.ID == gid {
				groups = append(groups, g)
			}
		}
		v, err := access.New(access.Config{KeyGroups: groups})
		if err != nil {
			t.Fatalf("the merged key group does not load: %v (%+v)", err, groups)
		}
		priv, _ := testKey(t, keyIdx)
		signed, err := sign.NewURLSigner(keyID, priv).Sign("https://"+domain+"/video.mp4", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(signed)
		return v.Check(&access.Request{Scheme: "https", Host: []byte(domain), Path: []byte(u.EscapedPath()), RawQuery: []byte(u.RawQuery)}, time.Now())
	}
	if denial := check(0, k1ID); denial != nil {
		t.Errorf("a URL signed with k1: %v", denial)
	}
	if denial := check(1, k2ID); denial == nil {
		t.Error("a URL signed with k2, which the group does not hold, passed")
	}

	// In use: neither the group nor its key goes.
	_, err = cf.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: aws.String(gid), IfMatch: kg.ETag})
	wantCode(t, "delete a trusted key group", err, CodeResourceInUse, 409)
	_, err = cf.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: aws.String(k1ID), IfMatch: k1.ETag})
	wantCode(t, "delete a key in a group", err, CodePublicKeyInUse, 409)

	// Update the group to hold k2 as well: the edge's verifier takes k2 now.
	upd, err := cf.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: aws.String(gid), IfMatch: kg.ETag,
		KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("players"), Items: []string{k1ID, k2ID}}})
	if err != nil {
		t.Fatalf("UpdateKeyGroup: %v", err)
	}
	merged, _ = app.last()
	if denial := check(1, k2ID); denial != nil {
		t.Errorf("after the update, a URL signed with k2: %v", denial)
	}
	g, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: d.Distribution.Id})
	if err != nil || len(g.Distribution.ActiveTrustedKeyGroups.Items[0].KeyPairIds.Items) != 2 {
		t.Errorf("ActiveTrustedKeyGroups after the update: %v %+v", err, g.Distribution.ActiveTrustedKeyGroups)
	}
	l, err := cf.ListKeyGroups(ctx, &cloudfront.ListKeyGroupsInput{})
	if err != nil || len(l.KeyGroupList.Items) != 1 || len(l.KeyGroupList.Items[0].KeyGroup.KeyGroupConfig.Items) != 2 {
		t.Errorf("ListKeyGroups: %v %+v", err, l)
	}

	// A second group with k1 too: one key in two groups is served.
	if _, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{
		Name: aws.String("partners"), Items: []string{k1ID}}}); err != nil {
		t.Errorf("a key in two groups: %v", err)
	}

	// Untrusted, the group goes.
	c.DefaultCacheBehavior.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(false), Quantity: aws.Int32(0)}
	dc, _ := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Distribution.Id})
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: d.Distribution.Id, IfMatch: dc.ETag, DistributionConfig: c}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: aws.String(gid), IfMatch: upd.ETag}); err != nil {
		t.Fatalf("DeleteKeyGroup: %v", err)
	}
	_, err = cf.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: aws.String(gid)})
	wantCode(t, "get after delete", err, CodeNoSuchResource, 404)
}

// TestFileKeyGroups: the configuration file's key groups and their public keys are shown,
// read-only; an API key group may hold a file's public key; an API distribution may trust a
// file's group.
func TestFileKeyGroups(t *testing.T) {
	_, pemKey := testKey(t, 2)
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) {
		c.KeyGroups = []config.KeyGroup{{ID: "file-group", Comment: "from the file", PublicKey: []config.PublicKey{{ID: "KFILEKEY00001", EncodedKey: pemKey}}}}
	}, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	g, err := cf.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: aws.String("file-group")})
	if err != nil || aws.ToString(g.KeyGroup.KeyGroupConfig.Name) != "file-group" || g.KeyGroup.KeyGroupConfig.Items[0] != "KFILEKEY00001" {
		t.Fatalf("GetKeyGroup of the file's group: %v %+v", err, g)
	}
	k, err := cf.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: aws.String("KFILEKEY00001")})
	if err != nil || aws.ToString(k.PublicKey.PublicKeyConfig.EncodedKey) != pemKey || aws.ToString(k.PublicKey.PublicKeyConfig.CallerReference) != "edge-KFILEKEY00001" {
		t.Fatalf("GetPublicKey of the file's key: %v %+v", err, k)
	}
	_, err = cf.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: aws.String("file-group"), IfMatch: g.ETag,
		KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("x"), Items: []string{"KFILEKEY00001"}}})
	wantCode(t, "update the file's group", err, CodeIllegalUpdate, 400)
	_, err = cf.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: aws.String("KFILEKEY00001"), IfMatch: k.ETag})
	wantCode(t, "delete the file's key", err, CodeIllegalUpdate, 400)
	_, err = cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("file-group"),
		Items: []string{"KFILEKEY00001"}}})
	wantCode(t, "a group named like the file's", err, CodeKeyGroupAlreadyExists, 409)
	api, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("api-group"),
		Items: []string{"KFILEKEY00001"}}})
	if err != nil {
		t.Fatalf("an API group holding the file's key: %v", err)
	}
	merged, _ := app.last()
	if len(merged.KeyGroups) != 2 || merged.KeyGroups[1].ID != aws.ToString(api.KeyGroup.Id) || merged.KeyGroups[1].PublicKey[0].EncodedKey != pemKey {
		t.Errorf("merged key groups: %+v", merged.KeyGroups)
	}
	c := minimalDistConfig("file-kg", "file-kg")
	c.DefaultCacheBehavior.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(2),
		Items: []string{"file-group", aws.ToString(api.KeyGroup.Id)}}
	h.create(c)
}

// TestKeyErrors: the public key and key group errors, each from a real request.
func TestKeyErrors(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	cf := h.cf()
	var keys []string
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		keys = append(keys, aws.ToString(createKey(t, cf, name, i%3).PublicKey.Id))
	}
	kg, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("g"), Items: keys[:1]}})
	if err != nil {
		t.Fatal(err)
	}
	sdk := func(call func() error) func() (int, string) {
		return func() (int, string) {
			code, msg, status := apiErr(call())
			return status, "<Code>" + code + "</Code>" + msg
		}
	}
	createGroup := func(name string, items ...string) func() (int, string) {
		return sdk(func() error {
			_, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String(name), Items: items}})
			return err
		})
	}
	_, pemKey := testKey(t, 0)
	raw := func(path, body string) func() (int, string) {
		return func() (int, string) {
			status, _, resp := h.raw("POST", path, body, testKey1, testSecret1, "us-east-1", time.Now())
			return status, resp
		}
	}
	tests := []struct {
		name   string
		call   func() (int, string)
		code   string
		status int
		msg    string
	}{
		{"TooManyPublicKeysInKeyGroup", createGroup("six", keys...), CodeTooManyPublicKeysInKeyGroup, 400, "6"},
		{"InvalidArgument: no keys", raw("/2020-05-31/key-group", `<KeyGroupConfig><Name>none</Name><Items/></KeyGroupConfig>`),
			CodeInvalidArgument, 400, "at least one"},
		{"InvalidArgument: unknown key", createGroup("unknown", "KNOSUCHKEY000"), CodeInvalidArgument, 400, "KNOSUCHKEY000"},
		{"InvalidArgument: a key twice", createGroup("twice", keys[0], keys[0]), CodeInvalidArgument, 400, "twice"},
		{"KeyGroupAlreadyExists", createGroup("g", keys[1]), CodeKeyGroupAlreadyExists, 409, aws.ToString(kg.KeyGroup.Id)},
		{"NoSuchResource: get", sdk(func() error {
			_, err := cf.GetKeyGroupConfig(ctx, &cloudfront.GetKeyGroupConfigInput{Id: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}), CodeNoSuchResource, 404, ""},
		{"NoSuchResource: delete", sdk(func() error {
			_, err := cf.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: aws.String("00000000-0000-4000-8000-000000000000"), IfMatch: kg.ETag})
			return err
		}), CodeNoSuchResource, 404, ""},
		{"NoSuchPublicKey", sdk(func() error {
			_, err := cf.GetPublicKeyConfig(ctx, &cloudfront.GetPublicKeyConfigInput{Id: aws.String("KNOSUCHKEY000")})
			return err
		}), CodeNoSuchPublicKey, 404, ""},
		{"NoSuchPublicKey: update", sdk(func() error {
			_, err := cf.UpdatePublicKey(ctx, &cloudfront.UpdatePublicKeyInput{Id: aws.String("KNOSUCHKEY000"), IfMatch: kg.ETag,
				PublicKeyConfig: &types.PublicKeyConfig{CallerReference: aws.String("r"), Name: aws.String("n"), EncodedKey: aws.String(pemKey)}})
			return err
		}), CodeNoSuchPublicKey, 404, ""},
		{"InvalidArgument: not a PEM key", sdk(func() error {
			_, err := cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
				CallerReference: aws.String("bad"), Name: aws.String("bad"), EncodedKey: aws.String("not a key")}})
			return err
		}), CodeInvalidArgument, 400, "EncodedKey"},
		{"InvalidArgument: Name missing", raw("/2020-05-31/public-key",
			`<PublicKeyConfig><CallerReference>noname</CallerReference><EncodedKey>`+pemKey+`</EncodedKey></PublicKeyConfig>`),
			CodeInvalidArgument, 400, "Name is required"},
		{"TooManyPublicKeys", sdk(func() error {
			for i := range MaxPublicKeys {
				_, pemKey := testKey(t, i%3)
				n := "more-" + string(rune('a'+i))
				if _, err := cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
					CallerReference: aws.String(n), Name: aws.String(n), EncodedKey: aws.String(pemKey)}}); err != nil {
					return err
				}
			}
			return nil
		}), CodeTooManyPublicKeys, 400, ""},
		{"InvalidIfMatchVersion: key group update", sdk(func() error {
			_, err := cf.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: kg.KeyGroup.Id,
				KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("g"), Items: keys[:1]}})
			return err
		}), CodeInvalidIfMatchVersion, 400, ""},
		{"PreconditionFailed: public key delete", sdk(func() error {
			_, err := cf.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: aws.String(keys[5]), IfMatch: aws.String("EAAAAAAAAAAAAA")})
			return err
		}), CodePreconditionFailed, 412, ""},
		{"TooManyKeyGroups", sdk(func() error {
			for i := range MaxKeyGroups {
				if _, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{
					Name: aws.String("more-" + string(rune('a'+i))), Items: keys[:1]}}); err != nil {
					return err
				}
			}
			return nil
		}), CodeTooManyKeyGroups, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := tt.call()
			if status != tt.status || !strings.Contains(resp, "<Code>"+tt.code+"</Code>") || !strings.Contains(resp, tt.msg) {
				t.Errorf("got %d %s\nwant %d %s with %q", status, resp, tt.status, tt.code, tt.msg)
			}
		})
	}
}
