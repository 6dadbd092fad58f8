package ruletest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML, the shape CI systems (GitHub Actions reporters, GitLab,
// Jenkins) ingest.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML, one test suite per test file.
func (r *Report) WriteJUnit(w io.Writer) error {
	root := junitSuites{Name: "falconer test"}
	index := map[string]int{}
	for _, res := range r.Results {
		file := res.Case.File
		i, ok := index[file]
		if !ok {
			i = len(root.Suites)
			index[file] = i
			root.Suites = append(root.Suites, junitSuite{Name: file})
		}
		s := &root.Suites[i]
		jc := junitCase{Name: res.Case.Name, Classname: file, File: file, Line: res.Case.Line}
		if !res.Passed() {
			jc.Failure = &junitFailure{Message: res.Failures[0], Text: strings.Join(res.Failures, "\n")}
			s.Failures++
			root.Failures++
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, jc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
