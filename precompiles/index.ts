// precompiles: built in a later issue (see docs/architecture.md).
export {}
