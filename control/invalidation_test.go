package control

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

var idShape = regexp.MustCompile(`^I[A-Z0-9]{13}$`)

func createInput(dist, ref string, paths ...string) *cloudfront.CreateInvalidationInput {
	return &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(dist),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	}
}

func withDelay(d time.Duration) func(*config.Config) {
	return func(c *config.Config) { c.API.InvalidationDelay = config.Duration(d) }
}

func TestCreateGetInProgressThenCompleted(t *testing.T) {
	h := newHarness(t, withDelay(10*time.Minute), nil)
	cf := h.cf()
	ctx := context.Background()
	out, err := cf.CreateInvalidation(ctx, createInput(distMain, "ref-1", "/index.html", "/img/*"))
	if err != nil {
		t.Fatalf("CreateInvalidation: %v", err)
	}
	if st, _ := h.rec.last(); st != http.StatusCreated {
		t.Errorf("status = %d, want 201", st)
	}
	inv := out.Invalidation
	id := aws.ToString(inv.Id)
	if !idShape.MatchString(id) {
		t.Errorf("id %q is not shaped like I + 13 upper-case alphanumerics", id)
	}
	wantLoc := h.url + "/2020-05-31/distribution/" + distMain + "/invalidation/" + id
	if aws.ToString(out.Location) != wantLoc {
		t.Errorf("Location = %q, want %q", aws.ToString(out.Location), wantLoc)
	}
	if got := aws.ToString(inv.Status); got != StatusInProgress {
		t.Errorf("create status = %q, want InProgress", got)
	}
	if got := inv.InvalidationBatch.Paths.Items; strings.Join(got, ",") != "/index.html,/img/*" {
		t.Errorf("paths = %q", got)
	}
	if got := aws.ToString(inv.InvalidationBatch.CallerReference); got != "ref-1" {
		t.Errorf("caller reference = %q", got)
	}
	if d := inv.CreateTime.Sub(h.clock.Now()); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("create time %v, want %v", inv.CreateTime, h.clock.Now())
	}

	get := func() string {
		t.Helper()
		g, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distMain), Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetInvalidation: %v", err)
		}
		if aws.ToString(g.Invalidation.Id) != id {
			t.Fatalf("got id %q, want %q", aws.ToString(g.Invalidation.Id), id)
		}
		return aws.ToString(g.Invalidation.Status)
	}
	if st := get(); st != StatusInProgress {
		t.Errorf("status before the delay = %q, want InProgress", st)
	}
	d, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt32(d.Distribution.InProgressInvalidationBatches); n != 1 {
		t.Errorf("InProgressInvalidationBatches = %d, want 1", n)
	}
	h.clock.Advance(10*time.Minute - time.Millisecond)
	if st := get(); st != StatusInProgress {
		t.Errorf("status just before the delay = %q, want InProgress", st)
	}
	h.clock.Advance(time.Millisecond)
	if st := get(); st != StatusCompleted {
		t.Errorf("status after the delay = %q, want Completed", st)
	}
}

func TestCreateWithoutDelayCompletesAtOnce(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	out, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", "/a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Invalidation.Status); got != StatusInProgress {
		t.Errorf("create status = %q, want InProgress (CloudFront always answers InProgress)", got)
	}
	g, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distMain), Id: out.Invalidation.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(g.Invalidation.Status); got != StatusCompleted {
		t.Errorf("get status = %q, want Completed", got)
	}
}

func TestListInvalidationsPaging(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	var ids []string // oldest first
	for i := range 5 {
		out, err := cf.CreateInvalidation(ctx, createInput(distMain, fmt.Sprintf("ref-%d", i), fmt.Sprintf("/p%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.Invalidation.Id))
		h.clock.Advance(time.Second)
	}
	list := func(marker string) *types.InvalidationList {
		t.Helper()
		in := &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain), MaxItems: aws.Int32(2)}
		if marker != "" {
			in.Marker = aws.String(marker)
		}
		out, err := cf.ListInvalidations(ctx, in)
		if err != nil {
			t.Fatalf("ListInvalidations(%q): %v", marker, err)
		}
		return out.InvalidationList
	}
	pages := []struct {
		marker    string
		want      []string
		truncated bool
		next      string
	}{
		{"", []string{ids[4], ids[3]}, true, ids[3]},
		{ids[3], []string{ids[2], ids[1]}, true, ids[1]},
		{ids[1], []string{ids[0]}, false, ""},
	}
	for _, p := range pages {
		l := list(p.marker)
		var got []string
		for _, s := range l.Items {
			got = append(got, aws.ToString(s.Id))
			if aws.ToString(s.Status) != StatusCompleted {
				t.Errorf("%s: status %q", aws.ToString(s.Id), aws.ToString(s.Status))
			}
		}
		if strings.Join(got, ",") != strings.Join(p.want, ",") {
			t.Errorf("marker %q: items %v, want %v (newest first)", p.marker, got, p.want)
		}
		if aws.ToBool(l.IsTruncated) != p.truncated || aws.ToString(l.NextMarker) != p.next {
			t.Errorf("marker %q: IsTruncated %v NextMarker %q, want %v %q", p.marker,
				aws.ToBool(l.IsTruncated), aws.ToString(l.NextMarker), p.truncated, p.next)
		}
		if aws.ToInt32(l.Quantity) != int32(len(p.want)) || aws.ToInt32(l.MaxItems) != 2 || aws.ToString(l.Marker) != p.marker {
			t.Errorf("marker %q: Quantity %d MaxItems %d Marker %q", p.marker, aws.ToInt32(l.Quantity),
				aws.ToInt32(l.MaxItems), aws.ToString(l.Marker))
		}
	}
	// The SDK's paginator walks the same pages.
	var all []string
	pg := cloudfront.NewListInvalidationsPaginator(cf, &cloudfront.ListInvalidationsInput{
		DistributionId: aws.String(distMain), MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.InvalidationList.Items {
			all = append(all, aws.ToString(s.Id))
		}
	}
	if want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; strings.Join(all, ",") != strings.Join(want, ",") {
		t.Errorf("paginator: %v, want %v", all, want)
	}
	// Without MaxItems: one page of up to 100.
	out, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	if l := out.InvalidationList; aws.ToInt32(l.MaxItems) != 100 || len(l.Items) != 5 || aws.ToBool(l.IsTruncated) {
		t.Errorf("default page: MaxItems %d, %d items, truncated %v", aws.ToInt32(l.MaxItems), len(l.Items), aws.ToBool(l.IsTruncated))
	}
	// Another distribution's list is its own.
	out, err = cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distSmooth)})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt32(out.InvalidationList.Quantity); n != 0 || out.InvalidationList.Items != nil {
		t.Errorf("other distribution lists %d invalidations", n)
	}
}

func TestCallerReferenceIdempotency(t *testing.T) {
	h := newHarness(t, withDelay(time.Hour), nil)
	cf := h.cf()
	ctx := context.Background()
	first, err := cf.CreateInvalidation(ctx, createInput(distMain, "same", "/a", "/b"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := cf.CreateInvalidation(ctx, createInput(distMain, "same", "/b", "/a"))
	if err != nil {
		t.Fatalf("same reference, same paths: %v", err)
	}
	if aws.ToString(again.Invalidation.Id) != aws.ToString(first.Invalidation.Id) {
		t.Errorf("same reference and paths gave a new invalidation %q (first %q)",
			aws.ToString(again.Invalidation.Id), aws.ToString(first.Invalidation.Id))
	}
	l, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.InvalidationList.Items); n != 1 {
		t.Errorf("%d invalidations listed, want 1", n)
	}
	_, err = cf.CreateInvalidation(ctx, createInput(distMain, "same", "/a", "/c"))
	if code, _, status := apiErr(err); code != CodeInvalidationBatchAlreadyExists || status != 400 {
		t.Errorf("same reference, other paths: %v (code %q status %d), want InvalidationBatchAlreadyExists 400", err, code, status)
	}
	// The reference is per distribution.
	if _, err := cf.CreateInvalidation(ctx, createInput(distSmooth, "same", "/x")); err != nil {
		t.Errorf("same reference in another distribution: %v", err)
	}
}

func TestRecordsAreBounded(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.srv.keepCompleted = 8
	cf := h.cf()
	ctx := context.Background()
	var ids []string
	for i := range 30 {
		out, err := cf.CreateInvalidation(ctx, createInput(distMain, fmt.Sprintf("r%d", i), "/x"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.Invalidation.Id))
	}
	l, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	n := len(l.InvalidationList.Items)
	if n < 8 || n > 9 {
		t.Errorf("%d invalidations kept, want 8 (plus at most 1/8 slack)", n)
	}
	if got := aws.ToString(l.InvalidationList.Items[0].Id); got != ids[29] {
		t.Errorf("newest kept = %q, want %q", got, ids[29])
	}
	_, err = cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distMain), Id: aws.String(ids[0])})
	if code, _, _ := apiErr(err); code != CodeNoSuchInvalidation {
		t.Errorf("oldest after trimming: %v, want NoSuchInvalidation", err)
	}
}
