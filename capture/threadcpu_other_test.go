//go:build !linux

package capture

func threadCPU() int64 { return 0 }
func threadSys() int64 { return 0 }
