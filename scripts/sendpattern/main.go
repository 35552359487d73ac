// Command sendpattern measures how the way a server hands a 1 MiB answer to a loopback TCP
// socket changes the rate a client gets: the evidence behind the disk tier's note (issue 14).
// It serves every HTTP/1.1 request on -listen with the same 1 MiB body, sent in one of four
// ways:
//
//	write1     head and body in one write(2)
//	write4k    the first 4 KiB (head and body) in one write, the rest in another: what
//	           fasthttp's 4 KiB buffered writer does for the edge's memory hits
//	sendfile   the head in one write, the body by sendfile(2) from a file: the edge's disk hits
//	sendfile16 head and the body's first 16 KiB (read from the file) in one write, then sendfile
//
// Run one per mode on its own port and load each with the same client, e.g.
//
//	go run ./scripts/sendpattern -mode sendfile -listen 127.0.0.1:19002 &
//	edge bench -url http://127.0.0.1:19002 -size 1MiB -c 16 -d 3s -no-warm
//
// and compare the server's CPU per request with perf stat -e task-clock -p PID.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
)

const bodySize = 1 << 20

func main() {
	mode := flag.String("mode", "write4k", "write1, write4k, sendfile or sendfile16")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	dir := flag.String("dir", os.TempDir(), "folder for the body's file (put it on the disk tier's filesystem)")
	flag.Parse()

	body := make([]byte, bodySize)
	for i := range body {
		body[i] = byte(i * 7)
	}
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", bodySize)
	// The body sits 496 bytes into its file, as a disk-tier object's does after its header and metadata.
	const off = 496
	path := filepath.Join(*dir, fmt.Sprintf("sendpattern-%d.bin", os.Getpid()))
	if err := os.WriteFile(path, append(make([]byte, off), body...), 0o600); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(path)
	full := append([]byte(head), body...)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("sendpattern %s: serving on http://%s/", *mode, ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			if err := serve(c.(*net.TCPConn), *mode, full, len(head), path, off); err != nil && err != io.EOF {
				log.Print(err)
			}
		}()
	}
}

// serve answers every request on c with the body, sent as mode says.
func serve(c *net.TCPConn, mode string, full []byte, headLen int, path string, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(c)
	first := make([]byte, 16<<10)
	for {
		for { // the request head, to its empty line
			line, err := br.ReadSlice('\n')
			if err != nil {
				return err
			}
			if len(line) <= 2 {
				break
			}
		}
		switch mode {
		case "write1":
			_, err = c.Write(full)
		case "write4k":
			if _, err = c.Write(full[:4096]); err == nil {
				_, err = c.Write(full[4096:])
			}
		case "sendfile", "sendfile16":
			n := copy(first, full[:headLen])
			if mode == "sendfile16" {
				k, _ := f.ReadAt(first[n:], off)
				n += k
			}
			if _, err = c.Write(first[:n]); err == nil {
				sent := int64(n - headLen)
				if _, err = f.Seek(off+sent, io.SeekStart); err == nil {
					_, err = c.ReadFrom(io.LimitReader(f, bodySize-sent)) // sendfile(2)
				}
			}
		default:
			return fmt.Errorf("unknown mode %q", mode)
		}
		if err != nil {
			return err
		}
	}
}
