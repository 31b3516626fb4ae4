// An independent check of a tree `hwprov log publish` wrote, with the Go
// checksum database's own packages (golang.org/x/mod/sumdb/note and
// sumdb/tlog, Debian package golang-golang-x-mod-dev):
//
//   - the checkpoint's signature, with note.Open and the log's vkey;
//   - every hash tile, through tlog.TileHashReader (which checks each tile
//     it loads against the checkpoint's tree) and tlog.TreeHash;
//   - every entry bundle: each entry's tlog.RecordHash equals its leaf in
//     the tiles, and tlog.ProveRecord/CheckRecord prove it in the tree.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tiles_check.go OUT VKEY
//
// Prints "ok <size>" and exits 0 if everything checks.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type tiles struct{ out string }

func (t tiles) Height() int { return 8 }

// C2SP paths drop the sumdb path's height element: tile/<L>/<N>[.p/<W>].
func (t tiles) path(tile tlog.Tile) string {
	p := tile.Path() // tile/8/<L>/<N>[.p/<W>]
	return filepath.Join(t.out, "tile", strings.TrimPrefix(p, "tile/8/"))
}

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		b, err := os.ReadFile(t.path(tile))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "tiles_check: "+f+"\n", a...)
	os.Exit(1)
}

func main() {
	out, vkeyFile := os.Args[1], os.Args[2]
	vkey, err := os.ReadFile(vkeyFile)
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		fail("vkey: %v", err)
	}
	cp, err := os.ReadFile(filepath.Join(out, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	msg, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(msg.Text, "\n"), "\n")
	if len(lines) != 3 || lines[0] != v.Name() {
		fail("checkpoint text: %q", msg.Text)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("root hash: %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: n, Hash: root}
	thr := tlog.TileHashReader(tree, tiles{out})
	h, err := tlog.TreeHash(n, thr)
	if err != nil {
		fail("tree hash: %v", err)
	}
	if h != root {
		fail("tiles give root %v, the checkpoint signs %v", h, root)
	}
	for b := int64(0); b*256 < n; b++ {
		w := n - b*256
		name := tlog.Tile{H: 8, L: 0, N: b, W: 256}
		if w < 256 {
			name.W = int(w)
		} else {
			w = 256
		}
		p := strings.Replace(tiles{out}.path(name), filepath.Join("tile", "0"), filepath.Join("tile", "entries"), 1)
		data, err := os.ReadFile(p)
		if err != nil {
			fail("%v", err)
		}
		for k := int64(0); k < w; k++ {
			if len(data) < 2 {
				fail("%s: ends early", p)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				fail("%s: entry cut short", p)
			}
			rec := data[2 : 2+l]
			data = data[2+l:]
			i := b*256 + k
			leaf := tlog.RecordHash(rec)
			got, err := thr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if err != nil || got[0] != leaf {
				fail("entry %d does not hash to its leaf (%v)", i, err)
			}
			proof, err := tlog.ProveRecord(n, i, thr)
			if err != nil {
				fail("prove %d: %v", i, err)
			}
			if err := tlog.CheckRecord(proof, n, root, i, leaf); err != nil {
				fail("check %d: %v", i, err)
			}
		}
		if len(data) != 0 {
			fail("%s: bytes after its entries", p)
		}
	}
	fmt.Printf("ok %d\n", n)
}
