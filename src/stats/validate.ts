// Input guards shared by the statistics: each throws a RangeError naming the function, the argument and the fault.

/** A RangeError whose message starts with the function it came from, so a monitor's log points at the call. */
export function rangeError(fn: string, message: string): RangeError {
  return new RangeError(`${fn}: ${message}`);
}

export function checkSameLength(
  fn: string,
  aName: string,
  a: ArrayLike<unknown>,
  bName: string,
  b: ArrayLike<unknown>,
): void {
  if (a.length !== b.length) {
    throw rangeError(fn, `${aName} and ${bName} must have the same length (${a.length} vs ${b.length})`);
  }
}

export function checkNonEmpty(fn: string, name: string, values: ArrayLike<unknown>): void {
  if (values.length === 0) throw rangeError(fn, `${name} is empty (n = 0)`);
}

/** Every value a finite number: NaN is named as such because it is the usual symptom upstream. */
export function checkFinite(fn: string, name: string, values: readonly number[]): void {
  values.forEach((value, i) => checkFiniteValue(fn, `${name}[${i}]`, value));
}

export function checkFiniteValue(fn: string, name: string, value: number): void {
  if (Number.isNaN(value)) throw rangeError(fn, `${name} is NaN`);
  if (!Number.isFinite(value)) throw rangeError(fn, `${name} is ${value}, not a finite number`);
}

/** A count: finite and ≥ 0 (not necessarily an integer: weighted counts are allowed). */
export function checkCountValue(fn: string, name: string, value: number): void {
  checkFiniteValue(fn, name, value);
  if (value < 0) throw rangeError(fn, `${name} is ${value}; counts must be ≥ 0`);
}

export function checkCounts(fn: string, name: string, values: readonly number[]): void {
  values.forEach((value, i) => checkCountValue(fn, `${name}[${i}]`, value));
}

/** Sum of counts, refusing an all-zero vector: a distribution with no mass has no proportions. */
export function positiveTotal(fn: string, name: string, counts: readonly number[]): number {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total <= 0) throw rangeError(fn, `${name} counts are all zero`);
  return total;
}

export function checkLabels(fn: string, name: string, labels: readonly number[]): void {
  labels.forEach((label, i) => {
    if (label !== 0 && label !== 1) throw rangeError(fn, `${name}[${i}] is ${label}; labels must be 0 or 1`);
  });
}

export function checkInteger(fn: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw rangeError(fn, `${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** A probability level strictly inside (0, 1), e.g. a confidence. */
export function checkOpenUnit(fn: string, name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw rangeError(fn, `${name} must be in (0, 1), got ${value}`);
}
