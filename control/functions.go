package control

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/function"
)

// The CloudFront Functions API
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html,
// API_DescribeFunction.html, API_GetFunction.html, API_UpdateFunction.html,
// API_PublishFunction.html, API_ListFunctions.html, API_DeleteFunction.html,
// API_TestFunction.html). A function has a DEVELOPMENT stage, which CreateFunction and
// UpdateFunction write, and a LIVE stage, which PublishFunction copies from DEVELOPMENT
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/publish-function.html).
// Each stage has its own ETag. Functions of the configuration ([[function]]) are both stages
// at once, DEPLOYED, and read-only here; functions created through the API live until deleted,
// in api.state_dir when it is set (state.go). Every change runs under Server.wmu and replaces
// entries rather than modifying them, so that a change the state or the edge refuses leaves
// nothing behind.

const fnPrefix = "/2020-05-31/function"

// Stages (FunctionStage) and the statuses the API reports.
const (
	StageDevelopment = "DEVELOPMENT"
	StageLive        = "LIVE"

	statusUnpublished = "UNPUBLISHED"
	statusDeployed    = "DEPLOYED"
)

// Error codes of the Function API (the Errors sections of the pages above; statuses from the
// same pages).
const (
	CodeFunctionAlreadyExists     = "FunctionAlreadyExists"     // 409
	CodeNoSuchFunctionExists      = "NoSuchFunctionExists"      // 404
	CodePreconditionFailed        = "PreconditionFailed"        // 412
	CodeInvalidIfMatchVersion     = "InvalidIfMatchVersion"     // 400
	CodeFunctionSizeLimitExceeded = "FunctionSizeLimitExceeded" // 413
	CodeTooManyFunctions          = "TooManyFunctions"          // 400
	CodeUnsupportedOperation      = "UnsupportedOperation"      // 400
	CodeTestFunctionFailed        = "TestFunctionFailed"        // 500
)

// MaxFunctions is CloudFront's "functions per AWS account" quota
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions);
// CreateFunction beyond it gets TooManyFunctions.
const MaxFunctions = 100

// maxEventObject is the longest EventObject TestFunction takes (its Length Constraints,
// API_TestFunction.html).
const maxEventObject = 40960

// fnNameRE is the FunctionName pattern of the API pages.
var fnNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// etagRE is the shape of the ETags this API hands out; an If-Match of another shape is
// InvalidIfMatchVersion rather than PreconditionFailed.
var etagRE = regexp.MustCompile(`^E[A-Z2-7]{13}$`)

// fnVersion is one stage of a function. It is immutable: a change replaces it.
type fnVersion struct {
	stage    string
	runtime  string
	comment  string
	kvs      string // name of the associated key value store, "" for none
	code     []byte
	etag     string
	modified time.Time
}

// fnEntry is one function. Guarded by functions.mu.
type fnEntry struct {
	name       string
	created    time.Time
	dev, live  *fnVersion // live is nil until the first PublishFunction
	fromConfig bool       // a [[function]] of the configuration: read-only here
	published  bool       // LIVE holds what DEVELOPMENT holds
}

func (e *fnEntry) status() string {
	if e.fromConfig || (e.live != nil && e.published) {
		return statusDeployed
	}
	return statusUnpublished
}

func (e *fnEntry) stage(stage string) *fnVersion {
	if stage == StageLive {
		return e.live
	}
	return e.dev
}

// functions is the Server's function registry.
type functions struct {
	mu     sync.Mutex
	byName map[string]*fnEntry
	kvs    map[string]*function.MemoryStore // config key value stores by name
	kvsARN map[string]string                // KeyValueStoreARN → store name
}

// newFunctions loads the configuration's key value stores and functions; every function must
// compile (config validation has already said so, with TOML paths).
func newFunctions(c *config.Config, now time.Time) (*functions, error) {
	fs := &functions{byName: map[string]*fnEntry{}, kvs: map[string]*function.MemoryStore{}, kvsARN: map[string]string{}}
	for _, st := range c.KeyValueStores {
		data := make([]function.KeyValue, len(st.Data))
		for j, kv := range st.Data {
			data[j] = function.KeyValue{Key: kv.Key, Value: kv.Value}
		}
		fs.kvs[st.Name] = function.NewMemoryStore(data, now)
		fs.kvsARN[kvsARN(st.Name)] = st.Name
	}
	for i := range c.Functions {
		fc := &c.Functions[i]
		if _, dup := fs.byName[fc.Name]; dup {
			return nil, fmt.Errorf("function[%d]: duplicate name %q", i, fc.Name)
		}
		v := &fnVersion{runtime: fc.Runtime, comment: fc.Comment, kvs: fc.KeyValueStoreName(), code: fc.Code, modified: now}
		if v.runtime == "" {
			v.runtime = config.DefaultFunctionRuntime
		}
		if _, err := fs.compile(fc.Name, v, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", c.FunctionCodePath(i), err)
		}
		dev, live := *v, *v
		dev.stage, live.stage = StageDevelopment, StageLive
		dev.etag, live.etag = contentETag(fc.Name, &dev), contentETag(fc.Name, &live)
		fs.byName[fc.Name] = &fnEntry{name: fc.Name, created: now, dev: &dev, live: &live, fromConfig: true, published: true}
	}
	return fs, nil
}

// compile compiles v's code with its store; log, when set, receives console.log lines.
func (fs *functions) compile(name string, v *fnVersion, log func(string)) (*function.Function, error) {
	opts := function.Options{Runtime: v.runtime, Log: log}
	if v.kvs != "" {
		if st := fs.kvs[v.kvs]; st != nil {
			opts.KVS = st
		}
	}
	return function.Compile(name, v.code, opts)
}

// fnARN is a function's ARN (FunctionMetadata.FunctionARN).
func fnARN(name string) string { return "arn:aws:cloudfront::" + accountID + ":function/" + name }

// kvsARN is the ARN shown for a configured key value store: CloudFront's shape, with an id
// derived from the store's name (UUID-shaped, stable across restarts).
func kvsARN(name string) string {
	sum := sha256.Sum256([]byte("key-value-store/" + name))
	h := fmt.Sprintf("%x", sum[:16])
	return "arn:aws:cloudfront::" + accountID + ":key-value-store/" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// contentETag is the ETag of a configured function's stage: a digest, so it survives restarts.
func contentETag(name string, v *fnVersion) string {
	h := sha256.New()
	for _, s := range []string{name, v.stage, v.runtime, v.comment, v.kvs} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(v.code)
	return "E" + base32.StdEncoding.EncodeToString(h.Sum(nil))[:13]
}

// randomETag is the ETag of a version written through the API.
func randomETag() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (Go ≥ 1.24)
	return "E" + base32.StdEncoding.EncodeToString(b[:])[:13]
}

// --- XML shapes ---

type xmlKVSAssocsIn struct {
	Quantity *string `xml:"Quantity"`
	Items    *struct {
		Assoc []struct {
			ARN string `xml:"KeyValueStoreARN"`
		} `xml:"KeyValueStoreAssociation"`
	} `xml:"Items"`
}

type xmlKVSAssocsOut struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Assoc []xmlKVSAssoc `xml:"KeyValueStoreAssociation"`
	} `xml:"Items,omitempty"`
}

type xmlKVSAssoc struct {
	ARN string `xml:"KeyValueStoreARN"`
}

type xmlFnConfigIn struct {
	Comment                   *string         `xml:"Comment"`
	Runtime                   *string         `xml:"Runtime"`
	KeyValueStoreAssociations *xmlKVSAssocsIn `xml:"KeyValueStoreAssociations"`
}

// xmlCreateFunction is CreateFunctionRequest; xmlUpdateFunction is UpdateFunctionRequest.
type xmlCreateFunction struct {
	XMLName        xml.Name       `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ CreateFunctionRequest"`
	Name           *string        `xml:"Name"`
	FunctionConfig *xmlFnConfigIn `xml:"FunctionConfig"`
	FunctionCode   *string        `xml:"FunctionCode"`
}

type xmlUpdateFunction struct {
	XMLName        xml.Name       `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ UpdateFunctionRequest"`
	FunctionConfig *xmlFnConfigIn `xml:"FunctionConfig"`
	FunctionCode   *string        `xml:"FunctionCode"`
}

type xmlTestFunction struct {
	XMLName     xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ TestFunctionRequest"`
	EventObject *string  `xml:"EventObject"`
	Stage       string   `xml:"Stage"`
}

type xmlFnConfigOut struct {
	Comment                   string           `xml:"Comment"`
	Runtime                   string           `xml:"Runtime"`
	KeyValueStoreAssociations *xmlKVSAssocsOut `xml:"KeyValueStoreAssociations,omitempty"`
}

type xmlFnMetadata struct {
	FunctionARN      string `xml:"FunctionARN"`
	Stage            string `xml:"Stage"`
	CreatedTime      string `xml:"CreatedTime"`
	LastModifiedTime string `xml:"LastModifiedTime"`
}

// xmlFnSummary is FunctionSummary, as a response root (with Xmlns) or inside another.
type xmlFnSummary struct {
	XMLName          xml.Name       `xml:"FunctionSummary"`
	Xmlns            string         `xml:"xmlns,attr,omitempty"`
	Name             string         `xml:"Name"`
	Status           string         `xml:"Status"`
	FunctionConfig   xmlFnConfigOut `xml:"FunctionConfig"`
	FunctionMetadata xmlFnMetadata  `xml:"FunctionMetadata"`
}

type xmlFnList struct {
	XMLName    xml.Name `xml:"FunctionList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:"NextMarker,omitempty"`
	MaxItems   int      `xml:"MaxItems"`
	Quantity   int      `xml:"Quantity"`
	Items      *struct {
		Summary []xmlFnSummary `xml:"FunctionSummary"`
	} `xml:"Items,omitempty"`
}

type xmlTestResult struct {
	XMLName               xml.Name     `xml:"TestResult"`
	Xmlns                 string       `xml:"xmlns,attr"`
	FunctionSummary       xmlFnSummary `xml:"FunctionSummary"`
	ComputeUtilization    string       `xml:"ComputeUtilization,omitempty"`
	FunctionExecutionLogs struct {
		Member []string `xml:"member"`
	} `xml:"FunctionExecutionLogs"`
	FunctionErrorMessage string `xml:"FunctionErrorMessage,omitempty"`
	FunctionOutput       string `xml:"FunctionOutput,omitempty"`
}

func (s *Server) summary(e *fnEntry, v *fnVersion) xmlFnSummary {
	x := xmlFnSummary{
		Name:           e.name,
		Status:         e.status(),
		FunctionConfig: xmlFnConfigOut{Comment: v.comment, Runtime: v.runtime},
		FunctionMetadata: xmlFnMetadata{
			FunctionARN:      fnARN(e.name),
			Stage:            v.stage,
			CreatedTime:      e.created.UTC().Format(timeLayout),
			LastModifiedTime: v.modified.UTC().Format(timeLayout),
		},
	}
	if v.kvs != "" {
		x.FunctionConfig.KeyValueStoreAssociations = &xmlKVSAssocsOut{Quantity: 1, Items: &struct {
			Assoc []xmlKVSAssoc `xml:"KeyValueStoreAssociation"`
		}{Assoc: []xmlKVSAssoc{{ARN: kvsARN(v.kvs)}}}}
	}
	return x
}

func (s *Server) replySummary(ctx *fasthttp.RequestCtx, status int, e *fnEntry, v *fnVersion) {
	x := s.summary(e, v)
	x.Xmlns = Namespace
	reply(ctx, status, marshalDoc(x))
}

// --- errors ---

func noSuchFunction(name, stage string) *apiError {
	if stage == StageLive {
		return errorf(http.StatusNotFound, CodeNoSuchFunctionExists,
			"The function %q has no LIVE stage: publish it first (PublishFunction).", clip(name, 64))
	}
	return errorf(http.StatusNotFound, CodeNoSuchFunctionExists, "The specified function does not exist: %q.", clip(name, 64))
}

func fromConfig(name, op string) *apiError {
	return errorf(http.StatusBadRequest, CodeUnsupportedOperation,
		"%s: the function %q comes from edge's configuration ([[function]]) and is read-only through the API; "+
			"change it in the configuration.", op, name)
}

// --- routing ---

// routeFunction dispatches the Function API; rest is the raw path after fnPrefix (see rawPath),
// whose segments are decoded one by one, so a name holding "/" stays one name.
func (s *Server) routeFunction(ctx *fasthttp.RequestCtx, rest string, now time.Time) *apiError {
	parts, aerr := splitSegments(rest)
	if aerr != nil {
		return aerr
	}
	m := string(ctx.Method())
	switch {
	case len(parts) == 0 && m == http.MethodPost:
		return s.createFunction(ctx, now)
	case len(parts) == 0 && m == http.MethodGet:
		return s.listFunctions(ctx)
	case len(parts) == 1 && m == http.MethodGet:
		return s.getFunction(ctx, parts[0])
	case len(parts) == 1 && m == http.MethodPut:
		return s.updateFunction(ctx, parts[0], now)
	case len(parts) == 1 && m == http.MethodDelete:
		return s.deleteFunction(ctx, parts[0])
	case len(parts) == 2 && parts[1] == "describe" && m == http.MethodGet:
		return s.describeFunction(ctx, parts[0])
	case len(parts) == 2 && parts[1] == "publish" && m == http.MethodPost:
		return s.publishFunction(ctx, parts[0], now)
	case len(parts) == 2 && parts[1] == "test" && m == http.MethodPost:
		return s.testFunction(ctx, parts[0])
	}
	return unsupported(ctx)
}

// stageArg reads the Stage query parameter: DEVELOPMENT when absent (the API pages give no
// default; DEVELOPMENT is where every function exists).
func stageArg(ctx *fasthttp.RequestCtx, empty string) (string, *apiError) {
	st := string(ctx.QueryArgs().Peek("Stage"))
	switch st {
	case "":
		return empty, nil
	case StageDevelopment, StageLive:
		return st, nil
	}
	return "", invalidArgument("Stage %q is not valid: want DEVELOPMENT or LIVE.", clip(st, 32))
}

// lookupFn returns the function called name and its stage version; the caller holds fs.mu.
func (fs *functions) lookupFn(name, stage string) (*fnEntry, *fnVersion, *apiError) {
	e := fs.byName[name]
	if e == nil {
		return nil, nil, noSuchFunction(name, "")
	}
	v := e.stage(stage)
	if v == nil {
		return nil, nil, noSuchFunction(name, stage)
	}
	return e, v, nil
}

// ifMatch checks If-Match against the ETags in want: a missing value, or one that is not one
// of this API's ETags, is InvalidIfMatchVersion; a well-formed stale one is PreconditionFailed
// (InvalidIfMatchVersion when stale is empty, for operations without PreconditionFailed).
func ifMatch(ctx *fasthttp.RequestCtx, staleCode string, want ...string) *apiError {
	got := strings.TrimSpace(string(ctx.Request.Header.Peek("If-Match")))
	if got == "" {
		return errorf(http.StatusBadRequest, CodeInvalidIfMatchVersion,
			"The If-Match version is missing: send the function's ETag (from DescribeFunction).")
	}
	if slices.Contains(want, got) {
		return nil
	}
	if !etagRE.MatchString(got) || staleCode == "" {
		return errorf(http.StatusBadRequest, CodeInvalidIfMatchVersion,
			"The If-Match version %q is not valid for this function: send its current ETag (from DescribeFunction).", clip(got, 64))
	}
	return errorf(http.StatusPreconditionFailed, staleCode,
		"The If-Match version %q is not the function's current ETag %q.", clip(got, 64), want[0])
}

// --- operations ---

// fnInput is a validated FunctionConfig and FunctionCode.
type fnInput struct {
	runtime, comment, kvs string
	code                  []byte
}

// parseFnInput checks the FunctionConfig and FunctionCode of CreateFunction and UpdateFunction.
func (fs *functions) parseFnInput(op string, cfg *xmlFnConfigIn, code *string) (fnInput, *apiError) {
	var in fnInput
	if cfg == nil {
		return in, invalidArgument("%s: FunctionConfig is required.", op)
	}
	if cfg.Comment == nil {
		return in, invalidArgument("%s: FunctionConfig.Comment is required.", op)
	}
	if cfg.Runtime == nil {
		return in, invalidArgument("%s: FunctionConfig.Runtime is required.", op)
	}
	in.comment, in.runtime = *cfg.Comment, *cfg.Runtime
	if in.runtime != function.Runtime10 && in.runtime != function.Runtime20 {
		return in, invalidArgument("%s: FunctionConfig.Runtime %q is not valid: want %s or %s.", op,
			clip(in.runtime, 40), function.Runtime10, function.Runtime20)
	}
	if a := cfg.KeyValueStoreAssociations; a != nil {
		var arns []string
		if a.Items != nil {
			for _, it := range a.Items.Assoc {
				arns = append(arns, strings.TrimSpace(it.ARN))
			}
		}
		if a.Quantity == nil || strings.TrimSpace(*a.Quantity) != strconv.Itoa(len(arns)) {
			return in, invalidArgument("%s: KeyValueStoreAssociations.Quantity must be the number of items (%d).", op, len(arns))
		}
		switch len(arns) {
		case 0:
		case 1:
			name, ok := fs.kvsARN[arns[0]]
			if !ok {
				return in, invalidArgument("%s: KeyValueStoreARN %q names no key value store of edge's configuration.", op, clip(arns[0], 200))
			}
			if in.runtime != function.Runtime20 {
				return in, invalidArgument("%s: a key value store needs runtime %s.", op, function.Runtime20)
			}
			in.kvs = name
		default:
			return in, invalidArgument("%s: a function can be associated with at most one key value store, not %d.", op, len(arns))
		}
	}
	if code == nil {
		return in, invalidArgument("%s: FunctionCode is required.", op)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*code), ""))
	if err != nil {
		return in, invalidArgument("%s: FunctionCode is not valid base64: %v.", op, err)
	}
	if len(raw) > function.MaxCodeSize {
		return in, errorf(http.StatusRequestEntityTooLarge, CodeFunctionSizeLimitExceeded,
			"The function code is %d bytes; the maximum size of a function is %d bytes.", len(raw), function.MaxCodeSize)
	}
	in.code = raw
	return in, nil
}

// check compiles in's code, so that a function that cannot run is refused when it is written.
func (fs *functions) check(name string, in fnInput) *apiError {
	_, err := fs.compile(name, &fnVersion{runtime: in.runtime, kvs: in.kvs, code: in.code}, nil)
	var ce *function.CompileError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce): // code over the size limit never gets here: parseFnInput refuses it
		return invalidArgument("The function code does not compile: %s", ce.Error())
	}
	return invalidArgument("The function cannot be created: %v", err)
}

func decodeXML(body []byte, v any, root string) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, CodeMissingBody, "This operation requires a body: a %s document.", root)
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return invalidArgument("The request body is not a %s document in namespace %s: %v.", root, Namespace, err)
	}
	return nil
}

// createFunction is CreateFunction: 201 with the DEVELOPMENT summary, Location and ETag.
func (s *Server) createFunction(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	var req xmlCreateFunction
	if aerr := decodeXML(ctx.Request.Body(), &req, "CreateFunctionRequest"); aerr != nil {
		return aerr
	}
	if req.Name == nil || !fnNameRE.MatchString(*req.Name) {
		name := ""
		if req.Name != nil {
			name = *req.Name
		}
		return invalidArgument("CreateFunction: Name %q is not valid: 1 to 64 letters, digits, '-' and '_'.", clip(name, 80))
	}
	name := *req.Name
	fs := s.fns
	in, aerr := fs.parseFnInput("CreateFunction", req.FunctionConfig, req.FunctionCode)
	if aerr != nil {
		return aerr
	}
	// Compiled outside the lock; the name and the count are checked where the function is added.
	if aerr := fs.check(name, in); aerr != nil {
		return aerr
	}
	v := &fnVersion{stage: StageDevelopment, runtime: in.runtime, comment: in.comment, kvs: in.kvs, code: in.code,
		etag: randomETag(), modified: now}
	e := &fnEntry{name: name, created: now, dev: v}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	fns := fs.snapshot()
	if _, exists := fns[name]; exists {
		return errorf(http.StatusConflict, CodeFunctionAlreadyExists, "A function named %q already exists.", name)
	}
	if len(fns) >= MaxFunctions {
		return errorf(http.StatusBadRequest, CodeTooManyFunctions, "There are already %d functions, the most allowed.", MaxFunctions)
	}
	fns[name] = e
	if aerr := s.commitFunctions(fns, false); aerr != nil {
		return aerr
	}
	x := s.summary(e, v)
	s.log.Info("function created", "function", name, "runtime", in.runtime, "bytes", len(in.code))
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	ctx.Response.Header.Set("Location", scheme+"://"+string(ctx.Host())+fnPrefix+"/"+name)
	ctx.Response.Header.Set("ETag", v.etag)
	x.Xmlns = Namespace
	reply(ctx, http.StatusCreated, marshalDoc(x))
	return nil
}

// describeFunction is DescribeFunction: the stage's summary and ETag.
func (s *Server) describeFunction(ctx *fasthttp.RequestCtx, name string) *apiError {
	stage, aerr := stageArg(ctx, StageDevelopment)
	if aerr != nil {
		return aerr
	}
	fs := s.fns
	fs.mu.Lock()
	defer fs.mu.Unlock()
	e, v, aerr := fs.lookupFn(name, stage)
	if aerr != nil {
		return aerr
	}
	ctx.Response.Header.Set("ETag", v.etag)
	s.replySummary(ctx, http.StatusOK, e, v)
	return nil
}

// getFunction is GetFunction: the stage's code as the body.
func (s *Server) getFunction(ctx *fasthttp.RequestCtx, name string) *apiError {
	stage, aerr := stageArg(ctx, StageDevelopment)
	if aerr != nil {
		return aerr
	}
	fs := s.fns
	fs.mu.Lock()
	_, v, aerr := fs.lookupFn(name, stage)
	fs.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	ctx.Response.Header.Set("ETag", v.etag)
	ctx.SetStatusCode(http.StatusOK)
	ctx.SetContentType("application/octet-stream")
	ctx.SetBody(v.code)
	return nil
}

// writableFunction finds a function for a write (op) under s.wmu: one created through the API,
// whose ETag the request's If-Match names — its DEVELOPMENT stage's, or for DeleteFunction
// either stage's. It returns the function and its DEVELOPMENT stage.
func (s *Server) writableFunction(ctx *fasthttp.RequestCtx, name, op string) (*fnEntry, *fnVersion, *apiError) {
	fs := s.fns
	fs.mu.Lock()
	e, dev, aerr := fs.lookupFn(name, StageDevelopment)
	fs.mu.Unlock()
	if aerr != nil {
		return nil, nil, aerr
	}
	if e.fromConfig {
		return nil, nil, fromConfig(name, op)
	}
	want := []string{dev.etag}
	if op == "DeleteFunction" && e.live != nil {
		want = append(want, e.live.etag)
	}
	if aerr := ifMatch(ctx, CodePreconditionFailed, want...); aerr != nil {
		return nil, nil, aerr
	}
	return e, dev, nil
}

// updateFunction is UpdateFunction: a new DEVELOPMENT stage. The model names the response's
// ETag header "ETtag" (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateFunction.html),
// so SDKs read that one; both are sent.
func (s *Server) updateFunction(ctx *fasthttp.RequestCtx, name string, now time.Time) *apiError {
	fs := s.fns
	s.wmu.Lock()
	defer s.wmu.Unlock()
	e, _, aerr := s.writableFunction(ctx, name, "UpdateFunction")
	if aerr != nil {
		return aerr
	}
	var req xmlUpdateFunction
	if aerr := decodeXML(ctx.Request.Body(), &req, "UpdateFunctionRequest"); aerr != nil {
		return aerr
	}
	in, aerr := fs.parseFnInput("UpdateFunction", req.FunctionConfig, req.FunctionCode)
	if aerr != nil {
		return aerr
	}
	if aerr := fs.check(name, in); aerr != nil {
		return aerr
	}
	v := &fnVersion{stage: StageDevelopment, runtime: in.runtime, comment: in.comment, kvs: in.kvs, code: in.code,
		etag: randomETag(), modified: now}
	ne := *e
	ne.dev, ne.published = v, false
	fns := fs.snapshot()
	fns[name] = &ne
	if aerr := s.commitFunctions(fns, false); aerr != nil { // LIVE, which distributions run, is unchanged
		return aerr
	}
	x := s.summary(&ne, v)
	s.log.Info("function updated", "function", name, "bytes", len(in.code))
	ctx.Response.Header.Set("ETag", v.etag)
	ctx.Response.Header.Set("ETtag", v.etag)
	x.Xmlns = Namespace
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

// publishFunction is PublishFunction: DEVELOPMENT copied to LIVE; the LIVE summary.
func (s *Server) publishFunction(ctx *fasthttp.RequestCtx, name string, now time.Time) *apiError {
	fs := s.fns
	s.wmu.Lock()
	defer s.wmu.Unlock()
	e, dev, aerr := s.writableFunction(ctx, name, "PublishFunction")
	if aerr != nil {
		return aerr
	}
	live := *dev
	live.stage, live.etag, live.modified = StageLive, randomETag(), now
	ne := *e
	ne.live, ne.published = &live, true
	fns := fs.snapshot()
	fns[name] = &ne
	// Distributions that use the function run its LIVE stage: they get the new code now.
	if aerr := s.commitFunctions(fns, len(s.cur.Load().usersOf(name)) > 0); aerr != nil {
		return aerr
	}
	s.log.Info("function published", "function", name)
	ctx.Response.Header.Set("ETag", live.etag)
	s.replySummary(ctx, http.StatusOK, &ne, &live)
	return nil
}

// deleteFunction is DeleteFunction: 204. If-Match may be either stage's ETag. A function that a
// distribution uses is FunctionInUse (409).
func (s *Server) deleteFunction(ctx *fasthttp.RequestCtx, name string) *apiError {
	fs := s.fns
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, _, aerr := s.writableFunction(ctx, name, "DeleteFunction"); aerr != nil {
		return aerr
	}
	if users := s.cur.Load().usersOf(name); len(users) > 0 {
		return errorf(http.StatusConflict, CodeFunctionInUse,
			"Cannot delete function %q: it is associated with distribution %s.", name, strings.Join(users, ", "))
	}
	fns := fs.snapshot()
	delete(fns, name)
	if aerr := s.commitFunctions(fns, false); aerr != nil {
		return aerr
	}
	s.log.Info("function deleted", "function", name)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// snapshot returns a copy of the registry's name → function map; the entries are shared, and
// no entry is modified once in the registry (a change replaces it).
func (fs *functions) snapshot() map[string]*fnEntry {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make(map[string]*fnEntry, len(fs.byName)+1)
	for n, e := range fs.byName {
		out[n] = e
	}
	return out
}

// commitFunctions makes fns the registry's functions. With apply, the edge is first given the
// configuration with them (the LIVE code of a function the distributions use changed); then
// the state takes them; only then does the API show them. The caller holds wmu.
func (s *Server) commitFunctions(fns map[string]*fnEntry, apply bool) *apiError {
	cur := s.cur.Load()
	if apply {
		next := cur.with(nil, "")
		if aerr := finish(next, fns); aerr != nil {
			return aerr
		}
		if aerr := s.commit(next, fns); aerr != nil {
			return aerr
		}
	} else if err := s.save(cur, fns); err != nil {
		s.log.Error("control API: the state could not be saved; the function is not changed", "err", err)
		return saveError(err)
	}
	s.fns.mu.Lock()
	s.fns.byName = fns
	s.fns.mu.Unlock()
	return nil
}

// usersOf returns the ids of the distributions whose behaviors associate the function name.
func (v *view) usersOf(name string) []string {
	var out []string
	for _, d := range v.apiDists() {
		for _, b := range append([]config.Behavior{d.api.model.DefaultBehavior}, d.api.model.Behaviors...) {
			if slices.ContainsFunc(b.FunctionAssociations, func(a config.FunctionAssociation) bool { return a.Function == name }) {
				out = append(out, d.id)
				break
			}
		}
	}
	return out
}

// listFunctions is ListFunctions, by name. Without Stage both stages of each function are
// listed (DEVELOPMENT, then LIVE when published); Marker and NextMarker are "name" or
// "name:LIVE", the item after which the page starts.
func (s *Server) listFunctions(ctx *fasthttp.RequestCtx) *apiError {
	stage, aerr := stageArg(ctx, "")
	if aerr != nil {
		return aerr
	}
	max, aerr := parseMaxItems(ctx.QueryArgs().Peek("MaxItems"))
	if aerr != nil {
		return aerr
	}
	marker := string(ctx.QueryArgs().Peek("Marker"))
	fs := s.fns
	fs.mu.Lock()
	defer fs.mu.Unlock()
	names := make([]string, 0, len(fs.byName))
	for n := range fs.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	type item struct {
		key string
		e   *fnEntry
		v   *fnVersion
	}
	var items []item
	for _, n := range names {
		e := fs.byName[n]
		if stage != StageLive {
			items = append(items, item{n, e, e.dev})
		}
		if stage != StageDevelopment && e.live != nil {
			items = append(items, item{n + ":" + StageLive, e, e.live})
		}
	}
	start := 0
	if marker != "" {
		start = -1
		for i, it := range items {
			if it.key == marker {
				start = i + 1
			}
		}
		if start < 0 {
			// The marked function may have been deleted since: start after where it would be,
			// in the list's order (by name, then the DEVELOPMENT stage before LIVE).
			mName, mLive := strings.CutSuffix(marker, ":"+StageLive)
			start = len(items)
			for i, it := range items {
				name, live := strings.CutSuffix(it.key, ":"+StageLive)
				if name > mName || name == mName && live && !mLive {
					start = i
					break
				}
			}
		}
	}
	end := min(start+max, len(items))
	x := xmlFnList{Xmlns: Namespace, MaxItems: max, Quantity: end - start}
	if end > start {
		x.Items = &struct {
			Summary []xmlFnSummary `xml:"FunctionSummary"`
		}{}
		for _, it := range items[start:end] {
			x.Items.Summary = append(x.Items.Summary, s.summary(it.e, it.v))
		}
		if end < len(items) {
			x.NextMarker = items[end-1].key
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

// testFunction is TestFunction: the stage run on the given event object. A function that
// throws, runs out of compute or returns something invalid still gives 200, with
// FunctionErrorMessage; TestFunctionFailed (500) is for failures of the service itself.
func (s *Server) testFunction(ctx *fasthttp.RequestCtx, name string) *apiError {
	var req xmlTestFunction
	if aerr := decodeXML(ctx.Request.Body(), &req, "TestFunctionRequest"); aerr != nil {
		return aerr
	}
	stage := req.Stage
	switch stage {
	case "":
		stage = StageDevelopment
	case StageDevelopment, StageLive:
	default:
		return invalidArgument("TestFunction: Stage %q is not valid: want DEVELOPMENT or LIVE.", clip(stage, 32))
	}
	fs := s.fns
	fs.mu.Lock()
	e, v, aerr := fs.lookupFn(name, stage)
	var x xmlTestResult
	var want []string
	if aerr == nil {
		x.FunctionSummary = s.summary(e, v)
		want = append(want, v.etag)
		if o := e.stage(otherStage(stage)); o != nil {
			want = append(want, o.etag)
		}
	}
	fs.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	if aerr := ifMatch(ctx, "", want...); aerr != nil {
		return aerr
	}
	if req.EventObject == nil {
		return invalidArgument("TestFunction: EventObject is required.")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*req.EventObject), ""))
	if err != nil {
		return invalidArgument("TestFunction: EventObject is not valid base64: %v.", err)
	}
	if len(raw) > maxEventObject {
		return invalidArgument("TestFunction: EventObject is %d bytes; at most %d are allowed.", len(raw), maxEventObject)
	}
	ev, err := parseTestEvent(raw)
	if err != nil {
		return invalidArgument("TestFunction: EventObject: %v.", err)
	}
	var logs []string
	f, err := fs.compile(name, v, func(l string) { logs = append(logs, l) })
	if err != nil {
		return errorf(http.StatusInternalServerError, CodeTestFunctionFailed, "The function could not be loaded: %v.", err)
	}
	res, err := f.Run(ctx, ev)
	x.Xmlns = Namespace
	switch {
	case err == nil:
		out, merr := marshalTestOutput(res)
		if merr != nil {
			return errorf(http.StatusInternalServerError, CodeTestFunctionFailed, "The function's output could not be rendered: %v.", merr)
		}
		x.ComputeUtilization = strconv.Itoa(res.ComputeUtilization)
		x.FunctionExecutionLogs.Member = res.Logs
		x.FunctionOutput = string(out)
	case errors.Is(err, function.ErrExecution) || errors.Is(err, function.ErrInvalidOutput):
		if errors.Is(err, function.ErrTimeout) {
			x.ComputeUtilization = "100"
		}
		x.FunctionExecutionLogs.Member = logs
		x.FunctionErrorMessage = functionErrorMessage(err)
	default:
		return errorf(http.StatusInternalServerError, CodeTestFunctionFailed, "The function could not run: %v.", err)
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

func otherStage(st string) string {
	if st == StageLive {
		return StageDevelopment
	}
	return StageLive
}

// functionErrorMessage is the text of a failed run as TestResult shows it: the JavaScript
// error ("TypeError: …") without the runtime's own prefix.
func functionErrorMessage(err error) string {
	msg := err.Error()
	if !errors.Is(err, function.ErrTimeout) {
		msg = strings.TrimPrefix(msg, function.ErrExecution.Error()+": ")
	}
	return msg
}
