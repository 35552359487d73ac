package control

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// TestKillDuringUpdates runs the real binary (edge serve) with api.state_dir, sends a burst of
// UpdateDistribution calls, kills the process with SIGKILL right after an update was
// acknowledged (the next one in flight), restarts it on the same folder and checks that the
// state loads and holds the last acknowledged update, or the one in flight, never less and
// never a broken file. Three rounds, each killing at another point of the burst.
func TestKillDuringUpdates(t *testing.T) {
	bin := buildEdge(t)
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "edge.toml")
	toml := fmt.Sprintf(`[server]
listen = "127.0.0.1:0"
api_listen = "127.0.0.1:0"

[api]
auth = "sigv4"
state_dir = %q

[[api.key]]
access_key_id = %q
secret_access_key = %q

[[distribution]]
id = "EFILEDIST"

[[distribution.origin]]
id = "www"
kind = "dir"
path = %q

[distribution.default_behavior]
target_origin_id = "www"
`, filepath.Join(dir, "state"), testKey1, testSecret1, www)
	if err := os.WriteFile(cfgPath, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	p := startEdge(t, bin, cfgPath)
	out, err := p.cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: minimalDistConfig("crash", "burst-0")})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Distribution.Id
	etag := aws.ToString(out.ETag)
	next := 1
	for round, killAfter := range []int{3, 17, 40} {
		type ack struct {
			n    int
			etag string
		}
		acks := make(chan ack, 1000)
		done := make(chan struct{})
		go func(first int, etag string) {
			defer close(done)
			for n := first; ; n++ {
				c := minimalDistConfig("crash", fmt.Sprintf("burst-%d", n))
				o, err := p.cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: id, IfMatch: aws.String(etag), DistributionConfig: c})
				if err != nil {
					return // the process is gone
				}
				etag = aws.ToString(o.ETag)
				acks <- ack{n, etag}
			}
		}(next, etag)
		var last ack
		for i := 0; i < killAfter; i++ {
			select {
			case last = <-acks:
			case <-done:
				t.Fatalf("round %d: the burst stopped after %d updates; log:\n%s", round, i, p.log())
			}
		}
		p.kill(t)
		<-done
		for more := true; more; { // updates acknowledged between the last read and the kill
			select {
			case a := <-acks:
				last = a
			default:
				more = false
			}
		}

		p = startEdge(t, bin, cfgPath)
		g, err := p.cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: id})
		if err != nil {
			t.Fatalf("round %d: after the restart: %v; log:\n%s", round, err, p.log())
		}
		got := aws.ToString(g.DistributionConfig.Comment)
		switch got {
		case fmt.Sprintf("burst-%d", last.n):
			if aws.ToString(g.ETag) != last.etag {
				t.Errorf("round %d: last acknowledged update %d has ETag %q after the restart, %q before", round, last.n, aws.ToString(g.ETag), last.etag)
			}
		case fmt.Sprintf("burst-%d", last.n+1): // in flight when killed: written, not acknowledged
		default:
			t.Errorf("round %d: after the restart the comment is %q; the last acknowledged update was burst-%d", round, got, last.n)
		}
		t.Logf("round %d: killed after update %d acknowledged; restarted with %q", round, last.n, got)
		var n int
		if _, err := fmt.Sscanf(got, "burst-%d", &n); err != nil {
			t.Fatal(err)
		}
		next, etag = n+1, aws.ToString(g.ETag)
	}
	p.kill(t)
}

// buildEdge builds ./cmd/edge into a temporary folder.
func buildEdge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "edge")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/edge")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/edge: %v\n%s", err, out)
	}
	return bin
}

// edgeProc is a running edge serve.
type edgeProc struct {
	cmd    *exec.Cmd
	cf     *cloudfront.Client
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (p *edgeProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

type lockedWriter struct{ p *edgeProc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

var apiLine = regexp.MustCompile(`CloudFront API on (http://[0-9.:]+)/`)

// startEdge starts bin serve -config cfgPath and waits until it says where its API listens.
func startEdge(t *testing.T, bin, cfgPath string) *edgeProc {
	t.Helper()
	p := &edgeProc{cmd: exec.Command(bin, "serve", "-config", cfgPath)}
	p.cmd.Stderr = lockedWriter{p}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := apiLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(found)
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(30 * time.Second): // a bound on a broken start, not a synchronisation
	}
	if url == "" {
		t.Fatalf("edge serve did not start its API; log:\n%s", p.log())
	}
	p.cf = cloudfront.New(cloudfront.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(testKey1, testSecret1, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *edgeProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil && !strings.Contains(err.Error(), "finished") {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}
