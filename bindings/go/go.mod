module github.com/nick-tracker/nick-tracker/bindings/go

go 1.19
