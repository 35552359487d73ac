package edge

import (
	"fmt"
	"sync"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/function"
	"github.com/cfedge/edge/origin"
)

// maxFunctionOrigins bounds the distinct origins cf.updateRequestOrigin may describe over the
// life of a server: each one keeps its own connection pool.
const maxFunctionOrigins = 128

// functionOrigins are the origins viewer-request functions described with cf.updateRequestOrigin,
// built once per distinct description and kept.
type functionOrigins struct {
	mu sync.Mutex
	m  map[string]origin.Fetcher
}

// get returns the origin for conf, building it the first time.
func (fo *functionOrigins) get(conf config.Origin, opts origin.Options) (origin.Fetcher, error) {
	key := fmt.Sprintf("%#v", conf)
	fo.mu.Lock()
	defer fo.mu.Unlock()
	if f, ok := fo.m[key]; ok {
		return f, nil
	}
	if len(fo.m) >= maxFunctionOrigins {
		return nil, fmt.Errorf("more than %d distinct origins described by functions", maxFunctionOrigins)
	}
	f, err := origin.New(conf, opts)
	if err != nil {
		return nil, err
	}
	if fo.m == nil {
		fo.m = make(map[string]origin.Fetcher)
	}
	fo.m[key] = f
	return f, nil
}

// close releases the origins' connections.
func (fo *functionOrigins) close() {
	fo.mu.Lock()
	defer fo.mu.Unlock()
	for _, f := range fo.m {
		if c, ok := f.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
	fo.m = nil
}

// updatedOrigin is the behavior's origin changed as cf.updateRequestOrigin describes
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html):
// fields left out are inherited. Custom (http) and S3 origins can be changed; an S3 origin's
// domainName is another bucket's REST endpoint (BUCKET.s3.REGION.amazonaws.com), reached
// through the origin's own endpoint and credentials, and the fields that are for custom origins
// only (hostHeader, sni, customOriginConfig) fail it, as they fail CloudFront's validation. In
// an origin group, the primary is changed and the request goes to it alone.
func (s *Server) updatedOrigin(x *exchange, ch *function.OriginChange) (origin.Fetcher, string, error) {
	d := x.dist
	id := x.beh.TargetOriginID
	if members, ok := d.groups[id]; ok {
		id = members[0]
	}
	conf, ok := d.originConfs[id]
	if !ok || conf.Kind != config.KindHTTP && conf.Kind != config.KindS3 {
		return nil, "", fmt.Errorf("%w: cf.updateRequestOrigin: origin %q is neither a custom nor an S3 origin", function.ErrExecution, id)
	}
	if conf.Kind == config.KindS3 {
		if ch.CustomOrigin != nil || ch.HostHeader != "" || ch.SNI != "" {
			return nil, "", fmt.Errorf("%w: cf.updateRequestOrigin: customOriginConfig, hostHeader and sni are for custom origins; %q is an S3 origin", function.ErrExecution, id)
		}
		if ch.DomainName != "" {
			bucket, region, ok := config.S3BucketDomain(ch.DomainName)
			if !ok {
				return nil, "", fmt.Errorf("%w: cf.updateRequestOrigin: %q is not an S3 bucket domain (BUCKET.s3.REGION.amazonaws.com)", function.ErrExecution, ch.DomainName)
			}
			conf.Bucket, conf.Region = bucket, region
		}
	} else if ch.DomainName != "" {
		conf.DomainName = ch.DomainName
	}
	if ch.OriginPath != "" {
		conf.OriginPath = ch.OriginPath
	}
	if ch.HasCustomHeaders {
		conf.CustomHeaders = nil
		for _, f := range ch.CustomHeaders {
			for _, v := range f.Values {
				conf.CustomHeaders = append(conf.CustomHeaders, config.CustomHeader{Name: f.Name, Value: v.Value})
			}
		}
	}
	if ch.ConnectionAttempts > 0 {
		conf.ConnectionAttempts = ch.ConnectionAttempts
	}
	t := ch.Timeouts
	if t.ConnectionTimeout > 0 {
		conf.ConnectionTimeout = config.Duration(time.Duration(t.ConnectionTimeout) * time.Second)
	}
	if t.ReadTimeout > 0 {
		conf.OriginReadTimeout = config.Duration(time.Duration(t.ReadTimeout) * time.Second)
	}
	if t.KeepAliveTimeout > 0 {
		conf.OriginKeepaliveTimeout = config.Duration(time.Duration(t.KeepAliveTimeout) * time.Second)
	}
	if c := ch.CustomOrigin; c != nil {
		switch c.Protocol {
		case "http":
			conf.OriginProtocolPolicy = "http-only"
			if c.Port > 0 {
				conf.HTTPPort = c.Port
			}
		case "https":
			conf.OriginProtocolPolicy = "https-only"
			if c.Port > 0 {
				conf.HTTPSPort = c.Port
			}
		}
	}
	f, err := s.fnOrigins.get(conf, origin.Options{Logger: s.log})
	if err != nil {
		return nil, "", fmt.Errorf("%w: cf.updateRequestOrigin: %v", function.ErrExecution, err)
	}
	return f, id + "(updated)", nil
}
