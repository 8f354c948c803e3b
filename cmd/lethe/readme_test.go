package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/testdb"
)

// TestReadme_Tour runs every curl example of the README, and then of the long
// tour in docs/tour.md, in order, each file against its own fresh `lethe serve
// --demo` on each database, so both stay true verbatim. An example answers 2xx
// unless its line ends in a "# NNN" comment, or the next line shows the
// expected JSON body as a "# {...}" comment, which must then match exactly.
func TestReadme_Tour(t *testing.T) {
	for _, name := range []string{"README.md", "docs/tour.md"} {
		t.Run(strings.TrimSuffix(strings.ReplaceAll(name, "/", "_"), ".md"), func(t *testing.T) {
			text, err := os.ReadFile("../../" + name)
			if err != nil {
				t.Fatal(err)
			}
			runTour(t, string(text))
		})
	}
}

func runTour(t *testing.T, doc string) {
	examples := readmeCurls(doc)
	if len(examples) < 10 {
		t.Fatalf("found %d curl examples, want the whole tour", len(examples))
	}
	srv := mustServe(t, testdb.DSN(t), "--demo")
	for i, ex := range examples {
		t.Run(fmt.Sprintf("%02d_%s", i+1, ex.method), func(t *testing.T) {
			t.Log(ex.cmd)
			req, err := ex.request(strings.Replace(ex.url, "http://127.0.0.1:8080", srv.URL, 1))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case ex.wantStatus != 0 && resp.StatusCode != ex.wantStatus:
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, ex.wantStatus, body)
			case ex.wantStatus == 0 && resp.StatusCode/100 != 2:
				t.Fatalf("status %d, want 2xx: %s", resp.StatusCode, body)
			}
			if ex.wantBody != "" && !jsonEqual(t, ex.wantBody, string(body)) {
				t.Fatalf("body %s, want %s", body, ex.wantBody)
			}
		})
	}
}

type curlExample struct {
	cmd        string
	method     string
	url        string
	user       string
	headers    [][2]string
	data       string
	wantStatus int
	wantBody   string
}

func (ex curlExample) request(url string) (*http.Request, error) {
	var body io.Reader
	if ex.data != "" {
		body = strings.NewReader(ex.data)
	}
	req, err := http.NewRequest(ex.method, url, body)
	if err != nil {
		return nil, err
	}
	for _, h := range ex.headers {
		req.Header.Add(h[0], h[1])
	}
	if ex.user != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ex.user)))
	}
	return req, nil
}

var statusComment = regexp.MustCompile(`#\s*(\d{3})\b`)

// readmeCurls extracts the curl commands of a Markdown file's sh blocks.
func readmeCurls(readme string) []curlExample {
	var out []curlExample
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(readme, -1)
	for _, b := range blocks {
		lines := strings.Split(strings.ReplaceAll(b[1], "\\\n", " "), "\n")
		for i, line := range lines {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "curl ") {
				continue
			}
			words, comment := shellWords(line)
			ex := curlExample{cmd: strings.Join(strings.Fields(line), " "), method: "GET"}
			if m := statusComment.FindStringSubmatch(comment); m != nil {
				ex.wantStatus, _ = strconv.Atoi(m[1])
			}
			if i+1 < len(lines) {
				if next := strings.TrimSpace(lines[i+1]); strings.HasPrefix(next, "# {") {
					ex.wantBody = strings.TrimPrefix(next, "# ")
					var st struct{ Status int }
					if json.Unmarshal([]byte(ex.wantBody), &st) == nil && st.Status != 0 {
						ex.wantStatus = st.Status
					}
				}
			}
			for j := 1; j < len(words); j++ {
				switch w := words[j]; w {
				case "-s":
				case "-u":
					j++
					ex.user = words[j]
				case "-X":
					j++
					ex.method = words[j]
				case "-H":
					j++
					k, v, _ := strings.Cut(words[j], ":")
					ex.headers = append(ex.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
				case "-d":
					j++
					ex.data = words[j]
					if ex.method == "GET" {
						ex.method = "POST"
					}
				default:
					if strings.HasPrefix(w, "-") {
						panic(fmt.Sprintf("README curl uses an option this test does not know: %s", w))
					}
					ex.url = w
				}
			}
			out = append(out, ex)
		}
	}
	return out
}

// shellWords splits a command line as sh would for the quoting the README
// uses (single quotes and bare words), and returns the trailing comment.
func shellWords(line string) (words []string, comment string) {
	var cur bytes.Buffer
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '#' && !inWord:
			return words, line[i:]
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, ""
}

func jsonEqual(t *testing.T, want, got string) bool {
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("README body is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	wb, _ := json.Marshal(w)
	gb, _ := json.Marshal(g)
	return bytes.Equal(wb, gb)
}
