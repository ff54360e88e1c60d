package zeeklog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readTSVHeader returns the columns of a Zeek TSV log and its data lines.
func readTSVLog(t *testing.T, path string) (cols []Column, rows []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names, types []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			names = strings.Split(line, "\t")[1:]
		case strings.HasPrefix(line, "#types\t"):
			types = strings.Split(line, "\t")[1:]
		case strings.HasPrefix(line, "#"):
		default:
			rows = append(rows, line)
		}
	}
	for i := range names {
		cols = append(cols, Column{names[i], types[i]})
	}
	return cols, rows
}

// jsonToValues converts one Zeek JSON log line into Values for the given columns.
func jsonToValues(t *testing.T, line string, cols []Column) []Value {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	vals := make([]Value, len(cols))
	for i, c := range cols {
		raw, ok := m[c.Name]
		if !ok {
			continue
		}
		switch c.Type {
		case "time", "interval", "double":
			f, err := strconv.ParseFloat(string(raw.(json.Number)), 64)
			if err != nil {
				t.Fatal(err)
			}
			k := map[string]kind{"time": kTime, "interval": kInterval, "double": kDouble}[c.Type]
			vals[i] = Value{k: k, f: f}
		case "count", "port":
			u, _ := strconv.ParseUint(string(raw.(json.Number)), 10, 64)
			vals[i] = Value{k: kCount, u: u}
		case "int":
			n, _ := strconv.ParseInt(string(raw.(json.Number)), 10, 64)
			vals[i] = Int(n)
		case "bool":
			vals[i] = Bool(raw.(bool))
		case "addr":
			vals[i] = Addr(netip.MustParseAddr(raw.(string)))
		case "string":
			vals[i] = String(raw.(string))
		case "enum":
			vals[i] = Enum(raw.(string))
		default:
			var ss []string
			for _, e := range raw.([]any) {
				ss = append(ss, e.(string))
			}
			vals[i] = Strings(ss)
		}
	}
	return vals
}

// TestWritersReproduceZeek feeds every row Zeek logged (read from its JSON logs) to both
// writers and compares the output with Zeek's own TSV and JSON files byte for byte.
func TestWritersReproduceZeek(t *testing.T) {
	dir := conformanceDir(t)
	logs, _ := filepath.Glob(filepath.Join(dir, "expected", "*", "tsv", "*.log"))
	if len(logs) == 0 {
		t.Fatal("no expected TSV logs")
	}
	rowsChecked := 0
	for _, tsvPath := range logs {
		cols, tsvRows := readTSVLog(t, tsvPath)
		jsonPath := filepath.Join(filepath.Dir(filepath.Dir(tsvPath)), filepath.Base(tsvPath))
		data, err := os.ReadFile(jsonPath)
		if err != nil {
			t.Fatal(err)
		}
		var jsonRows []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			jsonRows = append(jsonRows, sc.Text())
		}
		if len(jsonRows) != len(tsvRows) {
			t.Errorf("%s: %d JSON rows, %d TSV rows", tsvPath, len(jsonRows), len(tsvRows))
			continue
		}
		var tb, jb bytes.Buffer
		tw := NewTSVWriter(&tb, "x", cols, 1)
		jw := NewJSONWriter(&jb, cols)
		for _, line := range jsonRows {
			vals := jsonToValues(t, line, cols)
			if err := tw.Write(vals); err != nil {
				t.Fatal(err)
			}
			if err := jw.Write(vals); err != nil {
				t.Fatal(err)
			}
		}
		_, gotTSV := readTSVLog(t, writeTemp(t, tb.Bytes()))
		gotJSON := strings.Split(strings.TrimSuffix(jb.String(), "\n"), "\n")
		for i := range tsvRows {
			rowsChecked++
			if gotTSV[i] != tsvRows[i] {
				t.Errorf("%s row %d TSV:\n got %q\nwant %q", tsvPath, i, gotTSV[i], tsvRows[i])
			}
			if gotJSON[i] != jsonRows[i] {
				t.Errorf("%s row %d JSON:\n got %s\nwant %s", jsonPath, i, gotJSON[i], jsonRows[i])
			}
		}
	}
	t.Logf("%d logs, %d rows compared", len(logs), rowsChecked)
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
