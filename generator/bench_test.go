package generator_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/internal/synth"
)

// Sizes of the synthetic sets; 1000 takes seconds per iteration, run it
// with -benchtime=1x (make bench does).
var sizes = []int{10, 100, 1000}

func BenchmarkLoadValidate(b *testing.B) {
	for _, n := range sizes {
		fsys := synth.Environments(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := load.Load(fsys, "environments"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	for _, n := range sizes {
		res, err := load.Load(synth.Environments(n), "environments")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
