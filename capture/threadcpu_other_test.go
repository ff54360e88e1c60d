//go:build !linux

package capture

func threadCPU() int64 { return 0 }
