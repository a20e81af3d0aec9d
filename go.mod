module github.com/pricefill/pricefill

go 1.25

require pgregory.net/rapid v1.3.0

require go.uber.org/goleak v1.3.0

require github.com/google/go-cmp v0.7.0
