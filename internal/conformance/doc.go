// Package conformance holds the test that runs the tlsmon command over Zeek's conformance
// corpus (../shared/conformance beside the repository) and scores its output with the
// corpus's score.py; it has no non-test code.
package conformance
