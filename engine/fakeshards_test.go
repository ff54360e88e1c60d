package engine

import "sync"

// runFakeShards runs dispatch with n shards whose goroutines do no analysis: each hands
// every batch it receives to look (on its own goroutine; nil: nothing) and releases it. It
// returns dispatch's error once every shard has drained its batches.
func runFakeShards(n int, look func(s int, b *batch), dispatch func(shards []*shard, free chan *batch) error) error {
	shards := make([]*shard, n)
	free := make(chan *batch, 4)
	var wg sync.WaitGroup
	for s := range shards {
		sh := &shard{id: s, in: make(chan *batch, 2)}
		shards[s] = sh
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range sh.in {
				if look != nil {
					look(s, b)
				}
				if b.users.Add(-1) == 0 {
					releaseBatch(free, b)
				}
			}
		}()
	}
	err := dispatch(shards, free)
	for _, sh := range shards {
		close(sh.in)
	}
	wg.Wait()
	return err
}
