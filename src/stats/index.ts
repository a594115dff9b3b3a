// Statistics: pure functions over numbers and aggregates (no I/O, no config).
export {};
