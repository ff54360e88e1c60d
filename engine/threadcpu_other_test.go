//go:build !linux

package engine

func threadCPU() int64 { return 0 }
