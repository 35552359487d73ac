#!/usr/bin/env bash
# bench-compare.sh (make bench-compare): edge against nginx and Varnish as caching proxies in
# front of one origin, plus a bare fasthttp server answering the same bytes from memory (the
# framework's ceiling). Every server listens on 127.0.0.1 only, every run is bounded, and every
# process started here is stopped on exit.
#
#   A=edge B=nginx C=varnish D=ceiling, rounds A B C D A B C D …, then medians and ratios.
#
# Environment: DUR (one run, default 5s), ROUNDS (default 3), C_SMALL / C_LARGE (connections
# for the 1 KiB / 1 MiB cases, default 64 / 16), ZIPF_CACHE (edge cache for the zipf/RSS
# check, default 64MiB), EDGE (binary, default bin/edge; built unless NO_BUILD=1), KEEP=1
# (keep the work directory with every JSON report and log), ONLY (the sections to run, of
# "http disk tls herd zipf"; default all).
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-5s}
ROUNDS=${ROUNDS:-3}
C_SMALL=${C_SMALL:-64}
C_LARGE=${C_LARGE:-16}
ZIPF_CACHE=${ZIPF_CACHE:-64MiB}
ZIPF_OBJ=${ZIPF_OBJ:-16KiB}
EDGE=${EDGE:-bin/edge}
GO=${GO:-go}

NAME=bench-compare
ONLY=${ONLY:-http disk tls herd zipf}
want() { [[ " $ONLY " == *" $1 "* ]]; }
. scripts/bench-lib.sh

# --- tools -------------------------------------------------------------------------------
if [ "${NO_BUILD:-}" != 1 ]; then
	log "building $EDGE"
	$GO build -o "$EDGE" ./cmd/edge
fi
"$EDGE" bench help >/dev/null 2>&1 || die "$EDGE has no 'bench' command (is bench.Main wired in cmd/edge?)"
if ! command -v nginx >/dev/null || ! command -v varnishd >/dev/null || ! command -v jq >/dev/null; then
	[ "$(id -u)" = 0 ] || die "nginx, varnish or jq is missing and we are not root to apt-get them"
	log "installing nginx, varnish and jq (apt-get)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light varnish jq >/dev/null
fi

if ! command -v h2load >/dev/null; then
	[ "$(id -u)" = 0 ] || die "h2load is missing and we are not root to apt-get nghttp2-client"
	log "installing nghttp2-client (h2load)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null
fi

SHM=$(mktemp -d /dev/shm/edge-bench-nginx.XXXXXX) # nginx proxy_cache on tmpfs
mkdir -p "$WORK/res" "$WORK/tls"
# One certificate (ECDSA P-256) for the edge's and nginx's TLS listeners.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null ||
	die "openssl could not make the benchmark certificate"
extra_cleanup() { rm -rf "$SHM"; }

# free_port: a port on 127.0.0.1 that nothing listens on now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# ready URL: wait until URL answers 2xx (probing with our own client).
ready() {
	local i
	for i in $(seq 100); do
		"$EDGE" bench -url "$1" -size /bytes/1 -no-warm -n 1 -d 1s -json >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "$1 is not answering"
}

# --- the origin and the four targets -----------------------------------------------------
start origin "$EDGE" bench origin -listen 127.0.0.1:0
ORIGIN=$(addr_from origin '.*serving on http://\([0-9.:]*\)/.*')
OPORT=${ORIGIN##*:}

edge_config() { # edge_config MEMORY
	cat <<EOF
[server]
listen = "127.0.0.1:0"
[cache]
memory = "$1"
max_object_size = "64MiB"
[logging]
level = "warn"
[api]
auth = "none"
[[distribution]]
id = "EBENCHCOMPARE"
domain_name = "dbench.cloudfront.net"
aliases = ["127.0.0.1", "localhost"]
[[distribution.origin]]
id = "bench"
kind = "http"
domain_name = "127.0.0.1"
http_port = $OPORT
[[distribution.behavior]]
path_pattern = "/obj/*"
target_origin_id = "bench"
[distribution.behavior.forwarded_values]
query_string = true
[distribution.default_behavior]
target_origin_id = "bench"
EOF
}
edge_config 1GiB | sed "s|^listen = \"127.0.0.1:0\"|listen = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\ntls_cert_file = \"$WORK/tls/cert.pem\"\ntls_key_file = \"$WORK/tls/key.pem\"|" >"$WORK/edge.toml"
grep -q tls_listen "$WORK/edge.toml" || die "edge.toml has no tls_listen"
# The disk-tier edge: a memory tier too small for a 1 MiB object, so every hit is a disk hit
# (its file sent with sendfile), on the same filesystem as nginx's disk cache below.
edge_config 4MiB | sed "s|^max_object_size = .*|max_object_size = \"64KiB\"\ndisk_path = \"$WORK/disk/edge\"\ndisk_size = \"2GiB\"|" >"$WORK/edge-disk.toml"
grep -q disk_path "$WORK/edge-disk.toml" || die "edge-disk.toml has no disk_path"
start edge env ${EDGE_GOMAXPROCS:+GOMAXPROCS=$EDGE_GOMAXPROCS} "$EDGE" serve -config "$WORK/edge.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
EDGE_PID=${PIDS[-1]} # env execs the edge: the same process
EDGE_ADDR=$(addr_from edge '.*serving viewers on http://\([0-9.:]*\)/.*')
EDGE_TLS_ADDR=$(addr_from edge '.*serving viewers on https://\([0-9.:]*\)/.*')
start edge-disk env ${EDGE_GOMAXPROCS:+GOMAXPROCS=$EDGE_GOMAXPROCS} "$EDGE" serve -config "$WORK/edge-disk.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
EDGE_DISK_ADDR=$(addr_from edge-disk '.*serving viewers on http://\([0-9.:]*\)/.*')

# proxied ZONE: nginx's caching proxy to the origin, in the cache zone ZONE (every server block).
proxied() {
	printf '%s ' "proxy_pass http://origin;" "proxy_http_version 1.1;" 'proxy_set_header Connection "";' \
		"proxy_cache $1;" "proxy_cache_valid 200 1h;" "proxy_cache_lock on;"
}
NPORT=$(free_port)
NDPORT=$(free_port)
NHPORT=$(free_port)
NHCPORT=$(free_port)
mkdir -p "$WORK/nginx" "$WORK/disk/nginx"
cat >"$WORK/nginx.conf" <<EOF
worker_processes $(nproc);
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
$([ "$(id -u)" = 0 ] && echo "user root;")
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 10000000;
	keepalive_timeout 65s;
	open_file_cache max=10000 inactive=60s;
	open_file_cache_valid 60s;
	open_file_cache_errors on;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	proxy_cache_path $SHM levels=1:2 keys_zone=edge:64m max_size=2g inactive=1h use_temp_path=off;
	proxy_cache_path $WORK/disk/nginx levels=1:2 keys_zone=disk:16m max_size=2g inactive=1h use_temp_path=off;
	upstream origin { server 127.0.0.1:$OPORT; keepalive 64; }
	server {
		listen 127.0.0.1:$NPORT backlog=4096;
		location / {
			$(proxied edge)
		}
	}
	server {
		listen 127.0.0.1:$NHPORT ssl http2 backlog=4096;
		ssl_certificate $WORK/tls/cert.pem;
		ssl_certificate_key $WORK/tls/key.pem;
		location / {
			$(proxied edge)
		}
	}
	server {
		# nginx answering with the five fields CloudFront (and the edge) add to every answer, so
		# that the TLS comparison can be read with both sending the same bytes.
		listen 127.0.0.1:$NHCPORT ssl backlog=4096;
		ssl_certificate $WORK/tls/cert.pem;
		ssl_certificate_key $WORK/tls/key.pem;
		location / {
			$(proxied edge)
			add_header Age 0;
			add_header X-Cache "Hit from cloudfront";
			add_header X-Amz-Cf-Id "\$request_id\$request_id";
			add_header Via "1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)";
			add_header X-Amz-Cf-Pop DEV1-C1;
		}
	}
	server {
		listen 127.0.0.1:$NDPORT backlog=4096;
		location / {
			$(proxied disk)
		}
	}
}
EOF
start nginx nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -g 'daemon off;'
NGINX_PID=${PIDS[-1]}

VPORT=$(free_port)
start varnish varnishd -F -a "127.0.0.1:$VPORT" -b "127.0.0.1:$OPORT" -s malloc,256m -n "$WORK/varnish" -T 127.0.0.1:0

start ceiling-1KiB "$EDGE" bench ceiling -listen 127.0.0.1:0 -size 1KiB
start ceiling-1MiB "$EDGE" bench ceiling -listen 127.0.0.1:0 -size 1MiB
CEIL_S=$(addr_from ceiling-1KiB '.*serving [0-9]* bytes on http://\([0-9.:]*\)/.*')
CEIL_L=$(addr_from ceiling-1MiB '.*serving [0-9]* bytes on http://\([0-9.:]*\)/.*')

declare -A URL=([edge]="http://$EDGE_ADDR" [nginx]="http://127.0.0.1:$NPORT" [varnish]="http://127.0.0.1:$VPORT")
TARGETS=(edge nginx varnish ceiling)
for t in edge nginx varnish; do ready "${URL[$t]}"; done
ready "http://$CEIL_S"
ready "http://$CEIL_L"
target_url() { # target_url TARGET CASE
	if [ "$1" = ceiling ]; then
		[ "$2" = 1KiB ] && echo "http://$CEIL_S" || echo "http://$CEIL_L"
	else
		echo "${URL[$1]}"
	fi
}

if want http; then
# --- warm-up: fill every cache, open connections ------------------------------------------
log "warming up"
for size in 1KiB 1MiB; do
	for t in "${TARGETS[@]}"; do
		"$EDGE" bench -url "$(target_url "$t" "$size")" -size "$size" -c 8 -n 2000 -d 2s -json >/dev/null ||
			die "warm-up of $t ($size) failed"
	done
done

# --- rounds ------------------------------------------------------------------------------
for spec in "1KiB:$C_SMALL" "1MiB:$C_LARGE"; do
	size=${spec%%:*}
	conns=${spec##*:}
	for r in $(seq "$ROUNDS"); do
		for t in "${TARGETS[@]}"; do
			out="$WORK/res/$size.$t.$r.json"
			"$EDGE" bench -url "$(target_url "$t" "$size")" -size "$size" -c "$conns" -d "$DUR" -n 100000000 \
				-json -label "$size -c$conns/$t" >"$out" || log "  ($t reported errors)"
			log "$(printf '%-5s round %d %-8s %s req/s' "$size" "$r" "$t" "$(jq -r '.requests_per_s|floor' "$out" 2>/dev/null || echo '?')")"
		done
	done
done

fi
if want disk; then
# --- the disk tier: 1 MiB hits from files, against nginx's proxy_cache on the same filesystem
# and against the edge's own memory hits -------------------------------------------------------
log "disk tier: 1 MiB hits"
declare -A DURL=([edge-disk]="http://$EDGE_DISK_ADDR" [nginx-disk]="http://127.0.0.1:$NDPORT" [edge-memory]="http://$EDGE_ADDR")
mkdir -p "$WORK/res-disk"
for t in edge-disk nginx-disk; do
	ready "${DURL[$t]}"
	"$EDGE" bench -url "${DURL[$t]}" -size 1MiB -c 8 -n 2000 -d 2s -json >/dev/null || die "warm-up of $t failed"
done
for r in $(seq "$ROUNDS"); do
	for t in edge-disk nginx-disk edge-memory; do
		out="$WORK/res-disk/$t.$r.json"
		"$EDGE" bench -url "${DURL[$t]}" -size 1MiB -c "$C_LARGE" -d "$DUR" -n 100000000 \
			-json -label "1MiB from disk -c$C_LARGE/$t" >"$out" || log "  ($t reported errors)"
		log "$(printf '1MiB disk round %d %-11s %s req/s' "$r" "$t" "$(jq -r '.requests_per_s|floor' "$out" 2>/dev/null || echo '?')")"
	done
done
DISK_FILES=$(cd "$WORK/disk/edge" && find . -mindepth 3 -type f ! -path './tmp/*' | wc -l)

fi
if want tls; then
# --- HTTP/2 and HTTP/1.1 over TLS, with h2load (nghttp2), against nginx's "listen ssl http2" ----
log "TLS: HTTP/2 and HTTP/1.1 with h2load"
mkdir -p "$WORK/res-h2"
declare -A HURL=([edge]="https://$EDGE_TLS_ADDR" [nginx]="https://127.0.0.1:$NHPORT" [nginx-cf]="https://127.0.0.1:$NHCPORT")
# name|path|h2load options|the nginx server to compare with (nginx-cf: the one adding CloudFront's fields)
H2CASES=("1KiB h2 -c64 -m10|/bytes/1024|-c 64 -m 10|nginx" "1MiB h2 -c16 -m1|/bytes/1048576|-c 16 -m 1|nginx"
	"1KiB HTTP/1.1 TLS -c64|/bytes/1024|--h1 -c 64|nginx" "1KiB HTTP/1.1 TLS -c64, nginx adding CloudFront's 5 fields|/bytes/1024|--h1 -c 64|nginx-cf")
for c in "${H2CASES[@]}"; do # warm: fill the caches, open the TLS session caches
	IFS='|' read -r _ path opts peer <<<"$c"
	for t in edge "$peer"; do
		h2load $opts -n 200 "${HURL[$t]}$path" >/dev/null 2>&1 || die "warm-up of $t over TLS failed"
	done
done
h2secs=${DUR%s}
# The servers' CPU time (user + system, clock ticks) across a run: the edge's process, nginx's workers.
declare -A HPIDS=([edge]="$EDGE_PID" [nginx]="$NGINX_PID" [nginx-cf]="$NGINX_PID")
# cpu_ticks PID: the process's CPU time and its children's (nginx's workers, counted when reaped
# too: a worker nginx replaced during a run is not lost).
cpu_ticks() {
	local p=$1 t
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat")
	for c in $(pgrep -P "$p"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
	echo "$t"
}
HZ=$(getconf CLK_TCK)
for i in "${!H2CASES[@]}"; do
	IFS='|' read -r name path opts peer <<<"${H2CASES[$i]}"
	for r in $(seq "$ROUNDS"); do
		for t in edge "$peer"; do
			out="$WORK/res-h2/$i.${t%-cf}.$r.txt"
			before=$(cpu_ticks "${HPIDS[$t]}")
			h2load $opts -D "$h2secs" --warm-up-time=1 "${HURL[$t]}$path" >"$out" 2>&1 || log "  ($t h2load reported errors)"
			after=$(cpu_ticks "${HPIDS[$t]}")
			# CPU per request: the server's CPU share over warm-up and run, over the run's rate.
			rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$out")
			awk -v d=$((after - before)) -v hz="$HZ" -v s="$((h2secs + 1))" -v rps="${rps:-0}" \
				'BEGIN {printf "%.1f\n", (rps > 0 ? d / hz / s * 1e6 / rps : 0)}' >"$out.cpu"
			log "$(printf '%-22s round %d %-6s %s req/s, %s µs CPU/req' "$name" "$r" "$t" "$rps" "$(cat "$out.cpu")")"
		done
	done
done

fi
if want herd; then
# --- cold herds: 1,000 concurrent requests for one uncached object ------------------------
log "cold herds"
for t in edge nginx varnish; do
	"$EDGE" bench -scenario herd -herd 1000 -rounds 3 -url "${URL[$t]}" -origin "http://$ORIGIN" -json \
		-label "herd/$t" >"$WORK/herd.$t.json" || log "  ($t herd reported errors)"
done

fi
if want zipf; then
# --- zipf through a small edge cache: hit ratio against an LRU, RSS against the budget -----
log "zipf: catalog 10x the cache ($ZIPF_CACHE)"
edge_config "$ZIPF_CACHE" >"$WORK/edge-zipf.toml"
start edge-zipf "$EDGE" serve -config "$WORK/edge-zipf.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
ZIPF_PID=${PIDS[-1]}
ZIPF_ADDR=$(addr_from edge-zipf '.*serving viewers on http://\([0-9.:]*\)/.*')
budget=$(numfmt --from=iec-i "${ZIPF_CACHE%B}")
obj=$(numfmt --from=iec-i "${ZIPF_OBJ%B}")
catalog=$((10 * budget / obj))
"$EDGE" bench -scenario zipf -url "http://$ZIPF_ADDR" -origin "http://$ORIGIN" -pid "$ZIPF_PID" \
	-catalog "$catalog" -s 1.0 -objsize "$ZIPF_OBJ" -cache-bytes "$ZIPF_CACHE" -c 16 -d 10s -n 100000000 \
	-json -label "zipf/edge" >"$WORK/zipf.json" || log "  (zipf reported errors)"

# --- zipf through the disk tier (the issue's budget): the memory budget as above, the catalog 10x it
# and half the disk tier: hit ratio against an LRU of memory + disk bytes, RSS against memory + 64 MiB --
log "zipf through the disk tier"
disk_mib=$((2 * catalog * obj / 1048576))
edge_config "$ZIPF_CACHE" | sed "s|^max_object_size = .*|max_object_size = \"1MiB\"\ndisk_path = \"$WORK/disk/zipf\"\ndisk_size = \"${disk_mib}MiB\"|" >"$WORK/edge-zipf-disk.toml"
start edge-zipf-disk "$EDGE" serve -config "$WORK/edge-zipf-disk.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
ZIPFD_PID=${PIDS[-1]}
ZIPFD_ADDR=$(addr_from edge-zipf-disk '.*serving viewers on http://\([0-9.:]*\)/.*')
"$EDGE" bench -scenario zipf -url "http://$ZIPFD_ADDR" -origin "http://$ORIGIN" -pid "$ZIPFD_PID" \
	-catalog "$catalog" -s 1.0 -objsize "$ZIPF_OBJ" -cache-bytes "$((budget / 1048576 + disk_mib))MiB" -c 16 -d 10s -n 100000000 \
	-json -label "zipf/edge-disk" >"$WORK/zipf-disk.json" || log "  (zipf through the disk tier reported errors)"

fi
# --- the table -----------------------------------------------------------------------------
echo "## edge bench-compare — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(uname -sr)," \
	"nginx $(nginx -v 2>&1 | sed 's#.*/##'), $(varnishd -V 2>&1 | sed -n 's/^varnishd (\(varnish-[0-9.]*\).*/\1/p'), $($GO version | cut -d' ' -f3)."
echo "Load: edge bench, $DUR per run, $ROUNDS rounds (A B C D …), client and servers sharing the same cores."
echo
if want http; then
"$EDGE" bench table -subject edge -peers nginx,varnish -ceiling ceiling "$WORK"/res/*.json
fi
if want disk; then
echo "The disk tier (edge with a 4 MiB memory tier and max_object_size 64 KiB, so every 1 MiB hit is read from"
echo "its file, $DISK_FILES object file(s) in its folder; nginx proxy_cache on the same filesystem; edge-memory is the"
echo "edge above, answering from memory):"
echo
"$EDGE" bench table -subject edge-disk -peers nginx-disk -ceiling edge-memory "$WORK"/res-disk/*.json
fi
if want tls; then
echo "### TLS: HTTP/2 and HTTP/1.1 (h2load, $DUR per run after 1 s of warm-up, $ROUNDS rounds; nginx \`listen ssl http2\`, same certificate and origin)"
echo
echo "| case | edge req/s (median) | nginx req/s (median) | edge / nginx | edge failed | nginx failed | server CPU µs/req, edge / nginx (medians) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for i in "${!H2CASES[@]}"; do
	IFS='|' read -r name _ _ <<<"${H2CASES[$i]}"
	med() { for f in "$WORK"/res-h2/"$i.$1".*.txt; do sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$f"; done | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
	failed() { for f in "$WORK"/res-h2/"$i.$1".*.txt; do sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$f"; done | awk '{s+=$1} END {print s+0}'; }
	cpu() { cat "$WORK"/res-h2/"$i.$1".*.txt.cpu | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
	e=$(med edge)
	n=$(med nginx)
	echo "| $name | ${e%.*} | ${n%.*} | $(awk -v e="$e" -v n="$n" 'BEGIN {printf (n > 0 ? "**%.2fx**" : "-"), e / n}') | $(failed edge) | $(failed nginx) | $(cpu edge) / $(cpu nginx) |"
done
echo
fi
if want herd; then
echo "### cold herd (1,000 concurrent requests for one uncached object, 3 herds)"
echo
echo "| target | origin requests per herd | p50 ms | max ms |"
echo "| --- | --- | ---: | ---: |"
for t in edge nginx varnish; do
	jq -r --arg t "$t" '"| \($t) | \(.herd.origin_requests_per_round|map(tostring)|join(", ")) | \(.latency_ms.p50*10|round/10) | \(.latency_ms.max*10|round/10) |"' "$WORK/herd.$t.json"
done
echo
fi
if want zipf; then
echo "### zipf (s=1.0, $catalog objects of $ZIPF_OBJ = 10x the edge cache of $ZIPF_CACHE, 10 s, -c16)"
echo
jq -r --argjson budget "$budget" '"- edge hit ratio \(.hit_ratio*10000|round/10000) (from \(.hit_ratio_from)) vs LRU of the same bytes on the same trace \(.zipf.lru_hit_ratio*10000|round/10000) (\(.zipf.trace) requests, \(.origin.requests) origin requests, \(.origin.bytes/1048576|floor) MiB)\n- edge RSS max \(.rss.max_bytes/1048576|floor) MiB vs budget + 64 MiB = \(($budget/1048576|floor) + 64) MiB; \(.requests_per_s|floor) req/s, p99 \(.latency_ms.p99*1000|round/1000) ms, \(.errors) errors"' "$WORK/zipf.json"
echo
echo "### zipf through the disk tier (s=1.0, the same catalog: 10x the memory budget of $ZIPF_CACHE, 0.5x the disk tier of ${disk_mib} MiB)"
echo
jq -r --argjson budget "$budget" --argjson disk "$disk_mib" '"- edge hit ratio \(.hit_ratio*10000|round/10000) (from \(.hit_ratio_from)) vs LRU of memory + disk bytes on the same trace \(.zipf.lru_hit_ratio*10000|round/10000): \(if .zipf.lru_hit_ratio > 0 then (.hit_ratio/.zipf.lru_hit_ratio*1000|round/1000) else 0 end)x (\(.zipf.trace) requests, \(.origin.requests) origin requests)\n- edge RSS max \(.rss.max_bytes/1048576|floor) MiB vs memory budget + 64 MiB = \(($budget/1048576|floor) + 64) MiB, with a disk tier of \($disk) MiB; \(.requests_per_s|floor) req/s, p99 \(.latency_ms.p99*1000|round/1000) ms, \(.errors) errors"' "$WORK/zipf-disk.json"
fi
