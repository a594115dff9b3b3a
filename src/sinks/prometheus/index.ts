// The Prometheus sink: driftwatch's metrics on their own registry, the series cap, and readiness for /readyz.
export { Metrics, CYCLE_DURATION_BUCKETS, type FiringCount, type MetricsOptions } from './metrics.js';
export { segmentLabelNames, labelValue, MAX_LABEL_VALUE_LENGTH } from './labels.js';
export { selectSeries, type Candidate, type Series, type Labels } from './select.js';
export { cycleReadiness, scheduleIntervalMs, type Readiness, type ReadinessOptions } from './readiness.js';
