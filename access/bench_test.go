package access

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

func BenchmarkCheck(b *testing.B) {
	fx := newFixture(b)
	v := verifier(b, fx.players)
	page := "https://" + host + "/videos/intro.mp4?quality=hd"
	cookies, err := sign.NewCookieSigner("K2", fx.k2).SignWithPolicy(policy("http*://"+host+"/videos/*", exp, time.Time{}, "192.0.2.0/24"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		r    *Request
	}{
		{"canned URL", req(signCanned(b, "K1", fx.k1, page, exp))},
		{"custom URL", req(signCustom(b, "K2", fx.k2, page, policy("https://"+host+"/videos/*", exp, now.Add(-time.Hour), "192.0.2.0/24")))},
		{"custom cookies", withCookies(page, cookies)},
		{"unsigned", req(page)},
	}
	for _, c := range cases {
		if d := v.Check(c.r, now); (d == nil) != (c.name != "unsigned") {
			b.Fatalf("%s: Check = %v", c.name, d)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v.Check(c.r, now)
			}
		})
	}
}

func BenchmarkStripSignature(b *testing.B) {
	q := []byte("quality=hd&lang=fr&Expires=1700003600&Signature=" + string(make([]byte, 344)) + "&Key-Pair-Id=K2JCJMDEHXQW5F")
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = StripSignature(dst[:0], q)
	}
}
