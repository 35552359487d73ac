package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

const addHeaderCode = `function handler(event) {
  var request = event.request;
  request.headers['x-added'] = {value: 'yes'};
  console.log('uri ' + request.uri);
  return request;
}`

// withConfigFunctions adds a configured function ("cfgfn", reading the store "flags") to the
// test configuration.
func withConfigFunctions(c *config.Config) {
	c.KeyValueStores = append(c.KeyValueStores, config.KeyValueStore{Name: "flags",
		Data: []config.KeyValue{{Key: "greeting", Value: "hello"}}})
	c.Functions = append(c.Functions, config.Function{Name: "cfgfn", Runtime: config.RuntimeJS20, Comment: "from the config",
		KeyValueStores: config.NameList{"flags"},
		Code: []byte(`import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const g = await kvs.get('greeting');
  return {statusCode: 200, statusDescription: 'OK', headers: {'x-greeting': {value: g}}};
}`)})
}

func createFn(t *testing.T, cf *cloudfront.Client, name, code string) *cloudfront.CreateFunctionOutput {
	t.Helper()
	out, err := cf.CreateFunction(context.Background(), &cloudfront.CreateFunctionInput{
		Name:           aws.String(name),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("test " + name), Runtime: types.FunctionRuntimeCloudfrontJs20},
		FunctionCode:   []byte(code),
	})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

func wantAPIErr(t *testing.T, what string, err error, code string, status int) string {
	t.Helper()
	c, msg, st := apiErr(err)
	if c != code || st != status {
		t.Fatalf("%s: got %q %d (%v), want %s %d", what, c, st, err, code, status)
	}
	return msg
}

func TestFunctionLifecycle(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	t0 := h.clock.Now()

	cr := createFn(t, cf, "add-header", addHeaderCode)
	st, hdr := h.rec.last()
	if st != http.StatusCreated {
		t.Errorf("CreateFunction status %d, want 201", st)
	}
	if want := h.url + "/2020-05-31/function/add-header"; aws.ToString(cr.Location) != want {
		t.Errorf("Location %q, want %q", aws.ToString(cr.Location), want)
	}
	if !etagRE.MatchString(aws.ToString(cr.ETag)) || hdr.Get("ETag") != aws.ToString(cr.ETag) {
		t.Errorf("ETag %q", aws.ToString(cr.ETag))
	}
	sum := cr.FunctionSummary
	if aws.ToString(sum.Name) != "add-header" || aws.ToString(sum.Status) != "UNPUBLISHED" ||
		sum.FunctionMetadata.Stage != types.FunctionStageDevelopment ||
		aws.ToString(sum.FunctionMetadata.FunctionARN) != "arn:aws:cloudfront::000000000000:function/add-header" ||
		!sum.FunctionMetadata.CreatedTime.Equal(t0) || !sum.FunctionMetadata.LastModifiedTime.Equal(t0) ||
		aws.ToString(sum.FunctionConfig.Comment) != "test add-header" || sum.FunctionConfig.Runtime != types.FunctionRuntimeCloudfrontJs20 {
		t.Errorf("CreateFunction summary: %+v %+v %+v", sum, sum.FunctionMetadata, sum.FunctionConfig)
	}
	etag1 := aws.ToString(cr.ETag)

	// DescribeFunction: DEVELOPMENT by default; no LIVE stage before publishing.
	d, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("add-header")})
	if err != nil || aws.ToString(d.ETag) != etag1 || d.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageDevelopment {
		t.Fatalf("DescribeFunction: %v %+v", err, d)
	}
	_, err = cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("add-header"), Stage: types.FunctionStageLive})
	wantAPIErr(t, "DescribeFunction LIVE before publish", err, CodeNoSuchFunctionExists, 404)
	_, err = cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("nope")})
	wantAPIErr(t, "DescribeFunction unknown", err, CodeNoSuchFunctionExists, 404)

	// GetFunction: the code bytes.
	g, err := cf.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("add-header")})
	if err != nil || string(g.FunctionCode) != addHeaderCode || aws.ToString(g.ContentType) != "application/octet-stream" ||
		aws.ToString(g.ETag) != etag1 {
		t.Fatalf("GetFunction: %v %q %q %q", err, g.FunctionCode, aws.ToString(g.ContentType), aws.ToString(g.ETag))
	}
	_, err = cf.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("add-header"), Stage: types.FunctionStageLive})
	wantAPIErr(t, "GetFunction LIVE before publish", err, CodeNoSuchFunctionExists, 404)

	// UpdateFunction: If-Match checks, then a new DEVELOPMENT stage.
	newCode := strings.Replace(addHeaderCode, "'yes'", "'updated'", 1)
	upd := func(ifMatch string) (*cloudfront.UpdateFunctionOutput, error) {
		return cf.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(ifMatch),
			FunctionConfig: &types.FunctionConfig{Comment: aws.String("v2"), Runtime: types.FunctionRuntimeCloudfrontJs20},
			FunctionCode:   []byte(newCode)})
	}
	_, err = upd("EAAAAAAAAAAAAA")
	wantAPIErr(t, "UpdateFunction stale If-Match", err, CodePreconditionFailed, 412)
	_, err = upd("not-an-etag")
	wantAPIErr(t, "UpdateFunction malformed If-Match", err, CodeInvalidIfMatchVersion, 400)
	st, _, body := h.raw("PUT", "/2020-05-31/function/add-header", "", testKey1, testSecret1, "us-east-1", time.Now())
	if st != 400 || !strings.Contains(body, CodeInvalidIfMatchVersion) {
		t.Errorf("UpdateFunction without If-Match: %d %s", st, body)
	}
	h.clock.Advance(time.Minute)
	u, err := upd(etag1)
	if err != nil {
		t.Fatalf("UpdateFunction: %v", err)
	}
	etag2 := aws.ToString(u.ETag) // read from the ETtag header, as the model says
	if !etagRE.MatchString(etag2) || etag2 == etag1 || aws.ToString(u.FunctionSummary.FunctionConfig.Comment) != "v2" ||
		!u.FunctionSummary.FunctionMetadata.LastModifiedTime.Equal(t0.Add(time.Minute)) ||
		!u.FunctionSummary.FunctionMetadata.CreatedTime.Equal(t0) {
		t.Errorf("UpdateFunction: ETag %q, summary %+v", etag2, u.FunctionSummary.FunctionMetadata)
	}
	if _, hdr := h.rec.last(); hdr.Get("ETag") != etag2 {
		t.Errorf("UpdateFunction ETag header %q, ETtag %q", hdr.Get("ETag"), etag2)
	}

	// PublishFunction: DEVELOPMENT → LIVE.
	_, err = cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(etag1)})
	wantAPIErr(t, "PublishFunction stale", err, CodePreconditionFailed, 412)
	p, err := cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(etag2)})
	if err != nil {
		t.Fatalf("PublishFunction: %v", err)
	}
	if p.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageLive || aws.ToString(p.FunctionSummary.Status) != "DEPLOYED" {
		t.Errorf("PublishFunction summary %+v", p.FunctionSummary)
	}
	dl, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("add-header"), Stage: types.FunctionStageLive})
	if err != nil || aws.ToString(dl.FunctionSummary.Status) != "DEPLOYED" || aws.ToString(dl.FunctionSummary.FunctionConfig.Comment) != "v2" {
		t.Fatalf("DescribeFunction LIVE: %v %+v", err, dl)
	}
	liveETag := aws.ToString(dl.ETag)
	gl, err := cf.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("add-header"), Stage: types.FunctionStageLive})
	if err != nil || string(gl.FunctionCode) != newCode || aws.ToString(gl.ETag) != liveETag {
		t.Fatalf("GetFunction LIVE: %v %q", err, gl.FunctionCode)
	}

	// An update after publishing changes DEVELOPMENT only.
	u2, err := cf.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(etag2),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("v3"), Runtime: types.FunctionRuntimeCloudfrontJs20},
		FunctionCode:   []byte(addHeaderCode)})
	if err != nil || aws.ToString(u2.FunctionSummary.Status) != "UNPUBLISHED" {
		t.Fatalf("UpdateFunction after publish: %v %+v", err, u2)
	}
	gl, err = cf.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("add-header"), Stage: types.FunctionStageLive})
	if err != nil || string(gl.FunctionCode) != newCode {
		t.Fatalf("LIVE changed by an update: %v %q", err, gl.FunctionCode)
	}

	// TestFunction on each stage: DEVELOPMENT now adds "yes", LIVE "updated".
	ev := []byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},
		"request":{"method":"GET","uri":"/index.html","querystring":{"a":{"value":"1","multiValue":[{"value":"1"},{"value":"2"}]}},
		"headers":{"host":{"value":"www.example.com"},"Accept":{"value":"text/html"}},"cookies":{"id":{"value":"42"}}}}`)
	for _, tc := range []struct {
		stage   types.FunctionStage
		etag    string
		added   string
		comment string
	}{{types.FunctionStageDevelopment, aws.ToString(u2.ETag), "yes", "v3"}, {types.FunctionStageLive, liveETag, "updated", "v2"}} {
		tr, err := cf.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(tc.etag),
			Stage: tc.stage, EventObject: ev})
		if err != nil {
			t.Fatalf("TestFunction %s: %v", tc.stage, err)
		}
		r := tr.TestResult
		if r.FunctionSummary.FunctionMetadata.Stage != tc.stage || aws.ToString(r.FunctionSummary.FunctionConfig.Comment) != tc.comment ||
			aws.ToString(r.FunctionErrorMessage) != "" || len(r.FunctionExecutionLogs) != 1 || r.FunctionExecutionLogs[0] != "uri /index.html" {
			t.Errorf("TestFunction %s: %+v", tc.stage, r)
		}
		if cu := aws.ToString(r.ComputeUtilization); cu == "" || cu == "0" {
			t.Errorf("ComputeUtilization %q", cu)
		}
		want := `{"request":{"headers":{"host":{"value":"www.example.com"},"accept":{"value":"text/html"},"x-added":{"value":"` +
			tc.added + `"}},"method":"GET","querystring":{"a":{"value":"1","multiValue":[{"value":"1"},{"value":"2"}]}},` +
			`"uri":"/index.html","cookies":{"id":{"value":"42"}}}}`
		if got := aws.ToString(r.FunctionOutput); got != want {
			t.Errorf("FunctionOutput %s:\n got %s\nwant %s", tc.stage, got, want)
		}
	}

	// ListFunctions.
	l, err := cf.ListFunctions(ctx, &cloudfront.ListFunctionsInput{Stage: types.FunctionStageLive})
	if err != nil || aws.ToInt32(l.FunctionList.Quantity) != 1 || l.FunctionList.Items[0].FunctionMetadata.Stage != types.FunctionStageLive {
		t.Fatalf("ListFunctions LIVE: %v %+v", err, l)
	}
	l, err = cf.ListFunctions(ctx, &cloudfront.ListFunctionsInput{})
	if err != nil || aws.ToInt32(l.FunctionList.Quantity) != 2 || aws.ToInt32(l.FunctionList.MaxItems) != 100 {
		t.Fatalf("ListFunctions: %v %+v", err, l)
	}

	// DeleteFunction.
	_, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(etag1)})
	wantAPIErr(t, "DeleteFunction stale", err, CodePreconditionFailed, 412)
	_, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String("bogus")})
	wantAPIErr(t, "DeleteFunction malformed", err, CodeInvalidIfMatchVersion, 400)
	if _, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(aws.ToString(u2.ETag))}); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	if st, _ := h.rec.last(); st != http.StatusNoContent {
		t.Errorf("DeleteFunction status %d, want 204", st)
	}
	_, err = cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("add-header")})
	wantAPIErr(t, "DescribeFunction after delete", err, CodeNoSuchFunctionExists, 404)
	_, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("add-header"), IfMatch: aws.String(etag1)})
	wantAPIErr(t, "DeleteFunction again", err, CodeNoSuchFunctionExists, 404)
	// The name is free again.
	createFn(t, cf, "add-header", addHeaderCode)
}

func TestCreateFunctionErrors(t *testing.T) {
	h := newHarness(t, withConfigFunctions, nil)
	cf := h.cf()
	ctx := context.Background()
	createFn(t, cf, "dup", addHeaderCode)
	create := func(name, runtime, code string) error {
		_, err := cf.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String(name),
			FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntime(runtime)},
			FunctionCode:   []byte(code)})
		return err
	}
	wantAPIErr(t, "duplicate", create("dup", "cloudfront-js-2.0", addHeaderCode), CodeFunctionAlreadyExists, 409)
	wantAPIErr(t, "name of a configured function", create("cfgfn", "cloudfront-js-2.0", addHeaderCode), CodeFunctionAlreadyExists, 409)
	big := "function handler(event) { return event.request; }\n//" + strings.Repeat("x", 10*1024)
	wantAPIErr(t, "code over 10 KB", create("big", "cloudfront-js-2.0", big), CodeFunctionSizeLimitExceeded, 413)
	msg := wantAPIErr(t, "syntax error", create("bad", "cloudfront-js-2.0", "function handler(event) {\n  return event.request;\n"),
		CodeInvalidArgument, 400)
	if !strings.Contains(msg, "bad:3:") {
		t.Errorf("compile error message %q does not say where", msg)
	}
	msg = wantAPIErr(t, "let under 1.0", create("old", "cloudfront-js-1.0", "let x = 1; function handler(e) { return e.request; }"),
		CodeInvalidArgument, 400)
	if !strings.Contains(msg, "old:1:") {
		t.Errorf("compile error message %q", msg)
	}
	wantAPIErr(t, "unknown runtime", create("rt", "cloudfront-js-3.0", addHeaderCode), CodeInvalidArgument, 400)
	wantAPIErr(t, "bad name", create("a.b", "cloudfront-js-2.0", addHeaderCode), CodeInvalidArgument, 400)
	// A store is named by the ARN describe shows; an unknown ARN is refused.
	_, err := cf.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String("kvsfn"),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("c"), Runtime: types.FunctionRuntimeCloudfrontJs20,
			KeyValueStoreAssociations: &types.KeyValueStoreAssociations{Quantity: aws.Int32(1),
				Items: []types.KeyValueStoreAssociation{{KeyValueStoreARN: aws.String("arn:aws:cloudfront::000000000000:key-value-store/unknown")}}}},
		FunctionCode: []byte(addHeaderCode)})
	wantAPIErr(t, "unknown KVS ARN", err, CodeInvalidArgument, 400)
	out, err := cf.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String("kvsfn"),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("c"), Runtime: types.FunctionRuntimeCloudfrontJs20,
			KeyValueStoreAssociations: &types.KeyValueStoreAssociations{Quantity: aws.Int32(1),
				Items: []types.KeyValueStoreAssociation{{KeyValueStoreARN: aws.String(kvsARN("flags"))}}}},
		FunctionCode: []byte(addHeaderCode)})
	if err != nil || aws.ToString(out.FunctionSummary.FunctionConfig.KeyValueStoreAssociations.Items[0].KeyValueStoreARN) != kvsARN("flags") {
		t.Fatalf("CreateFunction with a store: %v", err)
	}
	// A body that is not a CreateFunctionRequest.
	st, _, body := h.raw("POST", "/2020-05-31/function", "<Nope/>", testKey1, testSecret1, "us-east-1", time.Now())
	if st != 400 || !strings.Contains(body, CodeInvalidArgument) {
		t.Errorf("bad body: %d %s", st, body)
	}
	// Unsigned requests are refused like every API call.
	st, _, body = h.raw("GET", "/2020-05-31/function", "", "", "", "", time.Time{})
	if st != 403 || !strings.Contains(body, CodeMissingAuthenticationToken) {
		t.Errorf("unsigned ListFunctions: %d %s", st, body)
	}
}

func TestTooManyFunctions(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	for i := range MaxFunctions {
		createFn(t, cf, fmt.Sprintf("f%03d", i), addHeaderCode)
	}
	_, err := cf.CreateFunction(context.Background(), &cloudfront.CreateFunctionInput{Name: aws.String("one-more"),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20},
		FunctionCode:   []byte(addHeaderCode)})
	wantAPIErr(t, "101st function", err, CodeTooManyFunctions, 400)
	// Paging: MaxItems and NextMarker walk the whole list once, in name order.
	var names []string
	marker := ""
	for page := 0; page < 20; page++ {
		in := &cloudfront.ListFunctionsInput{MaxItems: aws.Int32(30), Stage: types.FunctionStageDevelopment}
		if marker != "" {
			in.Marker = aws.String(marker)
		}
		l, err := cf.ListFunctions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range l.FunctionList.Items {
			names = append(names, aws.ToString(it.Name))
		}
		marker = aws.ToString(l.FunctionList.NextMarker)
		if marker == "" {
			break
		}
	}
	if len(names) != MaxFunctions || names[0] != "f000" || names[MaxFunctions-1] != "f099" {
		t.Errorf("paged list: %d names, %v…", len(names), names[:min(3, len(names))])
	}
	st, _, body := h.raw("GET", "/2020-05-31/function?Stage=STAGING", "", testKey1, testSecret1, "us-east-1", time.Now())
	if st != 400 || !strings.Contains(body, CodeInvalidArgument) {
		t.Errorf("bad Stage: %d %s", st, body)
	}
}

func TestConfigFunctions(t *testing.T) {
	h := newHarness(t, withConfigFunctions, nil)
	cf := h.cf()
	ctx := context.Background()
	var etags [2]string
	for i, stage := range []types.FunctionStage{types.FunctionStageDevelopment, types.FunctionStageLive} {
		d, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("cfgfn"), Stage: stage})
		if err != nil {
			t.Fatalf("DescribeFunction %s: %v", stage, err)
		}
		s := d.FunctionSummary
		if aws.ToString(s.Status) != "DEPLOYED" || s.FunctionMetadata.Stage != stage ||
			aws.ToString(s.FunctionConfig.Comment) != "from the config" ||
			aws.ToInt32(s.FunctionConfig.KeyValueStoreAssociations.Quantity) != 1 ||
			aws.ToString(s.FunctionConfig.KeyValueStoreAssociations.Items[0].KeyValueStoreARN) != kvsARN("flags") {
			t.Errorf("DescribeFunction %s: %+v", stage, s)
		}
		etags[i] = aws.ToString(d.ETag)
	}
	if etags[0] == etags[1] || !etagRE.MatchString(etags[0]) {
		t.Errorf("stage ETags %v", etags)
	}
	// It runs with its key value store.
	tr, err := cf.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("cfgfn"), IfMatch: aws.String(etags[1]),
		Stage: types.FunctionStageLive, EventObject: []byte(`{"request":{"method":"GET","uri":"/"}}`)})
	if err != nil {
		t.Fatalf("TestFunction: %v", err)
	}
	want := `{"response":{"headers":{"x-greeting":{"value":"hello"}},"statusDescription":"OK","cookies":{},"statusCode":200}}`
	if got := aws.ToString(tr.TestResult.FunctionOutput); got != want {
		t.Errorf("FunctionOutput\n got %s\nwant %s", got, want)
	}
	// Read-only through the API.
	_, err = cf.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String("cfgfn"), IfMatch: aws.String(etags[0]),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20},
		FunctionCode:   []byte(addHeaderCode)})
	wantAPIErr(t, "UpdateFunction of a configured function", err, CodeUnsupportedOperation, 400)
	_, err = cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("cfgfn"), IfMatch: aws.String(etags[0])})
	wantAPIErr(t, "PublishFunction of a configured function", err, CodeUnsupportedOperation, 400)
	_, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("cfgfn"), IfMatch: aws.String(etags[0])})
	wantAPIErr(t, "DeleteFunction of a configured function", err, CodeUnsupportedOperation, 400)
	// A second server on the same configuration gives the same ETags.
	h2 := newHarness(t, withConfigFunctions, nil)
	d, err := h2.cf().DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("cfgfn")})
	if err != nil || aws.ToString(d.ETag) != etags[0] {
		t.Errorf("ETag after restart: %v %q, want %q", err, aws.ToString(d.ETag), etags[0])
	}
}

func TestTestFunction(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	etagOf := func(name, code string) string { return aws.ToString(createFn(t, cf, name, code).ETag) }
	run := func(name, etag, event string) (*types.TestResult, error) {
		out, err := cf.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String(name), IfMatch: aws.String(etag),
			EventObject: []byte(event)})
		if err != nil {
			return nil, err
		}
		return out.TestResult, nil
	}

	// A viewer-response function: cookies keep their attributes; a body is rendered.
	resp := etagOf("resp", `function handler(event) {
  var r = event.response;
  r.headers['x-status'] = {value: String(r.statusCode)};
  r.cookies['sid'].attributes = 'Secure';
  r.body = {data: '<b>&</b>', encoding: 'text'};
  return r;
}`)
	r, err := run("resp", resp, `{"version":"1.0","context":{"eventType":"viewer-response"},"viewer":{"ip":"1.2.3.4"},
	  "request":{"method":"GET","uri":"/"},
	  "response":{"statusCode":404,"statusDescription":"Not Found","headers":{"content-type":{"value":"text/plain"}},
	    "cookies":{"sid":{"value":"1","attributes":"Path=/"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"response":{"headers":{"content-type":{"value":"text/plain"},"x-status":{"value":"404"}},"statusDescription":"Not Found",` +
		`"cookies":{"sid":{"value":"1","attributes":"Secure"}},"statusCode":404,"body":{"data":"<b>&</b>","encoding":"text"}}}`
	if got := aws.ToString(r.FunctionOutput); got != want {
		t.Errorf("viewer-response output\n got %s\nwant %s", got, want)
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(r.FunctionOutput)), &parsed); err != nil {
		t.Errorf("FunctionOutput is not JSON: %v", err)
	}

	// A function that throws: 200 with FunctionErrorMessage and the logs written before.
	thr := etagOf("throws", `function handler(event) { console.log('before'); return event.request.nope.x; }`)
	r, err = run("throws", thr, `{"request":{"method":"GET","uri":"/"}}`)
	if err != nil {
		t.Fatalf("TestFunction of a throwing function: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(r.FunctionErrorMessage), "TypeError") || aws.ToString(r.FunctionOutput) != "" ||
		len(r.FunctionExecutionLogs) != 1 || r.FunctionExecutionLogs[0] != "before" {
		t.Errorf("throwing function: %q %q %v", aws.ToString(r.FunctionErrorMessage), aws.ToString(r.FunctionOutput), r.FunctionExecutionLogs)
	}
	// Over the compute budget.
	loop := etagOf("loop", `function handler(event) { for (;;) {} }`)
	r, err = run("loop", loop, `{"request":{"method":"GET","uri":"/"}}`)
	if err != nil || aws.ToString(r.ComputeUtilization) != "100" || aws.ToString(r.FunctionErrorMessage) == "" {
		t.Errorf("endless loop: %v %+v", err, r)
	}

	// Errors.
	_, err = run("throws", "EAAAAAAAAAAAAA", `{"request":{"method":"GET","uri":"/"}}`)
	wantAPIErr(t, "stale If-Match", err, CodeInvalidIfMatchVersion, 400)
	_, err = run("nope", thr, `{"request":{"method":"GET","uri":"/"}}`)
	wantAPIErr(t, "unknown function", err, CodeNoSuchFunctionExists, 404)
	for _, bad := range []string{`not json`, `{"context":{"eventType":"origin-request"},"request":{"uri":"/"}}`,
		`{"context":{"eventType":"viewer-request"}}`, `{"request":{"uri":"/","headers":[]}}`, `{"request":{"uri":"/","headers":{"a":{}}}}`} {
		_, err = run("throws", thr, bad)
		wantAPIErr(t, "event "+bad, err, CodeInvalidArgument, 400)
	}
	_, err = cf.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("throws"), IfMatch: aws.String(thr),
		Stage: types.FunctionStageLive, EventObject: []byte(`{"request":{"uri":"/"}}`)})
	wantAPIErr(t, "LIVE of an unpublished function", err, CodeNoSuchFunctionExists, 404)

	// TestFunctionFailed: the stored function cannot be loaded (not reachable through the API,
	// which compiles code when it is written).
	h.srv.fns.mu.Lock()
	h.srv.fns.byName["throws"].dev.code = []byte("function (")
	h.srv.fns.mu.Unlock()
	_, err = run("throws", thr, `{"request":{"method":"GET","uri":"/"}}`)
	wantAPIErr(t, "unloadable function", err, CodeTestFunctionFailed, 500)
}

// TestListFunctionsMarkerOfDeleted: paging goes on after a function deleted between pages, in
// the list's own order (a name's LIVE stage right after it, before names such as "a-b" that
// sort before "a:LIVE" as strings).
func TestListFunctionsMarkerOfDeleted(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	a := createFn(t, cf, "a", addHeaderCode)
	for _, n := range []string{"a-b", "a0", "b"} {
		createFn(t, cf, n, addHeaderCode)
	}
	if _, err := cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("a"), IfMatch: a.ETag}); err != nil {
		t.Fatal(err)
	}
	l, err := cf.ListFunctions(ctx, &cloudfront.ListFunctionsInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	marker := aws.ToString(l.FunctionList.NextMarker)
	d, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("a"), IfMatch: d.ETag}); err != nil {
		t.Fatal(err)
	}
	l, err = cf.ListFunctions(ctx, &cloudfront.ListFunctionsInput{Marker: aws.String(marker)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range l.FunctionList.Items {
		names = append(names, aws.ToString(it.Name))
	}
	if strings.Join(names, " ") != "a-b a0 b" {
		t.Errorf("after the deleted marker %q: %v, want a-b a0 b", marker, names)
	}
}
